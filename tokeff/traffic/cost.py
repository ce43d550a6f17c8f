"""A traffic sample priced exactly on each model: every part counted with the model's own
tokenizer (each distinct text once), the provider's documented framing added, repeated system
prompts priced as a cached prefix, and the language tax in money against the English
equivalent of each part (tokeff.analysis.density).

Each request is priced whole by tokeff.costs.pricing.request_cost (rate tier from its prompt
size, cache minimum, cache write on a prefix's first use, reasoning billed as output); its cost
is then split over its parts in proportion to the rate each token was billed at, so the rows of
a model add up to exactly what the requests cost. The English-equivalent cost is the same
requests priced with each part's English-equivalent tokens."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from tokeff._util.cache import CountCache
from tokeff.analysis.density import Density, fit, split_counts, splits_ascii
from tokeff.corpora.corpus import Corpus
from tokeff.corpora.langid import UNDETERMINED, detect
from tokeff.costs.fx import Fx, load_fx
from tokeff.costs.peak import Traffic, peak_share
from tokeff.costs.pricing import left_out, request_cost
from tokeff.costs.rates import Prices, RateBook, RateCard, load_rates
from tokeff.costs.regions import INTERNATIONAL
from tokeff.errors import LanguageError, UnpricedModelError, UsageError
from tokeff.tokenizers.registry import load_registry
from tokeff.tokenizers.tokenizer import Tokenizer, availability, get_tokenizer
from tokeff.traffic.framing import NOT_DOCUMENTED, framing_for
from tokeff.traffic.reader import Request

TRAFFIC_COLUMNS = ["model", "tokenizer", "language", "parts", "tokens", "english_equivalent_tokens",
                   "english_equivalent_low", "english_equivalent_high", "cost", "english_equivalent_cost",
                   "language_tax", "currency"]
EXTRA_COLUMNS = ["part_count", "requests", "cached_tokens", "requests_per_month", "cost_per_month",
                 "english_equivalent_cost_per_month", "language_tax_per_month", "tokenizer_status", "note"]
PART_ORDER = {"system": 0, "user": 1, "assistant": 2, "tool": 3, "response": 4, "reasoning": 5, "framing": 6}
REFERENCE = "en"


@dataclass
class _Row:
    tokens: float = 0.0
    native: float = 0.0
    shared: float = 0.0
    english: float = 0.0  # NaN once a part has no English equivalent
    count: int = 0
    cached: float = 0.0
    cost: float = 0.0
    english_cost: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Group:
    key: tuple[str, str]  # (part, language)
    tokens: float
    native: float
    shared: float
    english: float
    output: bool
    cached: float = 0.0
    cached_english: float = 0.0


def pick_models(book: RateBook, models: Sequence[str] | None, region: str = INTERNATIONAL) -> list[RateCard]:
    """The rate cards to price: the named models (each must have a tokenizer), or the rates file's
    defaults whose tokenizer is on this machine, of one price list (`region`), not retired."""
    registry = load_registry()
    if models:
        cards = [book.card(m) for m in dict.fromkeys(models)]  # UnknownModelError names the model
        for c in cards:
            if c.tokenizer is None:
                raise UnpricedModelError(f"model {c.model!r} has no tokenizer here, so its traffic cannot be counted")
        return cards
    return [c for c in (book.card(m) for m in book.defaults())
            if c.tokenizer and availability(registry.get(c.tokenizer)) == "offline"
            and left_out(book, c, region) is None]


def shipped_corpora() -> list[Corpus]:
    """The shipped parallel corpora the English-equivalent model is fitted on."""
    from tokeff.corpora.loaders import load_corpus
    from tokeff.corpora.loaders import shipped_corpora as names

    return [load_corpus(n) for n in names()]


class _Densities:
    """Fitted densities per (tokenizer, language), fitted on first use; None where no fit exists."""

    def __init__(self, corpora: Sequence[Corpus] | None, cache: CountCache | None) -> None:
        self._corpora, self._cache = corpora, cache
        self._fits: dict[tuple[str, str], Density | None] = {}

    def get(self, tok: Tokenizer, language: str) -> Density | None:
        key = (tok.id, language)
        if key not in self._fits:
            if self._corpora is None:
                self._corpora = shipped_corpora()
            try:
                self._fits[key] = fit(self._corpora, tok, language, cache=self._cache)
            except LanguageError:  # fewer than two corpora have it: noted on its rows
                self._fits[key] = None
        return self._fits[key]


def traffic_cost(requests: Sequence[Request], models: Sequence[str] | None = None, *,
                 requests_per_month: float | None = None, currency: str = "USD", rates: RateBook | None = None,
                 fx: Fx | None = None, cache: CountCache | None = None,
                 corpora: Sequence[Corpus] | None = None, traffic: Traffic | None = None) -> pd.DataFrame:
    """One row per model x part x language (columns TRAFFIC_COLUMNS then EXTRA_COLUMNS): exact
    tokens, the English equivalent with its 95% interval, this sample's cost, its English
    equivalent's and the difference (language tax), and per month at `requests_per_month`.
    `corpora`: the parallel corpora to fit the English equivalent on (default: the shipped ones).
    `traffic`: when the requests are sent (a workload's profile), which sets the share billed at a
    model's peak rate (default: spread evenly over the week)."""
    if not requests:
        raise UsageError("no requests to price")
    if requests_per_month is not None and not (0 < requests_per_month < 1e13):
        raise UsageError("requests per month must be a positive number below 1e13")
    book, fxr, registry = rates or load_rates(), fx or load_fx(), load_registry()
    cur = currency.upper()
    cards = pick_models(book, models)
    if not cards:
        raise UnpricedModelError("no model to price here: name one with --model")
    for c in cards:
        fxr.rate(c.currency, cur)  # an unknown currency fails before any counting
    texts = list(dict.fromkeys(p.text for r in requests for p in r.parts))
    language = {t: detect(t) for t in texts}
    neutral = {t for t in texts if not any(ch.isalpha() for ch in t)}  # numbers, punctuation: no language
    prefixes = Counter(r.system_prefix for r in requests if r.system_prefix)
    densities = _Densities(corpora, cache)
    counted: dict[str, tuple[Tokenizer, dict[str, tuple[int, int]]]] = {}
    rows: list[dict[str, object]] = []
    skipped: dict[str, str] = {}
    for card in cards:
        assert card.tokenizer is not None
        tok_id = registry.get(card.tokenizer).id
        if tok_id not in counted:
            tok = get_tokenizer(tok_id)
            tokens, shared = split_counts(tok, texts, cache)
            counted[tok_id] = (tok, {t: _shared(t, n, s, language[t], neutral)
                                     for t, n, s in zip(texts, tokens, shared, strict=True)})
        tok, counts = counted[tok_id]
        at_peak = peak_share(card.peak, traffic, date.today()) if card.peak is not None else 0.0
        table = _price(card, tok, requests, counts, language, prefixes, densities, book, at_peak)
        if card.peak is not None:
            when = traffic.describe() if traffic else "traffic spread evenly over the week; give --workload with `traffic:`"
            for row in table.values():
                row.notes.append(f"{at_peak:.0%} of requests in peak hours ({card.peak.label}; {when})")
        rate = float(fxr.rate(card.currency, cur))
        framing = framing_for(card, tok.id)
        if framing is None:
            skipped[card.model] = NOT_DOCUMENTED
        for (part, lang), row in sorted(table.items(), key=lambda kv: (PART_ORDER[kv[0][0]], kv[0][1])):
            est, low, high = _interval(row, lang, tok, densities)
            per_month = (requests_per_month / len(requests)) if requests_per_month else math.nan
            cost, eng_cost = row.cost * rate, row.english_cost * rate
            rows.append({
                "model": card.model, "tokenizer": tok.id, "language": lang, "parts": part, "tokens": row.tokens,
                "english_equivalent_tokens": est, "english_equivalent_low": low, "english_equivalent_high": high,
                "cost": cost, "english_equivalent_cost": eng_cost, "language_tax": cost - eng_cost, "currency": cur,
                "part_count": row.count, "requests": len(requests), "cached_tokens": row.cached,
                "requests_per_month": requests_per_month if requests_per_month else math.nan,
                "cost_per_month": cost * per_month, "english_equivalent_cost_per_month": eng_cost * per_month,
                "language_tax_per_month": (cost - eng_cost) * per_month, "tokenizer_status": tok.status,
                "note": "; ".join(dict.fromkeys(row.notes + ([framing.source] if part == "framing" and framing else []))),
            })
    df = pd.DataFrame(rows, columns=TRAFFIC_COLUMNS + EXTRA_COLUMNS)
    df.attrs["framing_not_counted"] = skipped
    df.attrs["languages"] = dict(Counter(language[p.text] for r in requests for p in r.parts))
    df.attrs["skipped_blocks"] = sum(r.skipped_blocks for r in requests)
    return df


def _shared(text: str, n: int, s: int, lang: str, neutral: set[str]) -> tuple[int, int]:
    """(tokens, shared tokens) of a part: all shared when it has no letters (numbers, punctuation);
    none in English, an undetermined part and a Latin-script language (ASCII there is its own words)."""
    if text in neutral:
        return n, n
    if lang in (REFERENCE, UNDETERMINED) or not splits_ascii(lang):
        return n, 0
    return n, s


def _english(n: int, s: int, lang: str, tok: Tokenizer, densities: _Densities) -> float:
    """Point English equivalent of one part (linear, so parts add up to their row's estimate)."""
    if lang == REFERENCE or n == s:
        return float(n)
    d = None if lang == UNDETERMINED else densities.get(tok, lang)
    return math.nan if d is None else s + (n - s) * d.ratio


def _interval(row: _Row, lang: str, tok: Tokenizer, densities: _Densities) -> tuple[float, float, float]:
    if lang in (REFERENCE, "") or row.native == 0:
        return row.english, row.english, row.english
    d = None if lang == UNDETERMINED else densities.get(tok, lang)
    return (math.nan,) * 3 if d is None else d.predict(row.native, row.shared)


def _price(card: RateCard, tok: Tokenizer, requests: Sequence[Request], counts: dict[str, tuple[int, int]],
           language: dict[str, str], prefixes: Counter[tuple[str, ...]], densities: _Densities,
           book: RateBook, at_peak: float = 0.0) -> dict[tuple[str, str], _Row]:
    """Rows of one model: each request priced whole, its cost split over its parts."""
    minimum = book.cache_minimum(card.model)
    floor = minimum.tokens if minimum is not None else None
    framing = framing_for(card, tok.id)
    written: set[tuple[str, ...]] = set()
    table: dict[tuple[str, str], _Row] = {}
    for req in requests:
        cacheable = prefixes.get(req.system_prefix, 0) >= 2
        groups: list[_Group] = []
        for i, part in enumerate(req.parts):
            n, s = counts[part.text]
            lang = language[part.text]
            eng = _english(n, s, lang, tok, densities)
            in_prefix = cacheable and i < len(req.system_prefix)
            groups.append(_Group((part.role, lang), n, n - s, s, eng, part.output,
                                 n if in_prefix else 0.0, eng if in_prefix else 0.0))
        if framing is not None:
            f = framing.tokens(req.messages, req.names)
            groups.append(_Group(("framing", ""), f, 0, f, f, False))
        if req.reasoning_tokens:
            r = req.reasoning_tokens
            groups.append(_Group(("reasoning", ""), r, 0, r, r, True))
        write = 1.0 if cacheable and req.system_prefix not in written else 0.0
        if cacheable:
            written.add(req.system_prefix)
        costs, applied, notes, tier = _split(card, groups, floor, write, english=False, at_peak=at_peak)
        eng_costs, eng_applied, _, eng_tier = _split(card, groups, floor, write, english=True, at_peak=at_peak)
        for g, c, e in zip(groups, costs, eng_costs, strict=True):
            if g.english == g.tokens and applied == eng_applied and tier is eng_tier:
                e = c  # billed alike in both: no tax, not a rounding remainder
            row = table.setdefault(g.key, _Row())
            row.tokens += g.tokens
            row.native += g.native
            row.shared += g.shared
            row.english += g.english
            row.count += g.key[0] not in ("framing", "reasoning")
            row.cost += c
            row.english_cost += e if not math.isnan(g.english) else math.nan
            row.cached += g.cached if applied and not write else 0.0  # tokens read from the cache
            row.notes += list(notes) if g.cached else []
            if math.isnan(g.english):
                row.notes.append("language undetermined or without a fitted English equivalent: no language tax"
                                 if g.key[1] == UNDETERMINED else
                                 f"no English-equivalent model for {g.key[1]} on {tok.id}")
            if g.key[0] == "reasoning":
                row.notes.append("reasoning tokens from usage (billed as output; its text is not seen, no tax)")
    return table


def _split(card: RateCard, groups: list[_Group], floor: int | None, write: float, *,
           english: bool, at_peak: float = 0.0) -> tuple[list[float], bool, tuple[str, ...], Prices]:
    """One request priced by request_cost and its cost split over `groups` by billed rate; also
    whether its cached prefix was discounted and the rate tier its prompt size chose."""
    def size(g: _Group) -> float:
        return g.tokens if not english or math.isnan(g.english) else g.english

    def cached_of(g: _Group) -> float:
        return g.cached if not english or math.isnan(g.english) else g.cached_english

    tin = sum(size(g) for g in groups if not g.output and g.key[0] != "reasoning")
    tout = sum(size(g) for g in groups if g.output and g.key[0] != "reasoning")
    reasoning = sum(size(g) for g in groups if g.key[0] == "reasoning")
    cached = sum(cached_of(g) for g in groups)
    rc = request_cost(card, tin, tout, cached_tokens=cached, cache_minimum=floor, write_share=write,
                      reasoning_tokens=reasoning, peak_share=at_peak)
    applied = rc.cached_tokens > 0
    p = card.standard.at(tin)
    read = p.cached_input if p.cached_input is not None else p.input
    wrote = p.cache_write if p.cache_write is not None else p.input
    prefix_rate = float(Decimal(str(write)) * wrote + (1 - Decimal(str(write))) * read)
    weights = []
    for g in groups:
        if g.output or g.key[0] == "reasoning":
            weights.append(size(g) * float(p.output))
        else:
            c = cached_of(g) if applied else 0.0
            weights.append((size(g) - c) * float(p.input) + c * prefix_rate)
    total = sum(weights)
    return [rc.cost * w / total if total else 0.0 for w in weights], applied, rc.notes, p
