"""Counting on an existing distributed engine, for corpora beyond one machine.

The work is the same as `count_texts`: each shard's texts are tokenized where they land, the
counts come back, and the per-segment table and every statistic are built exactly as locally.
Two engines behind one option:
- `datasets`: the shards are written as Parquet files and counted with Hugging Face datasets'
  `map(batched=True, num_proc=workers)`;
- `dask`: the shards are submitted to a dask.distributed cluster (a LocalCluster with `workers`
  processes, or the scheduler at `address`).
Workers load tokenizers from the registry themselves (lazily, once per process), so only
texts and counts cross process boundaries."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from tokeff.corpora.corpus import Corpus
from tokeff.errors import TokeffError
from tokeff.tokenizers.backends import BACKENDS
from tokeff.tokenizers.tokenizer import Tokenizer, get_tokenizer

Engine = Literal["local", "datasets", "dask"]


def _count_shard(tokenizer_ids: list[str], texts: list[str]) -> dict[str, list[int]]:
    """Runs in a worker: counts of `texts` under each tokenizer."""
    return {tid: get_tokenizer(tid).count(texts) for tid in tokenizer_ids}


def _shards(texts: list[str], size: int) -> list[list[str]]:
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def distributed_counts(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *, engine: Engine,
                       workers: int = 2, address: str | None = None, shard_size: int = 2000) -> dict[str, dict[str, int]]:
    """{tokenizer id: {text: tokens}} for every distinct text of `corpora`, counted on `engine`."""
    ids = [t.id for t in tokenizers]
    for t in tokenizers:
        if not BACKENDS[t.entry.backend].portable or not t.entry.fingerprint():
            raise TokeffError(f"{t.id}: only registry tokenizers with pinned files can be counted on workers")
    distinct = list(dict.fromkeys(t for c in corpora for texts in c.texts.values() for t in texts))
    shards = _shards(distinct, shard_size)
    if engine == "datasets":
        results = _on_datasets(ids, shards, workers)
    elif engine == "dask":
        results = _on_dask(ids, shards, workers, address)
    else:
        results = [_count_shard(ids, s) for s in shards]
    out: dict[str, dict[str, int]] = {tid: {} for tid in ids}
    for shard, counts in zip(shards, results, strict=True):
        for tid in ids:
            out[tid].update(zip(shard, counts[tid], strict=True))
    return out


def _on_datasets(ids: list[str], shards: list[list[str]], workers: int) -> list[dict[str, list[int]]]:
    import datasets

    with tempfile.TemporaryDirectory(prefix="tokeff-shards-") as tmp:
        files = []
        for i, shard in enumerate(shards):
            path = Path(tmp) / f"shard-{i:05d}.parquet"
            pd.DataFrame({"text": shard, "shard": i}).to_parquet(path)
            files.append(str(path))
        ds = datasets.load_dataset("parquet", data_files=files, split="train",
                                   cache_dir=str(Path(tmp) / "hf-cache"))

        def fn(batch: dict[str, list[object]]) -> dict[str, list[int]]:
            counts = _count_shard(ids, [str(t) for t in batch["text"]])
            return {f"tokens::{tid}": counts[tid] for tid in ids}

        mapped = ds.map(fn, batched=True, batch_size=1000, num_proc=max(1, workers),
                        desc="tokeff counting", load_from_cache_file=False)
        frame = mapped.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    results = []
    for i in range(len(shards)):
        part = frame[frame["shard"] == i]
        results.append({tid: [int(x) for x in part[f"tokens::{tid}"]] for tid in ids})
    return results


def _on_dask(ids: list[str], shards: list[list[str]], workers: int, address: str | None) -> list[dict[str, list[int]]]:
    from dask.distributed import Client, LocalCluster

    if address:
        client = Client(address)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        futures = client.map(_count_shard, [ids] * len(shards), shards, pure=False)
        return list(client.gather(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class PrecountedTokenizer:
    """Stands in for a Tokenizer inside count_segments: answers from counts made elsewhere."""

    def __init__(self, tok: Tokenizer, counts: dict[str, int]) -> None:
        self.tok, self.counts = tok, counts
        self.id, self.status, self.fingerprint = tok.id, tok.status, tok.fingerprint
        self.entry = tok.entry

    def count(self, texts: Sequence[str]) -> list[int]:
        return [self.counts[t] for t in texts]


__all__ = ["Engine", "PrecountedTokenizer", "distributed_counts"]
