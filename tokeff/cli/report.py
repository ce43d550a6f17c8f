"""`tokeff report` and `tokeff verify`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from tokeff.cli.base import app, check_outputs, out, progress


@app.command("report")
def report_cmd(
    corpus: Annotated[list[str] | None, typer.Option("--corpus", "-c", help="Corpus SPEC (repeatable). Default: every shipped corpus, plus them pooled.")] = None,
    tokenizer: Annotated[list[str] | None, typer.Option("--tokenizer", "-t", help="Tokenizer (repeatable). Default: the registry's defaults and the default models' tokenizers.")] = None,
    workload: Annotated[Path | None, typer.Option(help="Workload YAML to price. Default: a CJK support assistant.")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model to price (repeatable). Default: the rates file's defaults.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Report folder: new, empty or an earlier report (replaced atomically).")] = Path("reports/latest"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the count cache.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it is a folder that is not a tokeff report.")] = False,
    language: Annotated[list[str] | None, typer.Option("--language", "-l", help="Language tag, or a group: cjk, sea, south-asia, apac (repeatable). Default: every language of the corpora.")] = None,
) -> None:
    """Measure, price and write the language-cost report: index.html, report.md, ratios, costs, manifest."""
    from tokeff.report import build_report

    check_outputs({"--out": out_dir}, [workload], corpus, folder=True)
    start = time.perf_counter()
    with progress("report") as bar:
        path = build_report(out_dir, corpora=corpus, tokenizers=tokenizer, workload=workload, models=model,
                            cache=not no_cache, progress=bar.update, force=force,
                            languages=language)
    files = sorted(p.name for p in path.iterdir())
    out.print(f"wrote {path}/ in {time.perf_counter() - start:.1f} s: {', '.join(files)}")
    out.print(f"open {path / 'index.html'}; the answer: {one_line_answer(path)}", highlight=False)


def one_line_answer(report_dir: Path) -> str:
    """The first screen in one line: per language, the cheapest model of each tier and its month."""
    import json

    import pandas as pd

    reference = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))["reference"]
    costs = pd.read_csv(report_dir / "costs.csv", keep_default_na=False)
    from tokeff.costs.pricing import cheapest_per_tier

    best = cheapest_per_tier(costs, reference)
    parts = []
    for lang, part in best.groupby("language", sort=False):
        parts.append(f"{lang!s}: " + ", ".join(
            f"{r['tier'] or 'untiered'} {r['model']} {r['cost_per_month']:,.0f} {r['currency']}/month "
            f"(tax {r['language_tax_share']:.0%})" for r in part.to_dict("records")))
    return "; ".join(parts) or "see index.html"


@app.command("verify")
def verify_cmd(report_dir: Annotated[Path, typer.Argument(help="A directory written by `tokeff report`.")]) -> None:
    """Recompute a report's ratios and costs from its manifest (no cache), check every file's sha256,
    and say whether all of it reproduces exactly."""
    from tokeff.report import verify_report

    diffs = verify_report(report_dir)
    if diffs:
        for d in diffs:
            out.print(f"difference: {d}", highlight=False)
        raise typer.Exit(1)
    out.print(f"{report_dir}: every ratio and cost reproduces exactly, and every file matches its sha256 in the manifest")
