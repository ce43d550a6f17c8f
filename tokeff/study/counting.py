"""Count tokens once per segment into a per-segment table.

Every ratio, CI and cost is computed later from this table (as sacrebleu extracts segment
statistics once and aggregates them separately). Counts come from the on-disk cache when
present; only missing texts are tokenized, and a tokenizer is loaded only if something is
missing for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tokeff._util.cache import CountCache, text_key
from tokeff.corpora.corpus import Corpus
from tokeff.errors import EmptyTextError
from tokeff.study.segments import SEGMENT_COLUMNS, SegmentTable
from tokeff.tokenizers.tokenizer import Tokenizer

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str, int], None]
"""Called as progress(label, segments_done_since_last_call)."""

__all__ = ["SEGMENT_COLUMNS", "Progress", "count_segments", "count_table", "count_text", "count_texts"]


def count_texts(tokenizer: Tokenizer, texts: Sequence[str], cache: CountCache | None = None,
                keys: Sequence[bytes] | None = None) -> list[int]:
    """Token counts of `texts`, each distinct text tokenized at most once, cache first.

    `keys` (the texts' cache keys, `text_key`) may be passed when several tokenizers count the
    same texts, so they are hashed once."""
    if not texts:
        return []
    if cache is None:
        distinct = list(dict.fromkeys(texts))
        by_text = dict(zip(distinct, tokenizer.count(distinct), strict=True))
        return [by_text[t] for t in texts]
    keys = list(keys) if keys is not None else [text_key(t) for t in texts]
    unique: dict[bytes, str] = dict(zip(keys, texts, strict=True))
    found: dict[bytes, int] = cache.get_many(tokenizer.fingerprint, list(unique))
    missing = [k for k in unique if k not in found]
    if missing:
        counts = tokenizer.count([unique[k] for k in missing])
        fresh = dict(zip(missing, counts, strict=True))
        cache.put_many(tokenizer.fingerprint, fresh.items())
        found.update(fresh)
    return [found[k] for k in keys]


class _Codes:
    """Category codes in order of first appearance (the table keeps input order)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.chunks: list[npt.NDArray[np.int32]] = []

    def codes(self, values: Sequence[str]) -> npt.NDArray[np.int32]:
        return np.fromiter((self.index.setdefault(v, len(self.index)) for v in values), np.int32, len(values))

    def add_codes(self, codes: npt.NDArray[np.int32], repeat: int = 1) -> None:
        self.chunks.append(np.tile(codes, repeat) if repeat > 1 else codes)

    def add_one(self, value: str, count: int) -> None:
        self.chunks.append(np.full(count, self.index.setdefault(value, len(self.index)), np.int32))

    def array(self) -> npt.NDArray[np.int32]:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int32)


def count_segments(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *,
                   cache: CountCache | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """The per-segment table: one row per corpus x segment x language x tokenizer with
    chars, UTF-8 bytes, whitespace words, and tokens (columns SEGMENT_COLUMNS), as pandas."""
    return count_table(corpora, tokenizers, cache=cache, progress=progress).to_frame()


def count_table(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *,
                cache: CountCache | None = None, progress: Progress | None = None) -> SegmentTable:
    """`count_segments` as plain columns (what the ratio table is computed from).

    Each distinct text is counted once per tokenizer per call (a text repeated across corpora,
    as in a pooled corpus, is looked up once), and columns are built as arrays, not per row."""
    cols = {c: _Codes() for c in ("corpus", "doc_id", "domain", "language", "tokenizer")}
    nums: dict[str, list[np.ndarray]] = {c: [] for c in ("segment", "chars", "bytes", "words", "tokens")}
    seen: dict[str, dict[str, int]] = {t.id: {} for t in tokenizers}  # this call's counts by text
    n_tok = len(tokenizers)
    for corpus in corpora:
        n = len(corpus)
        docs = corpus.doc_ids or [""] * n  # no documents: the bootstrap resamples segments
        domains = corpus.domains or [str(corpus.meta.get("domain", ""))] * n
        doc_codes, domain_codes = cols["doc_id"].codes(docs), cols["domain"].codes(domains)  # once per corpus
        # one call per tokenizer over every language's texts (fewer calls, warmer caches)
        every = [t for texts in corpus.texts.values() for t in texts]
        keys: dict[str, bytes] = {}  # cache keys, hashed once for all tokenizers
        counted = [_count_all(tok, every, seen[tok.id], cache, keys, len(corpora) == 1, progress, corpus.name)
                   for tok in tokenizers]
        for li, (lang, texts) in enumerate(corpus.texts.items()):
            block = n * n_tok
            cols["corpus"].add_one(corpus.name, block)
            cols["language"].add_one(lang, block)
            cols["doc_id"].add_codes(doc_codes, n_tok)
            cols["domain"].add_codes(domain_codes, n_tok)
            nums["segment"].append(np.tile(np.arange(n, dtype=np.int64), n_tok))
            for name, fn in (("chars", len), ("bytes", _utf8_len), ("words", _words)):
                nums[name].append(np.tile(np.fromiter(map(fn, texts), np.int64, n), n_tok))
            for tok, counts in zip(tokenizers, counted, strict=True):
                cols["tokenizer"].add_one(tok.id, n)
                nums["tokens"].append(counts[li * n : (li + 1) * n])
    return SegmentTable(codes={c: k.array() for c, k in cols.items()},
                        categories={c: list(k.index) for c, k in cols.items()},
                        numbers={c: np.concatenate(v) if v else np.zeros(0, np.int64) for c, v in nums.items()})


# Texts per count call: large enough for the tokenizers' own batching and threads, small enough
# for the progress bar to move on a large corpus.
STEP = 20_000


def _count_all(tok: Tokenizer, texts: list[str], memo: dict[str, int], cache: CountCache | None,
               keys: dict[str, bytes], alone: bool, progress: Progress | None, label: str) -> npt.NDArray[np.int64]:
    """Counts of `texts` by `tok`: straight through when nothing can be shared (no cache, one
    corpus), else each distinct text once, from `memo` (this call's counts) and the cache first."""
    def step(done: int) -> None:
        if progress:
            progress(f"{label} {tok.id}", done)

    if cache is None and alone:
        counts = np.empty(len(texts), dtype=np.int64)
        for i in range(0, len(texts), STEP):
            counts[i : i + STEP] = tok.count(texts[i : i + STEP])
            step(len(texts[i : i + STEP]))
        return counts
    todo = [t for t in dict.fromkeys(texts) if t not in memo]
    for i in range(0, len(todo), STEP):
        part = todo[i : i + STEP]
        if cache is not None:
            keys.update((t, text_key(t)) for t in part if t not in keys)
        memo.update(zip(part, count_texts(tok, part, cache, [keys[t] for t in part] if cache is not None else None),
                        strict=True))
        step(len(part))
    step(len(texts) - len(todo))  # the rest were repeats or counted before
    return np.fromiter((memo[t] for t in texts), np.int64, len(texts))


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _words(text: str) -> int:
    return len(text.split())


def count_text(tokenizer: Tokenizer, text: str) -> int:
    """Tokens of one text (the `tokeff count` command); empty text is an error."""
    if not text:
        raise EmptyTextError("nothing to count: the text is empty")
    return tokenizer.count([text])[0]
