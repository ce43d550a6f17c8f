"""How far a proxy tokenizer's premium is from the provider's own (counted through its API).

A proxy (a public vocabulary standing in for a closed one) is only as good as the premium it
reproduces. When both are counted on the same segments, `compare_proxy_to_api` gives, per
language (and per corpus if asked):

    premium_ratio = proxy premium / api premium
        (each premium = tokens of the language / tokens of the reference on the same segments)

with a paired bootstrap 95% CI (the same resampled clusters, documents when the corpus has
document ids, for all four sums), plus the raw token ratio proxy/api. premium_ratio 1.00 means
the proxy gives the provider's premium; 1.08 means it overstates it by 8%.

Inputs are per-segment tables (`tokeff.count_segments`, columns corpus, segment, doc_id,
language, tokenizer, tokens), one per tokenizer, or one table holding both (then name them)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tokeff.corpora.languages import normalize_language
from tokeff.errors import LanguageError, UsageError, ZeroReferenceTokensError
from tokeff.study.stats import FloatArray, Resampler

PROXY_CHECK_COLUMNS = [
    "corpus", "language", "reference", "proxy", "api", "segments", "proxy_tokens", "api_tokens",
    "tokens_ratio", "proxy_premium", "api_premium", "premium_ratio", "premium_ratio_low",
    "premium_ratio_high", "premium_error",
]
POOLED = "*"


def _one_tokenizer(table: pd.DataFrame, name: str | None, role: str) -> tuple[str, pd.DataFrame]:
    missing = {"corpus", "segment", "language", "tokenizer", "tokens"} - set(table.columns)
    if missing:
        raise UsageError(f"{role} counts: not a per-segment table (missing {', '.join(sorted(missing))})")
    toks = [str(t) for t in pd.unique(table["tokenizer"])]
    if name is not None:
        if name not in toks:
            raise UsageError(f"{role} counts: no tokenizer {name!r} (has {', '.join(toks) or 'none'})")
        return name, table[table["tokenizer"].astype(str) == name]
    if len(toks) != 1:
        raise UsageError(f"{role} counts hold {len(toks)} tokenizers ({', '.join(toks)}); name the {role} one")
    return toks[0], table


def compare_proxy_to_api(proxy_counts: pd.DataFrame, api_counts: pd.DataFrame | None = None, *,
                         proxy: str | None = None, api: str | None = None, reference: str = "en",
                         per_corpus: bool = False, n_resamples: int = 1000, seed: int = 12345) -> pd.DataFrame:
    """Per language (pooled over corpora, corpus `*`; or per corpus with `per_corpus=True`):
    the proxy's premium over the API's on the segments both counted (columns PROXY_CHECK_COLUMNS;
    the reference language itself is left out). `api_counts=None` takes both from
    `proxy_counts`, selected by `proxy=` and `api=`."""
    ref = normalize_language(reference)
    proxy_id, p = _one_tokenizer(proxy_counts, proxy, "proxy")
    api_id, a = _one_tokenizer(proxy_counts if api_counts is None else api_counts, api, "api")
    if proxy_id == api_id and api_counts is None:
        raise UsageError(f"proxy and api are the same tokenizer {proxy_id!r}")
    keys = ["corpus", "segment", "language"]
    has_docs = "doc_id" in p.columns
    left = p[[*keys, "tokens", *(["doc_id"] if has_docs else [])]].astype({"corpus": str, "language": str})
    right = a[[*keys, "tokens"]].astype({"corpus": str, "language": str})
    both = left.merge(right, on=keys, suffixes=("_proxy", "_api"), validate="one_to_one")
    if both.empty:
        raise UsageError(f"{proxy_id} and {api_id} have no segment in common")
    out: list[dict[str, object]] = []
    groups = both.groupby("corpus", sort=False) if per_corpus else [(POOLED, both)]
    for corpus, part in groups:
        refs = part[part["language"] == ref].set_index(["corpus", "segment"])
        if refs.empty:
            raise LanguageError(f"corpus {corpus!r}: no {ref} segments counted by both {proxy_id} and {api_id}")
        for lang, lpart in part.groupby("language", sort=False):
            if lang == ref:
                continue
            lpart = lpart[lpart.set_index(["corpus", "segment"]).index.isin(refs.index)]
            rpart = refs.loc[list(zip(lpart["corpus"], lpart["segment"], strict=True))]
            lp, la = lpart["tokens_proxy"].to_numpy(np.float64), lpart["tokens_api"].to_numpy(np.float64)
            rp, ra = rpart["tokens_proxy"].to_numpy(np.float64), rpart["tokens_api"].to_numpy(np.float64)
            if rp.sum() == 0 or ra.sum() == 0 or la.sum() == 0:
                raise ZeroReferenceTokensError(f"corpus {corpus!r}, {lang}: zero tokens; no premium ratio")
            prem_p, prem_a = lp.sum() / rp.sum(), la.sum() / ra.sum()
            docs = None
            if has_docs and lpart["doc_id"].astype(str).str.len().gt(0).any():
                docs = [f"{c}\x00{d}" if d else "" for c, d in zip(lpart["corpus"], lpart["doc_id"].astype(str),
                                                                    strict=True)]
            rs = Resampler.make(docs, len(lpart), n_resamples, seed)
            low, high = rs.ci_of(_premium_ratio, lp, rp, la, ra)
            ratio = prem_p / prem_a
            out.append({
                "corpus": corpus, "language": lang, "reference": ref, "proxy": proxy_id, "api": api_id,
                "segments": len(lpart), "proxy_tokens": int(lp.sum()), "api_tokens": int(la.sum()),
                "tokens_ratio": lp.sum() / la.sum(), "proxy_premium": prem_p, "api_premium": prem_a,
                "premium_ratio": ratio, "premium_ratio_low": low, "premium_ratio_high": high,
                "premium_error": ratio - 1.0,
            })
    return pd.DataFrame(out, columns=PROXY_CHECK_COLUMNS)


def _premium_ratio(lp: FloatArray, rp: FloatArray, la: FloatArray, ra: FloatArray) -> FloatArray:
    """(proxy premium) / (api premium) of resampled sums."""
    return (lp / rp) / (la / ra)


def worst_languages(check: pd.DataFrame, languages: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of a `compare_proxy_to_api` table sorted by |premium_error|, largest first."""
    df = check if languages is None else check[check["language"].isin(list(languages))]
    return df.assign(_abs=df["premium_error"].abs()).sort_values("_abs", ascending=False).drop(columns="_abs")
