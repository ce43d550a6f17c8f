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

from tokeff.cache import CountCache, text_key
from tokeff.cli import app

FP = "ab" * 32

WRITER = textwrap.dedent("""
    import sys
    from tokeff.cache import CountCache, text_key
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
