"""The tokenizer registry: a plain YAML list of tokenizers (`tokeff.tokenizers.entries`), the
models that use them, and where their files come from. Validated with pydantic once, then read
back from a snapshot; nothing is loaded until asked for (tokenizers are loaded lazily by
`tokeff.tokenizers.tokenizer`). Installed packages may add registries through an entry point."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from tokeff._util.paths import data_path
from tokeff._util.snapshot import load_snapshot, save_snapshot, snapshot_path
from tokeff._util.yamlio import FORBID, SafeLoader, first_error, parse_yaml, validate
from tokeff.errors import RegistryError, UnknownTokenizerError
from tokeff.tokenizers import entries
from tokeff.tokenizers.entries import TokenizerEntry, entry_from_dict, with_provider_defaults

# The code a validated registry depends on: a snapshot is only reused under the same code.
SCHEMA_FILES = (entries.__file__, __file__)

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
        # A model name means the tokenizer that counts offline: an entry with files wins over a
        # count API listing the same model (that one is `<api id>.<model>`, e.g. claude-api.claude-opus-4-5).
        for e in sorted(entries, key=lambda e: e.api is not None):
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

        A model name resolves to the entry that counts it offline when there is one (a proxy for a
        closed vocabulary), else to a count API. `<api id>.<model>` picks a count API and one of its
        models explicitly: a copy that counts with that model, with that id (its own fingerprint
        and rows)."""
        if name in self.entries:
            return self.entries[name]
        head, dot, model = name.partition(".")
        while dot:  # `<api id>.<model>`: that count API, with that model
            api = self.entries.get(head)
            if api is not None and api.api is not None:
                match = next((m for m in api.models if m.lower() == model.lower()), None)
                return api.for_api_model(match) if match else None
            more, dot, model = model.partition(".")
            head = f"{head}.{more}"
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
            item = {**item, "api": with_provider_defaults(item["api"])}
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
    snapshot = snapshot_path(text, "registry", *SCHEMA_FILES)
    data = load_snapshot(snapshot)
    if isinstance(data, list):
        try:
            return Registry([entry_from_dict(d) for d in data], path)
        except (TypeError, ValueError, KeyError, AttributeError):
            pass  # an unreadable snapshot: validate the file again
    registry = parse_registry(text, path)
    save_snapshot(snapshot, [e.to_dict() for e in registry])
    return registry
