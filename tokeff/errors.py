"""Typed errors. tokeff refuses to guess: every bad input raises one of these, naming the
file, line or entry at fault, so a user can fix it without reading a traceback."""

from __future__ import annotations


class TokeffError(Exception):
    """Base class of every error tokeff raises on purpose."""


class RegistryError(TokeffError):
    """The tokenizer registry file is malformed (bad YAML, unknown key, duplicate id...)."""


class UnknownTokenizerError(TokeffError, KeyError):
    """A tokenizer id that is neither in the registry nor a usable local path."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TokenizerUnavailableError(TokeffError):
    """A registered tokenizer whose files cannot be had here (package missing, needs network)."""


class HashMismatchError(TokeffError):
    """A tokenizer file whose sha256 differs from the one the registry expects."""


class CorpusError(TokeffError):
    """A corpus that cannot be read: missing file, bad manifest, invalid UTF-8, empty segment."""


class AlignmentError(CorpusError):
    """Parallel files that do not line up (different segment counts, missing document ids)."""


class LanguageError(TokeffError, ValueError):
    """A language tag that cannot be understood, or a language the corpus does not have."""


class EmptyTextError(TokeffError, ValueError):
    """Text to count is empty."""


class ZeroReferenceTokensError(TokeffError, ZeroDivisionError):
    """The reference language has no tokens, so no premium can be computed."""


class NetworkDisabledError(TokenizerUnavailableError):
    """The operation needs the network and the user has not allowed it."""


class UsageError(TokeffError, ValueError):
    """An argument that cannot be used as given (an option's value, a table of the wrong shape)."""


class CountOnlyError(TokenizerUnavailableError, NotImplementedError):
    """encode/decode asked of a tokenizer that is only reachable through a count API."""


class ApiCountError(TokeffError):
    """A count API refused a request, or kept failing after the bounded retries."""


class GGUFError(TokeffError):
    """A GGUF file that is not the vocabulary it should be."""


class SegmenterUnavailableError(TokenizerUnavailableError):
    """A word segmenter's package is not installed."""


class RatesError(TokeffError):
    """The rates file is malformed."""


class UnknownModelError(TokeffError, KeyError):
    """A model id that is neither in model_rates.yaml nor in genai-prices."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnpricedModelError(TokeffError):
    """A model tokeff knows of but has no rate for."""


class CurrencyError(TokeffError):
    """A currency with no FX rate, or a malformed FX file."""


class WorkloadError(TokeffError):
    """A workload file or value that cannot be used."""


class CacheError(TokeffError):
    """The count cache cannot be read or written (corrupt file, read-only folder, disk full)."""


class TrafficError(TokeffError):
    """A traffic file that cannot be read (bad JSON line, missing messages, wrong role type, empty
    file, invalid UTF-8, a table without an input column); names the file and line, never the text."""
