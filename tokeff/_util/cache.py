"""On-disk cache of token counts: SQLite, keyed by tokenizer fingerprint + text hash.

A second run of the same study reads its counts from here and never loads a tokenizer.
WAL mode lets two runs share the file; every write is one transaction, so a run killed
mid-write leaves the cache as it was before that write."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from tokeff._util.paths import cache_dir
from tokeff.errors import CacheError, TokeffError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (
    tok BLOB NOT NULL,      -- first 16 bytes of the tokenizer fingerprint
    h BLOB NOT NULL,        -- blake2b-128 of the text's UTF-8 bytes
    n INTEGER NOT NULL,     -- token count
    PRIMARY KEY (tok, h)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS studies (
    k BLOB PRIMARY KEY,     -- blake2b-128 of everything that decides a ratio table (measure.study_key)
    rows TEXT NOT NULL      -- its rows, as JSON
) WITHOUT ROWID;
"""
_CHUNK = 900  # stay under SQLite's bound-parameter limit


def text_key(text: str) -> bytes:
    """The cache key of a text: blake2b-128 of its exact UTF-8 bytes."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class CountCache:
    """Token counts by (tokenizer fingerprint, text key)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else cache_dir() / "counts.sqlite"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TokeffError(f"cannot use {self.path.parent} as the count cache folder (TOKEFF_CACHE_DIR): {exc}") from exc
        self._local = threading.local()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite's errors as one CacheError naming the file and what to do."""
        try:
            yield
        except sqlite3.Error as exc:
            raise CacheError(f"the count cache {self.path} cannot be used ({exc}); run `tokeff cache clear` to start "
                             "it afresh, set TOKEFF_CACHE_DIR to a writable folder, or pass --no-cache") from exc

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._local.conn = conn
        return conn

    @staticmethod
    def _tok(fingerprint: str) -> bytes:
        return bytes.fromhex(fingerprint)[:16]

    def get_many(self, fingerprint: str, keys: Sequence[bytes]) -> dict[bytes, int]:
        """Counts found for `keys` (missing keys are absent from the result)."""
        with self._errors():
            tok = self._tok(fingerprint)
            conn = self._conn()
            found: dict[bytes, int] = {}
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(f"SELECT h, n FROM counts WHERE tok = ? AND h IN ({marks})", (tok, *chunk))
                found.update(rows)
            return found

    def put_many(self, fingerprint: str, items: Iterable[tuple[bytes, int]]) -> None:
        with self._errors():
            tok = self._tok(fingerprint)
            conn = self._conn()
            with conn:  # one transaction: all or nothing
                conn.executemany("INSERT OR REPLACE INTO counts (tok, h, n) VALUES (?, ?, ?)",
                                 ((tok, h, n) for h, n in items))

    def get_study(self, key: bytes) -> str | None:
        """The ratio rows (JSON) stored for a study key, if any."""
        with self._errors():
            row = self._conn().execute("SELECT rows FROM studies WHERE k = ?", (key,)).fetchone()
            return str(row[0]) if row else None

    def put_study(self, key: bytes, rows: str) -> None:
        with self._errors():
            conn = self._conn()
            with conn:
                conn.execute("INSERT OR REPLACE INTO studies (k, rows) VALUES (?, ?)", (key, rows))

    def stats(self) -> dict[str, int]:
        with self._errors():
            conn = self._conn()
            rows = conn.execute("SELECT COUNT(*), COUNT(DISTINCT tok) FROM counts").fetchone()
            return {"entries": int(rows[0]), "tokenizers": int(rows[1]),
                    "bytes": self.path.stat().st_size if self.path.exists() else 0}

    def clear(self, fingerprint: str | None = None) -> int:
        """Delete all counts (or one tokenizer's), and every stored ratio table; returns how many
        counts went. A cache file SQLite cannot read is removed whole (it is tokeff's own file)."""
        try:
            conn = self._conn()
            with conn:
                conn.execute("DELETE FROM studies")
                if fingerprint:
                    cur = conn.execute("DELETE FROM counts WHERE tok = ?", (self._tok(fingerprint),))
                else:
                    cur = conn.execute("DELETE FROM counts")
            conn.execute("VACUUM")
            return int(cur.rowcount)
        except sqlite3.DatabaseError:
            if fingerprint:
                raise
            self.close()
            for suffix in ("", "-wal", "-shm"):
                with self._errors(), suppress(FileNotFoundError):
                    Path(f"{self.path}{suffix}").unlink()
            return 0

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
