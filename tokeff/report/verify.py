"""`tokeff verify DIR`: check a report against its manifest, both ways. Every ratio is
recomputed from the corpora and tokenizers the manifest names (no cache) and compared exactly
with ratios.parquet, ratios.csv and ratios.json; the cost table is recomputed from those ratios,
the manifest's workload, rates and FX and compared exactly with costs.csv; and every file is
checked against the sha256 the manifest lists (missing, extra and changed files are named)."""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from tokeff.corpora.corpus import Corpus, pool
from tokeff.corpora.loaders import load_corpora
from tokeff.errors import TokeffError, UsageError
from tokeff.report.folder import MANIFEST, file_hashes, sha256
from tokeff.study.run import resolve_tokenizers, run_study
from tokeff.version import __version__

COMPARED = ["segments", "chars", "bytes", "tokens", "reference_tokens", "premium", "premium_low", "premium_high",
            "tokens_per_1k_ref_words", "tokens_per_1k_ref_chars", "corpus_digest", "tokenizer_fingerprint"]
KEY = ["corpus", "language", "tokenizer"]


def verify_report(report_dir: str | os.PathLike[str]) -> list[str]:
    """Every difference between the report and a fresh recomputation, and every file that is
    missing, extra or not the one the manifest lists; empty when all reproduces exactly."""
    d = Path(report_dir)
    manifest = _read_manifest(d)
    try:
        diffs = _verify(d, manifest)
    except (KeyError, TypeError, IndexError) as exc:
        raise TokeffError(f"{d / MANIFEST}: not a manifest tokeff can verify (missing or malformed {exc})") from exc
    return diffs + _files_agree(d, manifest)


def _read_manifest(d: Path) -> dict[str, Any]:
    if not d.is_dir():
        raise UsageError(f"{d}: not a folder; give the folder `tokeff report` wrote")
    path = d / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TokeffError(f"{d}: not a tokeff report ({MANIFEST} missing)") from exc
    except (OSError, ValueError) as exc:
        raise TokeffError(f"{path}: unreadable or not JSON ({exc})") from exc
    if not isinstance(doc, dict) or "tokeff_version" not in doc or "files" not in doc:
        raise TokeffError(f"{path}: not a manifest of a tokeff report (no tokeff_version or file list)")
    return doc


def _verify(d: Path, manifest: dict[str, Any]) -> list[str]:
    diffs: list[str] = []
    if manifest["tokeff_version"] != __version__:
        diffs.append(f"made with tokeff {manifest['tokeff_version']}, verified with {__version__}")
    loaded = load_corpora(manifest["corpus_specs"])
    measured: list[Corpus] = list(loaded)
    for c in manifest["corpora"]:
        if c.get("pooled_from"):
            measured.append(pool(c["name"], [x for x in loaded if x.name in c["pooled_from"]]))
    want = {c["name"]: c["digest"] for c in manifest["corpora"]}
    for c in measured:
        if want.get(c.name) != c.digest():
            diffs.append(f"corpus {c.name}: digest {c.digest()[:12]} differs from the manifest's {str(want.get(c.name))[:12]}")
    toks = resolve_tokenizers([t["id"] for t in manifest["tokenizers"]])
    for t, m in zip(toks, manifest["tokenizers"], strict=True):
        if t.fingerprint != m["fingerprint"]:
            diffs.append(f"tokenizer {t.id}: fingerprint {t.fingerprint[:12]} differs from the manifest's {m['fingerprint'][:12]}")
    fresh = run_study(measured, toks, reference=manifest["reference"], n_resamples=manifest["bootstrap"]["resamples"],
                      seed=manifest["bootstrap"]["seed"], cache=None).table
    if not (d / "ratios.parquet").is_file():
        return diffs  # named by the file check
    saved = pd.read_parquet(d / "ratios.parquet")
    diffs += _rows_agree("", saved, fresh, " in the report", " recomputed")
    for name, read in {"ratios.csv": lambda: _read_csv(d / "ratios.csv"),
                       "ratios.json": lambda: pd.DataFrame(json.loads((d / "ratios.json").read_text(encoding="utf-8"))["rows"])}.items():
        if (d / name).is_file():
            diffs += _rows_agree(f"{name}: ", read(), saved, "", " differs from ratios.parquet's", swap=True)
    return diffs + _costs_agree(d, manifest, fresh)


