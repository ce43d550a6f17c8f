"""Workloads: how much a team sends and receives per request, how often, in which languages.

A workload file (YAML, validated with pydantic) states sizes in any unit that means content:
tokens of a named tokenizer in a named language, characters of a language, English words, or
English tokens of the same content. tokeff converts each to every model's tokens in every
language through the measured same-content ratios of the workload's corpus."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from tokeff._util.yamlio import first_error, read_yaml
from tokeff.corpora.languages import normalize_language
from tokeff.costs.peak import Traffic
from tokeff.errors import WorkloadError

# Bounds that no real workload reaches; above them a cost overflows into infinity. Numbers are
# strict: `true` is not 1, "100" is not 100.
MAX_SIZE = 1e9  # tokens, characters or words in one request
MAX_REQUESTS = 1e13  # requests per month


class Size(BaseModel):
    """One request's input or output, in exactly one unit of content."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    tokens: float | None = Field(strict=True, default=None, ge=0, le=MAX_SIZE, description="tokens of `tokenizer` in `language`")
    chars: float | None = Field(strict=True, default=None, ge=0, le=MAX_SIZE, description="characters of `language`")
    english_words: float | None = Field(strict=True, default=None, ge=0, le=MAX_SIZE, description="English words of the same content")
    english_tokens: float | None = Field(strict=True, default=None, ge=0, le=MAX_SIZE, description="English tokens of `tokenizer`")
    tokenizer: str | None = None
    language: str | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> Size:
        given = [k for k in ("tokens", "chars", "english_words", "english_tokens") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of tokens, chars, english_words, english_tokens (got {given or 'none'})")
        if given[0] in ("tokens", "english_tokens") and not self.tokenizer:
            raise ValueError(f"{given[0]} needs `tokenizer` (whose tokens they are)")
        if given[0] in ("tokens", "chars") and not self.language:
            raise ValueError(f"{given[0]} needs `language` (which language's {given[0]})")
        if self.language:
            self.language = normalize_language(self.language)
        return self

    @property
    def unit(self) -> str:
        return next(k for k in ("tokens", "chars", "english_words", "english_tokens") if getattr(self, k) is not None)

    @property
    def amount(self) -> float:
        value = getattr(self, self.unit)
        assert value is not None
        return float(value)


class Workload(BaseModel):
    """A workload to price (see the module docstring and README)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = "workload"
    corpus: str = Field(default="sample", description="corpus whose measured ratios convert sizes")
    domain: str | None = Field(default=None, description="a domain within that corpus (optional)")
    requests_per_month: float = Field(strict=True, gt=0, le=MAX_REQUESTS)
    input: Size
    output: Size
    output_cap_tokens: float | None = Field(strict=True, default=None, gt=0, le=MAX_SIZE, description="max output tokens per request")
    cached_share: float = Field(strict=True, default=0.0, ge=0, le=1, description="share of the input content that is a cached prefix")
    cached_language: str | None = Field(default=None, description="the cached prefix's own language (e.g. an English system prompt); default: the request's")
    cache_writes_per_month: float = Field(strict=True, default=0.0, ge=0, le=MAX_REQUESTS, description="how often the cached prefix is written (a write bills it at the cache-write rate)")
    cache_ttl: Literal["5m", "1h"] = Field(default="5m", description="how long a written prefix stays cached: a 1-hour write costs more where the provider says so (Anthropic: 2x input)")
    reasoning: Size | None = Field(default=None, description="hidden reasoning per request, billed as output")
    reasoning_language: str | None = Field(default=None, description="the language the reasoning is in (e.g. en); default: the answer's")
    batch_share: float = Field(strict=True, default=0.0, ge=0, le=1, description="share of requests sent through batch")
    languages: dict[str, Annotated[float, Strict()]] = Field(default_factory=lambda: {"en": 1.0}, description="language mix")
    growth: float = Field(strict=True, default=1.0, gt=0, le=1e6, description="volume multiplier for the what-if column")
    revenue_per_month: float | None = Field(strict=True, default=None, ge=0, le=1e15)
    traffic: Traffic | None = Field(default=None, description="when requests are sent (picks peak/off-peak rates)")
    region: str = Field(default="international", description="which price list: international, or cn-mainland "
                        "(Alibaba's and Zhipu's mainland prices in CNY); rows of another region are left out")
    data_residency: str | None = Field(default=None, description="where the data must be processed (us, eu, jp...): "
                                       "priced at the provider's documented in-region uplift; models without one left out")
    currency: str = "USD"

    @field_validator("languages")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("the language mix is empty")
        out: dict[str, float] = {}
        for tag, share in v.items():
            if not math.isfinite(share):
                raise ValueError(f"share of {tag} is not a number")
            if share < 0:
                raise ValueError(f"share of {tag} is negative")
            out[normalize_language(tag)] = out.get(normalize_language(tag), 0.0) + share
        total = sum(out.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"language shares add up to {total:g}, not 1")
        return out

    @field_validator("cached_language", "reasoning_language")
    @classmethod
    def _tag(cls, v: str | None) -> str | None:
        return None if v is None else normalize_language(v)

    @field_validator("currency")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


def parse_workload(data: object, source: str = "<workload>") -> Workload:
    try:
        return Workload.model_validate(data)
    except ValidationError as exc:
        raise WorkloadError(f"{source}: {first_error(exc)}") from exc


def load_workload(path: str | os.PathLike[str]) -> Workload:
    p = Path(path)
    raw = read_yaml(p, WorkloadError, "workload file")
    if not isinstance(raw, dict):
        raise WorkloadError(f"{p}: expected a mapping of workload fields")
    return parse_workload(raw, str(p))
