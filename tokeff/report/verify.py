"""`tokeff verify DIR`: recompute a report's ratios from its manifest and compare them exactly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from tokeff.corpus import Corpus, pool
from tokeff.counting import count_segments
from tokeff.errors import TokeffError
from tokeff.loaders import load_corpora
from tokeff.measure import resolve_tokenizers, summarize
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
    segs = count_segments(measured, toks, cache=None)
    fresh = summarize(segs, reference=manifest["reference"], n_resamples=manifest["bootstrap"]["resamples"],
                      seed=manifest["bootstrap"]["seed"], digests={c.name: c.digest() for c in measured},
                      tokenizers={t.id: t for t in toks})
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
                diffs.append(f"{'/'.join(map(str, k))}: {col} {x!r} in the report, {y!r} recomputed")
    return diffs
