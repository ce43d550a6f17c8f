"""One prompt, every model: its tokens on each model's tokenizer, what the same content would
take in English on that tokenizer (tokens / the language's measured premium, with the premium's
95% CI), and what the prompt costs as input and as output. The language is the one given, else
told from the script (kana -> ja, Hangul -> ko, Han -> zh-Hans, Thai, Devanagari -> hi ...), else
English."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pandas as pd

from tokeff.corpora.languages import normalize_language
from tokeff.errors import EmptyTextError, LanguageError

ESTIMATE_COLUMNS = ["model", "tokenizer", "language", "tokens", "english_equivalent_tokens",
                    "english_equivalent_low", "english_equivalent_high", "premium", "cost_as_input",
                    "cost_as_output", "currency", "corpus"]
# Unicode script (by character name prefix) -> the language a prompt in it is most likely in.
_SCRIPTS = [("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("THAI", "th"), ("DEVANAGARI", "hi"),
            ("BENGALI", "bn"), ("TAMIL", "ta"), ("TELUGU", "te"), ("SINHALA", "si"), ("KHMER", "km"),
            ("MYANMAR", "my"), ("LAO", "lo"), ("CJK UNIFIED", "zh-Hans")]


def detect_language(text: str) -> str:
    """The language a prompt's script says (kana wins over Han: Japanese mixes both), else en."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            lang = next((tag for prefix, tag in _SCRIPTS if name.startswith(prefix)), None)
            if lang:
                counts[lang] = counts.get(lang, 0) + 1
    if counts.get("ja"):
        return "ja"
    return max(counts, key=lambda k: counts[k]) if counts else "en"


def estimate(text: str, models: Sequence[str] | None = None, *, language: str | None = None,
             corpus: str = "support-chat", currency: str = "USD") -> pd.DataFrame:
    """One row per model (columns ESTIMATE_COLUMNS); costs in `currency` for this one prompt.
    Default models: the rates file's defaults whose tokenizer is here."""
    from tokeff.costs.fx import load_fx
    from tokeff.costs.rates import load_rates
    from tokeff.study.counting import count_text
    from tokeff.study.run import measure
    from tokeff.tokenizers.registry import load_registry
    from tokeff.tokenizers.tokenizer import availability, get_tokenizer

    if not text.strip():
        raise EmptyTextError("the prompt is empty")
    lang = normalize_language(language) if language else detect_language(text)
    book, fx, registry = load_rates(), load_fx(), load_registry()
    names = list(models) if models else [m for m in book.defaults() if book.card(m).tokenizer
                                         and availability(registry.get(book.card(m).tokenizer or "")) == "offline"]
    cards = [book.card(m) for m in names]
    toks = sorted({registry.get(c.tokenizer).id for c in cards if c.tokenizer})
    ratios = measure(corpus, toks, languages=[lang]) if lang != "en" else None
    rows = []
    for card in cards:
        if card.tokenizer is None:
            continue
        tok = get_tokenizer(registry.get(card.tokenizer).id)
        n = count_text(tok, text)
        if ratios is not None:
            r = ratios[(ratios["tokenizer"] == tok.id) & (ratios["language"] == lang)]
            if r.empty:
                raise LanguageError(f"corpus {corpus!r} has no {lang} to estimate English from; pick one with --corpus")
            p, low, high = (float(r.iloc[0][c]) for c in ("premium", "premium_low", "premium_high"))
        else:
            p = low = high = 1.0
        prices = card.standard.at(n)
        rate = float(fx.rate(card.currency, currency))
        rows.append({"model": card.model, "tokenizer": tok.id, "language": lang, "tokens": n,
                     "english_equivalent_tokens": n / p, "english_equivalent_low": n / high,
                     "english_equivalent_high": n / low, "premium": p,
                     "cost_as_input": n * float(prices.input) / 1e6 * rate,
                     "cost_as_output": n * float(prices.output) / 1e6 * rate, "currency": currency.upper(),
                     "corpus": corpus if ratios is not None else ""})
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
