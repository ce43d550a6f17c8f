"""The English equivalent of non-parallel text, with a 95% interval, learned on parallel corpora.

A part in language L on tokenizer T holds `shared` tokens (runs of ASCII letters/digits: JSON
keys, ids, numbers, code, product names, which English writes the same; only for languages not
written in the Latin script) and `native` tokens (the rest). English needs `shared + native x r` tokens for the same content, where r (English
tokens per native token of L on T) varies by corpus. It is fitted on aligned corpora: for each
corpus c, y_c = log((English tokens - shared) / native), summed over its segments. The estimate
takes r = exp(mean y_c); its 95% interval is a random-effects prediction interval for a new
corpus (the traffic is one more "corpus"): log r ~ mean y_c +- t(k-1) x sqrt(s^2 (1 + 1/k) +
phi / N), where s is the spread of y_c over the k corpora (the model's uncertainty: domains
differ), and phi / N is the sample's own noise (phi: the segment-level dispersion of English
tokens per native token within a corpus, per token; N: the sample's native tokens).

`validate` checks it on a corpus that was not used to fit it: feed the non-English side only,
compare with the true English count of the same segments."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tokeff._util.cache import CountCache
from tokeff.corpora.corpus import Corpus
from tokeff.errors import LanguageError
from tokeff.study.counting import count_texts
from tokeff.tokenizers.tokenizer import Tokenizer

_ASCII_RUN = re.compile(r"[\x00-\x7f]+")
_ALNUM = re.compile(r"[A-Za-z0-9]")
# two-sided 95% quantiles of Student's t by degrees of freedom (beyond 30: 1.96 is within 2%)
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
         20: 2.086, 25: 2.060, 30: 2.042}
# a part told only as Chinese (Han characters common to both written forms) is fitted on both
POOLED = {"zh": ("zh-Hans", "zh-Hant")}


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom (table; 1.96 beyond 30)."""
    if df < 1:
        raise ValueError("t quantile needs at least one degree of freedom")
    below = [d for d in _T975 if d <= df]
    return 1.96 if df > 30 else _T975[max(below)]


@lru_cache(maxsize=256)
def splits_ascii(language: str) -> bool:
    """Whether ASCII runs in `language` are content written the same in English (ids, numbers, code,
    names): true for languages not written in the Latin script (ja, ko, zh, th, hi...). In a
    Latin-script language (vi, id, fr...) ASCII letters are the language's own words."""
    import langcodes

    return bool(langcodes.Language.get(language).maximize().script != "Latn")


def shared_runs(text: str) -> list[str]:
    """The runs of ASCII in `text` that hold a letter or digit (written the same in English)."""
    return [r for r in _ASCII_RUN.findall(text) if _ALNUM.search(r)]


def split_counts(tokenizer: Tokenizer, texts: Sequence[str], cache: CountCache | None = None,
                 ) -> tuple[list[int], list[int]]:
    """(tokens, shared tokens) of each text; each distinct text or run is counted once, cache first
    (the cache holds hashes of the texts, never the texts)."""
    tokens = count_texts(tokenizer, list(texts), cache)
    runs = [shared_runs(t) for t in texts]
    flat = [r for rs in runs for r in rs]
    counts = iter(count_texts(tokenizer, flat, cache))
    shared = [min(n, sum(next(counts) for _ in rs)) for n, rs in zip(tokens, runs, strict=True)]
    return tokens, shared


@dataclass(frozen=True)
class Density:
    """English tokens per native token of `language` on `tokenizer`, fitted on `corpora`."""

    tokenizer: str
    language: str
    corpora: tuple[str, ...]
    log_ratios: tuple[float, ...]  # y_c per corpus
    dispersion: float  # phi, tokens

    @property
    def ratio(self) -> float:
        return math.exp(float(np.mean(self.log_ratios)))

    @property
    def spread(self) -> float:
        return float(np.std(self.log_ratios, ddof=1))

    def predict(self, native: float, shared: float = 0.0) -> tuple[float, float, float]:
        """English tokens for a sample with `native` + `shared` tokens: (estimate, low, high), 95%."""
        if native <= 0:
            return shared, shared, shared
        k = len(self.log_ratios)
        mu = float(np.mean(self.log_ratios))
        sd = math.sqrt(self.spread ** 2 * (1 + 1 / k) + self.dispersion / native)
        q = t975(k - 1)
        return (shared + native * math.exp(mu), shared + native * math.exp(mu - q * sd),
                shared + native * math.exp(mu + q * sd))


