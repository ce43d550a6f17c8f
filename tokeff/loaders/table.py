"""Any table with one column per language (TSV, CSV, JSONL, Parquet), read with pandas.

Columns whose names are language tags or FLORES codes are languages; `doc_id` (or
`document`) and `domain` are optional; other columns are ignored."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from tokeff.corpus import Column, Corpus, build_corpus, decode_utf8
from tokeff.errors import CorpusError, LanguageError
from tokeff.languages import normalize_language

TABLE_SUFFIXES = (".tsv", ".csv", ".jsonl", ".parquet")
DOC_COLUMNS = ("doc_id", "document", "document_id")
DOMAIN_COLUMNS = ("domain",)


def _read(path: Path) -> tuple[pd.DataFrame, int]:
    """The table and the file line of its first row (2 with a header line, 1 for JSONL)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path), 1
    text = decode_utf8(path.read_bytes(), str(path))
    try:
        if suffix == ".jsonl":
            return pd.read_json(io.StringIO(text), lines=True, dtype=False), 1
        if suffix == ".tsv":  # TSV: plain fields, no quoting, so text may hold quote marks
            return pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, quoting=3), 2
        return pd.read_csv(io.StringIO(text), sep=",", dtype=str, keep_default_na=False), 2
    except (ValueError, pd.errors.ParserError) as exc:
        raise CorpusError(f"{path}: cannot parse as {suffix[1:].upper()}: {exc}") from exc


def frame_to_corpus(df: pd.DataFrame, name: str, origin: str, first_line: int = 2,
                    languages: Sequence[str] | None = None) -> Corpus:
    """Turn a wide table (one column per language) into a Corpus."""
    lang_cols: dict[str, str] = {}
    doc_col = next((c for c in df.columns if str(c).lower() in DOC_COLUMNS), None)
    dom_col = next((c for c in df.columns if str(c).lower() in DOMAIN_COLUMNS), None)
    for col in df.columns:
        if col in (doc_col, dom_col):
            continue
        try:
            lang_cols.setdefault(normalize_language(str(col)), col)
        except LanguageError:
            continue
    if not lang_cols:
        raise CorpusError(f"{origin}: no column is named by a language tag (columns: {list(df.columns)})")
    wanted = [normalize_language(x) for x in languages] if languages else list(lang_cols)
    missing = [w for w in wanted if w not in lang_cols]
    if missing:
        raise LanguageError(f"{origin}: no column for {', '.join(missing)}; has {', '.join(lang_cols)}")
    cols = []
    for lang in wanted:
        series = df[lang_cols[lang]]
        texts = ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in series]
        cols.append(Column(lang, texts, f"{origin} column {lang_cols[lang]!r} line", first_line))
    doc_ids = [str(v) for v in df[doc_col]] if doc_col is not None else None
    domains = [str(v) for v in df[dom_col]] if dom_col is not None else None
    return build_corpus(name, cols, doc_ids=doc_ids, domains=domains, source=origin)


def load_table(path: str | Path, languages: Sequence[str] | None = None) -> Corpus:
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise CorpusError(f"{path}: unknown table type; use one of {', '.join(TABLE_SUFFIXES)}")
    df, first = _read(path)
    return frame_to_corpus(df, path.stem, str(path), first, languages)
