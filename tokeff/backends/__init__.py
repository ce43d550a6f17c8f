"""Tokenizer backends behind one small protocol (see `base.Backend`)."""

from tokeff.backends.base import Backend

__all__ = ["Backend"]
