"""Measure corpora larger than memory: read aligned files in chunks, count each chunk, keep only
running totals per document (the bootstrap's clusters), and write the per-segment table to
Parquet chunk by chunk. Peak memory depends on the chunk size and the number of documents,
not on the corpus size.

Without document ids, consecutive blocks of `block` segments are the bootstrap clusters (a
block bootstrap; recorded in `ci_method`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tokeff.corpus import Column, ContentDigest, build_corpus
from tokeff.counting import count_segments
from tokeff.errors import AlignmentError, CorpusError
from tokeff.languages import normalize_language
from tokeff.loaders.native import read_manifest
from tokeff.measure import DEFAULT_RESAMPLES, DEFAULT_SEED, resolve_tokenizers, summarize
from tokeff.tokenizer import Tokenizer

StreamProgress = Callable[["Totals"], None]


@dataclass
class Totals:
    """Running totals, reported after each chunk."""

    segments: int = 0
    bytes_read: int = 0
    tokens: dict[tuple[str, str], int] = field(default_factory=dict)  # (language, tokenizer) -> tokens


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a UTF-8 file, one line at a time (lines end at LF only, as in
    `split_lines`); invalid UTF-8 is an error naming the line."""
    lineno = 0
    try:
        with open(path, encoding="utf-8", newline="\n") as f:
            for lineno, text in enumerate(f, 1):
                if lineno == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                text = text[:-1] if text.endswith("\n") else text
                yield lineno, (text[:-1] if text.endswith("\r") else text)  # as split_lines: one CR
    except UnicodeDecodeError as exc:
        with open(path, "rb") as raw:  # the slow path, only to name the line
            for n, line in enumerate(raw, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    raise CorpusError(f"{path}:{n}: invalid UTF-8 ({exc.reason})") from exc
        raise CorpusError(f"{path}: invalid UTF-8 ({exc.reason})") from exc


def _doc_rows(docs: Path, default_domain: str) -> Iterator[tuple[str, str]]:
    """(doc_id, domain) of each segment from documents.tsv (header line skipped)."""
    rows = _lines(docs)
    header = next(rows, (1, ""))[1].split("\t")
    if not header or header[0] != "doc_id":
        raise CorpusError(f"{docs}:1: header must start with doc_id")
    for lineno, row in rows:
        parts = row.split("\t")
        if len(parts) != len(header) or not parts[0]:
            raise CorpusError(f"{docs}:{lineno}: expected {len(header)} fields ({', '.join(header)})")
        yield parts[0], (parts[1] if len(parts) > 1 and parts[1] else default_domain)


Chunk = tuple[dict[str, list[str]], list[str] | None, list[str], int]


def stream_files(files: dict[str, Path], docs: Path | None, default_domain: str, chunk: int) -> Iterator[Chunk]:
    """Aligned chunks: {language: texts}, their document ids (None without documents.tsv),
    their domains, and their UTF-8 bytes."""
    iters = {lang: _lines(p) for lang, p in files.items()}
    doc_iter = _doc_rows(docs, default_domain) if docs else None
    while True:
        texts: dict[str, list[str]] = {lang: [] for lang in files}
        ids: list[str] = []
        domains: list[str] = []
        size = 0
        for _ in range(chunk):
            rows = {lang: next(it, None) for lang, it in iters.items()}
            ended = [lang for lang, r in rows.items() if r is None]
            for lang, row in rows.items():  # an empty line is named before any misalignment
                if row is not None and not row[1].strip():
                    raise CorpusError(f"{files[lang]}:{row[0]}: empty segment")
            if ended:
                if len(ended) != len(rows):
                    first = next(r for r in rows.values() if r is not None)
                    raise AlignmentError(f"{files[ended[0]]}: ends before line {first[0]} of the other languages' files")
                if doc_iter is not None and next(doc_iter, None) is not None:
                    raise AlignmentError(f"{docs}: more document ids than segments")
                break
            for lang, row in rows.items():
                assert row is not None
                lineno, text = row
                if not text.strip():
                    raise CorpusError(f"{files[lang]}:{lineno}: empty segment")
                texts[lang].append(text)
                size += len(text.encode("utf-8"))
            if doc_iter is not None:
                doc = next(doc_iter, None)
                if doc is None:
                    raise AlignmentError(f"{docs}: fewer document ids than segments")
                ids.append(doc[0])
                domains.append(doc[1])
            else:
                domains.append(default_domain)
        if not next(iter(texts.values())):
            return
        yield texts, (ids if doc_iter is not None else None), domains, size


def measure_stream(folder: str | os.PathLike[str], tokenizers: Sequence[str | Tokenizer] | None = None,
                   reference: str = "en", *, languages: Sequence[str] | None = None, chunk: int = 20_000,
                   block: int = 1000, segments_out: str | os.PathLike[str] | None = None,
                   n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                   progress: StreamProgress | None = None) -> pd.DataFrame:
    """The ratio table of a corpus in tokeff's folder layout (corpus.yaml + <tag>.txt +
    documents.tsv), read `chunk` segments at a time; see the module docstring."""
    root = Path(folder)
    man = read_manifest(root)
    ref = normalize_language(reference)
    wanted = [normalize_language(x) for x in (languages or man.languages)]
    if ref not in wanted:
        wanted = [ref, *wanted]
    files = {lang: root / f"{lang}.txt" for lang in dict.fromkeys(wanted)}
    for lang, p in files.items():
        if not p.is_file():
            raise CorpusError(f"{root / 'corpus.yaml'}: no file {p.name} for language {lang}")
    docs_path = root / "documents.tsv"
    toks = resolve_tokenizers(tokenizers)
    writer = None
    per_cluster: list[pd.DataFrame] = []
    totals = Totals()
    label = None if docs_path.is_file() else f"block of {block} segments"
    start = 0
    digest = ContentDigest()
    try:
        docs = docs_path if docs_path.is_file() else None
        for texts, ids, domains, size in stream_files(files, docs, man.domain, chunk):
            for lang, t in texts.items():
                digest.add(f"lang:{lang}", t)
            if ids is not None:
                digest.add("docs", ids)
            digest.add("domains", domains)
            n = len(texts[ref])
            doc_ids = ids if ids is not None else [f"b{(start + i) // block}" for i in range(n)]
            corpus = build_corpus(man.name, [Column(lang, t, str(files[lang])) for lang, t in texts.items()],
                                  doc_ids=doc_ids, domains=domains)
            segs = count_segments([corpus], toks)
            segs["segment"] += start
            if segments_out is not None:
                writer = _write_chunk(writer, segs, Path(segments_out))
            per_cluster.append(_cluster_sums(segs))
            if len(per_cluster) > 8:  # keep the running per-cluster sums compact
                per_cluster = [_cluster_sums(pd.concat(per_cluster, ignore_index=True))]
            start += n
            totals.segments, totals.bytes_read = start, totals.bytes_read + size
            sums = segs.groupby(["language", "tokenizer"], observed=True)["tokens"].sum()
            for key, v in sums.items():
                pair = (str(key[0]), str(key[1]))  # type: ignore[index]
                totals.tokens[pair] = totals.tokens.get(pair, 0) + int(v)
            if progress:
                progress(totals)
    finally:
        if writer is not None:
            writer.close()
    if start == 0:
        raise CorpusError(f"{root}: the corpus has no segments")
    clusters = _cluster_sums(pd.concat(per_cluster, ignore_index=True))
    return summarize(clusters, reference=ref, n_resamples=n_resamples, seed=seed,
                     digests={man.name: digest.hexdigest()},
                     tokenizers={t.id: t for t in toks}, cluster_label=label)


def _cluster_sums(segs: pd.DataFrame) -> pd.DataFrame:
    """One row per corpus x document x language x tokenizer with summed measures and `n`
    segments; documents keep their order of first appearance."""
    if "n" not in segs.columns:
        segs = segs.assign(n=1)
    keys = ["corpus", "doc_id", "domain", "language", "tokenizer"]
    out = (segs.groupby(keys, observed=True, sort=False)[["chars", "bytes", "words", "tokens", "n", "segment"]]
           .agg({"chars": "sum", "bytes": "sum", "words": "sum", "tokens": "sum", "n": "sum", "segment": "min"})
           .reset_index())
    return out.sort_values(["segment", "language", "tokenizer"], kind="stable").reset_index(drop=True)


def _write_chunk(writer, segs: pd.DataFrame, path: Path):  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(segs.astype({c: "string" for c in ("corpus", "doc_id", "domain", "language",
                                                                      "tokenizer")}), preserve_index=False)
    if writer is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table)
    return writer

