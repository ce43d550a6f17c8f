"""Where tokeff's own data lives: the registry and the shipped corpora.

In a checkout they sit at the top of the repository; an installed wheel carries copies under
`tokeff/data/` (see pyproject's force-include)."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # the tokeff package


def data_path(name: str) -> Path:
    """Path of a top-level data item (`tokenizer_registry.yaml`, `corpora`)."""
    installed = _PACKAGE / "data" / name
    if installed.exists():
        return installed
    return _PACKAGE.parent / name


def cache_dir() -> Path:
    """Directory of tokeff's on-disk caches (TOKEFF_CACHE_DIR, else XDG cache home)."""
    env = os.environ.get("TOKEFF_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tokeff"


def data_home() -> Path:
    """tokeff's user data directory (tokenizers made on this machine): TOKEFF_DATA_DIR, else
    $XDG_DATA_HOME/tokeff, else ~/.local/share/tokeff. Registry paths may start with `@data/`."""
    env = os.environ.get("TOKEFF_DATA_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tokeff"


def resolve_local(path: str) -> Path:
    """A registry file path on this machine: `@data/...` under data_home(), `~` expanded."""
    if path.startswith("@data/"):
        return data_home() / path[len("@data/"):]
    return Path(path).expanduser()
