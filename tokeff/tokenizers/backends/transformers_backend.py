"""transformers' AutoTokenizer, for hub ids and local directories (users with a network).

Offline by default: `local_files_only=True` unless the caller allows the network, so an
offline machine gets an immediate, clear error instead of a hang. Never `trust_remote_code`
unless the registry entry says so explicitly."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokeff.errors import NetworkDisabledError, TokenizerUnavailableError
from tokeff.tokenizers.backends.hf_tokenizers import TokenizersBackend


class TransformersBackend:
    """Counts with the fast (Rust) tokenizer when there is one, else the Python tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        backend = getattr(tokenizer, "backend_tokenizer", None)
        self.fast = TokenizersBackend(backend) if backend is not None else None

    @classmethod
    def load(cls, name: str, *, online: bool, trust_remote_code: bool = False) -> TransformersBackend:
        import os

        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # not "PyTorch was not found" on every run
        from transformers import AutoTokenizer

        local = Path(name).expanduser().is_dir()
        try:
            tok = AutoTokenizer.from_pretrained(
                str(Path(name).expanduser()) if local else name,
                local_files_only=local or not online,
                trust_remote_code=trust_remote_code,
            )
        except (OSError, ValueError) as exc:
            if not local and not online:
                raise NetworkDisabledError(
                    f"tokenizer {name!r} is not in the local Hugging Face cache and downloading "
                    "is off; pass --online (or TOKEFF_ONLINE=1) to fetch it from the hub"
                ) from exc
            raise TokenizerUnavailableError(f"cannot load tokenizer {name!r}: {exc}") from exc
        return cls(tok)

    def count(self, texts: Sequence[str]) -> list[int]:
        if self.fast is not None:
            return self.fast.count(texts)
        out = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(x) for x in out]

    def fingerprint(self) -> str:
        """A digest of what decides the counts: the fast tokenizer's JSON, else the vocabulary."""
        from tokeff.tokenizers.entries import fingerprint_of

        if self.fast is not None:
            blob = self.fast.tokenizer.to_str().encode()
        else:
            blob = json.dumps(sorted(self.tokenizer.get_vocab().items())).encode()
        return fingerprint_of("transformers", {"tokenizer": hashlib.sha256(blob).hexdigest()}, None)

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids)))
