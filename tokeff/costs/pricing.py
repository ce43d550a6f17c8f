"""Cost: measured ratios x dated rates x a workload -> what each model costs per request and per
month in each language, how much of it is the language premium ("language tax"), and which
option is cheapest.

Sizes are converted through the same-content token totals of the workload's corpus: a request
of N English words costs, on a model whose tokenizer T needs tok(L, T) tokens for the corpus in
language L, N x tok(L, T) / english_words(corpus) tokens in L. Input and output scale alike (the
output is content in the target language too). Rates apply as providers bill: cached prefix at
the cache-read rate, batch share at the batch rate, and a long-context tier switching every
token's rate once the prompt passes its threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from tokeff.costs.caching import LongCacheWrite
from tokeff.costs.fx import CurrencyError, Fx, load_fx
from tokeff.costs.peak import peak_share
from tokeff.costs.rates import Prices, RateBook, RateCard, UnpricedModelError, load_rates
from tokeff.costs.regions import INTERNATIONAL, ResidencyUplift, residency_for
from tokeff.costs.workload import Size, Workload, WorkloadError, load_workload
from tokeff.errors import LanguageError, TokeffError
from tokeff.tokenizers.registry import load_registry
from tokeff.tokenizers.tokenizer import availability

ALL = "all"  # `models=["all"]`: every model of the rates file whose tokenizer is here
TIERS = ("small", "mid", "frontier")
TIER_ORDER = {"small": 0, "mid": 1, "frontier": 2, "": 3}

COST_COLUMNS = [
    "model", "name", "provider", "tier", "lifecycle", "region", "language", "share", "tokenizer", "tokenizer_status",
    "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "premium", "premium_low", "premium_high",
    "cost_per_request", "english_cost_per_request", "cost_per_month", "english_cost_per_month", "language_tax",
    "language_tax_share",
    "cost_per_month_at_growth", "rank", "tier_rank", "model_cost_per_month", "gross_margin",
    "currency", "fx_date", "rates_origin", "rates_source", "rates_checked", "lifecycle_source", "lifecycle_checked",
    "ratio_source", "notes",
]


@dataclass(frozen=True)
class RequestCost:
    """One request's cost in the rate card's currency, and how it was made up."""

    input_tokens: float
    output_tokens: float
    cost: float
    notes: tuple[str, ...] = ()
    cached_tokens: float = 0.0
    reasoning_tokens: float = 0.0


def request_cost(card: RateCard, input_tokens: float, output_tokens: float, *, cached_share: float = 0.0,
                 batch_share: float = 0.0, cached_tokens: float | None = None, cache_minimum: int | None = None,
                 write_share: float = 0.0, reasoning_tokens: float = 0.0, peak_share: float = 0.0,
                 write_input_multiple: Decimal | None = None) -> RequestCost:
    """Price one request as the provider bills it. The prompt's size picks the rate tier; the
    cached prefix (`cached_tokens` of the input, default `input_tokens x cached_share`) is billed
    at the cache-read rate only when it reaches the provider's `cache_minimum`; a `write_share` of
    requests writes the prefix instead (cache-write rate, else the input rate, as OpenAI bills a
    miss; `write_input_multiple` x the input rate for a longer-lived write); hidden
    `reasoning_tokens` are billed as output; `batch_share` of requests at batch
    rates; `peak_share` of requests in the card's peak hours at its peak multiple. Missing cache or
    batch rates fall back to the standard rate, noted."""
    notes: list[str] = []
    cached = input_tokens * cached_share if cached_tokens is None else cached_tokens
    if cached > 0 and cache_minimum is not None and cached < cache_minimum:
        notes.append(f"cached prefix of {cached:,.0f} tokens is under the {cache_minimum:,}-token cache minimum: "
                     "no cache discount")
        cached = 0.0

    def one(prices: Prices) -> Decimal:
        p = prices.at(input_tokens)
        c = Decimal(str(cached))
        fresh = Decimal(str(input_tokens)) - c
        read_rate = p.cached_input
        if read_rate is None:
            if cached > 0 and "no cache rate" not in notes:
                notes.append("no cache rate")
            read_rate = p.input
        write_rate = p.cache_write if p.cache_write is not None else p.input
        if write_input_multiple is not None:
            write_rate = p.input * write_input_multiple
        w = Decimal(str(write_share))
        prefix = c * ((1 - w) * read_rate + w * write_rate)
        billed_out = Decimal(str(output_tokens)) + Decimal(str(reasoning_tokens))
        return (fresh * p.input + prefix + billed_out * p.output) / Decimal(1_000_000)

    standard = one(card.standard)
    if card.peak is not None and peak_share > 0:
        s = Decimal(str(peak_share))
        standard = (1 - s) * standard + s * one(card.standard.scaled(card.peak.multiplier))
    if batch_share > 0:
        if card.batch is None:
            notes.append("no batch rate")
            batched = standard
        else:
            batched = one(card.batch)
        total = (1 - Decimal(str(batch_share))) * standard + Decimal(str(batch_share)) * batched
    else:
        total = standard
    if card.standard.tiers and card.standard.at(input_tokens) is not card.standard:
        notes.append("long-context tier")
    return RequestCost(input_tokens, output_tokens, float(total), tuple(notes), cached, reasoning_tokens)


class Ratios:
    """Same-content totals per (language, tokenizer) from a ratio table (one corpus, optionally
    one domain): what converts workload sizes into each model's tokens."""

    def __init__(self, table: pd.DataFrame, corpus: str, domain: str | None = None) -> None:
        rows = table[table["corpus"] == corpus]
        if rows.empty:
            raise WorkloadError(f"corpus: no measured ratios for corpus {corpus!r}")
        if domain is not None:
            rows = rows[rows["domain"] == domain]
            if rows.empty:
                raise WorkloadError(f"domain: no measured ratios for domain {domain!r} of corpus {corpus!r}")
        self.corpus, self.domain = corpus, domain
        self.rows: dict[tuple[str, str], Any] = {}
        for r in rows.itertuples(index=False):
            key = (str(r.language), str(r.tokenizer))
            if key in self.rows:
                # a table with per-domain rows: the whole-corpus row is the one labelled `mixed`
                if str(r.domain) == "mixed" and str(self.rows[key].domain) != "mixed":
                    self.rows[key] = r
                elif str(self.rows[key].domain) != "mixed":
                    raise WorkloadError(
                        f"domain: the ratio table has several rows for {key[0]} / {key[1]} in corpus {corpus!r} "
                        "(per-domain rows?); name the workload's `domain`"
                    )
                continue
            self.rows[key] = r
        first = next(iter(self.rows.values()))
        self.reference = str(first.reference)
        self.tokenizers = {tok for _, tok in self.rows}

    def row(self, language: str, tokenizer: str, field: str = "languages"):  # type: ignore[no-untyped-def]
        r = self.rows.get((language, tokenizer))
        if r is None:
            if tokenizer not in self.tokenizers:
                raise LanguageError(
                    f"ratios: the ratio table has no rows for tokenizer {tokenizer} in corpus {self.corpus!r} "
                    f"(measure it: tokeff measure -c {self.corpus} -t {tokenizer})"
                )
            have = sorted({lang for lang, _ in self.rows})
            raise LanguageError(
                f"{field}: no measured ratio for {language} with tokenizer {tokenizer} in corpus "
                f"{self.corpus!r} (it has {', '.join(have)})"
            )
        return r

    def english_words(self, tokenizer: str) -> float:
        r = self.row(self.reference, tokenizer)
        return float(r.tokens) * 1000 / float(r.tokens_per_1k_ref_words)

    def tokens(self, size: Size, language: str, tokenizer: str, field: str) -> float:
        """`size` (content) expressed as tokens of `tokenizer` in `language`."""
        target = float(self.row(language, tokenizer).tokens)
        if size.unit == "tokens":
            assert size.tokenizer and size.language
            base = float(self.row(size.language, _tok_id(size.tokenizer), f"{field}.language").tokens)
        elif size.unit == "english_tokens":
            assert size.tokenizer
            base = float(self.row(self.reference, _tok_id(size.tokenizer), f"{field}.tokenizer").tokens)
        elif size.unit == "chars":
            assert size.language
            base = float(self.row(size.language, tokenizer, f"{field}.language").chars)
        else:
            base = self.english_words(tokenizer)
        if base <= 0:
            raise WorkloadError(f"{field}: the corpus has no {size.unit} to convert from")
        return size.amount * target / base


