"""`tokeff traffic`: a team's own requests priced exactly on each model, with the language tax."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tokeff.cli.base import JsonOpt, app, check_outputs, err, out, out_option, print_json, write_output
from tokeff.errors import UsageError


@app.command("traffic")
def traffic_cmd(
    file: Annotated[Path, typer.Argument(help="Traffic: .jsonl (chat shape), .txt (one prompt per line), .csv or .parquet (input/output columns).")],
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model id (repeatable). Default: the rates file's defaults whose tokenizer is here.")] = None,
    workload: Annotated[Path | None, typer.Option("--workload", "-w", help="Take requests_per_month from this workload YAML.")] = None,
    requests_per_month: Annotated[float | None, typer.Option("--requests-per-month", help="Monthly volume to scale the sample to.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of the costs.")] = "USD",
    out_file: Annotated[Path | None, out_option("the traffic cost table")] = None,
    fit_corpus: Annotated[list[str] | None, typer.Option("--fit-corpus", "-c", help="Parallel corpora the English equivalent is fitted on (repeatable, at least two; e.g. flores200:DIR). Default: every shipped corpus.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the count cache (it holds only hashes of texts).")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Count each part of real requests exactly on each model's tokenizer, price the sample and a
    month of it, and split out the language tax against the English equivalent (with its 95%
    interval). The traffic's text is never written anywhere."""
    from tokeff._util.cache import CountCache
    from tokeff.traffic.cost import traffic_cost
    from tokeff.traffic.reader import read_traffic

    check_outputs({"--out": out_file}, [file, workload], fit_corpus or [])
    if workload is not None and requests_per_month is not None:
        raise UsageError("give --workload or --requests-per-month, not both")
    rpm, profile = requests_per_month, None
    if workload is not None:
        from tokeff.costs.workload import load_workload

        wl = load_workload(workload)
        rpm, profile = wl.requests_per_month, wl.traffic
    requests = read_traffic(file)
    corpora = None
    if fit_corpus:
        from tokeff.corpora.loaders import load_corpus

        corpora = [load_corpus(c) for c in fit_corpus]
    table = traffic_cost(requests, model, requests_per_month=rpm, traffic=profile, currency=currency,
                         cache=None if no_cache else CountCache(), corpora=corpora)
    write_output(table, out_file)
    if json_out:
        print_json(table)
        return
    if out_file is not None and str(out_file) == "-":
        return
    cur = currency.upper()
    mix = table.attrs.get("languages", {})
    out.print(f"{len(requests):,} requests from {file.name}; parts by language: "
              + ", ".join(f"{k} {v}" for k, v in sorted(mix.items(), key=lambda kv: -kv[1])), highlight=False)
    t = Table(title=f"Traffic cost per model and part ({cur})")
    for col in ("model", "part", "lang", "tokens", "English equivalent [95%]", "cost", "language tax"):
        t.add_column(col, justify="left" if col in ("model", "part", "lang") else "right", no_wrap=True)
    for r in table.to_dict("records"):
        eq = ("-" if math.isnan(r["english_equivalent_tokens"]) else
              f"{r['english_equivalent_tokens']:,.0f} [{r['english_equivalent_low']:,.0f}, {r['english_equivalent_high']:,.0f}]")
        t.add_row(str(r["model"]), str(r["parts"]), str(r["language"]) or "-", f"{r['tokens']:,.0f}", eq,
                  f"{r['cost']:.6f}", "-" if math.isnan(r["language_tax"]) else f"{r['language_tax']:.6f}")
    out.print(t)
    for name, rows in table.groupby("model", sort=False):
        cost, tax = rows["cost"].sum(), rows["language_tax"].sum()
        line = (f"{name}: this sample {cost:.4g} {cur}, language tax {tax:.4g} ({tax / cost:.0%})" if cost
                else f"{name}: nothing billed")
        if rpm:
            line += f"; per month at {rpm:,.0f} requests: {rows['cost_per_month'].sum():,.2f} {cur}, " \
                    f"language tax {rows['language_tax_per_month'].sum():,.2f}"
        out.print(line, highlight=False)
    if table.attrs.get("skipped_blocks"):
        err.print(f"[yellow]{table.attrs['skipped_blocks']:,} content blocks with no text (images, documents) are "
                  "not counted: their tokens are not in the table[/]", highlight=False)
    unframed = table.attrs.get("framing_not_counted", {})
    if unframed:
        from tokeff.traffic.framing import NOT_DOCUMENTED

        err.print(f"[yellow]{NOT_DOCUMENTED}: {', '.join(unframed)}[/]", highlight=False)
