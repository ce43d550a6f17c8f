"""Tokenizer backends behind one small protocol (`base.Backend`), and `BACKENDS`: the one table
that says, per backend name, which files it reads, how it is built and how diagnostics inspect
it. The registry validates entries against it, `Tokenizer` builds from it, diagnostics inspect
through it and the distributed engines ask it which tokenizers a worker can load on its own; a
new backend is one entry here (as tiktoken's registry and sacrebleu's tokenizer table work).

Nothing heavy is imported here: each builder imports its library when it is called."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tokeff.tokenizers.backends.base import Backend

if TYPE_CHECKING:
    from tokeff.tokenizers.entries import TokenizerEntry
    from tokeff.tokenizers.inspect import Inspector


@dataclass(frozen=True)
class Files:
    """A backend's verified files: the bytes (decompressed) and the local path of each role."""

    data: Mapping[str, bytes]
    paths: Mapping[str, str]


@dataclass(frozen=True)
class BackendSpec:
    """One backend.

    `files`: the accepted sets of file roles (an entry must give exactly one of them); an empty
    set means the backend reads no pinned file (a hub id, a count API). `portable`: another
    process (a distributed engine's worker) that loads the entry by id gets the same counts. `build(entry, files, online)`: the backend.
    `inspect(backend)`: the diagnostics inspector. `online(entry)`: an ordinary online way to
    get it when the pinned files are missing and the network is allowed (None: there is none).
    `fingerprint(backend)`: for backends whose entry cannot say it before loading, a digest of
    what was loaded. `requires`: entry fields the backend cannot do without, and what they are.
    `availability(entry)`: whether it can load here, for backends that read no pinned file
    (the others are available when their files are)."""

    files: tuple[frozenset[str], ...]
    build: Callable[[TokenizerEntry, Files, bool], Backend]
    inspect: Callable[[Any], Inspector]
    portable: bool = True
    online: Callable[[TokenizerEntry], Backend] | None = None
    fingerprint: Callable[[Any], str] | None = None
    requires: Mapping[str, str] = field(default_factory=dict)
    availability: Callable[[TokenizerEntry], str] | None = None


# --------------------------------------------------------------------------- builders


def _tiktoken(entry: TokenizerEntry, files: Files, online: bool) -> Backend:
    from tokeff.tokenizers.backends.tiktoken_backend import TiktokenBackend, data_gym_ranks
    from tokeff.tokenizers.files import parse_tiktoken_ranks

    assert entry.pattern is not None
    if "ranks" in files.data:
        ranks = parse_tiktoken_ranks(files.data["ranks"], files.paths["ranks"])
    else:
        ranks = data_gym_ranks(files.paths["encoder_json"], files.paths["vocab_bpe"])
    return TiktokenBackend.from_ranks(entry.id, ranks, entry.pattern)


def _tiktoken_online(entry: TokenizerEntry) -> Backend:
    import tiktoken

    from tokeff.tokenizers.backends.tiktoken_backend import TiktokenBackend

    assert entry.online is not None
    return TiktokenBackend(tiktoken.get_encoding(entry.online))  # tiktoken checks its own hashes


def _tokenizers(entry: TokenizerEntry, files: Files, online: bool) -> Backend:
    from tokeff.tokenizers.backends.hf_tokenizers import TokenizersBackend

    return TokenizersBackend.from_json(files.data["tokenizer_json"])


def _sentencepiece(entry: TokenizerEntry, files: Files, online: bool) -> Backend:
    from tokeff.tokenizers.backends.sentencepiece_backend import SentencePieceBackend

    return SentencePieceBackend.from_bytes(files.data["model"])


def _tekken(entry: TokenizerEntry, files: Files, online: bool) -> Backend:
    from tokeff.tokenizers.backends.tekken_backend import tekken_backend

    return tekken_backend(files.paths["tekken"])


def _transformers(entry: TokenizerEntry, files: Files, online: bool) -> Backend:
    from tokeff.tokenizers.backends.transformers_backend import TransformersBackend

    assert entry.hub is not None
    return TransformersBackend.load(entry.hub, online=online, trust_remote_code=entry.trust_remote_code)


def _api(entry: TokenizerEntry, files: Files, online: bool) -> Backend:
    from tokeff.tokenizers.backends.api_backend import ApiBackend

    return ApiBackend.from_entry(entry, online=online)


# --------------------------------------------------------------------------- inspectors


def _inspect_tiktoken(backend: Any) -> Inspector:
    from tokeff.tokenizers.inspect import TiktokenInspector

    return TiktokenInspector(backend.encoding)


def _inspect_tokenizers(backend: Any) -> Inspector:
    from tokeff.tokenizers.inspect import TokenizersInspector

    return TokenizersInspector(backend.tokenizer)


def _inspect_sentencepiece(backend: Any) -> Inspector:
    from tokeff.tokenizers.inspect import SentencePieceInspector

    return SentencePieceInspector(backend.processor)


def _inspect_transformers(backend: Any) -> Inspector:
    """The fast (Rust) tokenizer's inspector when there is one, else the generic one."""
    from tokeff.tokenizers.inspect import GenericInspector, TokenizersInspector

    return TokenizersInspector(backend.fast.tokenizer) if backend.fast is not None else GenericInspector(backend)


def _inspect_generic(backend: Any) -> Inspector:
    from tokeff.tokenizers.inspect import GenericInspector

    return GenericInspector(backend)


def _transformers_fingerprint(backend: Any) -> str:
    return str(backend.fingerprint())


def _hub_availability(entry: TokenizerEntry) -> str:
    from pathlib import Path

    return "offline" if Path(entry.hub or "").expanduser().is_dir() else "needs network"


def _api_availability(entry: TokenizerEntry) -> str:
    from tokeff.tokenizers.backends.api_backend import describe_availability

    return describe_availability(entry)


_NONE: tuple[frozenset[str], ...] = (frozenset(),)

BACKENDS: dict[str, BackendSpec] = {
    "tiktoken": BackendSpec((frozenset({"ranks"}), frozenset({"encoder_json", "vocab_bpe"})), _tiktoken,
                            _inspect_tiktoken, online=_tiktoken_online,
                            requires={"pattern": "the pre-tokenizer regex"}),
    "tokenizers": BackendSpec((frozenset({"tokenizer_json"}),), _tokenizers, _inspect_tokenizers),
    "sentencepiece": BackendSpec((frozenset({"model"}),), _sentencepiece, _inspect_sentencepiece),
    "tekken": BackendSpec((frozenset({"tekken"}),), _tekken, _inspect_tiktoken),  # tiktoken BPE underneath
    "transformers": BackendSpec(_NONE, _transformers, _inspect_transformers, portable=False,
                                fingerprint=_transformers_fingerprint,
                                requires={"hub": "a hub id or a local directory"}, availability=_hub_availability),
    "api": BackendSpec(_NONE, _api, _inspect_generic,  # counts only: no ids to inspect
                       requires={"api": "provider and model"}, availability=_api_availability),
}

__all__ = ["BACKENDS", "Backend", "BackendSpec", "Files"]
