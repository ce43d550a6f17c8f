"""Mistral's Tekken (tekken_*.json), read by mistral-common.

Tekken is tiktoken BPE underneath; mistral-common builds the tiktoken Encoding and offsets ids
by the number of special tokens. Counting uses that inner Encoding (same count, no special
tokens), so it shares the tiktoken backend's threaded counting."""

from __future__ import annotations

from pathlib import Path

from tokeff.errors import TokenizerUnavailableError
from tokeff.tokenizers.backends.tiktoken_backend import TiktokenBackend


def tekken_backend(path: str | Path) -> TiktokenBackend:
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    tekken = Tekkenizer.from_file(Path(path))
    inner = getattr(tekken, "_model", None)
    if inner is None:  # pragma: no cover - guards a mistral-common refactor
        raise TokenizerUnavailableError("mistral-common's Tekkenizer no longer exposes its tiktoken model")
    return TiktokenBackend(inner)
