"""The project's own rate rows next to genai-prices' figure for the same model: every field that
moves a bill (input, output, cache read and write, batch, long-context tiers), so a disagreement
is seen and explained, not silently resolved either way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokeff.costs.rates import Prices, RateBook, UnpricedModelError, _from_genai_prices, _prices_from_row

FIELDS = ("input", "output", "cached_input", "cache_write")


def _flat(p: Prices | None, prefix: str = "") -> dict[str, Decimal | None]:
    if p is None:
        return {}
    out: dict[str, Decimal | None] = {f"{prefix}{f}": getattr(p, f) for f in FIELDS}
    for above, tier in p.tiers:
        out.update({f"{prefix}above_{above}.{f}": getattr(tier, f) for f in FIELDS})
    return out


def compare_with_genai_prices(book: RateBook) -> list[dict[str, Any]]:
    """Own rows next to what genai-prices says for the same model (`compare_genai`): one dict per
    model with both input/output rates and whether they agree."""
    out: list[dict[str, Any]] = []
    for row in book.rows.values():
        if row.compare_genai is None or row.input is None:
            continue
        try:
            theirs, their_batch, resolved, _, _ = _from_genai_prices(
                row.compare_genai.model, row.compare_genai.provider, book.as_of)
        except UnpricedModelError as exc:
            out.append({"model": row.id, "ours": (row.input, row.output), "genai_prices": None, "agree": False,
                        "differs": ["no entry"], "note": str(exc)})
            continue
        mine = _prices_from_row(row)
        my_batch = mine.scaled(1 - row.batch_discount) if row.batch_discount is not None else None
        a = {**_flat(mine), **_flat(my_batch, "batch.")}
        b = {**_flat(theirs), **_flat(their_batch, "batch.")}
        # a field one side leaves out is compared only when the other side has a non-zero figure
        differs = sorted(k for k in {*a, *b} if a.get(k) != b.get(k) and (a.get(k) or b.get(k)))
        out.append({"model": row.id, "ours": (row.input, row.output), "genai_prices": (theirs.input, theirs.output),
                    "genai_prices_entry": f"{row.compare_genai.provider}/{resolved}", "agree": not differs,
                    "differs": differs, "ours_all": a, "genai_prices_all": b})
    return out
