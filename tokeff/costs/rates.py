"""Dated rates per model: the project's own rows (model_rates.yaml) first, genai-prices (offline,
by the pydantic team) for the models it covers, and self-hosted rows priced from GPU hours.

Every rate card says where its numbers come from and the date they hold for. A model with no
rate is unpriced, never guessed; an alias (`-latest`) resolves only through our own alias table
and never silently to an older model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tokeff._util.paths import data_path
from tokeff._util.yamlio import read_yaml
from tokeff.costs.caching import CacheMinimum, LongCacheWrite
from tokeff.costs.lifecycle import Lifecycle, LifecycleEntry, index_lifecycles, lifecycle_of
from tokeff.costs.peak import Peak, PeakRow
from tokeff.costs.regions import ResidencyUplift
from tokeff.errors import RatesError, UnknownModelError, UnpricedModelError

MTOK = Decimal(1_000_000)


@dataclass(frozen=True)
class Prices:
    """USD (or `currency`) per million tokens; `tiers` switch every rate once the prompt
    (all input tokens, cached included) is above the tier's threshold."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    tiers: tuple[tuple[int, Prices], ...] = ()

    def at(self, prompt_tokens: float) -> Prices:
        """The prices that apply to a request with this many input tokens."""
        chosen = self
        for above, prices in sorted(self.tiers, key=lambda t: t[0]):
            if prompt_tokens > above:
                chosen = prices
        return chosen

    def scaled(self, factor: Decimal) -> Prices:
        def s(v: Decimal | None) -> Decimal | None:
            return None if v is None else v * factor

        return Prices(self.input * factor, self.output * factor, s(self.cached_input), s(self.cache_write),
                      tuple((a, p.scaled(factor)) for a, p in self.tiers))


@dataclass(frozen=True)
class RateCard:
    """Everything needed to price a model, with provenance."""

    model: str
    name: str
    provider: str
    tokenizer: str | None
    currency: str
    standard: Prices
    batch: Prices | None
    origin: Literal["tokeff", "genai-prices", "self-hosted"]
    source: str
    checked: date | None
    region: str | None = None
    tier: str | None = None
    context_window: int | None = None
    resolved: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    lifecycle: Lifecycle | None = None
    peak: Peak | None = None


class TierRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    above: int = Field(gt=0)
    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cached_input: Decimal | None = Field(default=None, ge=0)
    cache_write: Decimal | None = Field(default=None, ge=0)


class SelfHosted(BaseModel):
    """A GPU price per hour and measured throughput give a price per million tokens."""

    model_config = ConfigDict(extra="forbid")
    gpu: str
    gpus: int = Field(gt=0)
    usd_per_gpu_hour: Decimal = Field(gt=0)
    input_tokens_per_s: Decimal = Field(gt=0, description="prefill throughput of the whole deployment")
    output_tokens_per_s: Decimal = Field(gt=0, description="decode throughput of the whole deployment")
    utilisation: Decimal = Field(default=Decimal(1), gt=0, le=1)

    def per_mtok(self, tokens_per_s: Decimal) -> Decimal:
        per_hour = self.usd_per_gpu_hour * self.gpus / self.utilisation
        return per_hour / (tokens_per_s * 3600) * MTOK


class GenaiRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    provider: str