def _rows_agree(prefix: str, a_df: pd.DataFrame, b_df: pd.DataFrame, a_says: str, b_says: str,
                swap: bool = False) -> list[str]:
    """Row-by-row exact comparison of two ratio tables on COMPARED (keyed by corpus/language/tokenizer)."""
    a = a_df.astype({k: str for k in KEY}).set_index(KEY)
    b = b_df.astype({k: str for k in KEY}).set_index(KEY)
    diffs = []
    for k in a.index.difference(b.index):
        diffs.append(f"{prefix}{'/'.join(k)}: in the report, not recomputed" if not swap else f"{prefix}extra row {'/'.join(k)}")
    for k in b.index.difference(a.index):
        diffs.append(f"{prefix}{'/'.join(k)}: recomputed, not in the report" if not swap else f"{prefix}no row {'/'.join(k)}")
    for k in a.index.intersection(b.index):
        for col in COMPARED:
            x, y = a.at[k, col], b.at[k, col]
            if not _same(x, y):
                diffs.append(f"{prefix}{'/'.join(k)}: {col} {_plain(x)!r}{a_says}, {_plain(y)!r}{b_says}"
                             if not swap else f"{prefix}{'/'.join(k)}: {col} {_plain(x)!r}{b_says} {_plain(y)!r}")
    return diffs


def _costs_agree(d: Path, manifest: dict[str, Any], ratios: pd.DataFrame) -> list[str]:
    """Recompute the cost table from the recomputed ratios and the manifest's workload, models,
    rates and FX (the files the report used, if unchanged) and compare it with costs.csv."""
    from tokeff.costs.fx import load_fx
    from tokeff.costs.money import for_export
    from tokeff.costs.pricing import cost
    from tokeff.costs.rates import load_rates
    from tokeff.costs.workload import parse_workload

    diffs: list[str] = []
    for what in ("rates", "fx"):
        path = Path(manifest[what]["path"])
        if not path.is_file() or sha256(path) != manifest[what]["sha256"]:
            return [f"costs.csv: not recomputed: the {what} file {path} is not the one the report used (missing or changed)"]
    if not (d / "costs.csv").is_file():
        return diffs
    wl = parse_workload(manifest["workload"], f"{d / MANIFEST} (workload)")
    on = manifest["rates"].get("priced_on")  # lifecycles as they were on the day the report was built
    fresh = for_export(cost(wl, manifest["rates"]["priced"], ratios, rates=load_rates(manifest["rates"]["path"]),
                            fx=load_fx(manifest["fx"]["path"]), on=date.fromisoformat(on) if on else None))
    saved = _read_csv(d / "costs.csv")
    if list(saved.columns) != list(fresh.columns) or len(saved) != len(fresh):
        return [f"costs.csv: {len(saved)} rows x {len(saved.columns)} columns, recomputed {len(fresh)} x {len(fresh.columns)}"]
    for i, (s_row, f_row) in enumerate(zip(saved.itertuples(index=False), fresh.itertuples(index=False), strict=True)):
        for col, x, y in zip(fresh.columns, s_row, f_row, strict=True):
            if not _same(x, y):
                diffs.append(f"costs.csv: row {i + 1} ({f_row.model}, {f_row.language}): {col} {_plain(x)!r} "
                             f"in the report, {_plain(y)!r} recomputed")
    return diffs


def _files_agree(d: Path, manifest: dict[str, Any]) -> list[str]:
    listed: dict[str, str] = manifest["files"]
    here = file_hashes(d)
    diffs = [f"{name}: missing" for name in listed if name not in here]
    diffs += [f"{name}: not written by the report (not in the manifest)" for name in here if name not in listed]
    diffs += [f"{name}: changed (sha256 {here[name][:12]}, the manifest lists {sha[:12]})"
              for name, sha in listed.items() if name in here and here[name] != sha]
    return diffs


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV tokeff wrote, read back exactly (pandas writes and reads floats round-trip)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _same(x: Any, y: Any) -> bool:
    """Exact equality; numbers compare as numbers (1 == 1.0), missing equals missing."""
    x, y = _plain(x), _plain(y)
    if _missing(x) or _missing(y):
        return _missing(x) and _missing(y)
    if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool) and not isinstance(y, bool):
        return float(x) == float(y)
    return str(x) == str(y)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == ""


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
