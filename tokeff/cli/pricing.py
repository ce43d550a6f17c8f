"""`tokeff cost`: a workload priced on each model, per language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tokeff.cli.base import JsonOpt, app, check_outputs, err, out, out_option, print_json, write_output
from tokeff.errors import UsageError
from tokeff.tokenizers.registry import load_registry


@app.command("cost")
def cost_cmd(
    workload: Annotated[Path, typer.Argument(help="Workload YAML (see README: requests, sizes, language mix...).")],
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model id (repeatable), or `all`. Default: the rates file's defaults (those whose tokenizer is here).")] = None,
    tier: Annotated[str | None, typer.Option(help="Only models of this tier: small, mid or frontier.")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of the costs (USD, JPY, KRW, CNY, HKD, SGD, EUR...). Default: the workload's.")] = None,
    ratios: Annotated[Path | None, typer.Option(help="A ratio table from `tokeff measure --out` to convert with. Default: measure the workload's corpus now.")] = None,
    pivot_via: Annotated[str | None, typer.Option("--pivot-via", help="Also answer: is translating through English with this model cheaper?")] = None,
    out_file: Annotated[Path | None, out_option("the cost table")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Price a workload on each model, per language, with the language premium in money."""
    from tokeff.costs.pricing import TIERS, cost, pivot_break_even
    from tokeff.costs.workload import load_workload

    wl = load_workload(workload)
    check_outputs({"--out": out_file}, [workload, ratios], [wl.corpus])
    ratio_table = None
    if pivot_via and ratios is None:  # measure once for the bill and every pivot question
        from tokeff.costs.pricing import ratio_table_for
        from tokeff.costs.rates import load_rates

        book = load_rates()
        names = [*(model if model and model != ["all"] else book.defaults()), pivot_via]
        toks = [book.card(m).tokenizer for m in names]
        ratio_table = ratio_table_for(wl, [load_registry().get(t).id for t in toks if t], None)
    ratios_used = ratio_table if ratio_table is not None else ratios
    if tier is not None and tier not in TIERS:
        raise UsageError(f"--tier {tier!r}: use one of {', '.join(TIERS)}")
    table = cost(wl, model, ratios_used, currency=currency, tier=tier)
    pivots = []
    if pivot_via:
        for m in dict.fromkeys(table["model"]):
            for lang in wl.languages:
                if lang != "en":
                    pivots.append(pivot_break_even(wl, str(m), pivot_via, lang, ratios_used))
    write_output(table, out_file)
    if json_out:
        print_json(table)
        return
    cur = str(table["currency"].iloc[0])
    fx = str(table["fx_date"].iloc[0])
    t = Table(title=f"{wl.name}: {wl.requests_per_month:,.0f} requests/month, mix "
              + ", ".join(f"{k} {v:.0%}" for k, v in wl.languages.items()),
              caption=f"{cur}" + (f" (FX {fx})" if fx else "") + f"; ratios from {table['ratio_source'].iloc[0]}")
    growth = wl.growth != 1
    cols = ["language", "rank", "model", "tier", "tokenizer", "premium [95% CI]", "tokens in/out", "per request",
            "per month", "language tax"] + ([f"per month at {wl.growth:g}x"] if growth else []) + ["rates", "notes"]
    for col in cols:
        right = col not in ("language", "model", "tokenizer", "rates", "notes")
        t.add_column(col, justify="right" if right else "left", no_wrap=col in ("model", "premium [95% CI]"))
    for r in table.to_dict("records"):
        status = "" if r["tokenizer_status"] == "exact" else f" ({r['tokenizer_status']})"
        tax = f"{r['language_tax']:,.2f} ({r['language_tax_share']:.0%})" if r["language_tax"] else "-"
        cells = [str(r["language"]), str(r["rank"]), str(r["model"]), str(r["tier"]), f"{r['tokenizer']}{status}",
                 f"{r['premium']:.2f} [{r['premium_low']:.2f}, {r['premium_high']:.2f}]",
                 f"{r['input_tokens']:,.0f} / {r['output_tokens']:,.0f}", f"{r['cost_per_request']:,.5f}",
                 f"{r['cost_per_month']:,.2f}", tax]
        if growth:
            cells.append(f"{r['cost_per_month_at_growth']:,.0f}")
        cells += [" ".join(x for x in (str(r["rates_origin"]), str(r["rates_checked"])) if x), str(r["notes"])]
        t.add_row(*cells)
    out.print(t)
    for language, part in table.groupby("language", sort=False):
        best = part[part["tier_rank"] == 1].drop_duplicates("tier")
        if best["tier"].nunique() > 1:
            out.print(f"cheapest per tier in {language!s}: " + "; ".join(
                f"{b['tier'] or 'untiered'} {b['model']} {b['cost_per_month']:,.2f} {cur}/month" for b in best.to_dict('records')))
    for m, why in table.attrs.get("skipped", {}).items():
        err.print(f"[yellow]skipped {m}: {why}[/]", highlight=False)
    if wl.revenue_per_month:
        margins = table.drop_duplicates("model")[["model", "model_cost_per_month", "gross_margin"]]
        out.print("gross margin at " + f"{wl.revenue_per_month:,.0f} {wl.currency}/month revenue: "
                  + ", ".join(f"{m.model} {m.gross_margin:.0%}" for m in margins.itertuples(index=False)))
    for p in pivots:
        out.print(f"{p['main']} in {p['language']}: premium {p['premium']:.2f}, pivot through English via "
                  f"{p['translator']} breaks even at {p['break_even_premium']:.2f} -> {p['cheaper']} "
                  f"(USD/request direct {p['direct_cost_per_request']:.5f}, pivot {p['pivot_cost_per_request']:.5f})")