def _tok_id(name: str) -> str:
    return load_registry().get(name).id


def ratio_table_for(workload: Workload, tokenizers: Sequence[str], ratios: pd.DataFrame | str | Path | None,
                    ) -> pd.DataFrame:
    """The ratio table to convert with: given, read from a file, or measured now."""
    if isinstance(ratios, pd.DataFrame):
        return ratios
    if ratios is not None:
        from tokeff._util.tableio import read_table

        return read_table(ratios)
    from tokeff.study.run import measure

    by = ["domain"] if workload.domain else []
    return measure(workload.corpus, list(dict.fromkeys(tokenizers)), by=by)


def cost(workload: Workload | str | Path, models: Sequence[str] | None = None,
         ratios: pd.DataFrame | str | Path | None = None, *, currency: str | None = None,
         rates: RateBook | None = None, fx: Fx | None = None, tier: str | None = None,
         on: date | None = None) -> pd.DataFrame:
    """One row per model x language of the workload's mix: tokens and cost per request, cost per
    month, the premium vs English on the same model and its cost ("language tax"), the rank of
    the model within the language (`rank`) and within its tier (`tier_rank`), and where every
    number came from (columns COST_COLUMNS).

    `models`: ids, or ["all"] for every model; default: the rates file's defaults. Of the
    defaults and of `all`, a model whose tokenizer is not on this machine is skipped (listed with
    its reason in `df.attrs["skipped"]`); a model named explicitly must be priced or fail clearly.
    `tier` keeps the models of one tier (small, mid, frontier). A model its provider has retired
    by day `on` (default today) is never ranked: left out of the defaults and of `all` with the
    reason, and when named it is priced with `rank` and `tier_rank` empty and a note; a deprecated
    one is ranked with its retirement date in `lifecycle`."""
    wl = workload if isinstance(workload, Workload) else load_workload(workload)
    if not isinstance(workload, Workload):
        try:
            return cost(wl, models, ratios, currency=currency, rates=rates, fx=fx, tier=tier, on=on)
        except TokeffError as exc:  # name the workload file as well as the field
            raise type(exc)(f"{workload}: {exc}") from exc
    book = rates or load_rates()
    fxr = fx or load_fx()
    cur = (currency or wl.currency).upper()
    registry = load_registry()
    every = list(models or []) == [ALL]
    explicit = bool(models) and not every
    names = list(dict.fromkeys(book.resolve_id(m) for m in models or [])) if explicit else (
        list(book) if every else book.defaults())
    cards: list[RateCard] = []
    skipped: dict[str, str] = {}  # a model of the defaults (or of `all`) that cannot be priced here, and why
    day = on or date.today()
    regions = {INTERNATIONAL} | {r.region for r in book.rows.values() if r.region}
    if wl.region not in regions:
        raise WorkloadError(f"region: {wl.region!r} is not a region the rates file prices "
                            f"({', '.join(sorted(regions))})")
    places = {g for u in book.residency for g in u.geographies}
    if wl.data_residency is not None and wl.data_residency not in places:
        raise WorkloadError(f"data_residency: no provider in the rates file documents in-region processing in "
                            f"{wl.data_residency!r} (known: {', '.join(sorted(places)) or 'none'})")
    uplifts: dict[str, ResidencyUplift] = {}
    for m in names:
        card = book.card(m, day)  # UnknownModelError / UnpricedModelError name the model
        if tier is not None and card.tier != tier:
            continue
        if not explicit:
            why = left_out(book, card, wl.region, wl.data_residency)
            if why is not None:
                if why:  # another region's price list of a model is not listed: it is not this workload's
                    skipped[m] = why
                continue
        if wl.data_residency is not None:
            uplift = residency_for(book.residency, card.provider, card.model, wl.data_residency)
            if uplift is not None:
                uplifts[card.model] = uplift
                card = replace(card, standard=card.standard.scaled(uplift.multiplier),
                               batch=card.batch.scaled(uplift.multiplier) if card.batch else None)
        if card.tokenizer is None:
            if not explicit:
                skipped[m] = "no tokenizer known offline: the vocabulary is not public, or which one the model uses is not stated"
                continue
            raise UnpricedModelError(
                f"model {m!r} has no offline tokenizer, so its tokens per language cannot be measured "
                "(its vocabulary is not public); compare it by its rates with `tokeff models`"
            )
        here = availability(registry.get(card.tokenizer))
        if not explicit and here != "offline":  # asked for by name, a model must measure or fail clearly
            skipped[m] = f"tokenizer {card.tokenizer}: {here}"
            continue
        try:
            fxr.rate(card.currency, cur)  # unknown currency -> CurrencyError before any work
        except CurrencyError as exc:
            raise CurrencyError(f"currency: {exc}") from exc
        cards.append(card)
    if not cards:
        raise UnpricedModelError("no model to price here" + (f" in tier {tier}" if tier else "")
                                 + (": " + "; ".join(f"{m} ({why})" for m, why in skipped.items()) if skipped else ""))
    tok_ids = [registry.get(c.tokenizer).id for c in cards if c.tokenizer]
    for size in (wl.input, wl.output):
        if size.tokenizer:
            tok_ids.append(registry.get(size.tokenizer).id)
    table = ratio_table_for(wl, tok_ids, ratios)
    measured_now = set(table["corpus"].astype(str))
    if ratios is None and wl.corpus not in measured_now and len(measured_now) == 1:
        wl = wl.model_copy(update={"corpus": measured_now.pop()})  # a path or SPEC: its corpus's name
    conv = Ratios(table, wl.corpus, wl.domain)
    ref = conv.reference
    where = f"{wl.corpus}" + (f"/{wl.domain}" if wl.domain else "")
    rows = []
    for card in cards:
        assert card.tokenizer is not None
        tok = registry.get(card.tokenizer)
        rate = fxr.rate(card.currency, cur)

        minimum = book.cache_minimum(card.model)
        floor = minimum.tokens if minimum is not None else None
        long_write = book.long_cache_write(card.model) if wl.cache_ttl == "1h" else None
        for lang, share in wl.languages.items():
            rc = _priced(wl, conv, card, tok.id, lang, floor, on=day, long_write=long_write)
            full = conv.tokens(wl.output, lang, tok.id, "output")
            delivered = rc.output_tokens / full if full and rc.output_tokens < full else 1.0
            english = _priced(wl, conv, card, tok.id, ref, floor, delivered, on=day,  # the same content as delivered
                              long_write=long_write)
            window = card.context_window
            if window is not None and rc.input_tokens + rc.output_tokens + rc.reasoning_tokens > window:
                skipped[f"{card.model} ({lang})"] = (
                    f"a request of {rc.input_tokens + rc.output_tokens + rc.reasoning_tokens:,.0f} tokens exceeds its "
                    f"{window:,}-token context window")
                continue
            r = conv.row(lang, tok.id)
            per_request = rc.cost * float(rate)
            eng_per_request = english.cost * float(rate)
            month = per_request * wl.requests_per_month * share
            eng_month = eng_per_request * wl.requests_per_month * share
            life = card.lifecycle
            assert life is not None  # book.card sets it
            notes = rc.notes if life.ranked else (f"{life.label}: not ranked, priced on request", *rc.notes)
            if (card.region or INTERNATIONAL) != wl.region:
                notes = (f"priced for region {card.region or INTERNATIONAL}, not the workload's {wl.region}", *notes)
            if wl.data_residency is not None:
                up = uplifts.get(card.model)
                notes = (*notes, f"processed in {wl.data_residency} at {up.multiplier}x ({up.source})" if up else
                         f"no documented in-region processing in {wl.data_residency}: priced at its global rate")
            rows.append({
                "model": card.model, "name": card.name, "provider": card.provider, "tier": card.tier or "",
                "lifecycle": life.label,
                "region": (card.region or INTERNATIONAL) + (f" ({wl.data_residency} residency)"
                                                            if card.model in uplifts else ""),
                "language": lang, "share": share,
                "tokenizer": tok.id, "tokenizer_status": tok.status,
                "input_tokens": rc.input_tokens, "output_tokens": rc.output_tokens,
                "cached_tokens": rc.cached_tokens, "reasoning_tokens": rc.reasoning_tokens,
                "premium": float(r.premium), "premium_low": float(r.premium_low), "premium_high": float(r.premium_high),
                "cost_per_request": per_request, "english_cost_per_request": eng_per_request,
                "cost_per_month": month, "english_cost_per_month": eng_month,
                "language_tax": month - eng_month,
                "language_tax_share": (month - eng_month) / month if month else 0.0,
                "cost_per_month_at_growth": month * wl.growth,
                "currency": cur, "fx_date": fxr.date.isoformat() if cur != card.currency else "",
                "rates_origin": card.origin, "rates_source": card.source,
                "rates_checked": card.checked.isoformat() if card.checked else "",
                "lifecycle_source": life.source, "lifecycle_checked": life.checked.isoformat() if life.checked else "",
                "ratio_source": f"{where} ({r.signature})", "notes": "; ".join(notes),
            })
    df = pd.DataFrame(rows)
    if df.empty:
        raise TokeffError("no models to price")
    ranked = ~df["lifecycle"].str.startswith("retired")  # a retired model is priced on request, never ranked
    live = df[ranked]
    df["rank"] = live.groupby("language")["cost_per_request"].rank(method="min").astype("Int64")
    df["tier_rank"] = live.groupby(["language", "tier"], dropna=False)["cost_per_request"].rank(
        method="min").astype("Int64")
    totals = df.groupby("model")["cost_per_month"].sum()
    df["model_cost_per_month"] = df["model"].map(totals)
    if wl.revenue_per_month is not None and wl.revenue_per_month > 0:
        revenue = wl.revenue_per_month  # in the workload's currency
        revenue_cur = revenue * float(fxr.rate(wl.currency, cur))
        df["gross_margin"] = (revenue_cur - df["model_cost_per_month"]) / revenue_cur
    else:
        df["gross_margin"] = float("nan")
    df = df.sort_values(["language", "rank", "cost_per_request", "model"], kind="stable",
                        na_position="last").reset_index(drop=True)
    df.attrs["workload"] = wl.name
    df.attrs["skipped"] = skipped
    return df[COST_COLUMNS]


