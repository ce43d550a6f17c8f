"""Read a YAML data file safely (`yaml.safe_load`), turning every way it can be unreadable into
one error of the caller's type that names the file and, for bad YAML, the line."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import yaml

from tokeff.errors import TokeffError

if TYPE_CHECKING:
    from pydantic import ValidationError

# libyaml's safe loader when PyYAML was built with it (the same safe constructors, ~10x faster).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> object:
    """`yaml.safe_load`, with libyaml when available."""
    return yaml.load(text, Loader=SafeLoader)


T = TypeVar("T")
FORBID = {"extra": "forbid"}  # pydantic's config for tokeff's config dataclasses: unknown keys are errors
_ADAPTERS: dict[type, Any] = {}


def validate(cls: type[T], data: object) -> T:
    """`data` validated by pydantic into `cls` (a dataclass; pydantic is imported, and the
    adapter built, on first use); raises pydantic's ValidationError."""
    if cls not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[cls] = TypeAdapter(cls)
    return cast(T, _ADAPTERS[cls].validate_python(data))


def read_yaml(path: str | os.PathLike[str], error: type[TokeffError], what: str = "file") -> object:
    """The parsed content of `path`; `error(...)` naming the file (and line) if it cannot be read."""
    return parse_yaml(read_text(path, error, what), str(path), error)


def read_text(path: str | os.PathLike[str], error: type[TokeffError], what: str = "file") -> str:
    """The UTF-8 text of `path`; `error(...)` naming the file if it is missing or not UTF-8."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{p}: {what} not found") from exc
    except IsADirectoryError as exc:
        raise error(f"{p}: a folder, not a {what}; give the file's path") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{p}: invalid UTF-8 at byte {exc.start}") from exc


def parse_yaml(text: str, where: str, error: type[TokeffError]) -> object:
    """`safe_load` of `text` (read from `where`); bad YAML is `error(...)` naming `where` and the line."""
    try:
        return safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{where}:{mark.line + 1}" if mark is not None else where
        raise error(f"{place}: malformed YAML: {exc}") from exc


_FIELD_MESSAGE = re.compile(r"^Value error, (?P<field>[a-z_][a-z0-9_]*): (?P<msg>.*)$", re.S)


def first_error(exc: ValidationError) -> str:
    """`field.path: message` of a pydantic error, with `unknown key` for extra fields."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top)"
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "missing"
    elif err["type"] == "value_error" and (m := _FIELD_MESSAGE.match(str(err["msg"]))):
        # a check in __post_init__ that names its field ("rate_per_s: must be ...")
        loc = m["field"] if loc == "(top)" else f"{loc}.{m['field']}"
        msg = m["msg"]
    elif err["type"] == "literal_error":
        msg = f"{err['msg']}, got {err.get('input')!r}"
    else:
        msg = err["msg"]
    return f"{loc}: {msg}"
