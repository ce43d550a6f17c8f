"""The same counts on existing distributed engines: datasets' map(num_proc=2) over sharded files,
and a dask.distributed LocalCluster with two worker processes."""

from __future__ import annotations

import pandas as pd
import pytest

import tokeff
from tokeff.study.distributed import distributed_counts

COLS = ["corpus", "language", "tokenizer", "segments", "tokens", "premium", "premium_low", "premium_high"]


@pytest.mark.parametrize("engine", ["datasets", "dask"])
def test_engine_matches_local(engine: str) -> None:
    if engine == "dask":
        pytest.importorskip("dask.distributed")
    local = tokeff.measure("legal", ["o200k_base", "llama3"], cache=False, n_resamples=200)
    remote = tokeff.measure("legal", ["o200k_base", "llama3"], cache=False, n_resamples=200, engine=engine, workers=2)
    pd.testing.assert_frame_equal(local[COLS], remote[COLS])


def test_shards_cover_every_distinct_text_once() -> None:
    corpus = tokeff.load_corpus("sample")
    tok = tokeff.get_tokenizer("cl100k_base")
    counts = distributed_counts([corpus], [tok], engine="local", shard_size=7)
    texts = {t for ts in corpus.texts.values() for t in ts}
    assert set(counts["cl100k_base"]) == texts
    some = sorted(texts)[:5]
    assert [counts["cl100k_base"][t] for t in some] == tok.count(some)
