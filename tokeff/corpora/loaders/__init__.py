"""Corpus loaders and the SPEC syntax the CLI and `tokeff.measure` accept:

- a shipped corpus name (`sample`, `support-chat`, ...), or `shipped` for all of them
- a directory in tokeff's layout (has corpus.yaml), FLORES-200 layout, or NTREX-128 layout
- `flores200:DIR[:split]` (split dev, devtest or both; default devtest), `ntrex128:DIR`
- a table file (.tsv .csv .jsonl .parquet) with one column per language
- `hf:ID[:config][:split]` for `datasets.load_dataset` (network only with online=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokeff._util.paths import data_path
from tokeff.corpora.corpus import Corpus
from tokeff.corpora.loaders.flores import load_flores
from tokeff.corpora.loaders.hub import load_hub
from tokeff.corpora.loaders.native import Manifest, load_native, read_manifest
from tokeff.corpora.loaders.ntrex import load_ntrex
from tokeff.corpora.loaders.table import TABLE_SUFFIXES, load_table
from tokeff.errors import CorpusError

__all__ = ["Manifest", "load_corpora", "load_corpus", "resolve_spec", "shipped_corpora", "shipped_manifests", "spec_path"]


def shipped_dir() -> Path:
    return data_path("corpora")


def shipped_manifests() -> dict[str, Manifest]:
    """Manifests of the corpora shipped in corpora/, by name (sample first)."""
    root = shipped_dir()
    found = {p.parent.name: read_manifest(p.parent) for p in sorted(root.glob("*/corpus.yaml"))}
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != "sample", kv[0])))


def shipped_corpora() -> list[str]:
    return list(shipped_manifests())


def load_corpus(spec: str | Path | Corpus, languages: Sequence[str] | None = None, *,
                online: bool | None = None) -> Corpus:
    """Load one corpus from a SPEC (see the module docstring), keeping only `languages`."""
    if isinstance(spec, Corpus):
        return spec.select(languages)
    s = str(spec)
    corpus: Corpus
    if s.startswith("flores200:"):
        rest = s[len("flores200:"):]
        path, _, split = rest.rpartition(":")
        if not path or "/" in split or Path(rest).exists():  # no split given (the path may hold colons)
            path, split = rest, "devtest"
        corpus = load_flores(path, split, languages)
    elif s.startswith("ntrex128:"):
        corpus = load_ntrex(s[len("ntrex128:"):], languages)
    elif s.startswith("hf:"):
        corpus = load_hub(s[3:], languages, online=online)
    elif (shipped_dir() / s / "corpus.yaml").is_file() and not Path(s).exists():
        corpus = load_native(shipped_dir() / s)
    else:
        p = Path(s).expanduser()
        if p.is_dir():
            if (p / "corpus.yaml").is_file():
                corpus = load_native(p)
            elif (p / "DOCUMENT_IDS.tsv").is_file() or any(p.glob("newstest2019-*.txt")):
                corpus = load_ntrex(p, languages)
            else:
                corpus = load_flores(p, "devtest", languages)
        elif p.is_file() and p.suffix.lower() in TABLE_SUFFIXES:
            corpus = load_table(p, languages)
        else:
            names = ", ".join(shipped_corpora())
            raise CorpusError(
                f"corpus {s!r} not found: not a shipped corpus ({names}), a folder, or a table "
                f"file ({', '.join(TABLE_SUFFIXES)}); see `tokeff corpora`"
            )
    return corpus.select(languages)


def _split_spec(spec: str | Path) -> tuple[str, Path | None, str]:
    """(prefix, local path, suffix) of a SPEC: the path is None for a shipped name or a hub id."""
    s = str(spec)
    for prefix in ("flores200:", "ntrex128:"):
        if s.startswith(prefix):
            rest = s[len(prefix):]
            path, colon, split = rest.rpartition(":")
            if not path or "/" in split or Path(rest).exists():
                path, colon, split = rest, "", ""
            return prefix, Path(path).expanduser().resolve(), colon + split
    if s == "shipped" or s.startswith("hf:") or ((shipped_dir() / s / "corpus.yaml").is_file() and not Path(s).exists()):
        return s, None, ""
    return "", Path(s).expanduser().resolve(), ""


def resolve_spec(spec: str | Path) -> str:
    """The same SPEC with its local path made absolute, so it loads from any folder (a report's
    manifest stores these); shipped names and hub ids are kept as they are."""
    prefix, path, suffix = _split_spec(spec)
    return prefix if path is None else f"{prefix}{path}{suffix}"


def spec_path(spec: str | Path) -> Path | None:
    """The local file or folder a SPEC reads (a shipped corpus's folder; None for a hub id)."""
    prefix, path, _ = _split_spec(spec)
    if path is not None:
        return path
    if prefix == "shipped":
        return shipped_dir().resolve()
    return None if prefix.startswith("hf:") else (shipped_dir() / prefix).resolve()


def load_corpora(specs: Sequence[str | Path | Corpus] | None, languages: Sequence[str] | None = None,
                 *, online: bool | None = None) -> list[Corpus]:
    """Load several corpora; no specs or `shipped` means every shipped corpus."""
    out: list[Corpus] = []
    for spec in specs or ["shipped"]:
        if spec == "shipped":
            for name in shipped_corpora():
                corpus = load_native(shipped_dir() / name)
                have = [x for x in (languages or corpus.languages)]
                out.append(corpus.select(have))
        else:
            out.append(load_corpus(spec, languages, online=online))
    names: dict[str, str] = {}
    for c in out:
        if c.name in names:
            raise CorpusError(
                f"two corpora are both named {c.name!r} ({names[c.name]} and {c.source}); their rows "
                "would be pooled. Rename one (the name is the file stem or folder name)."
            )
        names[c.name] = c.source
    return out
