"""Tokenizer backends behind one small protocol (see `base.Backend`)."""

from tokeff.tokenizers.backends.base import Backend

__all__ = ["Backend"]
