"""Inspectors: what diagnostics need to know of each kind of backend (which ids are unknown
tokens, byte-fallback pieces, or bytes that are not a whole UTF-8 character; how many characters
unknown tokens cover). Each backend's entry in `tokeff.tokenizers.backends.BACKENDS` names its
inspector; `tokeff.study.diagnostics` turns their answers into the diagnostics table."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tokeff.tokenizers.tokenizer import Tokenizer

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
    """Any other backend (a slow transformers tokenizer): ids from the backend's `encode`, unknown
    token and `<0xNN>` pieces from the vocabulary; unknown characters by aligning the decoded
    text with the original (only for segments that contain an unknown token)."""

    backend: Any
    unk_id: int | None = None
    _memo: dict[int, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        inner = getattr(self.backend, "tokenizer", None)
        unk = getattr(inner, "unk_token_id", None)
        self.unk_id = int(unk) if unk is not None else None
        self._inner = inner

    def analyze(self, texts: Sequence[str]) -> list[tuple[list[int], int]]:
        out = []
        for t in texts:
            ids = self.backend.encode(t)
            unknown = 0
            if self.unk_id is not None and self.unk_id in ids:
                decoded = self.backend.decode([i for i in ids if i != self.unk_id])
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
    """The inspector of a tokenizer's loaded backend, as its entry in BACKENDS says."""
    from tokeff.tokenizers.backends import BACKENDS

    return BACKENDS[tok.entry.backend].inspect(tok.backend)
