"""How providers bill prompt caching beyond the cache-read rate: the smallest prefix they cache
(below it nothing is discounted) and what a one-hour cache write costs (Anthropic bills a
5-minute write at 1.25x the input rate, which is the cache-write rate in the rate card, and a
1-hour write at 2x), each with where it is stated and when that was checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CacheMinimum(BaseModel):
    """The smallest prefix a provider caches (below it nothing is discounted), for a provider's
    models or for named ones, with where it is stated and when that was checked."""

    model_config = ConfigDict(extra="forbid")
    tokens: int = Field(gt=0)
    provider: str | None = None
    models: list[str] = Field(default_factory=list)
    source: str
    checked: date

    @model_validator(mode="after")
    def _one_scope(self) -> CacheMinimum:
        if (self.provider is None) == (not self.models):
            raise ValueError("give either provider or models")
        return self


class LongCacheWrite(BaseModel):
    """model_rates.yaml `long_cache_writes:` - a provider's one-hour cache write, as a multiple of
    the input rate."""

    model_config = ConfigDict(extra="forbid")
    provider: str
    input_multiple: Decimal = Field(gt=0)
    source: str
    checked: date
