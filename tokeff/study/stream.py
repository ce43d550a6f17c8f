"""Measure corpora larger than memory: read aligned files in chunks, count each chunk, keep only
each document's token sums (the bootstrap's clusters: 8 bytes per document per language x
tokenizer) and running totals, and write the per-segment table to Parquet chunk by chunk. Peak
memory is set by the chunk size; what grows with the corpus is those few bytes per document.

Without document ids, consecutive blocks of `block` segments are the bootstrap clusters (a
block bootstrap; recorded in `ci_method`)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tokeff._util.tableio import atomic_path
from tokeff.corpora.corpus import Column, ContentDigest, build_corpus
from tokeff.corpora.languages import expand_languages, normalize_language
from tokeff.corpora.loaders.native import read_manifest
from tokeff.corpora.textio import line_batches, read_documents
from tokeff.errors import AlignmentError, CorpusError, UsageError
from tokeff.study.counting import count_table
from tokeff.study.run import DEFAULT_RESAMPLES, DEFAULT_SEED, resolve_tokenizers, rows_frame
from tokeff.study.segments import SEGMENT_COLUMNS, SegmentTable
from tokeff.study.signature import Signature
from tokeff.study.stats import IntArray, Resampler
from tokeff.study.summary import Block, group_rows
from tokeff.tokenizers.tokenizer import Tokenizer

if TYPE_CHECKING:
    import pandas as pd

StreamProgress = Callable[["Totals"], None]


@dataclass
class Totals:
    """Running totals, reported after each chunk."""

    segments: int = 0
    bytes_read: int = 0
    tokens: dict[tuple[str, str], int] = field(default_factory=dict)  # (language, tokenizer) -> tokens


Chunk = tuple[dict[str, list[str]], list[str] | None, list[str]]


def stream_files(files: dict[str, Path], docs: Path | None, default_domain: str, chunk: int) -> Iterator[Chunk]:
    """Aligned chunks: {language: texts}, their document ids (None without documents.tsv) and
    their domains. An empty segment is named before a misalignment on the same line."""
    its = {lang: line_batches(p, chunk) for lang, p in files.items()}
    doc_rows = read_documents(docs, default_domain) if docs else None
    done = 0  # lines already read from each file
    while True:
        texts = {lang: next(it, []) for lang, it in its.items()}
        sizes = [len(t) for t in texts.values()]
        short = min(sizes)
        empty = [(i, lang) for lang, t in texts.items() if not all(map(str.strip, t))
                 for i in [next(i for i, x in enumerate(t) if not x.strip())]]
        if empty and min(empty)[0] <= short:
            i, _ = min(empty)
            lang = next(lang for j, lang in empty if j == i)  # the first such language, in order
            raise CorpusError(f"{files[lang]}:{done + i + 1}: empty segment")
        if short != max(sizes):
            ended = next(lang for lang, t in texts.items() if len(t) == short)
            raise AlignmentError(f"{files[ended]}: ends before line {done + short + 1} of the other languages' files")
        if short == 0:
            if doc_rows is not None and next(doc_rows, None) is not None:
                raise AlignmentError(f"{docs}: more document ids than segments")
            return
        if doc_rows is None:
            ids, domains = None, [default_domain] * short
        else:
            rows = list(islice(doc_rows, short))  # exactly this chunk's rows
            if len(rows) < short:
                raise AlignmentError(f"{docs}: fewer document ids than segments")
            ids, domains = [r[0] for r in rows], [r[1] for r in rows]
        done += short
        yield texts, ids, domains


class _ClusterSums:
    """Token sums per bootstrap cluster for each language x tokenizer, kept as int64 chunks:
    8 bytes per cluster per pair, plus 8 bytes per cluster for the contiguity check. A cluster
    is a run of segments with the same document id (or a block of segments)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.sums: dict[tuple[str, str], list[IntArray]] = {p: [] for p in pairs}
        self.hashes: list[npt.NDArray[np.uint64]] = []
        self.n = 0
        self.last: str | None = None

    def clusters_of(self, ids: list[str]) -> IntArray:
        """Cluster index of each segment of a chunk; a run continuing from the last chunk keeps
        its cluster."""
        new = [i for i in range(len(ids)) if ids[i] != (ids[i - 1] if i else self.last)]
        starts = np.zeros(len(ids), dtype=np.int64)
        starts[new] = 1
        first = self.n - 1 if (not new or new[0] != 0) else self.n  # the first run may continue
        self.hashes.append(np.fromiter((_hash64(ids[i]) for i in new), np.uint64, len(new)))
        self.n += len(new)
        self.last = ids[-1]
        return first + np.cumsum(starts) - (1 if new and new[0] == 0 else 0)

    def add(self, pair: tuple[str, str], clusters: IntArray, tokens: IntArray) -> None:
        base = int(clusters[0])
        sums = np.bincount(clusters - base, weights=tokens).astype(np.int64)
        chunks = self.sums[pair]
        if chunks and base < sum(len(c) for c in chunks):  # the run continues the last cluster
            chunks[-1][-1] += sums[0]
            sums = sums[1:]
        if len(sums):
            chunks.append(sums)

    def tokens(self, pair: tuple[str, str]) -> IntArray:
        parts = self.sums[pair]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def repeated(self) -> bool:
        """Whether some cluster id (by its 64-bit hash) starts two separate runs."""
        h = np.concatenate(self.hashes) if self.hashes else np.zeros(0, np.uint64)
        return len(np.unique(h)) != len(h)


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _split_document(docs: Path) -> tuple[str, int, int] | None:
    """(doc_id, line where its first run ends, line where it starts again) of the first document
    whose segments are not together in documents.tsv; None if there is none."""
    ended: dict[str, int] = {}
    last, last_line = None, 0
    for lineno, (doc, _) in enumerate(read_documents(docs, ""), 2):
        if doc != last:
            if doc in ended:
                return doc, ended[doc], lineno
            if last is not None:
                ended[last] = last_line
            last = doc
        last_line = lineno
    return None


