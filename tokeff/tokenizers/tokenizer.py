"""A tokenizer as tokeff uses it: a registry entry (or a local file) plus a lazily loaded
backend. Loading reads the files, checks their sha256, and builds the backend; nothing is
loaded until a count is actually needed (cached counts never load a tokenizer)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tokeff._util.settings import online_allowed
from tokeff.errors import EmptyTextError, TokenizerUnavailableError, UnknownTokenizerError
from tokeff.tokenizers.backends import BACKENDS, Files
from tokeff.tokenizers.backends.base import Backend as BackendProtocol
from tokeff.tokenizers.entries import FileSource, TokenizerEntry, fingerprint_of
from tokeff.tokenizers.files import FileInfo, locate, read_verified
from tokeff.tokenizers.registry import Registry, load_registry


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
        spec = BACKENDS[e.backend]
        try:
            blobs = {role: read_verified(role, src) for role, src in sorted(e.files.items())}
        except TokenizerUnavailableError as exc:
            if self.online and spec.online is not None and e.online:
                return spec.online(e)
            if e.fetch is None:
                raise
            from tokeff.tokenizers.fetch import add_command, fetch_tokenizer

            if not self.online:
                raise TokenizerUnavailableError(f"{e.id} is not on this machine yet: run `{add_command(e.id)}` "
                                                f"(fetches it once from {e.fetch.repo})") from exc
            fetch_tokenizer(e, online=True)  # the network is allowed: fetch it once, as `add` would
            blobs = {role: read_verified(role, src) for role, src in sorted(e.files.items())}
        self._files = [info for _, info in blobs.values()]
        if blobs:
            self._fingerprint = fingerprint_of(e.backend, {r: i.sha256 for r, (_, i) in blobs.items()}, e.pattern)
        files = Files({role: data for role, (data, _) in blobs.items()}, {i.role: i.path for i in self._files})
        try:
            backend = spec.build(e, files, self.online)
        except Exception as exc:  # a file that passed its hash check but is not a tokenizer
            if not blobs:  # hub and API backends name their own errors
                raise
            where = ", ".join(i.path for i in self._files)
            raise TokenizerUnavailableError(f"{e.id}: cannot build a {e.backend} tokenizer from {where}: {exc}") from exc
        if spec.fingerprint is not None:
            self._fingerprint = self._fingerprint or spec.fingerprint(backend)
        return backend


# Files from which transformers' AutoTokenizer can build a tokenizer (config.json alone is not one).
TOKENIZER_DIR_FILES = {"tokenizer.json", "tokenizer_config.json", "vocab.json", "vocab.txt", "merges.txt",
                       "tekken.json", "spiece.model", "tokenizer.model"}


def entry_for_path(path: Path) -> TokenizerEntry:
    """A registry-like entry for a local tokenizer file or directory the user points at."""
    name = f"local:{path.name}"
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir())
        if not any(f in TOKENIZER_DIR_FILES or f.endswith((".model", ".tiktoken")) for f in found):
            raise UnknownTokenizerError(
                f"{path}: a folder with no tokenizer file (has {', '.join(found[:6]) or 'nothing'}); a transformers "
                f"folder needs one of {', '.join(sorted(TOKENIZER_DIR_FILES))} or a SentencePiece .model")
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
        backend = "tekken" if is_tekken else "tokenizers"
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
    """'offline' if every file is on this machine, 'needs network' for a hub id, an API's needs,
    else why not."""
    check = BACKENDS[entry.backend].availability
    if check is not None:
        return check(entry)
    try:
        for src in entry.files.values():
            locate(src)
    except TokenizerUnavailableError as exc:
        if entry.fetch is not None:
            from tokeff.tokenizers.fetch import add_command

            return f"missing: run `{add_command(entry.id)}`"
        return f"missing: {exc}"
    return "offline"
