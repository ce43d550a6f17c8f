"""tiktoken BPE (OpenAI, Llama 3/4, Qwen, Mistral Tekken): ranks + pattern -> Encoding."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import tiktoken

from tokeff.tokenizers.backends.base import count_in_threads

_ENV_LOCK = threading.Lock()


class TiktokenBackend:
    """Counts with `encode_ordinary` (special-token text is plain text) in worker threads."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.encoding = encoding

    @classmethod
    def from_ranks(cls, name: str, ranks: dict[bytes, int], pattern: str) -> TiktokenBackend:
        return cls(tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens={}))

    def count(self, texts: Sequence[str]) -> list[int]:
        encode = self.encoding.encode_ordinary
        return count_in_threads(lambda t: len(encode(t)), texts)

    def encode(self, text: str) -> list[int]:
        return self.encoding.encode_ordinary(text)

    def decode(self, ids: Sequence[int]) -> str:
        return self.encoding.decode(list(ids))


def data_gym_ranks(encoder_json: str, vocab_bpe: str) -> dict[bytes, int]:
    """Ranks from GPT-2's data-gym files (already hash-checked local paths), via tiktoken's own
    converter with its download cache switched off so nothing is written or fetched."""
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks

    with _ENV_LOCK:
        saved = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = ""
        try:
            return data_gym_to_mergeable_bpe_ranks(vocab_bpe_file=vocab_bpe, encoder_json_file=encoder_json)
        finally:
            if saved is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = saved
