"""Currency conversion with dated FX rates from a file the user can update (fx_rates.yaml)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tokeff.errors import TokeffError
from tokeff.paths import data_path


class CurrencyError(TokeffError):
    """A currency with no FX rate, or a malformed FX file."""


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


def load_fx(path: str | os.PathLike[str] | None = None) -> Fx:
    target = Path(path or os.environ.get("TOKEFF_FX") or data_path("fx_rates.yaml"))
    return _load(str(target.resolve()))


@lru_cache(maxsize=8)
def _load(path: str) -> Fx:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        top = FxFile.model_validate(raw)
    except FileNotFoundError as exc:
        raise CurrencyError(f"{path}: FX file not found") from exc
    except yaml.YAMLError as exc:
        raise CurrencyError(f"{path}: malformed YAML: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CurrencyError(f"{path}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc
    bad = [k for k, v in top.rates.items() if v <= 0]
    if bad:
        raise CurrencyError(f"{path}: rates must be positive: {', '.join(bad)}")
    return Fx(top.date, top.source, top.base, dict(top.rates))
