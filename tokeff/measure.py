"""Measure: corpora x tokenizers -> the tidy ratio table (one row per corpus x language x
tokenizer, one column per measure), computed from the per-segment table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tokeff.cache import CountCache
from tokeff.corpus import Corpus
from tokeff.counting import Progress, count_segments
from tokeff.errors import LanguageError, TokeffError, UnknownTokenizerError
from tokeff.languages import normalize_language
from tokeff.loaders import load_corpora
from tokeff.registry import Registry, load_registry
from tokeff.signature import signature
from tokeff.stats import Resampler, premium
from tokeff.tokenizer import Tokenizer, get_tokenizer

RATIO_COLUMNS = [
    "corpus", "domain", "language", "tokenizer", "status", "segments", "chars", "bytes", "tokens",
    "chars_per_token", "bytes_per_token", "tokens_per_segment",
    "premium", "premium_low", "premium_high", "reference", "reference_tokens",
    "tokens_per_1k_ref_words", "tokens_per_1k_ref_chars",
    "ci_method", "clusters", "n_resamples", "seed", "corpus_digest", "tokenizer_fingerprint", "signature",
]
DEFAULT_SEED = 12345
DEFAULT_RESAMPLES = 1000

CorpusLike = str | Corpus


def resolve_tokenizers(tokenizers: Sequence[str | Tokenizer] | str | Tokenizer | None,
                       registry: Registry | None = None, *, online: bool | None = None) -> list[Tokenizer]:
    """Tokenizer objects for ids / model names / paths; None means the registry's defaults."""
    reg = registry or load_registry()
    if tokenizers is None:
        names: list[str | Tokenizer] = [e.id for e in reg.defaults()]
    elif isinstance(tokenizers, str | Tokenizer):
        names = [tokenizers]
    else:
        names = list(tokenizers)
    out: dict[str, Tokenizer] = {}
    for n in names:
        tok = get_tokenizer(n, reg, online=online)
        if tok.id in out and out[tok.id] is not tok:
            raise UnknownTokenizerError(f"two different tokenizers are both called {tok.id!r}")
        out[tok.id] = tok  # a model name and its tokenizer's id given together count once
    return list(out.values())


def load_study(corpus: CorpusLike | Sequence[CorpusLike] | None,
               tokenizers: Sequence[str | Tokenizer] | str | Tokenizer | None,
               reference: str | None = "en", *, languages: Sequence[str] | None = None,
               online: bool | None = None, registry: Registry | None = None) -> tuple[list[Corpus], list[Tokenizer]]:
    """The corpora (only `languages`, plus the reference) and tokenizers of a study. With a
    reference, every corpus must have it."""
    ref = normalize_language(reference) if reference else None
    specs: list[CorpusLike] | None
    if corpus is None:
        specs = None
    elif isinstance(corpus, str | Corpus):
        specs = [corpus]
    else:
        specs = list(corpus)
    langs = None
    if languages:
        langs = list(dict.fromkeys([*([ref] if ref else []), *(normalize_language(x) for x in languages)]))
    corpora = load_corpora(specs, langs, online=online)  # type: ignore[arg-type]
    for c in corpora:
        if ref and ref not in c.texts:
            raise LanguageError(f"corpus {c.name!r} has no reference language {ref}; it has {', '.join(c.languages)}")
    return corpora, resolve_tokenizers(tokenizers, registry, online=online)


@dataclass
class Study:
    """What one measuring run produced: the per-segment table, the ratio table, and the
    diagnostics table (when asked for)."""

    segments: pd.DataFrame
    table: pd.DataFrame
    diagnostics: pd.DataFrame | None = None


