"""Snapshots of validated config files.

pydantic validates a YAML file (the tokenizer registry, a corpus manifest) the first time it is
read; the validated data is then kept as JSON in the cache folder, named by the file's text,
tokeff's version and the code of the module that defines the schema, and later runs read it
back without importing pydantic. An edit to the file or to the schema is validated afresh.
JSON only: nothing read from the cache is executed."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tokeff._util.paths import cache_dir
from tokeff.version import __version__


def snapshot_path(text: str, kind: str, *schema_files: str) -> Path | None:
    """Where the validated form of `text` (a `kind` of file whose schema and validation are the
    code of `schema_files`) is kept; None when that code cannot be read."""
    try:
        code = [Path(f).read_bytes() for f in schema_files]
    except OSError:
        return None
    h = hashlib.sha256(b"\0".join([text.encode("utf-8"), __version__.encode(), *code])).hexdigest()
    return cache_dir() / "validated" / f"{kind}-{h[:32]}.json"


def load_snapshot(path: Path | None) -> Any | None:
    """The data kept at `path`, or None when there is none (or it does not parse)."""
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_snapshot(path: Path | None, data: Any) -> None:
    """Keep `data` at `path`, atomically; a cache folder that cannot be written is no error."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass


def clear_snapshots() -> int:
    """Delete every kept snapshot (`tokeff cache clear`); returns how many went."""
    folder = cache_dir() / "validated"
    n = 0
    for f in folder.glob("*.json") if folder.is_dir() else []:
        f.unlink(missing_ok=True)
        n += 1
    return n
