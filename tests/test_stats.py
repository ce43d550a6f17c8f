"""The premium and its paired bootstrap CI, checked against values computed by hand here."""

from __future__ import annotations

import numpy as np
import pytest

from tokeff.errors import ZeroReferenceTokensError
from tokeff.study.stats import Resampler, premium


def test_premium_is_a_ratio_of_sums_not_a_mean_of_ratios() -> None:
    ref = [10, 2, 4]
    tgt = [15, 6, 5]
    assert premium(tgt, ref) == pytest.approx(26 / 16)  # 1.625
    mean_of_ratios = np.mean([15 / 10, 6 / 2, 5 / 4])  # 1.9167, biased upward
    assert premium(tgt, ref) != pytest.approx(mean_of_ratios)


def test_zero_reference_tokens() -> None:
    with pytest.raises(ZeroReferenceTokensError, match="zero tokens"):
        premium([1, 2], [0, 0], what="corpus 'x'")


def test_segment_bootstrap_matches_hand_computation() -> None:
    ref = np.array([10, 12, 8, 20, 5, 9, 14, 11])
    tgt = np.array([16, 17, 15, 29, 9, 13, 25, 15])
    rs = Resampler.make(None, len(ref), n_resamples=200, seed=7)
    # By hand: the documented draw, a ratio of sums per resample, then percentiles.
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(ref), size=(200, len(ref)))
    ratios = [tgt[row].sum() / ref[row].sum() for row in idx]
    low, high = np.percentile(ratios, [2.5, 97.5])
    assert rs.method == "paired-bootstrap(segment)"
    assert rs.ci(tgt, ref) == (pytest.approx(low), pytest.approx(high))
    assert low < premium(tgt, ref) < high


def test_cluster_bootstrap_resamples_documents() -> None:
    docs = ["a", "a", "b", "b", "b", "c", "d", "d"]
    ref = np.array([10, 12, 8, 20, 5, 9, 14, 11])
    tgt = np.array([16, 17, 15, 29, 9, 13, 25, 15])
    rs = Resampler.make(docs, len(ref), n_resamples=300, seed=3)
    assert rs.n_clusters == 4 and rs.method == "paired-cluster-bootstrap(doc)"
    # By hand: per-document sums, in order of first appearance a, b, c, d.
    tsum = np.array([16 + 17, 15 + 29 + 9, 13, 25 + 15])
    rsum = np.array([10 + 12, 8 + 20 + 5, 9, 14 + 11])
    idx = np.random.default_rng(3).integers(0, 4, size=(300, 4))
    ratios = [tsum[row].sum() / rsum[row].sum() for row in idx]
    low, high = np.percentile(ratios, [2.5, 97.5])
    assert rs.ci(tgt, ref) == (pytest.approx(low), pytest.approx(high))


def test_constant_ratio_has_zero_width_ci() -> None:
    ref = np.array([3, 7, 11, 2, 9])
    rs = Resampler.make(None, 5, n_resamples=100, seed=1)
    low, high = rs.ci(2 * ref, ref)
    assert low == pytest.approx(2.0) and high == pytest.approx(2.0)


def test_paired_is_narrower_than_independent_when_lengths_vary() -> None:
    rng = np.random.default_rng(0)
    ref = rng.integers(5, 80, size=400)
    tgt = np.round(ref * 1.6 + rng.normal(0, 2, size=400)).astype(int)
    rs = Resampler.make(None, 400, n_resamples=1000, seed=11)
    low, high = rs.ci(tgt, ref)
    # Independent resampling of the two sides (what some tools do), by hand:
    r2 = np.random.default_rng(12)
    i1 = r2.integers(0, 400, size=(1000, 400))
    i2 = r2.integers(0, 400, size=(1000, 400))
    ind = np.percentile(tgt[i1].sum(1) / ref[i2].sum(1), [2.5, 97.5])
    assert (high - low) < 0.5 * (ind[1] - ind[0])


def test_same_seed_same_ci() -> None:
    ref = np.arange(1, 50)
    tgt = ref * 2 + (ref % 3)
    a = Resampler.make(None, len(ref), 500, seed=5).ci(tgt, ref)
    b = Resampler.make(None, len(ref), 500, seed=5).ci(tgt, ref)
    c = Resampler.make(None, len(ref), 500, seed=6).ci(tgt, ref)
    assert a == b and a != c


def test_large_draws_are_regenerated_in_blocks_with_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    import tokeff.study.stats as st

    rng = np.random.default_rng(3)
    ref = rng.integers(5, 60, size=300)
    tgt = ref * 2 + rng.integers(0, 9, size=300)
    kept = Resampler.make(None, 300, 500, seed=9)
    assert kept.kept is not None
    monkeypatch.setattr(st, "_KEEP_DRAWS", 10)  # force block-by-block regeneration
    monkeypatch.setattr(st, "_BLOCK_DRAWS", 7 * 300)
    blocks = Resampler.make(None, 300, 500, seed=9)
    assert blocks.kept is None
    assert np.array_equal(blocks.indices, kept.indices)
    assert blocks.ci(tgt, ref) == kept.ci(tgt, ref)
