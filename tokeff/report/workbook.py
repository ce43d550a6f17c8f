"""The report's workbook (costs.xlsx) for a finance analyst: the workload's inputs as cells, and
the costs as live formulas over them, so changing requests per month, the cached share or the
language mix moves the bill without tokeff. With the inputs as tokeff priced them, every formula
gives the number in costs.csv. The formulas are plain arithmetic (a comparison times a number
stands for the cache minimum), readable in any spreadsheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from tokeff._util.tableio import atomic_path
from tokeff.costs.fx import Fx
from tokeff.costs.rates import RateBook
from tokeff.costs.workload import Workload

INPUTS = "Inputs"
REQUESTS, CACHED = "$B$3", "$B$4"  # the editable cells
MIX_ROW = 8  # first row of the language mix
COLUMNS = ["model", "provider", "tier", "language", "tokenizer", "input tokens", "output tokens", "reasoning tokens",
           "cache minimum", "input rate", "cached rate", "output rate", "cached tokens", "cost per request",
           "cost per month"]


def write_workbook(path: Path, costs: pd.DataFrame, multipliers: pd.DataFrame, wl: Workload, book: RateBook,
                   fx: Fx) -> None:
    """Write costs.xlsx (sheets Inputs, Costs, Multipliers) atomically. Rates are per million
    tokens in the costs' currency at the tier each request was priced at."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    currency = str(costs["currency"].iloc[0])
    wb = Workbook()
    inputs = wb.active
    inputs.title = INPUTS
    editable = PatternFill("solid", fgColor="DDEBF7")
    inputs["A1"] = f"{wl.name}: change a blue cell and the Costs sheet follows ({currency}; rates per 1M tokens)"
    inputs["A1"].font = Font(bold=True)
    for ref, label, value in ((REQUESTS, "requests per month", wl.requests_per_month),
                              (CACHED, "cached share of the prompt", wl.cached_share)):
        row = int(ref.split("$")[2])
        inputs.cell(row, 1, label)
        inputs.cell(row, 2, value).fill = editable
    inputs.cell(MIX_ROW - 1, 1, "language mix (shares)")
    mix_row = {}
    for i, (lang, share) in enumerate(wl.languages.items()):
        inputs.cell(MIX_ROW + i, 1, lang)
        inputs.cell(MIX_ROW + i, 2, share).fill = editable
        mix_row[lang] = MIX_ROW + i
    notes = [f"Not in these formulas (priced in costs.csv): {what}" for what, on in (
        ("batch requests", wl.batch_share > 0), ("cache writes", wl.cache_writes_per_month > 0),
        ("a cached prefix in another language", wl.cached_language is not None)) if on]
    for i, note in enumerate(notes):
        inputs.cell(MIX_ROW + len(mix_row) + 1 + i, 1, note)

    sheet = wb.create_sheet("Costs")
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, r in enumerate(costs.to_dict("records"), start=2):
        sheet.append(_row(r, i, book, fx, currency, mix_row[str(r["language"])]))
    mult = wb.create_sheet("Multipliers")
    mult.append(list(multipliers.columns))
    for rec in multipliers.itertuples(index=False):
        mult.append([v.item() if hasattr(v, "item") else v for v in rec])
    with atomic_path(path) as tmp:
        wb.save(tmp)


def _row(r: dict[Any, Any], i: int, book: RateBook, fx: Fx, currency: str, mix: int) -> list[Any]:
    card = book.card(str(r["model"]))
    prices = card.standard.at(float(r["input_tokens"]))
    rate = float(fx.rate(card.currency, currency))
    cached_rate = prices.cached_input if prices.cached_input is not None else prices.input
    minimum = book.cache_minimum(card.model)
    # cached tokens: the cached share of the prompt, when it reaches the provider's minimum
    cached = f"=({INPUTS}!{CACHED}*F{i}>=I{i})*{INPUTS}!{CACHED}*F{i}"
    per_request = f"=((F{i}-M{i})*J{i}+M{i}*K{i}+(G{i}+H{i})*L{i})/1000000"
    per_month = f"=N{i}*{INPUTS}!{REQUESTS}*{INPUTS}!$B${mix}"
    return [r["model"], r["provider"], r["tier"], r["language"], r["tokenizer"], float(r["input_tokens"]),
            float(r["output_tokens"]), float(r["reasoning_tokens"]), minimum.tokens if minimum else 0,
            float(prices.input) * rate, float(cached_rate) * rate, float(prices.output) * rate, cached, per_request,
            per_month]
