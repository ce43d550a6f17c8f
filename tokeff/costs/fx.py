"""Currency conversion with dated FX rates from a file the user can update (fx_rates.yaml)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tokeff._util.paths import data_path
from tokeff._util.yamlio import first_error, read_yaml
from tokeff.errors import CurrencyError


class FxFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: date
    source: str
    base: str = "USD"
    rates: dict[str, Decimal] = Field(description="units of each currency per 1 unit of base")


@dataclass(frozen=True)
class Fx:
    date: date
    source: str
    base: str
    rates: dict[str, Decimal]

    def rate(self, src: str, dst: str) -> Decimal:
        """Units of `dst` per unit of `src`."""
        for cur in (src, dst):
            if cur != self.base and cur not in self.rates:
                raise CurrencyError(
                    f"no FX rate for {cur!r} (known: {', '.join([self.base, *self.rates])}); add it to the FX file"
                )
        to_base = Decimal(1) if src == self.base else 1 / self.rates[src]
        from_base = Decimal(1) if dst == self.base else self.rates[dst]
        return to_base * from_base

    def convert(self, amount: float, src: str, dst: str) -> float:
        return float(Decimal(str(amount)) * self.rate(src, dst))


def fx_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The FX file `load_fx(path)` reads: `path`, else TOKEFF_FX, else the shipped fx_rates.yaml."""
    return Path(path or os.environ.get("TOKEFF_FX") or data_path("fx_rates.yaml")).resolve()


def load_fx(path: str | os.PathLike[str] | None = None) -> Fx:
    return _load(str(fx_path(path)))


@lru_cache(maxsize=8)
def _load(path: str) -> Fx:
    raw = read_yaml(path, CurrencyError, "FX file")
    try:
        top = FxFile.model_validate(raw)
    except ValidationError as exc:
        raise CurrencyError(f"{path}: {first_error(exc)}") from exc
    bad = [k for k, v in top.rates.items() if v <= 0]
    if bad:
        raise CurrencyError(f"{path}: rates must be positive: {', '.join(bad)}")
    return Fx(top.date, top.source, top.base, dict(top.rates))
