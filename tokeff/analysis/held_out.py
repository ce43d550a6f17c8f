"""Held-out validation of the English-equivalent estimate (tokeff.analysis.density): each shipped
corpus left out in turn and fitted on the others; public corpora (FLORES-200, NTREX-128) fitted
on all shipped ones. Reports error and whether the 95% interval covered the truth."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from tokeff._util.cache import CountCache
from tokeff.analysis.density import VALIDATION_COLUMNS, validate
from tokeff.corpora.corpus import Corpus
from tokeff.tokenizers.tokenizer import Tokenizer


def held_out_table(shipped: Sequence[Corpus], public: Sequence[Corpus], tokenizers: Sequence[Tokenizer],
                   languages: Sequence[str], *, sample_segments: int | None = None,
                   cache: CountCache | None = None) -> pd.DataFrame:
    """One row per held-out corpus x language x tokenizer (x sample, with `sample_segments`):
    shipped corpora by leave-one-corpus-out, `public` ones fitted on every shipped corpus."""
    rows: list[dict[str, object]] = []
    for tok in tokenizers:
        for lang in languages:
            for held in [*shipped, *public]:
                if lang not in held.texts:
                    continue
                training = [c for c in shipped if c.name != held.name]
                rows += validate(held, training, tok, lang, sample_segments=sample_segments, cache=cache)
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per language x tokenizer: held-out cells, median and largest |error|, share within 5%,
    interval coverage."""
    t = table.assign(abs_error=table["error"].abs())
    g = t.groupby(["language", "tokenizer"], sort=False)
    return pd.DataFrame({"cells": g.size(), "median_abs_error": g["abs_error"].median(),
                         "max_abs_error": g["abs_error"].max(),
                         "within_5pct": g["abs_error"].apply(lambda e: float((e <= 0.05).mean())),
                         "coverage": g["covered"].mean()}).reset_index()