class ModelRow(BaseModel):
    """One model of model_rates.yaml: own rates, a genai-prices reference, or self-hosted."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str | None = None
    provider: str
    tier: Literal["small", "mid", "frontier"] | None = Field(
        default=None, description="the model's class in its provider's line-up: small/fast, mid, frontier")
    tokenizer: str | None
    region: str | None = None
    context_window: int | None = Field(default=None, gt=0, description="input + output tokens a request may hold "
                                       "(default: genai-prices' figure for genai rows)")
    currency: str = "USD"
    input: Decimal | None = Field(default=None, ge=0)
    output: Decimal | None = Field(default=None, ge=0)
    cached_input: Decimal | None = Field(default=None, ge=0)
    cache_write: Decimal | None = Field(default=None, ge=0)
    batch_discount: Decimal | None = Field(default=None, ge=0, lt=1)
    tiers: list[TierRow] = Field(default_factory=list)
    genai_prices: GenaiRef | None = None
    compare_genai: GenaiRef | None = Field(default=None, description="genai-prices' entry for the same model, to cross-check own rows")
    self_hosted: SelfHosted | None = None
    peak: PeakRow | None = Field(default=None, description="hours (UTC) billed at a multiple of the rates")
    source: str | None = None
    checked: date | None = None
    via: str | None = None
    default: bool = False
    notes: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ModelRow:
        kinds = [self.input is not None or self.output is not None, self.genai_prices is not None,
                 self.self_hosted is not None]
        if sum(kinds) > 1:
            raise ValueError("give own rates (input/output), genai_prices, or self_hosted, not several")
        if kinds[0] and (self.input is None or self.output is None):
            raise ValueError("own rates need both input and output")
        if kinds[0] and not (self.source and self.checked):
            raise ValueError("own rates need source and checked (the date they hold for)")
        return self


class RatesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    as_of: date
    models: list[ModelRow]
    aliases: dict[str, str] = Field(default_factory=dict)
    cache_minimums: list[CacheMinimum] = Field(default_factory=list)
    long_cache_writes: list[LongCacheWrite] = Field(default_factory=list)
    residency: list[ResidencyUplift] = Field(default_factory=list)
    lifecycles: list[LifecycleEntry] = Field(default_factory=list)


@dataclass
class RateBook:
    """All models with their rate cards, resolved lazily (genai-prices on first use)."""

    rows: dict[str, ModelRow]
    aliases: dict[str, str]
    as_of: date
    source: str
    cache_minimums: list[CacheMinimum] = field(default_factory=list)
    lifecycles: dict[str, LifecycleEntry] = field(default_factory=dict)
    long_cache_writes: list[LongCacheWrite] = field(default_factory=list)
    residency: list[ResidencyUplift] = field(default_factory=list)

    def long_cache_write(self, model: str) -> LongCacheWrite | None:
        """How a model's provider bills a one-hour cache write, if it says."""
        row = self.rows[self.resolve_id(model)]
        return next((w for w in self.long_cache_writes if w.provider == row.provider), None)

    def lifecycle(self, model: str, on: date | None = None) -> Lifecycle:
        """Whether the provider serves `model` on day `on` (default today), and who says so."""
        return lifecycle_of(self.lifecycles.get(self.resolve_id(model)), on or date.today())

    def cache_minimum(self, model: str) -> CacheMinimum | None:
        """The minimum cacheable prefix of a model (its own entry first, then its provider's)."""
        row = self.rows[self.resolve_id(model)]
        named = [m for m in self.cache_minimums if row.id in m.models]
        found = named or [m for m in self.cache_minimums if m.provider == row.provider]
        return found[0] if found else None

    def resolve_id(self, model: str) -> str:
        """The model id a name means: itself, or what our alias table says an alias means."""
        if model in self.rows:
            return model
        if model in self.aliases:
            return self.aliases[model]
        return model

    def card(self, model: str, on: date | None = None) -> RateCard:
        """The rate card of `model`, its lifecycle as of day `on` (default today);
        UnknownModelError / UnpricedModelError if there is none."""
        mid = self.resolve_id(model)
        row = self.rows.get(mid)
        if row is None:
            import difflib

            close = difflib.get_close_matches(model, [*self.rows, *self.aliases], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownModelError(f"unknown model {model!r}: not in {self.source}{hint} (see `tokeff models`)")
        card = replace(_card_of(row, self.as_of), lifecycle=self.lifecycle(mid, on))
        return replace(card, resolved=mid) if mid != model else card

    def defaults(self) -> list[str]:
        """The models a plain `tokeff cost` compares (it leaves out, with the reason, any its provider has retired)."""
        return [r.id for r in self.rows.values() if r.default]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rows)