def left_out(book: RateBook, card: RateCard, region: str = INTERNATIONAL,
             residency: str | None = None) -> str | None:
    """Why a model of the defaults (or of `all`) is not compared for a workload of `region` and
    `residency`: its provider has retired it (as of the card's lifecycle day), or documents no
    in-region processing where the data must stay; "" when the row is another region's price list
    of a model (not this workload's to list); None when it is compared. The one rule `cost`, the
    report and `tokeff traffic` apply to the models nobody named."""
    if (card.region or INTERNATIONAL) != region:
        return ""
    if card.lifecycle is not None and not card.lifecycle.ranked:
        return card.lifecycle.why_not_ranked()
    if residency is not None and residency_for(book.residency, card.provider, card.model, residency) is None:
        return f"no documented in-region processing in {residency} for {card.provider}"
    return None


def by_reason(skipped: dict[str, str]) -> dict[str, list[str]]:
    """The models left out, grouped under their reason (for one line per reason)."""
    out: dict[str, list[str]] = {}
    for model, why in skipped.items():
        out.setdefault(why, []).append(model)
    return out


def cheapest_per_tier(costs: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """The rows of a cost table that are the cheapest of their tier in their language (ties
    included), languages in the table's order and tiers small, mid, frontier; the reference
    language's rows left out when it is given."""
    first = pd.to_numeric(costs["tier_rank"], errors="coerce").eq(1).fillna(False).astype(bool)  # retired: no rank
    best = costs[first & (costs["language"] != reference)]
    order = {lang: i for i, lang in enumerate(dict.fromkeys(costs["language"]))}
    key = [(order[lang], TIER_ORDER.get(str(t), 3)) for lang, t in zip(best["language"], best["tier"], strict=True)]
    return best.iloc[sorted(range(len(best)), key=key.__getitem__)]


def _priced(wl: Workload, conv: Ratios, card: RateCard, tokenizer: str, lang: str,
            cache_minimum: int | None = None, delivered: float = 1.0, on: date | None = None,
            long_write: LongCacheWrite | None = None) -> RequestCost:
    """One request of the workload in `lang` on `card`'s model: the cached prefix is counted in
    its own language (`cached_language`, e.g. an English system prompt), the reasoning in
    `reasoning_language` (default: the answer's). An answer longer than `output_cap_tokens` is
    cut there, noted with the share of the content delivered; `delivered` < 1 prices only that
    share of the answer (the English comparison for a cut answer, so the tax compares like with
    like)."""
    tin = conv.tokens(wl.input, lang, tokenizer, "input")
    cached = 0.0
    if wl.cached_share:
        prefix_lang = wl.cached_language or lang
        cached = wl.cached_share * conv.tokens(wl.input, prefix_lang, tokenizer, "cached_language")
        tin = (1 - wl.cached_share) * tin + cached
    tout = conv.tokens(wl.output, lang, tokenizer, "output") * delivered
    cut: tuple[str, ...] = ()
    if wl.output_cap_tokens is not None and tout > wl.output_cap_tokens:
        cut = (f"answer cut at the {wl.output_cap_tokens:,.0f}-token output cap "
               f"({wl.output_cap_tokens / tout:.0%} of the content delivered)",)
        tout = wl.output_cap_tokens
    reasoning = 0.0
    if wl.reasoning is not None:
        reasoning = conv.tokens(wl.reasoning, wl.reasoning_language or lang, tokenizer, "reasoning")
    writes = min(1.0, wl.cache_writes_per_month / wl.requests_per_month) if cached else 0.0
    peak: tuple[str, ...] = ()
    at_peak = 0.0
    if card.peak is not None:
        at_peak = peak_share(card.peak, wl.traffic, on or date.today())
        when = wl.traffic.describe() if wl.traffic else "traffic spread evenly over the week; set `traffic:`"
        peak = (f"{at_peak:.0%} of requests in peak hours ({card.peak.label}; {when})",)
    ttl: tuple[str, ...] = ()
    if writes and wl.cache_ttl == "1h":
        ttl = (f"1-hour cache writes at {long_write.input_multiple}x the input rate" if long_write else
               f"no 1-hour cache-write rate known for {card.provider}: writes priced at its cache-write rate",)
    rc = request_cost(card, tin, tout, batch_share=wl.batch_share, cached_tokens=cached,
                      cache_minimum=cache_minimum, write_share=writes, reasoning_tokens=reasoning, peak_share=at_peak,
                      write_input_multiple=long_write.input_multiple if long_write else None)
    return replace(rc, notes=rc.notes + cut + peak + ttl) if cut or peak or ttl else rc