def measure_stream(folder: str | os.PathLike[str], tokenizers: Sequence[str | Tokenizer] | None = None,
                   reference: str = "en", *, languages: Sequence[str] | None = None, chunk: int = 20_000,
                   block: int = 1000, segments_out: str | os.PathLike[str] | None = None,
                   n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                   progress: StreamProgress | None = None) -> pd.DataFrame:
    """The ratio table of a corpus in tokeff's folder layout (corpus.yaml + <tag>.txt +
    documents.tsv), read `chunk` segments at a time; see the module docstring. A document's
    segments must be together in the files (as the in-memory loader groups them anyway).
    `segments_out` (Parquet) is written to a temporary file and renamed over the target only
    when the whole corpus has been read, so an error or Ctrl-C never leaves half a file."""
    if segments_out is None:
        return _measure(folder, tokenizers, reference, languages, chunk, block, None, n_resamples, seed, progress)
    if Path(segments_out).suffix.lower() != ".parquet":
        raise UsageError(f"{segments_out}: --stream writes the per-segment counts as Parquet; name a .parquet file")
    with atomic_path(segments_out) as tmp:
        return _measure(folder, tokenizers, reference, languages, chunk, block, tmp, n_resamples, seed, progress)


def _measure(folder: str | os.PathLike[str], tokenizers: Sequence[str | Tokenizer] | None, reference: str,
             languages: Sequence[str] | None, chunk: int, block: int, segments_out: Path | None,
             n_resamples: int, seed: int, progress: StreamProgress | None) -> pd.DataFrame:
    root = Path(folder)
    man = read_manifest(root)
    ref = normalize_language(reference)
    wanted = expand_languages(languages, man.languages, str(root)) or list(man.languages)
    if ref not in wanted:
        wanted = [ref, *wanted]
    files = {lang: root / f"{lang}.txt" for lang in dict.fromkeys(wanted)}
    for lang, p in files.items():
        if not p.is_file():
            raise CorpusError(f"{root / 'corpus.yaml'}: no file {p.name} for language {lang}")
    docs_path = root / "documents.tsv"
    docs = docs_path if docs_path.is_file() else None
    toks = resolve_tokenizers(tokenizers)
    langs = list(files)
    pairs = [(lang, t.id) for t in toks for lang in langs]
    sums = _ClusterSums(pairs)
    chars = dict.fromkeys(langs, 0)
    nbytes = dict.fromkeys(langs, 0)
    ref_words = 0
    domains: set[str] = set()
    writer = None
    totals = Totals()
    start = 0
    digest = ContentDigest()
    try:
        for texts, ids, doms in stream_files(files, docs, man.domain, chunk):
            for lang, t in texts.items():
                digest.add(f"lang:{lang}", t)
            if ids is not None:
                digest.add("docs", ids)
            digest.add("domains", doms)
            domains.update(doms)
            n = len(texts[ref])
            doc_ids = ids if ids is not None else [f"b{(start + i) // block}" for i in range(n)]
            corpus = build_corpus(man.name, [Column(lang, t, str(files[lang])) for lang, t in texts.items()],
                                  doc_ids=doc_ids, domains=doms)
            table = count_table([corpus], toks)
            table.numbers["segment"] += start
            if segments_out is not None:
                writer = _write_chunk(writer, table, Path(segments_out))
            clusters = sums.clusters_of(doc_ids)
            for li, lang in enumerate(langs):  # rows come language by language, tokenizer by tokenizer
                first = slice(li * len(toks) * n, (li * len(toks) + 1) * n)
                chars[lang] += int(table.numbers["chars"][first].sum())
                nbytes[lang] += int(table.numbers["bytes"][first].sum())
                if lang == ref:
                    ref_words += int(table.numbers["words"][first].sum())
                for ti, tok in enumerate(toks):
                    part = slice((li * len(toks) + ti) * n, (li * len(toks) + ti + 1) * n)
                    tokens = table.numbers["tokens"][part]
                    sums.add((lang, tok.id), clusters, tokens)
                    totals.tokens[(lang, tok.id)] = totals.tokens.get((lang, tok.id), 0) + int(tokens.sum())
            start += n
            totals.segments, totals.bytes_read = start, sum(nbytes.values())
            if progress:
                progress(totals)
    finally:
        if writer is not None:
            writer.close()
    if start == 0:
        raise CorpusError(f"{root}: the corpus has no segments")
    if sums.repeated() and docs is not None and (split := _split_document(docs)) is not None:
        doc, ended, again = split
        raise CorpusError(f"{docs}:{again}: document {doc!r} starts again after other documents (its segments "
                          f"before ended at line {ended}); --stream needs each document's segments together")
    label = None if docs is not None else f"block of {block} segments"
    sig = Signature(ref, int(n_resamples), int(seed))
    resampler = Resampler.from_codes(np.arange(sums.n), sums.n, sig.n_resamples, sig.seed, label=label)
    blocks = [Block(lang, tok_id, sums.tokens((lang, tok_id)), start, chars[lang], nbytes[lang])
              for lang, tok_id in pairs]
    domain = next(iter(domains)) if len(domains) == 1 else "mixed"
    rows = group_rows(man.name, domain, blocks, resampler, sig, ref_words=ref_words, ref_chars=chars[ref],
                      digest=digest.hexdigest(), tokenizers={t.id: t for t in toks})
    return rows_frame(rows)


def _write_chunk(writer, table: SegmentTable, path: Path):  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {}
    for c in SEGMENT_COLUMNS:
        if c in table.codes:
            columns[c] = pa.DictionaryArray.from_arrays(table.codes[c], list(table.categories[c])).dictionary_decode()
        else:
            columns[c] = pa.array(table.numbers[c])
    chunk = pa.table(columns)
    if writer is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = pq.ParquetWriter(path, chunk.schema)
    writer.write_table(chunk)
    return writer
