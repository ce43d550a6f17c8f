"""`tokeff verify DIR`: recompute a report's ratios from its manifest and compare them exactly."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tokeff.corpora.corpus import Corpus, pool
from tokeff.corpora.loaders import load_corpora
from tokeff.errors import TokeffError
from tokeff.study.run import resolve_tokenizers, run_study
from tokeff.version import __version__

COMPARED = ["segments", "chars", "bytes", "tokens", "reference_tokens", "premium", "premium_low", "premium_high",
            "tokens_per_1k_ref_words", "tokens_per_1k_ref_chars", "corpus_digest", "tokenizer_fingerprint"]


def verify_report(report_dir: str | os.PathLike[str]) -> list[str]:
    """Differences between the report's ratios and a fresh recomputation (no cache); empty when
    every compared number reproduces exactly."""
    d = Path(report_dir)
    try:
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        saved = pd.read_parquet(d / "ratios.parquet")
    except FileNotFoundError as exc:
        raise TokeffError(f"{d}: not a tokeff report ({exc.filename} missing)") from exc
    specs = manifest["corpus_specs"]
    loaded = load_corpora(None if specs == ["shipped"] else specs)
    measured: list[Corpus] = list(loaded)
    pooled = [c for c in manifest["corpora"] if c.get("pooled_from")]
    if pooled:
        measured.append(pool(pooled[0]["name"], loaded))
    diffs: list[str] = []
    if manifest["tokeff_version"] != __version__:
        diffs.append(f"made with tokeff {manifest['tokeff_version']}, verified with {__version__}")
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
    key = ["corpus", "language", "tokenizer"]
    a = saved.set_index(key)
    b = fresh.set_index(key)
    for k in a.index.difference(b.index):
        diffs.append(f"{'/'.join(map(str, k))}: in the report, not recomputed")
    for k in b.index.difference(a.index):
        diffs.append(f"{'/'.join(map(str, k))}: recomputed, not in the report")
    for k in a.index.intersection(b.index):
        for col in COMPARED:
            x: object = a.at[k, col]
            y: object = b.at[k, col]
            same = bool(x == y) or (isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y))
            if not same:
                diffs.append(f"{'/'.join(map(str, k))}: {col} {_plain(x)!r} in the report, {_plain(y)!r} recomputed")
    diffs += _exports_agree(d, saved)
    return diffs


def _exports_agree(d: Path, saved: pd.DataFrame) -> list[str]:
    """ratios.csv and ratios.json must carry the numbers of ratios.parquet (CSV and JSON print
    floats in decimal, so numbers are compared to 1e-12 relative)."""
    import json

    key = ["corpus", "language", "tokenizer"]
    base = saved.set_index(key)
    diffs = []
    others = {
        "ratios.csv": lambda: pd.read_csv(d / "ratios.csv", keep_default_na=False, na_values=[""]),
        "ratios.json": lambda: pd.DataFrame(json.loads((d / "ratios.json").read_text(encoding="utf-8"))["rows"]),
    }
    for name, read in others.items():
        if not (d / name).is_file():
            diffs.append(f"{name}: missing")
            continue
        other = read().astype({"corpus": str, "language": str, "tokenizer": str}).set_index(key)
        for k in base.index:
            if k not in other.index:
                diffs.append(f"{name}: no row {'/'.join(map(str, k))}")
                continue
            for col in COMPARED:
                x: Any = base.at[k, col]
                y: Any = other.at[k, col]
                if isinstance(x, str) or isinstance(y, str):
                    same = str(x) == str(y)
                else:
                    same = bool(np.isclose(float(x), float(y), rtol=1e-12, atol=0, equal_nan=True))
                if not same:
                    diffs.append(f"{name}: {'/'.join(map(str, k))}: {col} {_plain(y)!r} differs from "
                                 f"ratios.parquet's {_plain(x)!r}")
    return diffs


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
