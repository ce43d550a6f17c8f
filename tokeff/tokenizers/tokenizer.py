"""A tokenizer as tokeff uses it: a registry entry (or a local file) plus a lazily loaded
backend. Loading reads the files, checks their sha256, and builds the backend; nothing is
loaded until a count is actually needed (cached counts never load a tokenizer)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tokeff.errors import EmptyTextError, TokenizerUnavailableError, UnknownTokenizerError
from tokeff.tokenizers.backends.base import Backend as BackendProtocol
from tokeff.tokenizers.files import FileInfo, locate, parse_tiktoken_ranks, read_verified
from tokeff.tokenizers.registry import Backend, FileSource, Registry, TokenizerEntry, fingerprint_of, load_registry


def online_allowed(online: bool | None = None) -> bool:
    """Whether tokeff may use the network: explicit argument, else TOKEFF_ONLINE=1."""
    if online is not None:
        return online
    return os.environ.get("TOKEFF_ONLINE", "").lower() in ("1", "true", "yes")


@dataclass
class Tokenizer:
    """One tokenizer: `count`, `encode`, `decode`, plus where its files came from."""

    entry: TokenizerEntry
    online: bool = False
    _backend: BackendProtocol | None = field(default=None, repr=False)
    _files: list[FileInfo] = field(default_factory=list, repr=False)
    _fingerprint: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def status(self) -> str:
        return self.entry.status

    @property
    def loaded(self) -> bool:
        return self._backend is not None

    @property
    def fingerprint(self) -> str:
        """Digest of what decides the counts (files + pattern); known without loading when the
        registry pins every file's sha256."""
        if self._fingerprint is None:
            self._fingerprint = self.entry.fingerprint()
        if self._fingerprint is None:
            self.backend  # noqa: B018 - loading computes it from the files actually read
        assert self._fingerprint is not None
        return self._fingerprint

    @property
    def files(self) -> list[FileInfo]:
        self.backend  # noqa: B018
        return list(self._files)

    @property
    def backend(self) -> BackendProtocol:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self._load()
        return self._backend

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text (no special tokens)."""
        return self.backend.count(texts)

    def encode(self, text: str) -> list[int]:
        if not text:
            raise EmptyTextError(f"{self.id}: nothing to encode (empty text)")
        return self.backend.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        return self.backend.decode(ids)

    def _load(self) -> BackendProtocol:
        e = self.entry
        if e.backend == "api":  # counts only, through the provider's count-tokens endpoint
            from tokeff.tokenizers.backends.api_backend import ApiBackend

            return ApiBackend.from_entry(e, online=self.online)
        if e.backend == "transformers":
            from tokeff.tokenizers.backends.transformers_backend import TransformersBackend

            assert e.hub is not None
            backend = TransformersBackend.load(e.hub, online=self.online, trust_remote_code=e.trust_remote_code)
            self._fingerprint = self._fingerprint or _transformers_fingerprint(backend, e.hub)
            return backend
        try:
            blobs = {role: read_verified(role, src) for role, src in sorted(e.files.items())}
        except TokenizerUnavailableError:
            if self.online and e.backend == "tiktoken" and e.online:
                return self._load_tiktoken_online(e.online)
            raise
        self._files = [info for _, info in blobs.values()]
        self._fingerprint = fingerprint_of(e.backend, {r: i.sha256 for r, (_, i) in blobs.items()}, e.pattern)
        try:
            return _build(e, {role: data for role, (data, _) in blobs.items()}, self._files)
        except Exception as exc:  # a file that passed its hash check but is not a tokenizer
            where = ", ".join(i.path for i in self._files)
            raise TokenizerUnavailableError(f"{e.id}: cannot build a {e.backend} tokenizer from {where}: {exc}") from exc

    def _load_tiktoken_online(self, name: str) -> BackendProtocol:
        import tiktoken

        from tokeff.tokenizers.backends.tiktoken_backend import TiktokenBackend

        return TiktokenBackend(tiktoken.get_encoding(name))  # tiktoken checks its own hashes


def _build(e: TokenizerEntry, data: dict[str, bytes], infos: list[FileInfo]) -> BackendProtocol:
    paths = {i.role: i.path for i in infos}
    if e.backend == "tiktoken":
        from tokeff.tokenizers.backends.tiktoken_backend import TiktokenBackend, data_gym_ranks

        assert e.pattern is not None
        if "ranks" in data:
            ranks = parse_tiktoken_ranks(data["ranks"], paths["ranks"])
        else:
            ranks = data_gym_ranks(paths["encoder_json"], paths["vocab_bpe"])
        return TiktokenBackend.from_ranks(e.id, ranks, e.pattern)
    if e.backend == "tokenizers":
        from tokeff.tokenizers.backends.hf_tokenizers import TokenizersBackend

        return TokenizersBackend.from_json(data["tokenizer_json"])
    if e.backend == "sentencepiece":
        from tokeff.tokenizers.backends.sentencepiece_backend import SentencePieceBackend

        return SentencePieceBackend.from_bytes(data["model"])
    if e.backend == "tekken":
        from tokeff.tokenizers.backends.tekken_backend import tekken_backend

        return tekken_backend(paths["tekken"])
    raise TokenizerUnavailableError(f"{e.id}: backend {e.backend!r} cannot load from files")


def _transformers_fingerprint(backend: object, name: str) -> str:
    tok = getattr(backend, "tokenizer", None)
    fast = getattr(tok, "backend_tokenizer", None)
    if fast is not None:
        blob = fast.to_str().encode()
    else:  # slow tokenizer: its vocabulary decides the counts
        blob = json.dumps(sorted(tok.get_vocab().items()) if tok is not None else name).encode()
    return fingerprint_of("transformers", {"tokenizer": hashlib.sha256(blob).hexdigest()}, None)


def entry_for_path(path: Path) -> TokenizerEntry:
    """A registry-like entry for a local tokenizer file or directory the user points at."""
    name = f"local:{path.name}"
    if path.is_dir():
        return TokenizerEntry(id=_safe_id(path), family="local", status="exact", backend="transformers",
                              hub=str(path), notes=name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    src = FileSource(path=str(path), sha256=digest)
    if path.suffix == ".json":
        try:
            head = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UnknownTokenizerError(f"{path}: not a tokenizer JSON file ({exc})") from exc
        is_tekken = isinstance(head, dict) and "config" in head and isinstance(head.get("vocab"), list)
        backend: Backend = "tekken" if is_tekken else "tokenizers"
        role = "tekken" if is_tekken else "tokenizer_json"
        return TokenizerEntry(id=_safe_id(path), family="local", status="exact", backend=backend,
                              files={role: src}, notes=name)
    if path.suffix == ".model" or ".model." in path.name:
        import sentencepiece as spm

        try:
            spm.SentencePieceProcessor(model_proto=path.read_bytes())
        except RuntimeError as exc:
            raise UnknownTokenizerError(
                f"{path}: not a SentencePiece model; if it is tiktoken ranks (as Llama 3's "
                "tokenizer.model is), add a registry entry with its pattern"
            ) from exc
        return TokenizerEntry(id=_safe_id(path), family="local", status="exact", backend="sentencepiece",
                              files={"model": src}, notes=name)
    raise UnknownTokenizerError(
        f"{path}: cannot tell which backend reads this file; use a tokenizer.json, a SentencePiece "
        ".model, a transformers directory, or add an entry to a registry file (--registry)"
    )


def _safe_id(path: Path) -> str:
    """`local-<file name>-<hash of the full path>`: two files with one name stay two tokenizers."""
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in path.name)
    return f"local-{stem}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"


_CACHE: dict[tuple[str, bool], Tokenizer] = {}
_CACHE_LOCK = threading.Lock()


def get_tokenizer(name: str | Tokenizer, registry: Registry | None = None, *,
                  online: bool | None = None) -> Tokenizer:
    """A Tokenizer by registry id, model name (`gpt-4o`), local path, or `hf:org/name`.

    Instances are shared per process, so a tokenizer is loaded at most once."""
    if isinstance(name, Tokenizer):
        return name
    reg = registry or load_registry()
    allow = online_allowed(online)
    entry = reg.find(name)
    if entry is None:
        if name.startswith("hf:"):
            entry = TokenizerEntry(id=name[3:].replace("/", "--"), family="hub", status="exact",
                                   backend="transformers", hub=name[3:])
        elif Path(name).expanduser().exists():
            entry = entry_for_path(Path(name).expanduser().resolve())
        else:
            entry = reg.get(name)  # raises UnknownTokenizerError with suggestions
    # Shared per process by what decides the counts (the whole entry), not by name: two
    # registries may give one name different files.
    key = (json.dumps(entry.to_dict(), sort_keys=True), allow)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = Tokenizer(entry, online=allow)
        return _CACHE[key]


def availability(entry: TokenizerEntry) -> str:
    """'offline' if every file is on this machine, 'online' if it needs the hub, else why not."""
    if entry.backend == "api":
        from tokeff.tokenizers.backends.api_backend import describe_availability

        return describe_availability(entry)
    if entry.backend == "transformers":
        return "offline" if Path(entry.hub or "").expanduser().is_dir() else "needs network"
    try:
        for src in entry.files.values():
            locate(src)
    except TokenizerUnavailableError as exc:
        return f"missing: {exc}"
    return "offline"
