"""`tokeff measure` (in memory or streamed) and `tokeff count`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tokeff._util.cache import CountCache
from tokeff.cli.base import (
    CorpusOpt,
    JsonOpt,
    LanguageOpt,
    OnlineOpt,
    ReferenceOpt,
    RegistryOpt,
    TokenizerOpt,
    app,
    check_outputs,
    err,
    out,
    print_json,
    progress,
    read_stdin,
    write_output,
)
from tokeff.errors import UsageError
from tokeff.study.run import DEFAULT_RESAMPLES, DEFAULT_SEED, frame_rows, resolve_tokenizers
from tokeff.study.signature import Signature
from tokeff.tokenizers.registry import load_registry


@app.command("measure")
def measure_cmd(
    corpus: CorpusOpt = None,
    tokenizer: TokenizerOpt = None,
    language: LanguageOpt = None,
    reference: ReferenceOpt = "en",
    by_domain: Annotated[bool, typer.Option("--by-domain", help="One row per domain as well as per corpus.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write the ratio table here (.csv, .json or .parquet).")] = None,
    segments_out: Annotated[Path | None, typer.Option("--segments-out", help="Also write the per-segment counts (.csv, .json, .parquet).")] = None,
    resamples: Annotated[int, typer.Option(min=1, help="Bootstrap resamples for the 95% CI.")] = DEFAULT_RESAMPLES,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Bootstrap seed (results reproduce exactly).")] = DEFAULT_SEED,
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
    json_out: JsonOpt = False,
) -> None:
    """Measure the same-content token premium of each language against the reference."""
    from tokeff.study.run import load_study, run_study

    check_outputs({"--out": out_file, "--segments-out": segments_out, "--diagnostics-out": diagnostics_out},
                  [registry], corpus)
    if stream:
        _measure_stream(corpus, tokenizer, language, reference, out_file, segments_out, resamples, seed, registry, chunk,
                        json_out)
        return
    corpora, toks = load_study(corpus, tokenizer, reference, languages=language, online=online,
                               registry=load_registry(registry))
    total = sum(len(c) * len(c.languages) for c in corpora) * len(toks)
    with progress("counting", total) as bar:
        study = run_study(corpora, toks, reference=reference, by=["domain"] if by_domain else [],
                          with_whole=by_domain, n_resamples=resamples, seed=seed,
                          cache=None if no_cache else CountCache(), progress=bar.step, engine=engine,
                          workers=workers, address=scheduler,
                          diagnostics=diagnostics or diagnostics_out is not None)
    if study.diagnostics is not None:
        table = study.table
        for r in table[table.excluded].drop_duplicates(["corpus", "language", "tokenizer"]).itertuples(index=False):
            err.print(f"[yellow]excluded: {r.corpus} {r.language} {r.tokenizer}: {r.exclusion_reason}[/]")
        write_output(study.diagnostics, diagnostics_out, "diagnostics rows")
    if out_file:  # study.table builds a DataFrame: a cached run that only prints never imports pandas
        write_output(study.table, out_file)
    if segments_out:
        write_output(study.segments, segments_out, "per-segment rows")
    if json_out:
        print_json(study.table)
        return
    _print_ratios(study.rows)


def _measure_stream(corpus: list[str] | None, tokenizer: list[str] | None, language: list[str] | None,
                    reference: str, out_file: Path | None, segments_out: Path | None, resamples: int, seed: int,
                    registry: Path | None, chunk: int, json_out: bool = False) -> None:
    from tokeff.corpora.loaders import shipped_dir
    from tokeff.study.stream import Totals, measure_stream

    if not corpus or len(corpus) != 1:
        raise UsageError("--stream measures one --corpus: a folder in tokeff's layout (corpus.yaml + <tag>.txt)")
    folder = Path(corpus[0])
    if not folder.is_dir() and (shipped_dir() / corpus[0]).is_dir():
        folder = shipped_dir() / corpus[0]
    toks = resolve_tokenizers(tokenizer, load_registry(registry))
    with progress("streaming", bar=False) as bar:

        def step(t: Totals) -> None:
            ref_tokens = {tok: n for (lang, tok), n in t.tokens.items() if lang == reference}
            running = ", ".join(f"{lang}/{tok} {n / ref_tokens[tok]:.3f}" for (lang, tok), n in t.tokens.items()
                                if lang != reference and ref_tokens.get(tok))
            bar.describe(f"{t.segments:,} segments, {t.bytes_read / 1e6:,.1f} MB; premium so far: {running}")

        table = measure_stream(folder, toks, reference, languages=language, chunk=chunk,
                               segments_out=segments_out, n_resamples=resamples, seed=seed, progress=step)
    write_output(table, out_file)
    if json_out:
        print_json(table)
        return
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
    text: Annotated[str | None, typer.Argument(help="Text to count; - reads standard input (its last line break dropped, as echo adds one), or use --file.")] = None,
    tokenizer: TokenizerOpt = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Count the whole text of this UTF-8 file.")] = None,
    online: OnlineOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Print the token count of a text under each tokenizer."""
    from tokeff.corpora.textio import decode_utf8
    from tokeff.study.counting import count_text

    if (text is None) == (file is None):
        raise UsageError("give either TEXT or --file FILE")
    if file is not None:
        text = decode_utf8(file.read_bytes(), str(file))
    elif text == "-":
        text = read_stdin()
    assert text is not None
    t = Table()
    for col in ("tokenizer", "status", "tokens", "chars/token"):
        t.add_column(col, justify="left" if col in ("tokenizer", "status") else "right")
    rows = []
    for tok in resolve_tokenizers(tokenizer, online=online):
        n = count_text(tok, text)
        rows.append({"tokenizer": tok.id, "status": tok.status, "tokens": n, "characters": len(text)})
        t.add_row(tok.id, tok.status, str(n), f"{len(text) / n:.2f}" if n else "-")
    if json_out:
        print_json(rows)
        return
    out.print(t)