def run_study(corpora: Sequence[Corpus], toks: list[Tokenizer], *, reference: str = "en", by: Sequence[str] = (),
              with_whole: bool = False, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
              cache: CountCache | None = None, progress: Progress | None = None, engine: str = "local",
              workers: int = 2, address: str | None = None, diagnostics: bool = False) -> Study:
    """Count once per segment (locally or on an engine), then summarize: the one pipeline behind
    `tokeff.measure`, `tokeff measure`, `tokeff report` and `tokeff verify`. With `by`,
    `with_whole` keeps the whole-corpus rows before the per-group ones."""
    ref = normalize_language(reference)
    diag = None
    if diagnostics and engine == "local":
        from tokeff.diagnostics import count_with_diagnostics

        segments, diag = count_with_diagnostics(corpora, toks, cache=cache, progress=progress)
    else:
        counters = counters_for(corpora, toks, engine, workers, address)
        segments = count_segments(corpora, counters, cache=cache, progress=progress)
        if diagnostics:
            from tokeff.diagnostics import diagnose_corpora

            diag = diagnose_corpora(corpora, toks)
    common = dict(reference=ref, n_resamples=n_resamples, seed=seed, digests={c.name: c.digest() for c in corpora},
                  tokenizers={t.id: t for t in toks})
    table = summarize(segments, by=by, **common)  # type: ignore[arg-type]
    if by and with_whole:
        whole = summarize(segments, **common)  # type: ignore[arg-type]
        table = pd.concat([whole, table], ignore_index=True).drop_duplicates(
            ["corpus", "domain", "language", "tokenizer"], ignore_index=True)
    if diag is not None:
        from tokeff.diagnostics import apply_exclusions

        table = apply_exclusions(table, diag)
        table.attrs["diagnostics"] = diag
    return Study(segments, table, diag)


def measure(corpus: CorpusLike | Sequence[CorpusLike] | None = None,
            tokenizers: Sequence[str | Tokenizer] | str | Tokenizer | None = None,
            reference: str = "en", *, languages: Sequence[str] | None = None,
            by: Sequence[str] = (), n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
            cache: bool | CountCache = True, online: bool | None = None,
            registry: Registry | None = None, progress: Progress | None = None,
            engine: str = "local", workers: int = 2, address: str | None = None,
            diagnostics: bool = False) -> pd.DataFrame:
    """Premium and per-language measures for `corpus` (a SPEC, a Corpus, or a list; None = all
    shipped corpora) under `tokenizers` (ids, model names, paths or Tokenizer objects; None =
    the registry's defaults), against `reference`. `by=["domain"]` adds one row per domain.
    `diagnostics=True` adds `excluded`/`exclusion_reason` (a pair whose text is over 10% unknown
    characters is excluded, as Petrov et al. did) and puts the diagnostics table in `.attrs`.
    `engine="datasets"` or `"dask"` counts on that engine with `workers` processes (or the dask
    scheduler at `address`); the numbers are the same as with the local engine."""
    corpora, toks = load_study(corpus, tokenizers, reference, languages=languages, online=online, registry=registry)
    store = cache if isinstance(cache, CountCache) else (CountCache() if cache else None)
    return run_study(corpora, toks, reference=reference, by=by, n_resamples=n_resamples, seed=seed, cache=store,
                     progress=progress, engine=engine, workers=workers, address=address,
                     diagnostics=diagnostics).table


def counters_for(corpora: Sequence[Corpus], toks: list[Tokenizer], engine: str = "local", workers: int = 2,
                 address: str | None = None) -> list[Tokenizer]:
    """The tokenizers count_segments should ask: themselves (local), or stand-ins answering from
    counts made on a distributed engine."""
    if engine == "local":
        return toks
    if engine not in ("datasets", "dask"):
        raise TokeffError(f"engine: use local, datasets or dask, not {engine!r}")
    from tokeff.distributed import PrecountedTokenizer, distributed_counts

    counts = distributed_counts(corpora, toks, engine=engine, workers=workers, address=address)  # type: ignore[arg-type]
    return [PrecountedTokenizer(t, counts[t.id]) for t in toks]  # type: ignore[misc]


