"""The count cache is a real embedded database: shared by concurrent runs, intact after a kill,
and prunable."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from typer.testing import CliRunner

from tokeff._util.cache import CountCache, text_key
from tokeff.cli import app

FP = "ab" * 32

WRITER = textwrap.dedent("""
    import sys
    from tokeff._util.cache import CountCache, text_key
    cache = CountCache(sys.argv[1])
    start, batches, size = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for b in range(batches):
        base = start + b * size
        cache.put_many("FINGERPRINT", [(text_key(f"text {i}"), i) for i in range(base, base + size)])
        print(b, flush=True)
""").replace("FINGERPRINT", FP)


def _spawn(path: Path, start: int, batches: int, size: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(start), str(batches), str(size)],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())})


def test_two_concurrent_runs_share_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    a = _spawn(path, 0, 20, 500)
    b = _spawn(path, 10_000, 20, 500)  # disjoint keys
    c = _spawn(path, 0, 20, 500)  # the same keys as a, written again
    for p in (a, b, c):
        assert p.wait(timeout=120) == 0
    cache = CountCache(path)
    assert cache.stats()["entries"] == 20_000
    got = cache.get_many(FP, [text_key(f"text {i}") for i in (0, 9999, 10_000, 19_999)])
    assert sorted(got.values()) == [0, 9999, 10_000, 19_999]


def test_killed_writer_leaves_a_consistent_cache(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite"
    p = _spawn(path, 0, 10_000, 2000)
    assert p.stdout is not None
    for _ in range(3):  # let it commit a few batches, then kill it in the middle of the next
        p.stdout.readline()
    time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    entries = CountCache(path).stats()["entries"]
    assert entries >= 3 * 2000 and entries % 2000 == 0  # whole batches only: each write is one transaction
    cache = CountCache(path)
    cache.put_many(FP, [(text_key("after"), 7)])  # still writable
    assert cache.get_many(FP, [text_key("after")]) == {text_key("after"): 7}


def test_cache_clear_from_the_cli(tmp_path: Path, monkeypatch: object) -> None:
    CountCache().put_many(FP, [(text_key("x"), 1), (text_key("y"), 2)])
    res = CliRunner().invoke(app, ["cache", "clear"])
    assert res.exit_code == 0 and "removed 2 cached counts" in res.output
    assert CountCache().stats()["entries"] == 0


def test_a_study_is_answered_from_the_cache_and_only_for_the_same_study() -> None:
    from dataclasses import replace

    import tokeff
    from tokeff.study.run import load_study, run_study
    from tokeff.tokenizers.tokenizer import Tokenizer

    corpora, toks = load_study("sample", ["o200k_base", "llama3"], languages=["ja", "ko"])
    cache = CountCache()
    first = run_study(corpora, toks, cache=cache, n_resamples=300, seed=4)
    fresh = tokeff.measure("sample", ["o200k_base", "llama3"], languages=["ja", "ko"], n_resamples=300, seed=4,
                           cache=False)
    assert [r["premium_low"] for r in first.rows] == list(fresh["premium_low"])
    # the same tokenizers (same fingerprints) whose files are gone: any loading would fail
    broken = [Tokenizer(replace(t.entry, files={r: replace(f, package=None, version=None, path="/nonexistent")
                                                for r, f in t.entry.files.items()})) for t in toks]
    assert [b.fingerprint for b in broken] == [t.fingerprint for t in toks]
    again = run_study(corpora, broken, cache=cache, n_resamples=300, seed=4)
    assert again.rows == first.rows
    # another seed is another study: computed again from the cached counts, not served
    other = run_study(corpora, broken, cache=cache, n_resamples=300, seed=5)
    assert [r["premium"] for r in other.rows] == [r["premium"] for r in first.rows]
    assert [r["premium_low"] for r in other.rows] != [r["premium_low"] for r in first.rows]
    # the per-segment table is still there when asked for (counted from the cache)
    assert int(again.segment_table.numbers["tokens"].sum()) == int(first.segment_table.numbers["tokens"].sum())
    assert not any(b.loaded for b in broken)
    CountCache().clear()  # clears the stored studies too
    assert CountCache().get_study(b"\0" * 16) is None and CountCache().stats()["entries"] == 0


WARM_RUN = textwrap.dedent("""
    import sys
    from tokeff.cli import app
    try:
        app(["measure", "-c", "sample", "-t", "o200k_base", "-t", "llama3", "-l", "ja"])
    except SystemExit as exc:
        assert not exc.code, exc.code
    heavy = sorted(m for m in ("pandas", "pyarrow", "pydantic", "langcodes", "importlib.metadata") if m in sys.modules)
    print("HEAVY", heavy)
""")


def test_a_cached_measure_imports_no_pandas_pydantic_or_langcodes(tmp_path: Path) -> None:
    """What keeps a fully cached `tokeff measure` fast: the second run imports none of them
    (bench/bench_measure.py times it)."""
    env = {**os.environ, "TOKEFF_CACHE_DIR": str(tmp_path), "TOKEFF_NO_PLUGINS": "1"}
    runs = [subprocess.run([sys.executable, "-c", WARM_RUN], capture_output=True, text=True, env=env, check=True)
            for _ in range(2)]
    assert "ja" in runs[1].stdout and "o200k_base" in runs[1].stdout
    assert "HEAVY []" in runs[1].stdout, runs[1].stdout[-300:]
    assert "pydantic" in runs[0].stdout  # the first run validated the registry


def test_the_cache_keeps_row_order_and_takes_numpy_integers() -> None:
    import numpy as np

    import tokeff

    first = tokeff.measure("sample", ["o200k_base"], languages=["ko", "ja"], n_resamples=50)
    again = tokeff.measure("sample", ["o200k_base"], languages=["ja", "ko"], n_resamples=50)
    fresh = tokeff.measure("sample", ["o200k_base"], languages=["ja", "ko"], n_resamples=50, cache=False)
    assert list(first.language) == ["en", "ko", "ja"]
    assert list(again.language) == list(fresh.language) == ["en", "ja", "ko"]
    seeded = tokeff.measure("sample", ["o200k_base"], languages=["ja"], n_resamples=np.int64(50), seed=np.int64(7))
    assert list(seeded.seed) == [7, 7] and list(seeded.n_resamples) == [50, 50]


def test_cache_clear_also_removes_validated_snapshots() -> None:
    import tokeff.tokenizers.registry
    from tokeff._util.snapshot import snapshot_path
    from tokeff.tokenizers.registry import _load_cached, load_registry

    _load_cached.cache_clear()
    load_registry(plugins=False)
    text = tokeff.tokenizers.registry.data_path("tokenizer_registry.yaml").read_text(encoding="utf-8")
    snap = snapshot_path(text, "registry", *tokeff.tokenizers.registry.SCHEMA_FILES)
    assert snap is not None and snap.is_file()
    res = CliRunner().invoke(app, ["cache", "clear"])
    assert res.exit_code == 0 and "validated-file snapshots" in res.output and not snap.exists()
    _load_cached.cache_clear()
