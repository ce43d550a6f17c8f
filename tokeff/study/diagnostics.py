"""Diagnostics beside every measurement: how well each tokenizer covers each language's text.

One row per corpus x language x tokenizer (columns DIAGNOSTIC_COLUMNS):

| column | meaning |
|---|---|
| `unk_rate` | share of tokens that are the tokenizer's unknown token (NaN when it has none: byte-level BPE can spell every text) |
| `byte_fallback_share` | share of tokens that are SentencePiece-style byte-fallback pieces (`<0xE3>`) |
| `partial_utf8_share` | share of tokens whose bytes are not a complete UTF-8 sequence on their own (a character split across tokens: byte-level BPE pieces such as o200k_base's `b'\\xe9\\xac'`, and byte-fallback pieces of bytes >= 0x80) |
| `round_trip_share` | share of segments where decode(encode(x)) == x |
| `unknown_char_share` | share of the text's characters (code points) covered by unknown tokens |

Everything is computed from the token ids of one encode per distinct segment per tokenizer
(SentencePiece models that can emit an unknown token are encoded once to their serialized
proto, which carries both the ids and each piece's byte span). The token counts made on the
way are written to the count cache, so a `count_segments` afterwards does not tokenize again.

`apply_exclusions` marks the (language, tokenizer) pairs whose text is more than 10% unknown
characters, as Petrov et al. (2023, "Language Model Tokenizers Introduce Unfairness Between
Languages") excluded them from their comparison: such a premium counts unknown tokens, not the
language.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tokeff._util.cache import CountCache, text_key
from tokeff.corpora.corpus import Corpus
from tokeff.study.counting import Progress
from tokeff.study.segments import SegmentTable
from tokeff.tokenizers.inspect import Inspector, inspector_for
from tokeff.tokenizers.tokenizer import Tokenizer

DIAGNOSTIC_COLUMNS = [
    "corpus", "language", "tokenizer", "segments", "chars", "tokens",
    "unk_tokens", "byte_fallback_tokens", "partial_utf8_tokens", "round_trip_segments", "unknown_chars",
    "unk_rate", "byte_fallback_share", "partial_utf8_share", "round_trip_share", "unknown_char_share",
]
EXCLUSION_THRESHOLD = 0.10
"""A pair whose text is more than this share unknown characters is excluded (Petrov et al. 2023)."""

# --------------------------------------------------------------------------- the table

_DIAG_SEGMENT_COLUMNS = ["tokens", "unk_tokens", "byte_fallback_tokens", "partial_utf8_tokens",
                         "round_trip", "unknown_chars"]


def diagnose_texts(tok: Tokenizer, texts: Sequence[str], *, cache: CountCache | None = None,
                   keys: Sequence[bytes] | None = None, inspector: Inspector | None = None) -> pd.DataFrame:
    """Per-text diagnostics (columns: chars, tokens, unk_tokens, byte_fallback_tokens,
    partial_utf8_tokens, round_trip, unknown_chars), each distinct text encoded once.
    Token counts are written to `cache` (the same counts `count_segments` would make)."""
    distinct = list(dict.fromkeys(texts))
    insp = inspector or inspector_for(tok)
    rows: dict[str, tuple[int, int, int, int, bool, int]] = {}
    for text, (ids, unknown) in zip(distinct, insp.analyze(distinct), strict=True):
        n_unk = n_byte = n_part = 0
        for i in ids:
            if i == insp.unk_id:
                n_unk += 1
            is_byte, partial = insp.flags(i)
            n_byte += is_byte
            n_part += partial
        rows[text] = (len(ids), n_unk, n_byte, n_part, tok.decode(ids) == text, unknown)
    if cache is not None:
        kmap = dict(zip(texts, keys, strict=True)) if keys is not None else {t: text_key(t) for t in distinct}
        cache.put_many(tok.fingerprint, [(kmap[t], r[0]) for t, r in rows.items()])
    table = pd.DataFrame([rows[t] for t in texts], columns=_DIAG_SEGMENT_COLUMNS)
    table.insert(0, "chars", np.fromiter((len(t) for t in texts), np.int64, len(texts)))
    return table


def diagnose(corpus: str | Corpus | Sequence[str | Corpus],
             tokenizers: Sequence[str | Tokenizer] | str | Tokenizer, *,
             languages: Sequence[str] | None = None, cache: bool | CountCache = True,
             online: bool | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """The diagnostics table: one row per corpus x language x tokenizer (DIAGNOSTIC_COLUMNS),
    for corpora and tokenizers read as `tokeff.measure` reads them (`load_study`).

    With `cache` (True, the default, or a CountCache) the token counts made here are stored, so
    a `measure` / `count_segments` run after it reads them instead of tokenizing again."""
    from tokeff.study.run import load_study, open_cache

    corpora, toks = load_study(corpus, tokenizers, None, languages=languages, online=online)
    return diagnose_corpora(corpora, toks, cache=open_cache(cache), progress=progress)


def diagnose_corpora(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *,
                     cache: CountCache | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """`diagnose` for loaded corpora and tokenizers (what `measure` calls)."""
    rows = []
    inspectors = {tok.id: inspector_for(tok) for tok in tokenizers}
    for c in corpora:
        for lang, texts in c.texts.items():
            keys = [text_key(t) for t in texts] if cache is not None else None
            for tok in tokenizers:
                insp = inspectors[tok.id]
                seg = diagnose_texts(tok, texts, cache=cache, keys=keys, inspector=insp)
                rows.append(_summary_row(c.name, lang, tok.id, seg, has_unk=insp.unk_id is not None))
                if progress:
                    progress(f"diagnostics {c.name} {lang} {tok.id}", len(texts))
    return pd.DataFrame(rows, columns=DIAGNOSTIC_COLUMNS)


def _summary_row(corpus: str, lang: str, tok_id: str, seg: pd.DataFrame, *, has_unk: bool) -> dict[str, object]:
    tokens = int(seg["tokens"].sum())
    chars = int(seg["chars"].sum())
    unk = int(seg["unk_tokens"].sum())
    byte = int(seg["byte_fallback_tokens"].sum())
    part = int(seg["partial_utf8_tokens"].sum())
    rt = int(seg["round_trip"].sum())
    unknown = int(seg["unknown_chars"].sum())

    def share(n: int, d: int) -> float:
        return n / d if d else float("nan")

    return {
        "corpus": corpus, "language": lang, "tokenizer": tok_id, "segments": len(seg), "chars": chars,
        "tokens": tokens, "unk_tokens": unk, "byte_fallback_tokens": byte, "partial_utf8_tokens": part,
        "round_trip_segments": rt, "unknown_chars": unknown,
        "unk_rate": share(unk, tokens) if has_unk else float("nan"),
        "byte_fallback_share": share(byte, tokens), "partial_utf8_share": share(part, tokens),
        "round_trip_share": share(rt, len(seg)), "unknown_char_share": share(unknown, chars),
    }


def apply_exclusions(ratios: pd.DataFrame, diagnostics: pd.DataFrame, *,
                     threshold: float = EXCLUSION_THRESHOLD) -> pd.DataFrame:
    """The ratio table with `excluded` (bool) and `exclusion_reason` (str, empty when kept).

    A row is excluded when its language's text, or its reference language's text, is more than
    `threshold` unknown characters under that tokenizer (Petrov et al. 2023 excluded such
    pairs): its premium would count unknown tokens rather than the language. The numbers are
    kept; report and cost code should leave excluded rows out of any premium they show."""
    share = {(str(r["corpus"]), str(r["language"]), str(r["tokenizer"])): float(r["unknown_char_share"])
             for r in diagnostics.to_dict("records")}
    excluded, reasons = [], []
    for r in ratios.itertuples(index=False):
        why = []
        ref = str(getattr(r, "reference", "") or "")
        checks = [str(r.language)] + ([ref] if ref and ref != str(r.language) else [])
        for lang in checks:
            s = share.get((str(r.corpus), lang, str(r.tokenizer)))
            if s is not None and s > threshold:
                side = "" if lang == str(r.language) else "reference "
                why.append(f"{side}{lang} text is {s:.1%} unknown characters under {r.tokenizer} "
                           f"(> {threshold:.0%}; excluded as in Petrov et al. 2023)")
        excluded.append(bool(why))
        reasons.append("; ".join(why))
    out = ratios.copy()
    out["excluded"] = excluded
    out["exclusion_reason"] = reasons
    return out


def count_with_diagnostics(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *,
                           cache: CountCache | None = None,
                           progress: Progress | None = None) -> tuple[SegmentTable, pd.DataFrame]:
    """(per-segment table, diagnostics table) with each segment tokenized at most once per
    tokenizer: diagnostics encode and store the counts, `count_table` then reads them (from
    `cache`, or from a temporary cache removed afterwards when `cache` is None)."""
    import tempfile
    from pathlib import Path

    from tokeff.study.counting import count_table

    if cache is not None:
        diag = diagnose_corpora(corpora, tokenizers, cache=cache, progress=progress)
        return count_table(corpora, tokenizers, cache=cache), diag
    with tempfile.TemporaryDirectory(prefix="tokeff-diag-") as tmp:
        store = CountCache(Path(tmp) / "counts.sqlite")
        try:
            diag = diagnose_corpora(corpora, tokenizers, cache=store, progress=progress)
            segments = count_table(corpora, tokenizers, cache=store)
        finally:
            store.close()
    return segments, diag
