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

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from tokeff._util.cache import CountCache, text_key
from tokeff.corpora.corpus import Corpus
from tokeff.study.counting import Progress
from tokeff.study.segments import SegmentTable
from tokeff.tokenizers.tokenizer import Tokenizer, get_tokenizer

DIAGNOSTIC_COLUMNS = [
    "corpus", "language", "tokenizer", "segments", "chars", "tokens",
    "unk_tokens", "byte_fallback_tokens", "partial_utf8_tokens", "round_trip_segments", "unknown_chars",
    "unk_rate", "byte_fallback_share", "partial_utf8_share", "round_trip_share", "unknown_char_share",
]
EXCLUSION_THRESHOLD = 0.10
"""A pair whose text is more than this share unknown characters is excluded (Petrov et al. 2023)."""

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


def _is_partial(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _chars_in_byte_span(data: bytes, begin: int, end: int) -> int:
    """Code points starting inside data[begin:end] (UTF-8 continuation bytes do not start one)."""
    return sum(1 for b in data[begin:end] if b & 0xC0 != 0x80)


# --------------------------------------------------------------------------- inspectors


class Inspector(Protocol):
    """What diagnostics need from one tokenizer, one implementation per backend type."""

    unk_id: int | None

    def analyze(self, texts: Sequence[str]) -> list[tuple[list[int], int]]:
        """(token ids, characters covered by unknown tokens) of each text, one encode each."""
        ...

    def flags(self, token_id: int) -> tuple[bool, bool]:
        """(is a byte-fallback piece, bytes are not complete UTF-8 on their own)."""
        ...


@dataclass
class TiktokenInspector:
    """Byte-level BPE through tiktoken (OpenAI, Llama 3, Qwen, Tekken's inner model): no
    unknown token and no byte fallback; a token is partial when its bytes do not decode."""

    encoding: Any
    unk_id: int | None = None
    _memo: dict[int, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    def analyze(self, texts: Sequence[str]) -> list[tuple[list[int], int]]:
        encode = self.encoding.encode_ordinary
        return [(encode(t), 0) for t in texts]

    def flags(self, token_id: int) -> tuple[bool, bool]:
        f = self._memo.get(token_id)
        if f is None:
            f = self._memo[token_id] = (False, _is_partial(self.encoding.decode_single_token_bytes(token_id)))
        return f


@dataclass
class SentencePieceInspector:
    """SentencePiece: `is_unknown`, `is_byte`; byte spans of unknown pieces from the serialized
    proto (parsed here, no protobuf package needed) when the model has no byte fallback."""

    processor: Any
    unk_id: int | None = None
    _memo: dict[int, tuple[bool, bool]] = field(default_factory=dict, repr=False)
    _can_unk: bool = False

    def __post_init__(self) -> None:
        sp = self.processor
        unk = int(sp.unk_id())
        self.unk_id = unk if 0 <= unk < sp.get_piece_size() and sp.is_unknown(unk) else None
        # With byte fallback every character can be spelled, so no unknown token can appear.
        self._can_unk = self.unk_id is not None and not any(sp.is_byte(i) for i in range(sp.get_piece_size()))

    def analyze(self, texts: Sequence[str]) -> list[tuple[list[int], int]]:
        sp = self.processor
        if not self._can_unk:
            ids = sp.encode(list(texts), add_bos=False, add_eos=False)
            return [(list(x), 0) for x in ids]
        protos = sp.encode(list(texts), out_type="serialized_proto", add_bos=False, add_eos=False)
        out = []
        for text, blob in zip(texts, protos, strict=True):
            pieces = _parse_spt(blob)
            data = text.encode("utf-8")
            unknown = sum(_chars_in_byte_span(data, b, e) for i, b, e in pieces if i == self.unk_id)
            out.append(([i for i, _, _ in pieces], unknown))
        return out

    def flags(self, token_id: int) -> tuple[bool, bool]:
        f = self._memo.get(token_id)
        if f is None:
            if self.processor.is_byte(token_id):
                m = _BYTE_PIECE.match(self.processor.id_to_piece(token_id))
                f = (True, m is not None and int(m.group(1), 16) >= 0x80)
            else:
                f = (False, False)
            self._memo[token_id] = f
        return f


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """Top-level (field number, value) pairs of a protobuf message (varint and bytes only)."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = _varint(buf, pos)
            out.append((num, v))
        elif wire == 2:
            n, pos = _varint(buf, pos)
            out.append((num, buf[pos : pos + n]))
            pos += n
        elif wire == 5:
            pos += 4
        elif wire == 1:
            pos += 8
        else:  # pragma: no cover - not in SentencePieceText
            raise ValueError(f"unexpected protobuf wire type {wire}")
    return out


def _parse_spt(blob: bytes) -> list[tuple[int, int, int]]:
    """(id, begin byte, end byte) of each piece of a serialized SentencePieceText
    (field 2 = pieces; in a piece, 2 = id, 4 = begin, 5 = end)."""
    pieces = []
    for num, value in _fields(blob):
        if num == 2 and isinstance(value, bytes):
            f = {n: v for n, v in _fields(value) if isinstance(v, int)}
            pieces.append((f.get(2, 0), f.get(4, 0), f.get(5, 0)))
    return pieces


_BYTE_DECODER: dict[str, int] | None = None


def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable-character alphabet for bytes (what ByteLevel pre-tokenizers use), inverted."""
    global _BYTE_DECODER
    if _BYTE_DECODER is None:
        bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
        cs = bs[:]
        n = 0
        for b in range(256):
            if b not in bs:
                bs.append(b)
                cs.append(256 + n)
                n += 1
        _BYTE_DECODER = {chr(c): b for b, c in zip(bs, cs, strict=True)}
    return _BYTE_DECODER


def _has_type(node: Any, name: str) -> bool:
    if isinstance(node, dict):
        return node.get("type") == name or any(_has_type(v, name) for v in node.values())
    if isinstance(node, list):
        return any(_has_type(v, name) for v in node)
    return False


@dataclass
class TokenizersInspector:
    """Hugging Face `tokenizers`: the model's unk token and byte_fallback flag, the ByteLevel
    byte alphabet; unknown characters from the encoding's character offsets."""

    tokenizer: Any
    unk_id: int | None = None
    _memo: dict[int, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        spec = json.loads(self.tokenizer.to_str())
        model = spec.get("model") or {}
        unk = model.get("unk_token")
        self.unk_id = self.tokenizer.token_to_id(unk) if unk else None
        self._byte_fallback = bool(model.get("byte_fallback"))
        self._byte_level = _has_type(spec.get("decoder"), "ByteLevel") or _has_type(spec.get("pre_tokenizer"), "ByteLevel")
        self._added = {int(i) for i in self.tokenizer.get_added_tokens_decoder()}

    def analyze(self, texts: Sequence[str]) -> list[tuple[list[int], int]]:
        if self.unk_id is None:
            batch = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
            return [(list(e.ids), 0) for e in batch(list(texts), add_special_tokens=False)]
        out = []
        for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False):
            covered: set[int] = set()
            for i, (b, end) in zip(e.ids, e.offsets, strict=True):
                if i == self.unk_id:
                    covered.update(range(b, end))
            out.append((list(e.ids), len(covered)))
        return out

    def flags(self, token_id: int) -> tuple[bool, bool]:
        f = self._memo.get(token_id)
        if f is None:
            f = self._memo[token_id] = self._flags(token_id)
        return f

    def _flags(self, token_id: int) -> tuple[bool, bool]:
        if token_id in self._added:
            return (False, False)
        piece = self.tokenizer.id_to_token(token_id) or ""
        m = _BYTE_PIECE.match(piece)
        if self._byte_fallback and m:
            return (True, int(m.group(1), 16) >= 0x80)
        if self._byte_level:
            dec = _byte_decoder()
            if piece and all(c in dec for c in piece):
                return (False, _is_partial(bytes(dec[c] for c in piece)))
        return (False, False)


@dataclass
class GenericInspector:
    """Any other backend (a slow transformers tokenizer): ids from `Tokenizer.encode`, unknown
    token and `<0xNN>` pieces from the vocabulary; unknown characters by aligning the decoded
    text with the original (only for segments that contain an unknown token)."""

    tok: Tokenizer
    unk_id: int | None = None
    _memo: dict[int, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        inner = getattr(self.tok.backend, "tokenizer", None)
        unk = getattr(inner, "unk_token_id", None)
        self.unk_id = int(unk) if unk is not None else None
        self._inner = inner

    def analyze(self, texts: Sequence[str]) -> list[tuple[list[int], int]]:
        out = []
        for t in texts:
            ids = self.tok.encode(t)
            unknown = 0
            if self.unk_id is not None and self.unk_id in ids:
                decoded = self.tok.decode([i for i in ids if i != self.unk_id])
                sm = difflib.SequenceMatcher(None, t, decoded, autojunk=False)
                unknown = sum(i2 - i1 for op, i1, i2, _, _ in sm.get_opcodes() if op in ("delete", "replace"))
            out.append((ids, unknown))
        return out

    def flags(self, token_id: int) -> tuple[bool, bool]:
        f = self._memo.get(token_id)
        if f is None:
            conv = getattr(self._inner, "convert_ids_to_tokens", None)
            piece = str(conv(token_id)) if conv is not None else ""
            m = _BYTE_PIECE.match(piece)
            f = self._memo[token_id] = (m is not None, m is not None and int(m.group(1), 16) >= 0x80)
        return f


def inspector_for(tok: Tokenizer) -> Inspector:
    """The inspector for a tokenizer's loaded backend (tiktoken, Tekken's inner tiktoken model,
    tokenizers, sentencepiece, transformers fast or slow)."""
    from tokeff.tokenizers.backends.hf_tokenizers import TokenizersBackend
    from tokeff.tokenizers.backends.sentencepiece_backend import SentencePieceBackend
    from tokeff.tokenizers.backends.tiktoken_backend import TiktokenBackend
    from tokeff.tokenizers.backends.transformers_backend import TransformersBackend

    b = tok.backend
    if isinstance(b, TiktokenBackend):
        return TiktokenInspector(b.encoding)
    if isinstance(b, SentencePieceBackend):
        return SentencePieceInspector(b.processor)
    if isinstance(b, TokenizersBackend):
        return TokenizersInspector(b.tokenizer)
    if isinstance(b, TransformersBackend) and b._fast is not None:
        return TokenizersInspector(b._fast.tokenizer)
    return GenericInspector(tok)


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
             languages: Sequence[str] | None = None, cache: bool | CountCache = False,
             online: bool | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """The diagnostics table: one row per corpus x language x tokenizer (DIAGNOSTIC_COLUMNS).

    `cache` (True or a CountCache) stores the token counts made here, so a `measure` /
    `count_segments` run after it reads them instead of tokenizing the same segments again."""
    from tokeff.corpora.loaders import load_corpora

    items = [corpus] if isinstance(corpus, str | Corpus) else list(corpus)
    corpora = load_corpora(items, list(languages) if languages else None, online=online)  # type: ignore[arg-type]
    names = [tokenizers] if isinstance(tokenizers, str | Tokenizer) else list(tokenizers)
    toks = list({t.id: t for t in (get_tokenizer(n, online=online) for n in names)}.values())
    store = cache if isinstance(cache, CountCache) else (CountCache() if cache else None)
    return diagnose_corpora(corpora, toks, cache=store, progress=progress)


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
