"""One prompt, every model: its tokens on each model's tokenizer, what the same content would
take in English on that tokenizer (tokeff.analysis.density: shared ASCII runs as they are, the
rest at the English-per-native-token ratio fitted on parallel corpora, with its 95% prediction
interval), and what the prompt costs as input and as output. The language is the one given, else
told from the script and py3langid (tokeff.corpora.langid: kana -> ja, Hangul -> ko, Han ->
zh-Hans/zh-Hant, Thai ...), else English."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from tokeff.corpora.langid import UNDETERMINED, detect
from tokeff.corpora.languages import normalize_language
from tokeff.errors import EmptyTextError, LanguageError

ESTIMATE_COLUMNS = ["model", "tokenizer", "language", "tokens", "english_equivalent_tokens",
                    "english_equivalent_low", "english_equivalent_high", "premium", "cost_as_input",
                    "cost_as_output", "currency", "corpus"]


def detect_language(text: str) -> str:
    """The prompt's language (tokeff.corpora.langid: script first, then py3langid), else en."""
    lang = detect(text)
    return "en" if lang == UNDETERMINED else lang


def estimate(text: str, models: Sequence[str] | None = None, *, language: str | None = None,
             corpus: str | Sequence[str] | None = None, currency: str = "USD") -> pd.DataFrame:
    """One row per model (columns ESTIMATE_COLUMNS); costs in `currency` for this one prompt.
    Default models: the rates file's defaults whose tokenizer is here. `corpus`: the parallel
    corpora the English equivalent is fitted on (at least two; default: every shipped corpus);
    `premium` is the prompt's tokens over its English equivalent."""
    from tokeff._util.cache import CountCache
    from tokeff.analysis.density import POOLED, fit, split_counts, splits_ascii
    from tokeff.corpora.loaders import load_corpus, shipped_corpora
    from tokeff.costs.fx import load_fx
    from tokeff.costs.rates import load_rates
    from tokeff.tokenizers.registry import load_registry
    from tokeff.tokenizers.tokenizer import availability, get_tokenizer

    if not text.strip():
        raise EmptyTextError("the prompt is empty")
    lang = normalize_language(language) if language else detect_language(text)
    book, fx, registry = load_rates(), load_fx(), load_registry()
    names = list(models) if models else [m for m in book.defaults() if book.card(m).tokenizer
                                         and availability(registry.get(book.card(m).tokenizer or "")) == "offline"]
    cards = [book.card(m) for m in names]
    names_fit = [corpus] if isinstance(corpus, str) else list(corpus or shipped_corpora())
    corpora = [load_corpus(c) for c in names_fit] if lang != "en" else []
    if corpora and not any(t in c.texts for c in corpora for t in POOLED.get(lang, (lang,))):
        raise LanguageError(f"corpus {', '.join(names_fit)} has no {lang} to estimate English from; pick others "
                            "with --corpus")
    cache = CountCache()
    rows = []
    for card in cards:
        if card.tokenizer is None:
            continue
        tok = get_tokenizer(registry.get(card.tokenizer).id)
        (n,), (shared,) = split_counts(tok, [text], cache)
        shared = shared if splits_ascii(lang) else 0  # in vi, id... ASCII letters are the language's words
        fitted = ""
        if corpora:
            density = fit(corpora, tok, lang, cache=cache)
            est, low, high = density.predict(n - shared, shared)
            fitted = ", ".join(density.corpora)
        else:
            est = low = high = float(n)
        prices = card.standard.at(n)
        rate = float(fx.rate(card.currency, currency))
        rows.append({"model": card.model, "tokenizer": tok.id, "language": lang, "tokens": n,
                     "english_equivalent_tokens": est, "english_equivalent_low": low,
                     "english_equivalent_high": high, "premium": n / est if est else 1.0,
                     "cost_as_input": n * float(prices.input) / 1e6 * rate,
                     "cost_as_output": n * float(prices.output) / 1e6 * rate, "currency": currency.upper(),
                     "corpus": fitted})
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