def summarize(segments: pd.DataFrame, *, reference: str = "en", by: Sequence[str] = (),
              n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
              digests: dict[str, str] | None = None,
              tokenizers: dict[str, Tokenizer] | None = None, cluster_label: str | None = None) -> pd.DataFrame:
    """The tidy ratio table from a per-segment table (see `count_segments`).

    A row may stand for several segments summed together (a column `n` says how many, as the
    streaming path writes one row per document); `cluster_label` then names the clusters."""
    ref = normalize_language(reference)
    bad = [b for b in by if b not in ("domain", "doc_id")]
    if bad:
        raise ValueError(f"by: can group by domain or doc_id, not {bad}")
    rows: list[dict[str, object]] = []
    seg = segments.sort_values(["corpus", "tokenizer", "language", "segment"], kind="stable")
    group_keys = ["corpus", *by]
    for gkey, part in seg.groupby(group_keys, observed=True, sort=False):
        gvals = gkey if isinstance(gkey, tuple) else (gkey,)
        corpus_name = str(gvals[0])
        label = dict(zip(group_keys, gvals, strict=True))
        ref_rows = part[part["language"] == ref]
        if ref_rows.empty:
            raise LanguageError(f"corpus {corpus_name!r}: no segments in the reference language {ref}")
        first_tok = ref_rows["tokenizer"].iloc[0]
        ref_one = ref_rows[ref_rows["tokenizer"] == first_tok]
        docs: list[str] | None = [str(d) for d in ref_one["doc_id"]]
        if docs is not None and not any(docs):
            docs = None
        resampler = Resampler.make(docs, len(ref_one), n_resamples, seed, label=cluster_label)
        ref_words = int(ref_one["words"].sum())
        ref_chars = int(ref_one["chars"].sum())
        domain = label.get("domain")
        if domain is None:
            uniq = ref_one["domain"].unique()
            domain = str(uniq[0]) if len(uniq) == 1 else "mixed"
        for tok_id, tpart in part.groupby("tokenizer", observed=True, sort=False):
            ref_tokens = tpart.loc[tpart["language"] == ref, "tokens"].to_numpy(np.int64)
            tok = (tokenizers or {}).get(str(tok_id))
            fp = tok.fingerprint if tok is not None else ""
            for lang, lpart in tpart.groupby("language", observed=True, sort=False):
                t = lpart["tokens"].to_numpy(np.int64)
                n_seg = int(lpart["n"].sum()) if "n" in lpart.columns else len(t)
                what = f"corpus {corpus_name!r}, {lang} vs {ref}, tokenizer {tok_id}"
                p = premium(t, ref_tokens, what=what)
                low, high = (1.0, 1.0) if lang == ref else resampler.ci(t, ref_tokens)
                total = int(t.sum())
                chars, nbytes = int(lpart["chars"].sum()), int(lpart["bytes"].sum())
                digest = (digests or {}).get(corpus_name, "")
                rows.append({
                    "corpus": corpus_name, "domain": domain, "language": str(lang), "tokenizer": str(tok_id),
                    "status": tok.status if tok is not None else "",
                    "segments": n_seg, "chars": chars, "bytes": nbytes, "tokens": total,
                    "chars_per_token": chars / total if total else float("nan"),
                    "bytes_per_token": nbytes / total if total else float("nan"),
                    "tokens_per_segment": total / n_seg,
                    "premium": p, "premium_low": low, "premium_high": high,
                    "reference": ref, "reference_tokens": int(ref_tokens.sum()),
                    "tokens_per_1k_ref_words": 1000 * total / ref_words if ref_words else float("nan"),
                    "tokens_per_1k_ref_chars": 1000 * total / ref_chars if ref_chars else float("nan"),
                    "ci_method": resampler.method, "clusters": resampler.n_clusters,
                    "n_resamples": n_resamples, "seed": seed, "corpus_digest": digest,
                    "tokenizer_fingerprint": fp,
                    "signature": signature(corpus=corpus_name, corpus_digest=digest, reference=ref,
                                           tokenizer=str(tok_id), fingerprint=fp,
                                           ci_method=resampler.method, n_resamples=n_resamples, seed=seed),
                })
    out = pd.DataFrame(rows, columns=RATIO_COLUMNS)
    return out.reset_index(drop=True)
