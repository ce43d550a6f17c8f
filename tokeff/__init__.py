"""tokeff: what a language really costs on each LLM tokenizer, measured on parallel text.

    >>> import tokeff
    >>> df = tokeff.measure("sample", ["o200k_base", "llama3"])   # doctest: +SKIP
    >>> bill = tokeff.cost("examples/ja-support-bot.yaml", models=["gpt-4o-mini"])   # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from tokeff.errors import (
    AlignmentError,
    ApiCountError,
    CacheError,
    CorpusError,
    CountOnlyError,
    CurrencyError,
    EmptyTextError,
    GGUFError,
    HashMismatchError,
    LanguageError,
    NetworkDisabledError,
    RatesError,
    RegistryError,
    SegmenterUnavailableError,
    TokeffError,
    TokenizerUnavailableError,
    UnknownModelError,
    UnknownTokenizerError,
    UnpricedModelError,
    UsageError,
    WorkloadError,
    ZeroReferenceTokensError,
)
from tokeff.version import __version__

if TYPE_CHECKING:
    from tokeff.corpora.corpus import Corpus
    from tokeff.corpora.languages import normalize_language
    from tokeff.corpora.loaders import load_corpus, shipped_corpora
    from tokeff.costs.pivot import pivot_break_even
    from tokeff.costs.pricing import cost
    from tokeff.study.counting import count_segments, count_texts
    from tokeff.study.run import measure, summarize
    from tokeff.tokenizers.registry import load_registry
    from tokeff.tokenizers.tokenizer import Tokenizer, get_tokenizer

# The public names live in their stage's modules and are imported on first use, so `tokeff
# measure` does not import pandas, the cost model or the rates before it needs them.
_LAZY = {
    "Corpus": "tokeff.corpora.corpus", "normalize_language": "tokeff.corpora.languages",
    "load_corpus": "tokeff.corpora.loaders", "shipped_corpora": "tokeff.corpora.loaders",
    "cost": "tokeff.costs.pricing", "pivot_break_even": "tokeff.costs.pivot",
    "count_segments": "tokeff.study.counting", "count_texts": "tokeff.study.counting",
    "measure": "tokeff.study.run", "summarize": "tokeff.study.run",
    "load_registry": "tokeff.tokenizers.registry",
    "Tokenizer": "tokeff.tokenizers.tokenizer", "get_tokenizer": "tokeff.tokenizers.tokenizer",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tokeff' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AlignmentError",
    "ApiCountError",
    "CacheError",
    "Corpus",
    "CorpusError",
    "CountOnlyError",
    "CurrencyError",
    "EmptyTextError",
    "GGUFError",
    "HashMismatchError",
    "LanguageError",
    "NetworkDisabledError",
    "RatesError",
    "RegistryError",
    "SegmenterUnavailableError",
    "TokeffError",
    "Tokenizer",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "UnknownTokenizerError",
    "UnpricedModelError",
    "UsageError",
    "WorkloadError",
    "ZeroReferenceTokensError",
    "__version__",
    "cost",
    "count_segments",
    "count_texts",
    "get_tokenizer",
    "load_corpus",
    "load_registry",
    "measure",
    "normalize_language",
    "pivot_break_even",
    "shipped_corpora",
    "summarize",
]
