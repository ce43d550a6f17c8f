"""FLORES-200 in its original directory layout: dev/<code>.dev, devtest/<code>.devtest and
metadata_<split>.tsv (URL, domain, topic...). Segments are clustered by source article (URL)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokeff.corpora.corpus import Corpus, build_corpus, concat
from tokeff.corpora.languages import normalize_language
from tokeff.corpora.textio import read_columns, read_lines
from tokeff.errors import CorpusError, LanguageError

SPLITS = ("dev", "devtest")


def _find_root(folder: Path) -> Path:
    for cand in (folder, folder / "flores200_dataset", folder / "flores200"):
        if (cand / "dev").is_dir() or (cand / "devtest").is_dir():
            return cand
    raise CorpusError(f"{folder}: not a FLORES-200 folder (no dev/ or devtest/ inside)")


def load_flores(folder: str | Path, split: str = "devtest", languages: Sequence[str] | None = None) -> Corpus:
    """Read FLORES-200 split `dev`, `devtest` or `both` (dev then devtest)."""
    root = _find_root(Path(folder))
    if split == "both":
        parts = [load_flores(root, s, languages) for s in SPLITS]
        return concat(f"flores200-{split}", parts, source=str(root))
    if split not in SPLITS:
        raise CorpusError(f"{root}: unknown FLORES split {split!r}; use dev, devtest or both")
    files = sorted((root / split).glob(f"*.{split}"))
    if not files:
        raise CorpusError(f"{root / split}: no *.{split} files")
    by_lang: dict[str, Path] = {}
    for f in files:
        code = f.name[: -len(split) - 1]
        if "." in code:  # only <code>.<split>; a copy such as jpn_Jpan.old.devtest is not a language
            continue
        try:
            tag = normalize_language(code)
        except LanguageError as exc:
            raise CorpusError(f"{f}: file name is not <language code>.{split}: {exc}") from exc
        if tag in by_lang:
            raise CorpusError(f"{f} and {by_lang[tag]} are both language {tag}")
        by_lang[tag] = f
    cols = read_columns(by_lang, languages, str(root / split))
    doc_ids = domains = None
    meta_path = root / f"metadata_{split}.tsv"
    if meta_path.is_file():
        rows = read_lines(meta_path)
        header = rows[0].split("\t")
        if "URL" not in header:
            raise CorpusError(f"{meta_path}:1: no URL column")
        iu, idom = header.index("URL"), header.index("domain") if "domain" in header else None
        fields = [r.split("\t") for r in rows[1:]]
        for lineno, row in enumerate(fields, 2):
            if len(row) != len(header):
                raise CorpusError(f"{meta_path}:{lineno}: {len(row)} fields, but the header has {len(header)}")
        doc_ids = [row[iu] for row in fields]
        domains = [row[idom] for row in fields] if idom is not None else None
    return build_corpus(f"flores200-{split}", cols, doc_ids=doc_ids, domains=domains,
                        ids_origin=str(meta_path), source=str(root),
                        meta={"license": "CC-BY-SA-4.0", "domain": "wiki"})
