"""tokeff: what a language really costs on each LLM tokenizer, measured on parallel text.

    >>> import tokeff
    >>> df = tokeff.measure("sample", ["o200k_base", "llama3"])   # doctest: +SKIP
    >>> bill = tokeff.cost("examples/ja-support-bot.yaml", models=["gpt-4o-mini"])   # doctest: +SKIP
"""

from tokeff.corpus import Corpus
from tokeff.cost import cost, pivot_break_even
from tokeff.counting import count_segments, count_texts
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
from tokeff.languages import normalize_language
from tokeff.loaders import load_corpus, shipped_corpora
from tokeff.measure import measure, summarize
from tokeff.registry import load_registry
from tokeff.tokenizer import Tokenizer, get_tokenizer
from tokeff.version import __version__

__all__ = [
    "AlignmentError", "Corpus", "CorpusError", "EmptyTextError", "HashMismatchError", "LanguageError",
    "RegistryError", "TokeffError", "Tokenizer", "TokenizerUnavailableError", "UnknownTokenizerError",
    "ZeroReferenceTokensError", "__version__", "cost", "count_segments", "count_texts", "get_tokenizer",
    "load_corpus", "load_registry", "measure", "normalize_language", "pivot_break_even", "shipped_corpora",
    "summarize",
]
