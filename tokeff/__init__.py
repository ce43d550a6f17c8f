"""tokeff: what a language really costs on each LLM tokenizer, measured on parallel text.

    >>> import tokeff
    >>> df = tokeff.measure("sample", ["o200k_base", "llama3"])   # doctest: +SKIP
    >>> bill = tokeff.cost("examples/ja-support-bot.yaml", models=["gpt-4o-mini"])   # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from tokeff.errors import (
    AlignmentError,
    CorpusError,
    EmptyTextError,
    HashMismatchError,
    LanguageError,
    RegistryError,
    TokeffError,
    TokenizerUnavailableError,
    UnknownTokenizerError,
    ZeroReferenceTokensError,
)
from tokeff.measure import measure, summarize  # eager: `tokeff.measure` is also the module's name
from tokeff.version import __version__

if TYPE_CHECKING:
    from tokeff.corpus import Corpus
    from tokeff.cost import cost, pivot_break_even
    from tokeff.counting import count_segments, count_texts
    from tokeff.languages import normalize_language
    from tokeff.loaders import load_corpus, shipped_corpora
    from tokeff.registry import load_registry
    from tokeff.tokenizer import Tokenizer, get_tokenizer

# The public names live in their modules and are imported on first use, so `tokeff measure`
# does not import pandas, the cost model or the rates before it needs them. (`tokeff.cost` is
# also a module; tokeff/cost.py makes that module callable as the function.)
_LAZY = {
    "Corpus": "tokeff.corpus", "cost": "tokeff.cost", "pivot_break_even": "tokeff.cost",
    "count_segments": "tokeff.counting", "count_texts": "tokeff.counting",
    "normalize_language": "tokeff.languages", "load_corpus": "tokeff.loaders", "shipped_corpora": "tokeff.loaders",
"load_registry": "tokeff.registry",
    "Tokenizer": "tokeff.tokenizer", "get_tokenizer": "tokeff.tokenizer",
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
    "AlignmentError", "Corpus", "CorpusError", "EmptyTextError", "HashMismatchError", "LanguageError",
    "RegistryError", "TokeffError", "Tokenizer", "TokenizerUnavailableError", "UnknownTokenizerError",
    "ZeroReferenceTokensError", "__version__", "cost", "count_segments", "count_texts", "get_tokenizer",
    "load_corpus", "load_registry", "measure", "normalize_language", "pivot_break_even", "shipped_corpora",
    "summarize",
]
