"""Hugging Face `tokenizers` (tokenizer.json): DeepSeek, GLM, and fast transformers tokenizers."""

from __future__ import annotations

from collections.abc import Sequence

from tokenizers import Tokenizer


class TokenizersBackend:
    """Counts with `encode_batch_fast` (Rust, parallel over both cores), no special tokens."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        tokenizer.no_padding()  # a tokenizer.json may pad or truncate a batch: counts must not
        tokenizer.no_truncation()
        self.tokenizer = tokenizer
        self._batch = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)

    @classmethod
    def from_json(cls, data: bytes) -> TokenizersBackend:
        return cls(Tokenizer.from_str(data.decode("utf-8")))

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(e) for e in self._batch(list(texts), add_special_tokens=False)]  # no id lists built

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids), skip_special_tokens=False))