def _prices_from_row(row: ModelRow) -> Prices:
    assert row.input is not None and row.output is not None
    tiers = tuple((t.above, Prices(t.input, t.output, t.cached_input, t.cache_write)) for t in row.tiers)
    return Prices(row.input, row.output, row.cached_input, row.cache_write, tiers)


def _card_of(row: ModelRow, as_of: date) -> RateCard:
    name = row.name or row.id
    common = dict(model=row.id, name=name, provider=row.provider, tokenizer=row.tokenizer,
                  region=row.region, tier=row.tier, context_window=row.context_window, notes=row.notes or "",
                  peak=Peak.of(row.peak) if row.peak else None)
    if row.self_hosted is not None:
        sh = row.self_hosted
        prices = Prices(sh.per_mtok(sh.input_tokens_per_s), sh.per_mtok(sh.output_tokens_per_s))
        return RateCard(currency="USD", standard=prices, batch=None, origin="self-hosted",
                        source=row.source or "GPU price x throughput (model_rates.yaml)", checked=row.checked,
                        extra={"gpu": sh.gpu, "gpus": sh.gpus, "usd_per_gpu_hour": str(sh.usd_per_gpu_hour)},
                        **common)  # type: ignore[arg-type]
    if row.genai_prices is not None:
        std, batch, resolved, url, window = _from_genai_prices(row.genai_prices.model, row.genai_prices.provider, as_of)
        if row.batch_discount is not None:
            batch = std.scaled(1 - row.batch_discount)
        return RateCard(currency="USD", standard=std, batch=batch, origin="genai-prices",
                        source=row.source or f"genai-prices {_genai_version()}: {url}", checked=row.checked,
                        extra={"genai_prices_model": resolved},
                        **{**common, "context_window": row.context_window or window})  # type: ignore[arg-type]
    if row.input is None:
        raise UnpricedModelError(f"model {row.id!r} has no rate (no input/output, genai_prices or self_hosted)")
    std = _prices_from_row(row)
    batch = std.scaled(1 - row.batch_discount) if row.batch_discount is not None else None
    return RateCard(currency=row.currency, standard=std, batch=batch, origin="tokeff",
                    source=row.source or "", checked=row.checked, **common)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _genai_version() -> str:
    from importlib.metadata import version

    return version("genai-prices")


def genai_timestamp(as_of: date) -> datetime:
    """Rates are read at noon UTC of the as-of date, so time-of-day discounts (DeepSeek's
    off-peak hours) never change a result between runs."""
    return datetime.combine(as_of, time(12, 0), tzinfo=UTC)


@lru_cache(maxsize=256)
def _from_genai_prices(model: str, provider: str, as_of: date) -> tuple[Prices, Prices | None, str, str, int | None]:
    """Standard and batch Prices of a model from genai-prices' offline snapshot."""
    from genai_prices import Usage, calc_price

    ts = genai_timestamp(as_of)
    try:
        std = calc_price(Usage(input_tokens=1, output_tokens=1), model, provider_id=provider,
                         genai_request_timestamp=ts)
        bat = calc_price(Usage(input_tokens=1, output_tokens=1), model, provider_id=provider,
                         genai_request_timestamp=ts, price_context={"processing": "batch"})
    except LookupError as exc:
        raise UnpricedModelError(f"genai-prices has no {provider}/{model}: {exc}") from exc
    if model.endswith("-latest") and std.model.id != model:
        raise UnpricedModelError(
            f"genai-prices resolves the alias {model!r} to {std.model.id!r}, which may be an older "
            "model; add the alias to model_rates.yaml `aliases:` with the dated id it means now"
        )
    standard = _prices_of(std.model_price)
    batch = _prices_of(bat.model_price)
    urls = getattr(std.provider, "pricing_urls", None) or []
    window = getattr(std.model, "context_window", None)
    return (standard, (batch if batch != standard else None), std.model.id, (urls[0] if urls else "genai-prices"),
            int(window) if window else None)