@dataclass(frozen=True)
class _Side:
    english: np.ndarray
    native: np.ndarray
    shared: np.ndarray


def _side(corpus: Corpus, tokenizer: Tokenizer, language: str, reference: str,
          cache: CountCache | None) -> _Side:
    eng = np.array(count_texts(tokenizer, corpus.texts[reference], cache), dtype=float)
    if splits_ascii(language):
        tokens, shared = split_counts(tokenizer, corpus.texts[language], cache)
    else:
        tokens = count_texts(tokenizer, corpus.texts[language], cache)
        shared = [0] * len(tokens)
    t, s = np.array(tokens, dtype=float), np.array(shared, dtype=float)
    return _Side(eng, t - s, s)


def fit(corpora: Sequence[Corpus], tokenizer: Tokenizer, language: str, *, reference: str = "en",
        cache: CountCache | None = None) -> Density:
    """Fit the density of `language` on every corpus that has it and `reference` (at least two)."""
    langs = POOLED.get(language, (language,))
    ys: list[float] = []
    phis: list[float] = []
    used: list[str] = []
    for c in corpora:
        for lang in langs:
            if lang not in c.texts or reference not in c.texts:
                continue
            side = _side(c, tokenizer, lang, reference, cache)
            target = side.english - side.shared
            if side.native.sum() <= 0 or target.sum() <= 0:  # nothing but shared runs: no ratio to learn
                continue
            r = target.sum() / side.native.sum()
            ys.append(math.log(r))
            phis.append(float(((target - r * side.native) ** 2).sum() / (r ** 2 * side.native.sum())))
            used.append(c.name if len(langs) == 1 else f"{c.name}/{lang}")
    if len(ys) < 2:
        have = ", ".join(c.name for c in corpora) or "none"
        raise LanguageError(f"no English equivalent for {language} on {tokenizer.id}: it needs at least two parallel "
                            f"corpora with {language} and {reference} (have: {have})")
    return Density(tokenizer.id, language, tuple(used), tuple(ys), float(np.mean(phis)))


VALIDATION_COLUMNS = ["corpus", "language", "tokenizer", "segments", "sample_segments", "true_english_tokens",
                      "estimate", "low", "high", "error", "covered", "training_corpora"]


def validate(held_out: Corpus, training: Sequence[Corpus], tokenizer: Tokenizer, language: str, *,
             reference: str = "en", sample_segments: int | None = None,
             cache: CountCache | None = None) -> list[dict[str, object]]:
    """Fit on `training` (which must not hold `held_out`), feed `held_out`'s `language` side only
    and compare with its true `reference` count: one row for the whole corpus, or one per run of
    `sample_segments` consecutive segments (a traffic-sized sample). Columns VALIDATION_COLUMNS;
    error = estimate / truth - 1; covered: the truth lies in [low, high]."""
    if any(c.name == held_out.name for c in training):
        raise ValueError(f"{held_out.name} is among the training corpora")
    density = fit(training, tokenizer, language, reference=reference, cache=cache)
    side = _side(held_out, tokenizer, language, reference, cache)
    n = len(side.english)
    step = sample_segments or n
    rows: list[dict[str, object]] = []
    for start in range(0, n - step + 1, step):
        sl = slice(start, start + step)
        est, low, high = density.predict(float(side.native[sl].sum()), float(side.shared[sl].sum()))
        truth = float(side.english[sl].sum())
        rows.append({"corpus": held_out.name, "language": language, "tokenizer": tokenizer.id, "segments": n,
                     "sample_segments": step, "true_english_tokens": truth, "estimate": est, "low": low,
                     "high": high, "error": est / truth - 1, "covered": low <= truth <= high,
                     "training_corpora": len(density.log_ratios)})
    return rows
