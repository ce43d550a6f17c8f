"""Write tables to CSV, JSON or Parquet (picked by the file's extension), atomically: the data
goes to a temporary file beside the target and is renamed over it only when complete."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from tokeff.errors import TokeffError, UsageError
from tokeff.version import __version__

SCHEMA_VERSION = 1  # of the JSON exports (see tokeff.report.schemas)

FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet"}


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it over `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def records(df: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as plain Python values: floats keep every digit (pandas' to_json rounds to 10), NaN is null."""
    import math

    out = []
    for rec in df.to_dict("records"):
        row: dict[str, object] = {}
        for k, v in rec.items():
            v = v.item() if hasattr(v, "item") else v
            row[str(k)] = None if isinstance(v, float) and math.isnan(v) else v
        out.append(row)
    return out


def _refuse_infinite(df: pd.DataFrame, path: Path) -> None:
    """An infinite number is an overflow upstream, never a result: refuse to write it (JSON has
    no Infinity; CSV and Parquet readers would take it as a value)."""
    import numpy as np

    for col in df.columns:
        values = df[col]
        if values.dtype.kind == "f" and np.isinf(values.to_numpy()).any():
            row = int(np.flatnonzero(np.isinf(values.to_numpy()))[0])
            raise UsageError(f"{path}: column {col} is infinite in row {row + 1}; an input is too large "
                             "(nothing was written)")


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write `df` to `path`; the format follows the extension (.csv, .json, .parquet)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise TokeffError(f"{path}: unknown output format; use one of {', '.join(FORMATS)}")
    _refuse_infinite(df, path)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            df.to_csv(tmp, index=False)
        elif fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            rows = records(df)
            doc = {"tokeff_version": __version__, "schema_version": SCHEMA_VERSION, "rows": rows}
            tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table written by `write_table` (CSV, JSON with `rows`, or Parquet)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or not path.is_file():
        raise TokeffError(f"{path}: not a ratio table (.csv, .json or .parquet from `tokeff measure --out`)")
    try:
        if fmt == "csv":
            return pd.read_csv(path)
        if fmt == "parquet":
            return pd.read_parquet(path)
        doc = json.loads(path.read_text(encoding="utf-8"))
        return pd.DataFrame(doc["rows"] if isinstance(doc, dict) else doc)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # unreadable, not that format, no rows
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TokeffError(f"{path}: not a readable {fmt} ratio table ({first})") from exc
