"""Measure: corpora x tokenizers -> the tidy ratio table (one row per corpus x language x
tokenizer, one column per measure), computed from the per-segment table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tokeff._util.cache import CountCache
from tokeff.corpora.corpus import Corpus
from tokeff.corpora.languages import normalize_language
from tokeff.corpora.loaders import load_corpora
from tokeff.errors import LanguageError, TokeffError, UnknownTokenizerError
from tokeff.study.signature import Signature
from tokeff.tokenizers.registry import Registry, load_registry
from tokeff.tokenizers.tokenizer import Tokenizer, get_tokenizer
from tokeff.version import __version__

# Counting and summarizing (numpy) and the pandas table are imported where they are used: a
# study answered from the cache (`study_key`) imports neither numpy nor pandas.
if TYPE_CHECKING:
    import pandas as pd

    from tokeff.study.counting import Progress
    from tokeff.study.segments import SegmentTable

Row = dict[str, object]

__all__ = ["DEFAULT_RESAMPLES", "DEFAULT_SEED", "Study", "load_study", "measure", "run_study",
           "summarize"]
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
        langs = list(dict.fromkeys([*([ref] if ref else []), *languages]))  # groups expand per corpus
    corpora = load_corpora(specs, langs, online=online)  # type: ignore[arg-type]
    for c in corpora:
        if ref and ref not in c.texts:
            raise LanguageError(f"corpus {c.name!r} has no reference language {ref}; it has {', '.join(c.languages)}")
    return corpora, resolve_tokenizers(tokenizers, registry, online=online)


def open_cache(cache: bool | CountCache) -> CountCache | None:
    """The count cache an API call's `cache` argument asks for: the one given, the default one
    (True), or none (False)."""
    return cache if isinstance(cache, CountCache) else (CountCache() if cache else None)


class Study:
    """What one measuring run produced: the per-segment table (counted on first use when the
    ratio rows came from the cache), the ratio table (as rows, and as pandas on first use), and
    the diagnostics table (when asked for)."""

    def __init__(self, segment_table: SegmentTable | Callable[[], SegmentTable], rows: list[Row],
                 signature: Signature, diagnostics: pd.DataFrame | None = None,
                 table: pd.DataFrame | None = None) -> None:
        self._segment_table, self.rows, self.diagnostics = segment_table, rows, diagnostics
        self.signature = signature
        self._table = table

    @property
    def segment_table(self) -> SegmentTable:
        if callable(self._segment_table):
            self._segment_table = self._segment_table()
        return self._segment_table

    @property
    def table(self) -> pd.DataFrame:
        if self._table is None:
            self._table = rows_frame(self.rows)
        return self._table

    @property
    def segments(self) -> pd.DataFrame:
        return self.segment_table.to_frame()


# What decides a ratio table besides its inputs: these modules' code (a stored table is never
# served to code that would compute it differently). Their files are found through the import
# system (without importing them: a cached study imports no numpy), wherever the package lives.
_STUDY_CODE = ("tokeff.study.run", "tokeff.study.summary", "tokeff.study.stats", "tokeff.study.signature",
               "tokeff.study.segments", "tokeff.study.counting", "tokeff.study.diagnostics")


def _module_file(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return Path(spec.origin)


def study_key(corpora: Sequence[Corpus], digests: dict[str, str], toks: Sequence[Tokenizer],
              settings: dict[str, object]) -> bytes:
    """The key of a ratio table in the cache: tokeff's version and code; each corpus's name,
    content digest, languages in order (the rows' order) and default domain; each tokenizer's
    id, fingerprint and status; and the settings (reference, grouping, bootstrap)."""
    code = hashlib.sha256(b"".join(_module_file(name).read_bytes() for name in _STUDY_CODE)).hexdigest()
    parts = [[c.name, digests[c.name], c.languages, str(c.meta.get("domain", ""))] for c in corpora]
    blob = json.dumps({"version": __version__, "code": code, "corpora": parts,
                       "tokenizers": [[t.id, t.fingerprint, t.status] for t in toks], **settings}, sort_keys=True)
    return hashlib.blake2b(blob.encode(), digest_size=16).digest()


def run_study(corpora: Sequence[Corpus], toks: list[Tokenizer], *, reference: str = "en", by: Sequence[str] = (),
              with_whole: bool = False, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
              cache: CountCache | None = None, progress: Progress | None = None, engine: str = "local",
              workers: int = 2, address: str | None = None, diagnostics: bool = False) -> Study:
    """Count once per segment (locally or on an engine), then summarize: the one pipeline behind
    `tokeff.measure`, `tokeff measure`, `tokeff report` and `tokeff verify`. With `by`,
    `with_whole` keeps the whole-corpus rows before the per-group ones.

    With a cache, the ratio rows are stored under `study_key` too: the same study on the same
    content is answered from there without counting or resampling again."""
    # plain ints (a numpy integer is fine too)
    sig = Signature(normalize_language(reference), int(n_resamples), int(seed))
    digests = {c.name: c.digest() for c in corpora}
    key = None
    if cache is not None and engine == "local" and not diagnostics:
        key = study_key(corpora, digests, toks, {"reference": sig.reference, "by": list(by), "with_whole": with_whole,
                                                 "n_resamples": sig.n_resamples, "seed": sig.seed})
        stored = cache.get_study(key)
        if stored is not None:
            return Study(lambda: _count_table(corpora, toks, cache), json.loads(stored), sig)
    from tokeff.study.counting import count_table
    from tokeff.study.summary import ratio_rows

    diag = None
    if diagnostics and engine == "local":
        from tokeff.study.diagnostics import count_with_diagnostics

        segments, diag = count_with_diagnostics(corpora, toks, cache=cache, progress=progress)
    else:
        counters = counters_for(corpora, toks, engine, workers, address)
        segments = count_table(corpora, counters, cache=cache, progress=progress)
        if diagnostics:
            from tokeff.study.diagnostics import diagnose_corpora

            diag = diagnose_corpora(corpora, toks)
    by_id = {t.id: t for t in toks}
    rows = ratio_rows(segments, sig, by=by, digests=digests, tokenizers=by_id)
    if by and with_whole:
        whole = ratio_rows(segments, sig, digests=digests, tokenizers=by_id)
        seen: set[tuple[object, ...]] = set()
        kept = []
        for r in [*whole, *rows]:
            k = (r["corpus"], r["domain"], r["language"], r["tokenizer"])
            if k not in seen:
                seen.add(k)
                kept.append(r)
        rows = kept
    if key is not None and cache is not None:
        cache.put_study(key, json.dumps(rows))
    study = Study(segments, rows, sig, diag)
    if diag is not None:
        from tokeff.study.diagnostics import apply_exclusions

        table = apply_exclusions(study.table, diag)
        table.attrs["diagnostics"] = diag
        study = Study(segments, frame_rows(table), sig, diag, table)
    return study


def _count_table(corpora: Sequence[Corpus], toks: list[Tokenizer], cache: CountCache | None) -> SegmentTable:
    from tokeff.study.counting import count_table

    return count_table(corpora, toks, cache=cache)


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
    return run_study(corpora, toks, reference=reference, by=by, n_resamples=n_resamples, seed=seed, cache=open_cache(cache),
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
    from tokeff.study.distributed import PrecountedTokenizer, distributed_counts

    counts = distributed_counts(corpora, toks, engine=engine, workers=workers, address=address)  # type: ignore[arg-type]
    return [PrecountedTokenizer(t, counts[t.id]) for t in toks]  # type: ignore[misc]


def summarize(segments: pd.DataFrame | SegmentTable, *, reference: str = "en", by: Sequence[str] = (),
              n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
              digests: dict[str, str] | None = None,
              tokenizers: dict[str, Tokenizer] | None = None, cluster_label: str | None = None) -> pd.DataFrame:
    """The tidy ratio table from a per-segment table (see `count_segments`).

    A row may stand for several segments summed together (a column `n` says how many);
    `cluster_label` then names the clusters."""
    from tokeff.study.segments import SegmentTable
    from tokeff.study.summary import ratio_rows

    table = segments if isinstance(segments, SegmentTable) else SegmentTable.from_frame(segments)
    sig = Signature(normalize_language(reference), int(n_resamples), int(seed))
    rows = ratio_rows(table, sig, by=by, digests=digests, tokenizers=tokenizers, cluster_label=cluster_label)
    return rows_frame(rows)


def frame_rows(table: pd.DataFrame) -> list[Row]:
    """The rows of a ratio table (the inverse of `rows_frame`)."""
    return [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]


def rows_frame(rows: list[Row]) -> pd.DataFrame:
    """The ratio table (columns RATIO_COLUMNS, then any extra fields) from its rows."""
    import pandas as pd

    from tokeff.study.summary import RATIO_COLUMNS

    extra = [c for c in (rows[0] if rows else {}) if c not in RATIO_COLUMNS]
    return pd.DataFrame(rows, columns=[*RATIO_COLUMNS, *extra])
