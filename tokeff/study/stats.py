"""Statistics on per-segment counts: the premium (a ratio of sums) and its paired bootstrap CI.

The premium of language L against reference R with one tokenizer is
    sum_i tokens_L[i] / sum_i tokens_R[i]
over the same aligned segments i: same content, so the ratio is the extra tokens L pays. It is
not chars/token and not words-based fertility.

The CI is a paired (and, with document ids, cluster) percentile bootstrap: draw clusters
(documents, or segments when there are none) with replacement as
    idx = numpy.random.default_rng(seed).integers(0, n_clusters, size=(n_resamples, n_clusters))
apply the same draw to both languages' per-cluster sums, take the ratio of sums of each
resample, and report the 2.5th and 97.5th percentiles (numpy's default linear interpolation).
Counts are resampled, never re-tokenized."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tokeff.errors import AlignmentError, ZeroReferenceTokensError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def premium(target: npt.ArrayLike, reference: npt.ArrayLike, *, what: str = "") -> float:
    """Ratio of sums: total target tokens over total reference tokens of the same segments."""
    t = np.asarray(target, dtype=np.int64)
    r = np.asarray(reference, dtype=np.int64)
    if t.shape != r.shape:
        raise AlignmentError(f"{what}: target and reference have {t.size} and {r.size} segments")
    ref = int(r.sum())
    if ref == 0:
        raise ZeroReferenceTokensError(f"{what}: the reference language has zero tokens; no premium")
    return float(t.sum()) / ref


# Index matrices up to this many draws are kept; larger ones are drawn again block by block
# (the same draws: numpy's Generator yields the same numbers in row blocks as in one call).
_KEEP_DRAWS = 4_000_000
_BLOCK_DRAWS = 2_000_000


@dataclass(frozen=True)
class Resampler:
    """Bootstrap draws over the clusters of one corpus, shared by every language and tokenizer
    of that corpus so all their CIs come from the same resamples. Memory stays bounded for any
    number of clusters: large draw matrices are regenerated in blocks from the seed."""

    cluster_of: IntArray  # cluster index of each segment
    n_clusters: int
    n_resamples: int
    seed: int
    unit: str  # what is resampled: "segment", or the clusters' label ("doc", "block of 1000 segments")
    kept: IntArray | None = None  # the whole (n_resamples, n_clusters) draw, when small enough

    @property
    def method(self) -> str:
        """How the CI is made, as the ratio table's `ci_method` column says it."""
        if self.unit == "segment":
            return "paired-bootstrap(segment)"
        return f"paired-cluster-bootstrap({self.unit})"

    @staticmethod
    def unit_of(method: str) -> str:
        """The resampled unit a `ci_method` value names (the inverse of `method`)."""
        return method[method.find("(") + 1 : method.rfind(")")] if "(" in method else method

    @classmethod
    def make(cls, doc_ids: list[str] | None, n_segments: int, n_resamples: int = 1000,
             seed: int = 12345, label: str | None = None) -> Resampler:
        """Draws for `n_segments` segments clustered by `doc_ids` (None or all blank: each
        segment is its own cluster)."""
        if doc_ids is None:
            return cls.from_codes(None, n_segments, n_resamples, seed, label=label)
        codes, uniques = _factorize(doc_ids)
        blank = uniques.index("") if "" in uniques else None
        return cls.from_codes(codes, n_segments, n_resamples, seed, blank=blank, label=label)

    @classmethod
    def from_codes(cls, doc_codes: npt.ArrayLike | None, n_segments: int, n_resamples: int = 1000,
                   seed: int = 12345, *, blank: int | None = None, label: str | None = None) -> Resampler:
        """As `make`, from integer document codes (`blank`: the code of "no document"). With
        two or more distinct codes the clusters are the documents, numbered in order of first
        appearance; a segment with no document is its own cluster, never pooled with others."""
        raw = None if doc_codes is None else np.asarray(doc_codes, dtype=np.int64)
        if raw is not None and len(raw) and len(np.unique(raw)) >= 2:
            if blank is not None:
                raw = raw.copy()
                lone = raw == blank
                raw[lone] = raw.max() + 1 + np.arange(int(lone.sum()))
            uniq, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
            rank = np.empty(len(uniq), dtype=np.int64)
            rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
            codes = rank[inverse.reshape(-1)]
            n, unit = len(uniq), label or "doc"
        else:
            codes, n, unit = np.arange(n_segments, dtype=np.int64), n_segments, "segment"
        kept = None
        if 0 < n_resamples * n <= _KEEP_DRAWS:
            kept = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n)).astype(np.int64)
        return cls(codes, n, n_resamples, seed, unit, kept)

    @property
    def indices(self) -> IntArray:
        """The whole draw matrix (n_resamples, n_clusters); for small corpora and tests."""
        if self.kept is not None:
            return self.kept
        return np.concatenate(list(self._blocks())) if self.n_resamples else np.zeros((0, self.n_clusters), np.int64)

    def _blocks(self) -> Iterator[IntArray]:
        if self.kept is not None:
            yield self.kept
            return
        rng = np.random.default_rng(self.seed)
        rows = max(1, _BLOCK_DRAWS // max(1, self.n_clusters))
        for start in range(0, self.n_resamples, rows):
            yield rng.integers(0, self.n_clusters, size=(min(rows, self.n_resamples - start), self.n_clusters))

    def cluster_sums(self, values: npt.ArrayLike) -> FloatArray:
        sums = np.bincount(self.cluster_of, weights=np.asarray(values, dtype=np.float64),
                           minlength=self.n_clusters)
        return sums.astype(np.float64)

    def ci(self, target: npt.ArrayLike, reference: npt.ArrayLike, alpha: float = 0.05) -> tuple[float, float]:
        """Percentile CI of the ratio of sums under paired resampling."""
        return self.ci_of(np.divide, target, reference, alpha=alpha)

    def ci_of(self, statistic: Callable[..., FloatArray], *values: npt.ArrayLike,
              alpha: float = 0.05) -> tuple[float, float]:
        """Percentile CI of `statistic(*resampled sums)`: each array of `values` (one number per
        segment) is summed per cluster, and every resample applies the same draw to all of them
        (paired). Resamples whose statistic is not finite are left out; none left: NaN."""
        if self.n_resamples <= 0:
            return (float("nan"), float("nan"))
        sums = [self.cluster_sums(v) for v in values]
        parts = []
        for idx in self._blocks():
            with np.errstate(divide="ignore", invalid="ignore"):
                parts.append(statistic(*(s[idx].sum(axis=1) for s in sums)))
        stats = np.concatenate(parts)
        stats = stats[np.isfinite(stats)]
        if stats.size == 0:
            return (float("nan"), float("nan"))
        low, high = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        return float(low), float(high)


def _factorize(values: list[str]) -> tuple[IntArray, list[str]]:
    seen: dict[str, int] = {}
    codes = np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.int64, count=len(values))
    return codes, list(seen)
