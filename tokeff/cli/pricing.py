"""`tokeff cost`: a workload priced on each model, per language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.measure import Measurement
from rich.table import Table

from tokeff.cli.base import JsonOpt, app, check_outputs, err, out, out_option, print_json, read_stdin, write_output
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
    wide: Annotated[bool, typer.Option("--wide", help="Every column, whatever the terminal's width.")] = False,
) -> None:
    """Price a workload on each model, per language, with the language premium in money."""
    from tokeff.costs.money import for_export
    from tokeff.costs.pivot import pivot_break_even
    from tokeff.costs.pricing import TIERS, by_reason, cheapest_per_tier, cost
    from tokeff.costs.workload import load_workload

    wl = load_workload(workload)
    check_outputs({"--out": out_file}, [workload, ratios], [wl.corpus])
    ratio_table = None
    if pivot_via and ratios is None:  # measure once for the bill and every pivot question
        from tokeff.costs.pricing import ratio_table_for
        from tokeff.costs.rates import load_rates

        book = load_rates()
        from tokeff.tokenizers.tokenizer import availability

        named = bool(model) and model != ["all"]
        chosen: list[str] = list(model or []) if named else (list(book) if model == ["all"] else book.defaults())
        names = [*chosen, pivot_via]
        reg = load_registry()
        toks = {reg.get(t).id for t in (book.card(m).tokenizer for m in names) if t}
        if not named:  # of the defaults (or all), those measurable here; cost() says why the others are left out
            toks = {t for t in toks if availability(reg.get(t)) == "offline"}
            translator = book.card(pivot_via).tokenizer
            if translator:  # named with --pivot-via: measured, or a clear error
                toks.add(reg.get(translator).id)
        ratio_table = ratio_table_for(wl, sorted(toks), None)
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
    write_output(for_export(table), out_file)
    if json_out:
        print_json(table)
        return
    cur = str(table["currency"].iloc[0])
    fx = str(table["fx_date"].iloc[0])
    rows: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]
    title = (f"{wl.name}: {wl.requests_per_month:,.0f} requests/month, mix "
             + ", ".join(f"{k} {v:.0%}" for k, v in wl.languages.items()))
    caption = f"{cur}" + (f" (FX {fx})" if fx else "") + f"; ratios from {table['ratio_source'].iloc[0]}"
    full = _cost_table(rows, wl.growth, cur, title, caption, wide=True)
    needed = Measurement.get(out, out.options.update_width(10_000), full).maximum
    if wide or needed <= out.width:  # --wide on a narrow terminal: full lines, which the terminal wraps
        width = out.width
        out.width = max(width, needed)
        out.print(full)
        out.width = width
    else:  # the columns that answer, none cut off; the rest as lines below
        out.print(_cost_table(rows, wl.growth, cur, title, caption, wide=False))
        for r in rows:
            if r["notes"]:
                out.print(f"note: {r['model']} ({r['language']}): {r['notes']}", highlight=False)
        out.print(f"premium CI, tokens, per-request cost, rates and their dates: --wide or --out (width {out.width})",
                  style="dim", highlight=False)
    for language, part in cheapest_per_tier(table).groupby("language", sort=False):
        best = part.drop_duplicates("tier")
        if best["tier"].nunique() > 1:
            out.print(f"cheapest per tier in {language!s}: " + "; ".join(
                f"{b['tier'] or 'untiered'} {b['model']}" + ("" if b["tokenizer_status"] == "exact" else " †")
                + ("" if b["lifecycle"] == "current" else f" ‡ {b['lifecycle']}")
                + f" {_money(b['cost_per_month'])} {cur}/month"
                f" (language tax {b['language_tax_share']:.0%})" for b in best.to_dict('records')), markup=False)
    for life, part in table.groupby("lifecycle", sort=False):
        if life != "current":
            which = ", ".join(dict.fromkeys(part["model"]))
            line = f"‡ {which}: {life}" + (", priced on request, not ranked" if str(life).startswith("retired") else "")
            (err if str(life).startswith("retired") else out).print(line, style="yellow", highlight=False)
    for why, models in by_reason(table.attrs.get("skipped", {})).items():  # one line per reason
        err.print(f"skipped {', '.join(models)}: {why}", style="yellow", highlight=False)
    if wl.revenue_per_month:
        margins = table.drop_duplicates("model")[["model", "model_cost_per_month", "gross_margin"]]
        out.print("gross margin at " + f"{wl.revenue_per_month:,.0f} {wl.currency}/month revenue: "
                  + ", ".join(f"{m.model} {m.gross_margin:.0%}" for m in margins.itertuples(index=False)))
    for p in pivots:
        out.print(f"{p['main']} in {p['language']}: premium {p['premium']:.2f}, pivot through English via "
                  f"{p['translator']} breaks even at {p['break_even_premium']:.2f} -> {p['cheaper']} "
                  f"(USD/request direct {p['direct_cost_per_request']:.5f}, pivot {p['pivot_cost_per_request']:.5f})")


def _rank(v: Any) -> str:
    """A rank, or `-` for a model that is not ranked (retired; pandas' NA, or NaN)."""
    try:
        return str(int(v))
    except (TypeError, ValueError):
        return "-"


def _cost_table(rows: list[dict[str, Any]], growth: float, cur: str, title: str, caption: str, *,
                wide: bool) -> Table:
    """The cost table: every column (`wide`), or the ones that answer, with compact money."""
    def money(v: float) -> str:
        return f"{v:,.2f}" if wide else _money(v)

    columns: list[tuple[str, bool, Callable[[dict[str, Any]], str]]] = [  # header, in the narrow view, cell
        ("language" if wide else "lang", True, lambda r: str(r["language"])),
        ("rank" if wide else "#", True, lambda r: _rank(r["rank"])),
        ("model", True, lambda r: str(r["model"]) + ("" if wide or r["lifecycle"] == "current" else "‡")),
        ("tier", False, lambda r: str(r["tier"])),
        ("lifecycle", False, lambda r: str(r["lifecycle"])),
        ("tokenizer", False, lambda r: str(r["tokenizer"]) + ("" if r["tokenizer_status"] == "exact"
                                                              else f" ({r['tokenizer_status']})")),
        ("premium [95% CI]", False, lambda r: f"{r['premium']:.2f} [{r['premium_low']:.2f}, {r['premium_high']:.2f}]"),
        ("premium", True, lambda r: f"{r['premium']:.2f}"),
        ("tokens in/out", False, lambda r: f"{r['input_tokens']:,.0f} / {r['output_tokens']:,.0f}"),
        (f"per request ({cur})", False, lambda r: f"{r['cost_per_request']:,.5f}"),
        (f"per month ({cur})" if wide else f"{cur}/month", True, lambda r: money(r["cost_per_month"])),
        ("language tax", True, lambda r: f"{money(r['language_tax'])} ({r['language_tax_share']:.0%})"
                                         if r["language_tax"] else "-"),
        *([(f"per month at {growth:g}x", False, lambda r: f"{r['cost_per_month_at_growth']:,.0f}")]
          if growth != 1 else []),
        ("rates", False, lambda r: " ".join(x for x in (str(r["rates_origin"]), str(r["rates_checked"])) if x)),
        ("notes", False, lambda r: str(r["notes"])),
    ]
    shown = [c for c in columns if (c[0] != "premium" if wide else c[1])]
    t = Table(title=title, caption=caption, box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD, padding=(0, 1))
    for name, _, _ in shown:
        left = name in ("language", "lang", "model", "tier", "lifecycle", "tokenizer", "rates", "notes")
        t.add_column(name, justify="left" if left else "right", no_wrap=True)
    for r in rows:
        t.add_row(*[cell(r) for _, _, cell in shown])
    return t


@app.command("estimate")
def estimate_cmd(
    text: Annotated[str, typer.Argument(help="The prompt; - reads standard input.")],
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Model id (repeatable). Default: the rates file's defaults whose tokenizer is here.")] = None,
    language: Annotated[str | None, typer.Option("--language", "-l", help="The prompt's language. Default: told from its script.")] = None,
    corpus: Annotated[list[str] | None, typer.Option("--corpus", "-c", help="Parallel corpora the English equivalent is fitted on (repeatable, at least two). Default: every shipped corpus.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of the costs.")] = "USD",
    json_out: JsonOpt = False,
) -> None:
    """One prompt on each model: its tokens, the English-equivalent tokens (with the premium's 95% CI),
    and its cost as input and as output."""
    from tokeff.analysis.estimate import estimate

    if text == "-":
        text = read_stdin()
    table = estimate(text, model, language=language, corpus=corpus, currency=currency)
    if json_out:
        print_json(table)
        return
    lang = str(table["language"].iloc[0]) if len(table) else "en"
    fitted = str(table["corpus"].iloc[0]) if len(table) else ""
    t = Table(title=f"One {lang} prompt of {len(text):,} characters"
              + (f"; English equivalent fitted on {fitted}" if lang != "en" else ""))
    for col in ("model", "tokenizer", "tokens", "English-equivalent [95% CI]", f"as input ({currency})",
                f"as output ({currency})"):
        t.add_column(col, justify="left" if col in ("model", "tokenizer") else "right", no_wrap=True)
    for r in table.to_dict("records"):
        t.add_row(str(r["model"]), str(r["tokenizer"]), f"{r['tokens']:,}",
                  f"{r['english_equivalent_tokens']:,.0f} [{r['english_equivalent_low']:,.0f}, "
                  f"{r['english_equivalent_high']:,.0f}]", f"{r['cost_as_input']:.6f}", f"{r['cost_as_output']:.6f}")
    out.print(t)


def _money(v: float) -> str:
    return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
