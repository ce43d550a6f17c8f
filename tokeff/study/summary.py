"""Summarize: the per-segment table -> the rows of the tidy ratio table (one per corpus x
language x tokenizer, one field per measure), in numpy only.

`ratio_rows` groups a `SegmentTable`; `group_rows` makes the rows of one group from its
per-language sums and is shared with the streaming path, which keeps per-document sums
instead of segments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tokeff.errors import LanguageError, UsageError
from tokeff.study.segments import SegmentTable
from tokeff.study.signature import Signature
from tokeff.study.stats import IntArray, Resampler, premium

if TYPE_CHECKING:
    from tokeff.tokenizers.tokenizer import Tokenizer

# The ratio table's columns: JSON type and meaning (the export schema is built from this).
RATIO_FIELDS: dict[str, tuple[str, str]] = {
    "corpus": ("string", "corpus name (a shipped corpus, a file stem, or `all-shipped` for the pooled corpora)"),
    "domain": ("string", "domain of the rows (`mixed` when a corpus spans several)"),
    "language": ("string", "BCP-47 tag of the language measured"),
    "tokenizer": ("string", "tokenizer id in tokenizer_registry.yaml"),
    "status": ("string", "exact | proxy | api: whether the tokenizer is the provider's own"),
    "segments": ("integer", "aligned segments counted"),
    "chars": ("integer", "Unicode code points of the language's side"),
    "bytes": ("integer", "UTF-8 bytes of the language's side"),
    "tokens": ("integer", "tokens of the language's side (no special tokens)"),
    "chars_per_token": ("number", "chars / tokens"),
    "bytes_per_token": ("number", "bytes / tokens"),
    "tokens_per_segment": ("number", "tokens / segments"),
    "premium": ("number", "tokens / reference_tokens: same content, same tokenizer (ratio of sums)"),
    "premium_low": ("number", "2.5th percentile of the paired (document-clustered) bootstrap"),
    "premium_high": ("number", "97.5th percentile of the paired (document-clustered) bootstrap"),
    "reference": ("string", "reference language of the premium"),
    "reference_tokens": ("integer", "tokens of the reference side of the same segments"),
    "tokens_per_1k_ref_words": ("number", "tokens per 1,000 whitespace words of the reference side"),
    "tokens_per_1k_ref_chars": ("number", "tokens per 1,000 characters of the reference side"),
    "ci_method": ("string", "how the CI was resampled"),
    "clusters": ("integer", "bootstrap units (documents, or segments)"),
    "n_resamples": ("integer", "bootstrap resamples"),
    "seed": ("integer", "bootstrap seed"),
    "corpus_digest": ("string", "sha256 of the corpus content measured"),
    "tokenizer_fingerprint": ("string", "sha256 over the tokenizer's files and settings"),
    "signature": ("string", "sacrebleu-style summary of everything that produced the row"),
}
RATIO_COLUMNS = list(RATIO_FIELDS)
Row = dict[str, object]


@dataclass
class Block:
    """One language x tokenizer of a group: token counts per segment (or per cluster, aligned
    with the reference's), and the group's totals."""

    language: str
    tokenizer: str
    tokens: IntArray
    segments: int
    chars: int
    bytes: int


def group_rows(corpus: str, domain: str, blocks: Sequence[Block], resampler: Resampler, signature: Signature, *,
               ref_words: int, ref_chars: int, digest: str = "",
               tokenizers: Mapping[str, Tokenizer] | None = None) -> list[Row]:
    """The ratio rows of one group (a corpus, or a corpus x domain): each block against the
    block of `signature.reference` of its tokenizer, CIs from `resampler`'s shared draws."""
    reference = signature.reference
    refs = {b.tokenizer: b.tokens for b in blocks if b.language == reference}
    rows: list[Row] = []
    for b in blocks:
        tok = (tokenizers or {}).get(b.tokenizer)
        fp = tok.fingerprint if tok is not None else ""
        ref_tokens = refs.get(b.tokenizer)
        what = f"corpus {corpus!r}, {b.language} vs {reference}, tokenizer {b.tokenizer}"
        if ref_tokens is None:
            raise LanguageError(f"{what}: no reference segments for this tokenizer")
        t = b.tokens
        p = premium(t, ref_tokens, what=what)
        low, high = (1.0, 1.0) if b.language == reference else resampler.ci(t, ref_tokens)
        total = int(t.sum())
        rows.append({
            "corpus": corpus, "domain": domain, "language": b.language, "tokenizer": b.tokenizer,
            "status": tok.status if tok is not None else "",
            "segments": b.segments, "chars": b.chars, "bytes": b.bytes, "tokens": total,
            "chars_per_token": b.chars / total if total else float("nan"),
            "bytes_per_token": b.bytes / total if total else float("nan"),
            "tokens_per_segment": total / b.segments,
            "premium": p, "premium_low": low, "premium_high": high,
            "reference": reference, "reference_tokens": int(ref_tokens.sum()),
            "tokens_per_1k_ref_words": 1000 * total / ref_words if ref_words else float("nan"),
            "tokens_per_1k_ref_chars": 1000 * total / ref_chars if ref_chars else float("nan"),
            "ci_method": resampler.method, "clusters": resampler.n_clusters,
            "n_resamples": signature.n_resamples, "seed": signature.seed, "corpus_digest": digest,
            "tokenizer_fingerprint": fp,
            "signature": signature.format(corpus=corpus, corpus_digest=digest, ci_unit=resampler.unit,
                                          tokenizer=b.tokenizer, fingerprint=fp),
        })
    return rows


def ratio_rows(table: SegmentTable, signature: Signature, *, by: Sequence[str] = (),
               digests: Mapping[str, str] | None = None, tokenizers: Mapping[str, Tokenizer] | None = None,
               cluster_label: str | None = None) -> list[Row]:
    """The ratio rows of a per-segment table, one group per corpus (and per `by` value: domain
    or doc_id), groups and rows in the order of the table's categories; `signature` holds the
    study's reference language and bootstrap settings."""
    reference = signature.reference
    bad = [b for b in by if b not in ("domain", "doc_id")]
    if bad:
        raise UsageError(f"by: can group by domain or doc_id, not {bad}")
    if not len(table):
        return []
    k, num = table.codes, table.numbers
    order = np.lexsort((num["segment"], k["language"], k["tokenizer"], k["corpus"]))
    corp, tok, lang = k["corpus"][order], k["tokenizer"][order], k["language"][order]
    doc, dom = k["doc_id"][order], k["domain"][order]
    tokens, chars, nbytes, words = (num[c][order] for c in ("tokens", "chars", "bytes", "words"))
    n = num["n"][order] if "n" in num else None
    group = corp.astype(np.int64)
    for b in by:
        col = k[b][order].astype(np.int64)
        group = group * (int(col.max()) + 1) + col
    _, first, ginv = np.unique(group, return_index=True, return_inverse=True)
    ginv = ginv.reshape(-1)
    ref_code = _code(table.categories["language"], reference)
    doc_cats, dom_cats = table.categories["doc_id"], table.categories["domain"]
    blank = _code(doc_cats, "")
    rows: list[Row] = []
    for g in np.argsort(first, kind="stable"):
        idx = np.flatnonzero(ginv == g)
        corpus_name = table.categories["corpus"][int(corp[idx[0]])]
        g_tok, g_lang = tok[idx], lang[idx]
        is_ref = g_lang == ref_code
        if ref_code < 0 or not is_ref.any():
            raise LanguageError(f"corpus {corpus_name!r}: no segments in the reference language {reference}")
        ref_idx = idx[is_ref]
        ref_one = ref_idx[tok[ref_idx] == tok[ref_idx[0]]]
        resampler = Resampler.from_codes(doc[ref_one], len(ref_one), signature.n_resamples, signature.seed,
                                         blank=blank if blank >= 0 else None, label=cluster_label)
        if "domain" in by:
            domain = dom_cats[int(dom[idx[0]])]
        else:
            doms = np.unique(dom[ref_one])
            domain = dom_cats[int(doms[0])] if len(doms) == 1 else "mixed"
        # within a group the rows are sorted by tokenizer, language, segment: blocks are runs
        key = g_tok.astype(np.int64) * (len(table.categories["language"]) + 1) + g_lang
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        blocks = []
        for s, e in zip(starts, ends, strict=True):
            sel = idx[s:e]
            blocks.append(Block(
                language=table.categories["language"][int(lang[sel[0]])],
                tokenizer=table.categories["tokenizer"][int(tok[sel[0]])],
                tokens=tokens[sel], segments=int(n[sel].sum()) if n is not None else len(sel),
                chars=int(chars[sel].sum()), bytes=int(nbytes[sel].sum())))
        rows += group_rows(corpus_name, domain, blocks, resampler, signature,
                           ref_words=int(words[ref_one].sum()), ref_chars=int(chars[ref_one].sum()),
                           digest=(digests or {}).get(corpus_name, ""), tokenizers=tokenizers)
    return rows


def _code(categories: Sequence[str], value: str) -> int:
    try:
        return list(categories).index(value)
    except ValueError:
        return -1
