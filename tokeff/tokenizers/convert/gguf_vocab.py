"""Read the tokenizer arrays of a GGUF file (llama.cpp's model format), fast and without
dependencies, plus llama.cpp's tokenizer test files (`.inp` texts, `.out` expected ids).

Only the key/value header is read; a vocab-only GGUF (as llama.cpp ships under `models/`)
has no tensors. The `gguf` package on PyPI reads the same data but takes about 40 s on
Gemma's 262,144 tokens and 514,906 merges; this reader takes about a second."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from tokeff.errors import GGUFError

_MAGIC = b"GGUF"
# value type -> struct code (scalars); 8 = string, 9 = array
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9

# llama.cpp's token types (tokenizer.ggml.token_type)
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

TEST_SEPARATOR = "\n__ggml_vocab_test__\n"


@dataclass(frozen=True)
class GGUFVocab:
    """The tokenizer part of a GGUF file."""

    model: str                 # tokenizer.ggml.model: "gemma4", "llama" (SentencePiece), "gpt2", ...
    pre: str | None            # tokenizer.ggml.pre: llama.cpp's pre-tokenizer name, if stored
    tokens: list[str]
    scores: list[float]
    token_types: list[int]
    merges: list[str]          # "left right", rank = position; empty if the file stores none
    metadata: dict[str, Any]   # every other scalar key (bos/eos ids, add_bos_token, ...)

    def special_id(self, name: str) -> int | None:
        value = self.metadata.get(f"tokenizer.ggml.{name}_token_id")
        return int(value) if value is not None else None


class _Reader:
    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.pos = 0
        self.name = name

    def scalar(self, code: str) -> Any:
        fmt = "<" + code
        try:
            (value,) = struct.unpack_from(fmt, self.data, self.pos)
        except struct.error as exc:
            raise GGUFError(f"{self.name}: truncated GGUF file at byte {self.pos}") from exc
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.scalar("Q")
        end = self.pos + n
        if end > len(self.data):
            raise GGUFError(f"{self.name}: truncated GGUF file at byte {self.pos}")
        raw = self.data[self.pos:end]
        self.pos = end
        return raw.decode("utf-8", errors="surrogateescape")

    def value(self, vtype: int, want: bool) -> Any:
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            etype = self.scalar("I")
            n = self.scalar("Q")
            if etype in _SCALARS:
                size = struct.calcsize("<" + _SCALARS[etype]) * n
                if self.pos + size > len(self.data):
                    raise GGUFError(f"{self.name}: truncated GGUF file at byte {self.pos}")
                values = list(struct.unpack_from(f"<{n}{_SCALARS[etype]}", self.data, self.pos)) if want else []
                self.pos += size
                return values
            if etype == _STRING:
                return [self.string() for _ in range(n)]
            return [self.value(etype, want) for _ in range(n)]
        raise GGUFError(f"{self.name}: unknown GGUF value type {vtype} at byte {self.pos}")


def read_vocab(data: bytes, name: str = "<gguf>") -> GGUFVocab:
    """Parse the tokenizer keys of a (little-endian, version 2 or 3) GGUF file's bytes."""
    if data[:4] != _MAGIC:
        raise GGUFError(f"{name}: not a GGUF file (starts with {data[:4]!r}, expected b'GGUF')")
    r = _Reader(data, name)
    r.pos = 4
    version = r.scalar("I")
    if version not in (2, 3):
        raise GGUFError(f"{name}: GGUF version {version} is not supported (2 or 3, little-endian)")
    r.scalar("Q")  # tensor count
    n_kv = r.scalar("Q")
    kv: dict[str, Any] = {}
    for _ in range(n_kv):
        key = r.string()
        vtype = r.scalar("I")
        # big arrays of other sections (e.g. per-layer settings) are small; read everything
        kv[key] = r.value(vtype, want=True)
    tokens = kv.pop("tokenizer.ggml.tokens", None)
    if not isinstance(tokens, list) or not tokens:
        raise GGUFError(f"{name}: no tokenizer.ggml.tokens array: not a vocabulary GGUF")
    n = len(tokens)
    scores = kv.pop("tokenizer.ggml.scores", None) or [0.0] * n
    types = kv.pop("tokenizer.ggml.token_type", None) or [NORMAL] * n
    merges = kv.pop("tokenizer.ggml.merges", None) or []
    if len(scores) != n or len(types) != n:
        raise GGUFError(f"{name}: {n} tokens but {len(scores)} scores and {len(types)} token types")
    meta = {k: v for k, v in kv.items() if not isinstance(v, list)}
    return GGUFVocab(
        model=str(kv.get("tokenizer.ggml.model", "")),
        pre=kv.get("tokenizer.ggml.pre"),
        tokens=tokens,
        scores=[float(s) for s in scores],
        token_types=[int(t) for t in types],
        merges=merges,
        metadata=meta,
    )


def read_tests(inp_text: str, out_text: str) -> list[tuple[str, list[int]]]:
    """Pair llama.cpp's tokenizer test texts (`<vocab>.gguf.inp`, separated by
    `__ggml_vocab_test__` lines) with their expected ids (`<vocab>.gguf.out`, one line each).

    The expected ids were made by the model's own Hugging Face tokenizer
    (`encode(text, add_special_tokens=False)`), so they are the reference to match."""
    texts = inp_text.split(TEST_SEPARATOR)
    if texts and texts[-1].endswith("\n__ggml_vocab_test__"):  # a file that ends with the separator
        texts[-1] = texts[-1][: -len("\n__ggml_vocab_test__")]
    lines = out_text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(texts) != len(lines):
        raise GGUFError(f"tokenizer test files disagree: {len(texts)} texts but {len(lines)} lines of ids")
    return [(t, [int(x) for x in line.split()]) for t, line in zip(texts, lines, strict=True)]
