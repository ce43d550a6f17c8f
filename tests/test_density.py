"""The English equivalent of non-parallel text (tokeff.analysis.density), validated on corpora not
used to fit it: the shipped corpora by leave-one-corpus-out, FLORES-200 devtest and NTREX-128 (when
../shared is there) fitted on all shipped ones. Truth, error and coverage are recomputed here from
the real tokenizer's counts."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import median

import numpy as np
import pytest

import tokeff
from tokeff.analysis.density import fit, shared_runs, t975
from tokeff.analysis.held_out import held_out_table
from tokeff.corpora.loaders import shipped_corpora

LANGS = ["ja", "ko", "zh-Hans", "zh-Hant"]


@pytest.fixture(scope="module")
def shipped() -> list:  # type: ignore[type-arg]
    return [tokeff.load_corpus(n) for n in shipped_corpora()]


def _truth_and_check(table, corpora, tok) -> list[float]:  # type: ignore[no-untyped-def]
    """Recompute each row's truth and error from the tokenizer's own counts; return the errors."""
    by_name = {c.name: c for c in corpora}
    errors = []
    for r in table.itertuples(index=False):
        truth = sum(tok.count(by_name[r.corpus].texts["en"]))
        assert r.true_english_tokens == truth
        err = r.estimate / truth - 1
        assert r.error == pytest.approx(err) and bool(r.covered) == (r.low <= truth <= r.high)
        errors.append(err)
    return errors


def test_the_fit_is_the_mean_log_ratio_of_the_corpora(shipped: list) -> None:  # type: ignore[type-arg]
    """Ratio = exp(mean over corpora of log((English - shared) / native)), shared = ASCII runs."""
    tok = tokeff.get_tokenizer("o200k_base")
    ys = []
    for c in shipped:
        ja = c.texts["ja"]
        n = sum(tok.count(ja))
        s = sum(sum(tok.count(shared_runs(t))) for t in ja if shared_runs(t))
        ys.append(math.log((sum(tok.count(c.texts["en"])) - s) / (n - s)))
    d = fit(shipped, tok, "ja")
    assert d.ratio == pytest.approx(math.exp(np.mean(ys))) and d.spread == pytest.approx(np.std(ys, ddof=1))
    est, low, high = d.predict(1000.0, 50.0)
    sd = math.sqrt(d.spread ** 2 * (1 + 1 / len(ys)) + d.dispersion / 1000.0)
    assert est == pytest.approx(50 + 1000 * d.ratio)
    assert (low, high) == pytest.approx((50 + 1000 * d.ratio * math.exp(-t975(7) * sd),
                                         50 + 1000 * d.ratio * math.exp(t975(7) * sd)))


def test_leave_one_shipped_corpus_out(shipped: list) -> None:  # type: ignore[type-arg]
    """32 held-out cells (8 corpora x 4 languages, o200k_base): the median error is within 5% and the
    95% intervals cover the truth in at least 28 of 32 (nominal: 30.4)."""
    tok = tokeff.get_tokenizer("o200k_base")
    table = held_out_table(shipped, [], [tok], LANGS)
    assert len(table) == 32 and set(table["training_corpora"]) == {7}
    errors = _truth_and_check(table, shipped, tok)
    assert median(abs(e) for e in errors) <= 0.05
    assert table["covered"].sum() >= 28


def test_public_corpora_held_out(shipped: list, flores_dir: Path, ntrex_dir: Path) -> None:  # type: ignore[type-arg]
    """FLORES-200 devtest and NTREX-128, fitted on the eight shipped corpora only: Japanese and
    Korean within 5% of the true English count and covered; every CJK cell's error under 10%."""
    tok = tokeff.get_tokenizer("o200k_base")
    public = [tokeff.load_corpus(f"flores200:{flores_dir}:devtest"), tokeff.load_corpus(f"ntrex128:{ntrex_dir}")]
    table = held_out_table(shipped, public, [tok], LANGS)
    table = table[table["corpus"].isin([c.name for c in public])]
    assert len(table) == 8 and set(table["training_corpora"]) == {8}
    errors = dict(zip(zip(table["corpus"], table["language"], strict=True), _truth_and_check(table, public, tok),
                      strict=True))
    for (corpus, lang), err in errors.items():
        assert abs(err) < 0.10, (corpus, lang, err)
        if lang in ("ja", "ko"):
            assert abs(err) <= 0.05, (corpus, lang, err)
    assert table[table["language"].isin(["ja", "ko"])]["covered"].all()


def test_estimate_of_a_latin_script_prompt_shares_nothing(shipped: list) -> None:  # type: ignore[type-arg]
    """Indonesian: its ASCII letters are its own words, so the English equivalent is all its tokens
    x the ratio fitted on the three shipped corpora that have Indonesian (named in `corpus`)."""
    from tokeff.analysis.estimate import estimate

    prompt = "Saya ingin membatalkan pesanan saya nomor 5521 karena alamatnya salah."
    row = estimate(prompt, ["gpt-4o-mini"]).iloc[0]
    tok = tokeff.get_tokenizer("o200k_base")
    d = fit(shipped, tok, "id")
    assert row["language"] == "id" and len(d.corpora) == 3
    assert row["english_equivalent_tokens"] == pytest.approx(tok.count([prompt])[0] * d.ratio)
    assert row["corpus"] == ", ".join(d.corpora)
