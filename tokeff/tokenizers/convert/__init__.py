"""Converters that turn a tokenizer published in another format into one tokeff loads
(a Hugging Face tokenizer.json), offline and reproducibly: the source file's sha256 is checked,
and the output's sha256 is pinned so the registry can verify it like any shipped file.

`add_gemma` (tokeff.tokenizers.convert.gemma): Gemma 3/4's vocabulary from llama.cpp's GGUF."""

from __future__ import annotations

from typing import Any

__all__ = ["add_gemma"]


def __getattr__(name: str) -> Any:  # lazy: the converter is imported only when used
    if name == "add_gemma":
        from tokeff.tokenizers.convert.gemma import add_gemma

        return add_gemma
    raise AttributeError(name)
