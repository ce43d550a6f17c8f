"""Benchmark: tokeff's measuring time next to the fastest raw encode of the same tokenizers on
the same texts (FLORES-200 devtest x en/ja/ko/zh-Hans), cold and warm.

    python bench/bench_measure.py [--split devtest] [--tokenizer ID ...]

Raw ways timed per tokenizer (encode only, tokenizer already loaded, best of 3):
  tiktoken: encode_ordinary_batch; a plain per-text encode_ordinary loop; the same loop split
            over both cores in two threads (tiktoken releases the GIL)
  tokenizers: encode_batch (Rust, parallel);  sentencepiece: batch encode with num_threads
tokeff:
  count  - count_segments with tokenizers loaded and no cache (the measuring work itself)
  cold   - fresh process state: empty cache, tokenizers not loaded (load + count + write cache)
  warm   - every count cached, fresh Tokenizer objects (nothing is loaded)
  process cold / warm - the whole `tokeff measure` command in a new process (o200k, cl100k, llama3)
Needs ../shared/corpora/flores200-cjk.tar.xz; exits 0 with a note when it is absent."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "corpora" / "flores200-cjk.tar.xz"
LANGS = ["en", "ja", "ko", "zh-Hans"]


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def raw_ways(tok, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from tokeff.backends.hf_tokenizers import TokenizersBackend
    from tokeff.backends.sentencepiece_backend import SentencePieceBackend
    from tokeff.backends.tiktoken_backend import TiktokenBackend

    b = tok.backend
    ways: dict[str, Callable[[], object]] = {}
    if isinstance(b, TiktokenBackend):
        enc = b.encoding
        ways["encode_ordinary_batch"] = lambda: enc.encode_ordinary_batch(texts)
        ways["loop"] = lambda: [enc.encode_ordinary(t) for t in texts]
        half = len(texts) // 2
        parts = [texts[:half], texts[half:]]

        def split2() -> object:
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(lambda p: [enc.encode_ordinary(t) for t in p], parts))

        ways["loop x2 threads"] = split2
    elif isinstance(b, TokenizersBackend):
        ways["encode_batch"] = lambda: b.tokenizer.encode_batch(texts, add_special_tokens=False)
        if hasattr(b.tokenizer, "encode_batch_fast"):
            ways["encode_batch_fast"] = lambda: b.tokenizer.encode_batch_fast(texts, add_special_tokens=False)
    elif isinstance(b, SentencePieceBackend):
        ways["encode(list, num_threads=2)"] = lambda: b.processor.encode(texts, num_threads=2)
        ways["loop"] = lambda: [b.processor.encode(t) for t in texts]
    return {k: best(v) for k, v in ways.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="devtest")
    ap.add_argument("--tokenizer", action="append")
    args = ap.parse_args()
    if not ARCHIVE.is_file():
        print(f"skip: {ARCHIVE} is absent")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="tokeff-bench-"))
    os.environ["TOKEFF_CACHE_DIR"] = str(tmp / "cache")
    with tarfile.open(ARCHIVE) as tar:
        tar.extractall(tmp, filter="data")
    spec = f"flores200:{tmp / 'flores200'}:{args.split}"

    import tokeff
    from tokeff.cache import CountCache
    from tokeff.counting import count_segments
    from tokeff.loaders import load_corpus
    from tokeff.tokenizer import Tokenizer

    reg = tokeff.load_registry()
    ids = args.tokenizer or [e.id for e in reg.defaults()]
    corpus = load_corpus(spec, LANGS)
    texts = [t for lang in LANGS for t in corpus.texts[lang]]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"corpus: FLORES-200 {args.split}, {len(corpus)} segments x {len(LANGS)} languages = "
          f"{len(texts)} texts, {mb:.2f} MB; {os.cpu_count()} CPUs\n")

    rows = []
    cache = CountCache(tmp / "cache" / "cold.sqlite")
    for tid in ids:
        # cold: new Tokenizer (loads files, checks sha256), empty cache
        cold_tok = Tokenizer(reg.get(tid))
        t0 = time.perf_counter()
        segs = count_segments([corpus], [cold_tok], cache=cache)
        cold = time.perf_counter() - t0
        ntok = int(segs["tokens"].sum())
        t0 = time.perf_counter()
        Tokenizer(reg.get(tid)).backend  # noqa: B018 - load time alone
        load = time.perf_counter() - t0
        raw = raw_ways(cold_tok, texts)
        fastest_name, fastest = min(raw.items(), key=lambda kv: kv[1])
        count_only = best(lambda: count_segments([corpus], [cold_tok], cache=None))  # noqa: B023
        warm_tok = Tokenizer(reg.get(tid))
        warm = best(lambda: count_segments([corpus], [warm_tok], cache=cache))  # noqa: B023
        assert not warm_tok.loaded
        rows.append((tid, load, raw, fastest_name, fastest, count_only, cold, warm, ntok))

    print("| tokenizer | load s | raw ways (s) | fastest raw | MB/s | Mtok/s | tokeff count s | overhead | cold s | warm s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    tot_fast = 0.0
    for tid, load, raw, fname, fast, count_only, cold, warm, ntok in rows:
        ways = "; ".join(f"{k} {v:.3f}" for k, v in raw.items())
        tot_fast += fast
        print(f"| {tid} | {load:.2f} | {ways} | {fname} {fast:.3f} | {mb / fast:.1f} | {ntok / fast / 1e6:.2f} | "
              f"{count_only:.3f} | {count_only / fast:.2f}x | {cold:.2f} | {warm:.3f} |")

    # the study: one count_segments call over every tokenizer, as `tokeff measure` makes it
    study_toks = [Tokenizer(reg.get(tid)) for tid in ids]
    for t in study_toks:
        t.backend  # noqa: B018 - loaded: the study's counting work alone is timed
    study = best(lambda: count_segments([corpus], study_toks, cache=None))
    os.environ["TOKEFF_THREADS"] = "1"
    one_core = best(lambda: count_segments([corpus], study_toks, cache=None))
    del os.environ["TOKEFF_THREADS"]
    warm_toks = [Tokenizer(reg.get(tid)) for tid in ids]
    warm_study = best(lambda: count_segments([corpus], warm_toks, cache=cache))
    print(f"\nthe study ({len(ids)} tokenizers, one call): fastest raw {tot_fast:.3f} s, tokeff {study:.3f} s, "
          f"overhead {study / tot_fast:.2f}x; one core {one_core:.3f} s (both cores: {one_core / study:.2f}x faster "
          f"for the threaded backends); warm from the cache {warm_study:.3f} s, no tokenizer loaded")

    # warm re-run of the default report's measuring work (every count cached)
    from tokeff.corpus import pool
    from tokeff.loaders import load_corpora
    from tokeff.report.build import POOLED

    shipped = load_corpora(None)
    measured = [*shipped, pool(POOLED, shipped)]
    rep_toks = [Tokenizer(reg.get(e.id)) for e in reg.defaults()]
    count_segments(measured, rep_toks, cache=cache)
    rep_toks = [Tokenizer(reg.get(e.id)) for e in reg.defaults()]
    rep_warm = best(lambda: count_segments(measured, rep_toks, cache=cache))
    assert not any(t.loaded for t in rep_toks)
    n_texts = sum(len(c) * len(c.languages) for c in measured) * len(rep_toks)
    print(f"warm re-run of the default report's measuring work ({len(measured)} corpora incl. pooled, "
          f"{len(rep_toks)} tokenizers, {n_texts:,} segment counts): {rep_warm:.3f} s")

    # whole process, three tokenizers, cold then warm
    env = dict(os.environ, TOKEFF_CACHE_DIR=str(tmp / "proc-cache"))
    cmd = [sys.executable, "-m", "tokeff.cli", "measure", "-c", spec, "-t", "o200k_base", "-t", "cl100k_base",
           "-t", "llama3", *[a for x in LANGS for a in ("-l", x)], "--out", str(tmp / "r.csv")]
    proc = []
    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        proc.append((label, time.perf_counter() - t0))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tokeff.cli"], env=env, check=True)
    imp = time.perf_counter() - t0
    raw3 = 0.0
    for tid in ("o200k_base", "cl100k_base", "llama3"):
        t0 = time.perf_counter()
        tok = Tokenizer(reg.get(tid))
        tok.count(texts)
        raw3 += time.perf_counter() - t0
    print("\nwhole `tokeff measure` process, o200k_base + cl100k_base + llama3: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in proc) + f" (python + import alone {imp:.2f} s; "
          f"raw load + encode of the three in-process {raw3:.2f} s, cold process / raw = {proc[0][1] / raw3:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
