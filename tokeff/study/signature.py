"""Signatures in sacrebleu's style: every number carries what produced it.

    tokeff:0.1.0|corpus:sample@1a2b3c4d|ref:en|tok:o200k_base@f280d2b6|ci:cluster-doc,n=1000,seed=12345|count:no-special

A `Signature` is built once per study from its settings (fields, not a string) and formatted
per row with what differs between rows: the corpus, the tokenizer and the bootstrap's unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tokeff.errors import UsageError
from tokeff.version import __version__


@dataclass(frozen=True)
class Signature:
    """The settings a study's numbers depend on: reference language, bootstrap resamples and
    seed, tokeff's version, and how tokens are counted (never with special tokens)."""

    reference: str
    n_resamples: int
    seed: int
    version: str = __version__
    count: str = "no-special"

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 2**32:
            raise UsageError(f"seed {self.seed}: a bootstrap seed is an integer from 0 to 2**32 - 1")
        if self.n_resamples < 0:
            raise UsageError(f"n_resamples {self.n_resamples}: give 0 (no CI) or more resamples")

    @classmethod
    def of_row(cls, row: Mapping[str, object]) -> Signature:
        """The signature settings a ratio row was made with (its reference, resamples, seed)."""
        return cls(str(row["reference"]), int(str(row["n_resamples"])), int(str(row["seed"])))

    def head(self, *, corpus: str, corpus_digest: str) -> str:
        """The first fields of a corpus's signatures: version, corpus and reference."""
        return "|".join([f"tokeff:{self.version}", f"corpus:{corpus}@{corpus_digest[:8]}", f"ref:{self.reference}"])

    def format(self, *, corpus: str, corpus_digest: str, ci_unit: str, tokenizer: str | None = None,
               fingerprint: str = "") -> str:
        """The signature of one row (of one corpus and tokenizer); without `tokenizer`, what the
        rows of one corpus have in common. `ci_unit` is the bootstrap's resampled unit
        (`Resampler.unit`: "segment", "doc", ...)."""
        ci = "segment" if ci_unit == "segment" else "cluster-" + ci_unit.replace(" ", "-")
        parts = [self.head(corpus=corpus, corpus_digest=corpus_digest)]
        if tokenizer is not None:
            parts.append(f"tok:{tokenizer}@{fingerprint[:8]}")
        parts += [f"ci:{ci},n={self.n_resamples},seed={self.seed}", f"count:{self.count}"]
        return "|".join(parts)
