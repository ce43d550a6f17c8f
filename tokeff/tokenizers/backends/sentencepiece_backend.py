"""SentencePiece `.model` files (Mistral v1-v3, Llama 2, Gemma 1-2 style vocabularies)."""

from __future__ import annotations

from collections.abc import Sequence

import sentencepiece as spm

from tokeff._util.settings import workers


class SentencePieceBackend:
    """Counts with SentencePiece's own multi-threaded batch encode; no BOS/EOS."""

    def __init__(self, processor: spm.SentencePieceProcessor) -> None:
        self.processor = processor

    @classmethod
    def from_bytes(cls, data: bytes) -> SentencePieceBackend:
        return cls(spm.SentencePieceProcessor(model_proto=data))

    def count(self, texts: Sequence[str]) -> list[int]:
        ids = self.processor.encode(list(texts), add_bos=False, add_eos=False, num_threads=workers())
        return [len(x) for x in ids]

    def encode(self, text: str) -> list[int]:
        return list(self.processor.encode(text, add_bos=False, add_eos=False))

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.processor.decode(list(ids)))
