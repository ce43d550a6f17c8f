"""Read a YAML data file safely (`yaml.safe_load`), turning every way it can be unreadable into
one error of the caller's type that names the file and, for bad YAML, the line."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from tokeff.errors import TokeffError

# libyaml's safe loader when PyYAML was built with it (the same safe constructors, ~10x faster).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> object:
    """`yaml.safe_load`, with libyaml when available."""
    return yaml.load(text, Loader=SafeLoader)


def read_yaml(path: str | os.PathLike[str], error: type[TokeffError], what: str = "file") -> object:
    """The parsed content of `path`; `error(...)` naming the file (and line) if it cannot be read."""
    p = Path(path)
    try:
        return safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{p}: {what} not found") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{p}: invalid UTF-8 at byte {exc.start}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
        raise error(f"{where}: malformed YAML: {exc}") from exc


def first_error(exc: ValidationError) -> str:
    """`field.path: message` of a pydantic error, with `unknown key` for extra fields."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top)"
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "missing"
    elif err["type"] == "literal_error":
        msg = f"{err['msg']}, got {err.get('input')!r}"
    else:
        msg = err["msg"]
    return f"{loc}: {msg}"
