"""The protocol every backend implements: count tokens for a batch of texts, with no special
tokens (no BOS/EOS, special-token text counted as plain text), plus encode/decode for checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from tokeff._util.settings import workers


@runtime_checkable
class Backend(Protocol):
    def count(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens of each text."""
        ...

    def encode(self, text: str) -> list[int]:
        """Token ids of one text, no special tokens added."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids."""
        ...


def count_in_threads(count_one: Callable[[str], int], texts: Sequence[str]) -> list[int]:
    """Apply `count_one` over `texts` split into one contiguous chunk per worker thread.

    Worth it only for backends that release the GIL while encoding (tiktoken does); one pool
    task per chunk rather than per text keeps the overhead to a few microseconds."""
    n = workers()
    if n == 1 or len(texts) < 64:
        return [count_one(t) for t in texts]
    size = -(-len(texts) // n)
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        parts = pool.map(lambda chunk: [count_one(t) for t in chunk], chunks)
    return [c for part in parts for c in part]
