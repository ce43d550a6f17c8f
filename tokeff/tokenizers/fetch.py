"""Fetch, once, a tokenizer that no package ships: `tokeff tokenizers add ID --online`.

A registry entry with `fetch:` names the provider's published repository (Hugging Face), a pinned
revision and the file for each role; its `files:` say where the copy is kept (`@data/...`) and its
sha256. The file is downloaded over HTTPS with a short timeout, checked against that sha256, and
written atomically; nothing is stored when the check fails. An entry whose sha256 is not known yet
is pinned on first fetch: the digest goes into `provenance.json` beside the file, and every later
load checks the file against it (`tokeff.tokenizers.files`).

Offline, nothing is tried: the error names the one command to run where the network is."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from tokeff._util.atomic import write_bytes_atomic
from tokeff._util.paths import resolve_local
from tokeff._util.settings import online_allowed
from tokeff.errors import HashMismatchError, NetworkDisabledError, TokenizerUnavailableError, UsageError
from tokeff.tokenizers.entries import TokenizerEntry

DEFAULT_ENDPOINT = "https://huggingface.co"
ENDPOINT_ENV = "TOKEFF_HF_ENDPOINT"  # a mirror, or a local fake server in tests
TIMEOUT_S = 10.0  # connect and each read; TOKEFF_FETCH_TIMEOUT overrides
MAX_BYTES = 64 * 1024 * 1024  # no tokenizer file is larger; stops a wrong URL streaming forever
PROVENANCE = "provenance.json"


def add_command(entry_id: str) -> str:
    """The command that fetches `entry_id` (named by every error about its missing file)."""
    return f"tokeff tokenizers add {entry_id} --online"


def endpoint() -> str:
    return (os.environ.get(ENDPOINT_ENV, "").strip() or DEFAULT_ENDPOINT).rstrip("/")


def file_url(entry: TokenizerEntry, role: str) -> str:
    """`{endpoint}/{repo}/resolve/{revision}/{file}` for one file role of a fetchable entry."""
    assert entry.fetch is not None
    name = urllib.parse.quote(entry.fetch.files[role])
    return f"{endpoint()}/{entry.fetch.repo}/resolve/{entry.fetch.revision}/{name}"


def fetched_paths(entry: TokenizerEntry) -> dict[str, Path]:
    """Where each file of `entry` is kept on this machine."""
    return {role: resolve_local(src.path) for role, src in entry.files.items()}


def pinned_digest(path: Path) -> str | None:
    """The sha256 recorded for `path` when it was first fetched (provenance.json beside it)."""
    try:
        data = json.loads((path.parent / PROVENANCE).read_text(encoding="utf-8"))
        value = data["files"][path.name]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _download(url: str, timeout: float) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "tokeff"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            data = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise TokenizerUnavailableError(f"{url} answered HTTP {exc.code} ({exc.reason})") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TokenizerUnavailableError(f"{url} cannot be reached ({reason})") from exc
    if len(data) > MAX_BYTES:
        raise TokenizerUnavailableError(f"{url} is larger than {MAX_BYTES // 2**20} MB: not a tokenizer file")
    return data


def fetch_tokenizer(entry: TokenizerEntry, *, online: bool | None = None, force: bool = False) -> dict[str, Path]:
    """Fetch every file of `entry` (a registry entry with `fetch:`), check it, keep it; return
    the paths. Files already here and matching their pin are left as they are (unless `force`).
    All files are downloaded and checked before any is written."""
    if entry.fetch is None:
        raise UsageError(f"{entry.id} has no `fetch:` source in the registry; nothing to fetch")
    paths = fetched_paths(entry)
    if not force and all(p.is_file() and _matches(p, entry.files[r].sha256) for r, p in paths.items()):
        return paths
    if not online_allowed(online):
        raise NetworkDisabledError(f"{entry.id} is fetched once from {entry.fetch.repo} (Hugging Face): "
                                   f"run `{add_command(entry.id)}`")
    timeout = float(os.environ.get("TOKEFF_FETCH_TIMEOUT") or TIMEOUT_S)
    blobs: dict[str, tuple[bytes, str, str]] = {}
    for role in sorted(paths):
        url = file_url(entry, role)
        try:
            data = _download(url, timeout)
        except TokenizerUnavailableError as exc:
            raise TokenizerUnavailableError(f"{exc}; no network? run `{add_command(entry.id)}` where "
                                            f"{endpoint()} can be reached") from exc
        digest = hashlib.sha256(data).hexdigest()
        want = entry.files[role].sha256
        if want is not None and digest != want:
            raise HashMismatchError(f"{url} has sha256 {digest}, but the registry pins {want} for {entry.id} "
                                    "(revision moved or file altered); nothing was stored")
        blobs[role] = (data, digest, url)
    for role, (data, _, _) in blobs.items():
        write_bytes_atomic(paths[role], data)
    prov = {
        "tokenizer": entry.id,
        "repo": entry.fetch.repo,
        "revision": entry.fetch.revision,
        "urls": {paths[r].name: u for r, (_, _, u) in blobs.items()},
        "files": {paths[r].name: d for r, (_, d, _) in blobs.items()},
        "pinned_by": {paths[r].name: "registry" if entry.files[r].sha256 else "first fetch" for r in blobs},
        "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for folder in {p.parent for p in paths.values()}:
        write_bytes_atomic(folder / PROVENANCE, (json.dumps(prov, indent=2) + "\n").encode())
    return paths


def _matches(path: Path, sha256: str | None) -> bool:
    want = sha256 or pinned_digest(path)
    return want is not None and hashlib.sha256(path.read_bytes()).hexdigest() == want
