"""Money as a bill shows it: each currency's minor unit (ISO 4217: 2 decimals for USD, none for
JPY and KRW; VND and IDR are billed in whole units in practice), and token counts as integers.

The cost table itself stays exact (verify recomputes it to the last digit); `for_export` is the
view written to costs.csv, which people paste into spreadsheets and invoices."""

from __future__ import annotations

import pandas as pd

NO_MINOR_UNIT = frozenset({"JPY", "KRW", "VND", "IDR"})
MONTHLY = ("cost_per_month", "english_cost_per_month", "language_tax", "cost_per_month_at_growth",
           "model_cost_per_month")
TOKENS = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")


def decimals(currency: str) -> int:
    """Digits after the point in `currency`'s bills."""
    return 0 if currency.upper() in NO_MINOR_UNIT else 2


def for_export(costs: pd.DataFrame) -> pd.DataFrame:
    """The cost table with monthly money rounded to its currency's minor unit and expected token
    counts rounded to whole tokens. Per-request costs keep their precision: one request costs a
    fraction of a cent, which rounding to the minor unit would turn into zero."""
    out = costs.copy()
    digits = out["currency"].map(lambda c: decimals(str(c)))
    for col in MONTHLY:
        if col in out:
            out[col] = [round(float(v), int(d)) for v, d in zip(out[col], digits, strict=True)]
    for col in TOKENS:
        if col in out:
            out[col] = out[col].round().astype("Int64")
    out.attrs = dict(costs.attrs)
    return out
