"""Count tokens once per segment into a per-segment table.

Every ratio, CI and cost is computed later from this table (as sacrebleu extracts segment
statistics once and aggregates them separately). Counts come from the on-disk cache when
present; only missing texts are tokenized, and a tokenizer is loaded only if something is
missing for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from tokeff.cache import CountCache, text_key
from tokeff.corpus import Corpus
from tokeff.errors import EmptyTextError
from tokeff.tokenizer import Tokenizer

Progress = Callable[[str, int], None]
"""Called as progress(label, segments_done_since_last_call)."""

SEGMENT_COLUMNS = ["corpus", "segment", "doc_id", "domain", "language", "tokenizer",
                   "chars", "bytes", "words", "tokens"]


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


def count_segments(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *,
                   cache: CountCache | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """The per-segment table: one row per corpus x segment x language x tokenizer with
    chars, UTF-8 bytes, whitespace words, and tokens (columns SEGMENT_COLUMNS)."""
    frames = []
    for corpus in corpora:
        n = len(corpus)
        seg = np.arange(n, dtype=np.int64)
        docs = corpus.doc_ids or [""] * n  # no documents: the bootstrap resamples segments
        domains = corpus.domains or [str(corpus.meta.get("domain", ""))] * n
        for lang, texts in corpus.texts.items():
            chars = np.fromiter((len(t) for t in texts), np.int64, n)
            nbytes = np.fromiter((len(t.encode("utf-8")) for t in texts), np.int64, n)
            words = np.fromiter((len(t.split()) for t in texts), np.int64, n)
            keys = [text_key(t) for t in texts] if cache is not None else None
            for tok in tokenizers:
                label = f"{corpus.name} {lang} {tok.id}"
                tokens = np.asarray(count_texts(tok, texts, cache, keys), dtype=np.int64)
                frames.append(pd.DataFrame({
                    "corpus": corpus.name, "segment": seg, "doc_id": docs, "domain": domains,
                    "language": lang, "tokenizer": tok.id, "chars": chars, "bytes": nbytes,
                    "words": words, "tokens": tokens,
                }))
                if progress:
                    progress(label, n)
    if not frames:
        return pd.DataFrame({c: [] for c in SEGMENT_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    for col in ("corpus", "doc_id", "domain", "language", "tokenizer"):
        out[col] = pd.Categorical(out[col], categories=pd.unique(out[col]))  # keep input order
    return out


def count_text(tokenizer: Tokenizer, text: str) -> int:
    """Tokens of one text (the `tokeff count` command); empty text is an error."""
    if not text:
        raise EmptyTextError("nothing to count: the text is empty")
    return tokenizer.count([text])[0]
