"""The protocol every backend implements: count tokens for a batch of texts, with no special
tokens (no BOS/EOS, special-token text counted as plain text), plus encode/decode for checks."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable


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


def workers() -> int:
    """How many threads a backend may use (TOKEFF_THREADS, else the CPUs this process may use)."""
    env = os.environ.get("TOKEFF_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


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
