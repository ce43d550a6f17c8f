"""The secondary analyses: `tokeff diagnostics`, `fertility`, `context` and `proxy-check`."""

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
    out_option,
    print_frame,
    print_json,
    progress,
    write_output,
)
from tokeff.errors import UsageError
from tokeff.tokenizers.registry import load_registry


def _segments(corpora: list) -> int:
    return sum(len(c) * len(c.languages) for c in corpora)


@app.command("diagnostics")
def diagnostics_cmd(
    corpus: CorpusOpt = None,
    tokenizer: TokenizerOpt = None,
    language: LanguageOpt = None,
    out_file: Annotated[Path | None, out_option("the diagnostics table")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not write the counts made here to the count cache.")] = False,
    online: OnlineOpt = None,
    registry: RegistryOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """UNK rate, byte-fallback and partial-UTF-8 token shares, round-trip fidelity and unknown
    characters per corpus x language x tokenizer (>10% unknown characters: excluded from the premium)."""
    check_outputs({"--out": out_file}, [registry], corpus)
    from tokeff.study.diagnostics import EXCLUSION_THRESHOLD, diagnose_corpora
    from tokeff.study.run import load_study

    corpora, toks = load_study(corpus, tokenizer, None, languages=language, online=online,
                               registry=load_registry(registry))
    with progress("counting", _segments(corpora) * len(toks)) as bar:
        diag = diagnose_corpora(corpora, toks, cache=None if no_cache else CountCache(), progress=bar.step)
    write_output(diag, out_file)
    if json_out:
        print_json(diag)
        return
    cols = ["corpus", "language", "tokenizer", "tokens", "unk_rate", "byte_fallback_share", "partial_utf8_share",
            "round_trip_share", "unknown_char_share"]
    print_frame("Tokenizer diagnostics", diag[cols], {c: "{:.2%}" for c in cols[4:]})
    for r in diag[diag.unknown_char_share > EXCLUSION_THRESHOLD].itertuples(index=False):
        err.print(f"[yellow]{r.corpus} {r.language} on {r.tokenizer}: {r.unknown_char_share:.1%} unknown characters; "
                  "excluded from the premium (Petrov et al. 2023)[/]")


@app.command("fertility")
def fertility_cmd(
    corpus: CorpusOpt = None,
    tokenizer: TokenizerOpt = None,
    language: LanguageOpt = None,
    segmenter: Annotated[list[str] | None, typer.Option("--segmenter", help="LANG=NAME (whitespace, sudachipy, kiwipiepy, jieba, pythainlp, pyvi), repeatable: e.g. ko=whitespace for eojeol.")] = None,
    out_file: Annotated[Path | None, out_option("the fertility table")] = None,
    online: OnlineOpt = None,
    registry: RegistryOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Tokens per word with a real word segmenter per language. Secondary: words are not the same
    unit across languages, so compare languages with the premium (`tokeff measure`)."""
    check_outputs({"--out": out_file}, [registry], corpus)
    from tokeff.analysis.fertility import NOTE, fertility, parse_segmenters
    from tokeff.study.run import load_study

    segmenters = parse_segmenters(segmenter)
    corpora, toks = load_study(corpus, tokenizer, None, languages=language, online=online,
                               registry=load_registry(registry))
    table = fertility(corpora, toks, segmenters=segmenters, online=online)
    write_output(table, out_file)
    if json_out:
        print_json(table)
        return
    print_frame("Fertility (tokens per word) -- secondary", table[["corpus", "language", "tokenizer", "words", "tokens",
                                                                   "fertility", "segmenter", "unit"]], {"fertility": "{:.3f}"})
    err.print(NOTE)


@app.command("context")
def context_cmd(
    corpus: CorpusOpt = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="A model from tokeff.analysis.context.KNOWN_WINDOWS, or NAME=TOKENIZER:WINDOW (repeatable). Default: all known.")] = None,
    language: LanguageOpt = None,
    reference: ReferenceOpt = "en",
    out_file: Annotated[Path | None, out_option("the table")] = None,
    online: OnlineOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """How much English-equivalent content fits in each model's context window, per language."""
    check_outputs({"--out": out_file}, [], corpus)
    from tokeff.analysis.context import effective_context, parse_windows
    from tokeff.study.run import measure

    windows = parse_windows(model)
    ratios = measure(corpus, sorted({w.tokenizer for w in windows.values()}), reference,
                     languages=language, online=online, diagnostics=True)
    table = effective_context(ratios, windows)
    write_output(table, out_file)
    if json_out:
        print_json(table)
        return
    print_frame("Effective context (English-token-equivalents that fit)",
                table[["model", "window", "corpus", "language", "premium", "effective_context",
                       "effective_context_low", "effective_context_high", "english_words"]],
                {"premium": "{:.2f}", "effective_context": "{:,.0f}", "effective_context_low": "{:,.0f}",
                 "effective_context_high": "{:,.0f}", "english_words": "{:,.0f}"})


@app.command("proxy-check")
def proxy_check_cmd(
    proxy: Annotated[str, typer.Option("--proxy", "-p", help="The public stand-in tokenizer (id, model name or path).")],
    api: Annotated[str, typer.Option("--api", "-a", help="The count-API tokenizer it stands in for (e.g. claude-api, gemini-api.gemini-2.5-pro).")],
    corpus: CorpusOpt = None,
    language: LanguageOpt = None,
    reference: ReferenceOpt = "en",
    per_corpus: Annotated[bool, typer.Option("--per-corpus", help="One row per corpus and language (default: pooled).")] = False,
    out_file: Annotated[Path | None, out_option("the table")] = None,
    online: OnlineOpt = None,
    registry: RegistryOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """How far a proxy tokenizer's premium is from the provider's own, counted through its API."""
    check_outputs({"--out": out_file}, [registry], corpus)
    from tokeff.analysis.proxy_check import compare_proxy_to_api
    from tokeff.study.counting import count_segments
    from tokeff.study.run import load_study

    corpora, toks = load_study(corpus, [proxy, api], reference, languages=language, online=online,
                               registry=load_registry(registry))
    if len(toks) != 2:
        raise UsageError(f"--proxy {proxy} and --api {api} are the same tokenizer ({toks[0].id}); compare two")
    proxy_tok, api_tok = toks
    with progress("counting", _segments(corpora) * 2) as bar:
        segs = count_segments(corpora, [proxy_tok, api_tok], cache=CountCache(), progress=bar.step)
    table = compare_proxy_to_api(segs, proxy=proxy_tok.id, api=api_tok.id, reference=reference, per_corpus=per_corpus)
    write_output(table, out_file)
    if json_out:
        print_json(table)
        return
    t = Table(title=f"{proxy_tok.id} vs {api_tok.id}: premium ratio (proxy / api), 1.00 = same premium")
    for col in ("corpus", "language", "segments", "proxy premium", "api premium", "ratio [95% CI]"):
        t.add_column(col, justify="left" if col in ("corpus", "language") else "right")
    for r in table.itertuples(index=False):
        t.add_row(str(r.corpus), str(r.language), str(r.segments), f"{r.proxy_premium:.3f}", f"{r.api_premium:.3f}",
                  f"{r.premium_ratio:.3f} [{r.premium_ratio_low:.3f}, {r.premium_ratio_high:.3f}]")
    out.print(t)
