"""Any table with one column per language (TSV, CSV, JSONL, Parquet), read with pandas.

Columns whose names are language tags or FLORES codes are languages; `doc_id` (or
`document`) and `domain` are optional; other columns are ignored."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tokeff.corpora.corpus import Column, Corpus, build_corpus
from tokeff.corpora.languages import did_you_mean, expand_languages, normalize_language
from tokeff.corpora.textio import decode_utf8
from tokeff.errors import CorpusError, LanguageError

if TYPE_CHECKING:
    import pandas as pd

TABLE_SUFFIXES = (".tsv", ".csv", ".jsonl", ".parquet")
DOC_COLUMNS = ("doc_id", "document", "document_id")
DOMAIN_COLUMNS = ("domain",)
# Field names that langcodes would read as language tags (id = Indonesian, no = Norwegian...)
# but that in a table are ids, links or labels: never languages.
NOT_LANGUAGES = {"id", "url", "uri", "src", "tgt", "source", "target", "no", "nan", "na", "index", "idx",
                 "text", "split", "note", "notes", "label", "lang", "language", "key", "type", "name",
                 "title", "date", "topic", "tag", "ref", "hyp", "sys", "row", "line", "segment", "seg"}


# Of those, the ones a column may still be: `id` is Indonesian and `no` Norwegian when the column
# holds sentences (most cells have a space and a letter), never when it holds identifiers.
PROSE_LANGUAGES = {"id", "no"}


def _prose(values: pd.Series) -> bool:
    cells = [v for v in values if isinstance(v, str) and v.strip()]
    return bool(cells) and sum(" " in v.strip() and any(c.isalpha() for c in v) for v in cells) >= 0.8 * len(cells)


def _read(path: Path) -> tuple[pd.DataFrame, list[int] | None]:
    """The table and the file line of each row (None for Parquet, which has no lines)."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path), None
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise CorpusError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from exc
    text = decode_utf8(path.read_bytes(), str(path))
    if suffix == ".jsonl":
        records, lines = [], []
        for lineno, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{lineno}: not a JSON object: {exc.msg}") from exc
            if not isinstance(rec, dict):
                raise CorpusError(f"{path}:{lineno}: not a JSON object")
            records.append(rec)
            lines.append(lineno)
        return pd.DataFrame.from_records(records), lines
    # CSV (quoted fields allowed) or TSV (plain fields, no quoting, so text may hold quote marks)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",",
                        quoting=csv.QUOTE_NONE if suffix == ".tsv" else csv.QUOTE_MINIMAL)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise CorpusError(f"{path}: empty file") from exc
    rows, lines = [], []
    for row in reader:
        if len(row) != len(header):
            raise CorpusError(f"{path}:{reader.line_num}: {len(row)} fields, but the header has {len(header)}")
        rows.append(row)
        lines.append(reader.line_num)
    return pd.DataFrame(rows, columns=header, dtype=str), lines


def frame_to_corpus(df: pd.DataFrame, name: str, origin: str, lines: Sequence[int] | None = None,
                    languages: Sequence[str] | None = None) -> Corpus:
    """Turn a wide table (one column per language) into a Corpus."""

    lang_cols: dict[str, str] = {}
    doc_col = next((c for c in df.columns if str(c).lower() in DOC_COLUMNS), None)
    dom_col = next((c for c in df.columns if str(c).lower() in DOMAIN_COLUMNS), None)
    for col in df.columns:
        label = str(col).strip().lower()
        if col in (doc_col, dom_col) or (label in NOT_LANGUAGES and not (label in PROSE_LANGUAGES and _prose(df[col]))):
            continue
        try:
            tag = normalize_language(str(col))
        except LanguageError:
            continue
        if tag in lang_cols:
            raise CorpusError(f"{origin}: columns {lang_cols[tag]!r} and {col!r} are both language {tag}")
        lang_cols[tag] = col
    if not lang_cols:
        raise CorpusError(f"{origin}: no column is named by a language tag (columns: {list(df.columns)})")
    wanted = expand_languages(languages, list(lang_cols), origin) or list(lang_cols)
    missing = [w for w in wanted if w not in lang_cols]
    if missing:
        raise LanguageError(f"{origin}: no column for {', '.join(missing)}; has {', '.join(lang_cols)}"
                            + did_you_mean(missing, list(lang_cols)))
    cols = []
    for lang in wanted:
        series = df[lang_cols[lang]]
        where = f"{origin} column {lang_cols[lang]!r} " + ("line" if lines is not None else "row")
        texts = [cell_text(v, where, lines[i] if lines is not None else i + 1) for i, v in enumerate(series)]
        cols.append(Column(lang, texts, where, 1, lines))
    doc_ids = [str(v) for v in df[doc_col]] if doc_col is not None else None
    domains = [str(v) for v in df[dom_col]] if dom_col is not None else None
    return build_corpus(name, cols, doc_ids=doc_ids, domains=domains, source=origin)


def cell_text(value: object, where: str, at: int) -> str:
    """A language cell as text: a string as is, bytes decoded as strict UTF-8, missing as "" (an
    empty segment, refused later); numbers, lists and the like are refused, never turned into their
    Python repr (which would be counted as if it were the sentence)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return decode_utf8(bytes(value), f"{where} {at}")
    raise CorpusError(f"{where} {at}: a {type(value).__name__} value ({str(value)[:40]!r}), not text; "
                      "a language column must hold text")


def load_table(path: str | Path, languages: Sequence[str] | None = None) -> Corpus:
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise CorpusError(f"{path}: unknown table type; use one of {', '.join(TABLE_SUFFIXES)}")
    df, lines = _read(path)
    return frame_to_corpus(df, path.stem, str(path), lines, languages)
