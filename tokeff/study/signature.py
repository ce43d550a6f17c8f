"""Signatures in sacrebleu's style: every number carries what produced it.

    tokeff:0.1.0|corpus:sample@1a2b3c4d|ref:en|tok:o200k_base@f280d2b6|ci:cluster-doc,n=1000,seed=12345|count:no-special
"""

from __future__ import annotations

from tokeff.version import __version__


def signature(*, corpus: str, corpus_digest: str, reference: str, tokenizer: str, fingerprint: str,
              ci_method: str, n_resamples: int, seed: int) -> str:
    inner = ci_method[ci_method.find("(") + 1 : ci_method.rfind(")")] if "(" in ci_method else ci_method
    ci = "segment" if inner == "segment" else "cluster-" + inner.replace(" ", "-")
    return "|".join([
        f"tokeff:{__version__}",
        f"corpus:{corpus}@{corpus_digest[:8]}",
        f"ref:{reference}",
        f"tok:{tokenizer}@{fingerprint[:8]}",
        f"ci:{ci},n={n_resamples},seed={seed}",
        "count:no-special",
    ])