def _prices_of(mp: Any) -> Prices:
    keys = {"input": "input_mtok", "output": "output_mtok", "cached_input": "cache_read_mtok",
            "cache_write": "cache_write_mtok"}
    raw = {k: getattr(mp, v, None) for k, v in keys.items()}
    starts = sorted({t.start for v in raw.values() if v is not None and hasattr(v, "tiers") for t in v.tiers})

    def at(v: Any, start: int | None) -> Decimal | None:
        if v is None:
            return None
        if not hasattr(v, "tiers"):
            return Decimal(v)
        price = v.base
        for t in v.tiers:
            if start is not None and t.start <= start:
                price = t.price
        return Decimal(price)

    def build(start: int | None) -> Prices:
        inp, out = at(raw["input"], start), at(raw["output"], start)
        if inp is None or out is None:
            raise UnpricedModelError("genai-prices has no input/output token price for this model")
        return Prices(inp, out, at(raw["cached_input"], start), at(raw["cache_write"], start))

    base = build(None)
    return replace(base, tiers=tuple((s, build(s)) for s in starts))


def rates_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The rates file `load_rates(path)` reads: `path`, else TOKEFF_RATES, else the shipped file."""
    return Path(path or os.environ.get("TOKEFF_RATES") or data_path("model_rates.yaml")).resolve()


def load_rates(path: str | os.PathLike[str] | None = None) -> RateBook:
    """Read and validate model_rates.yaml (default: TOKEFF_RATES, else the shipped file)."""
    return _load(str(rates_path(path)))


@lru_cache(maxsize=8)
def _load(path: str) -> RateBook:
    raw = read_yaml(path, RatesError, "rates file")
    try:
        top = RatesFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int) and isinstance(raw, dict):
            models = raw.get("models") or []
            if loc[1] < len(models) and isinstance(models[loc[1]], dict):
                where = f"model {models[loc[1]].get('id', loc[1])!r}: " + ".".join(str(p) for p in loc[2:])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise RatesError(f"{path}: {where}: {msg}") from exc
    rows: dict[str, ModelRow] = {}
    for row in top.models:
        if row.id in rows:
            raise RatesError(f"{path}: duplicate model id {row.id!r}")
        rows[row.id] = row
    for alias, target in top.aliases.items():
        if target not in rows:
            raise RatesError(f"{path}: alias {alias!r} points at {target!r}, which has no row")
    _check_coverage(top.as_of, rows, path)
    unknown = [m for c in top.cache_minimums for m in c.models if m not in rows]
    if unknown:
        raise RatesError(f"{path}: cache_minimums names {unknown[0]!r}, which has no row")
    try:
        lifecycles = index_lifecycles(top.lifecycles, set(rows), path)
    except ValueError as exc:
        raise RatesError(str(exc)) from exc
    future = [e for e in top.lifecycles if e.checked > date.today()]
    if future:
        raise RatesError(f"{path}: lifecycle of {future[0].models[0]!r} checked {future[0].checked}, in the future")
    unknown = [m for u in top.residency for m in u.models if m not in rows]
    if unknown:
        raise RatesError(f"{path}: residency names {unknown[0]!r}, which has no row")
    return RateBook(rows, dict(top.aliases), top.as_of, path, list(top.cache_minimums), lifecycles,
                    list(top.long_cache_writes), list(top.residency))


def _check_coverage(as_of: date, rows: dict[str, ModelRow], path: str) -> None:
    """The rates hold from the day each own row was checked up to today: an `as_of` in the future,
    or before a row was checked, would price with rates nobody observed at that date."""
    today = date.today()
    if as_of > today:
        raise RatesError(f"{path}: as_of {as_of} is in the future; rates are known up to today ({today})")
    late = sorted((r for r in rows.values() if r.checked and r.checked > as_of), key=lambda r: r.checked or as_of)
    if late:
        raise RatesError(f"{path}: as_of {as_of} is before model {late[-1].id!r}'s rates were checked "
                         f"({late[-1].checked}), so its rates at that date are not known; set as_of on or after "
                         f"{late[-1].checked}")
