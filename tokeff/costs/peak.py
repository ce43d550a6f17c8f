"""Time-of-day prices: a provider's peak hours (DeepSeek bills 2x on weekday UTC mornings, which
are Japan's and Korea's business hours) and a workload's traffic profile, which together say what
share of requests is billed at the peak rate.

The traffic profile is a time zone, business hours and days, and the share of requests sent in
them; requests are spread evenly within business hours and evenly over the rest of the week.
Without a profile, traffic is spread evenly over the whole week, and the row says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = 7 * 24 * 60  # minutes


def _hours(v: str) -> tuple[int, int]:
    """`HH:MM-HH:MM` -> minutes from midnight [start, end); ValueError if malformed or empty."""
    try:
        a, b = (p.strip() for p in v.split("-"))
        sa, sb = (dt.time.fromisoformat(x) for x in (a, b))
    except ValueError:
        raise ValueError(f"hours {v!r}: write them as HH:MM-HH:MM, e.g. 09:00-18:00") from None
    start, end = sa.hour * 60 + sa.minute, (sb.hour * 60 + sb.minute) or 24 * 60
    if end <= start:
        raise ValueError(f"hours {v!r}: the end must be after the start (write overnight spans as two ranges)")
    return start, end


def _days(v: str | list[str] | tuple[str, ...]) -> list[str]:
    """`mon-fri`, `sat,sun` or a list of day names -> day names; ValueError otherwise."""
    items = list(v) if isinstance(v, list | tuple) else [p.strip() for p in str(v).split(",")]
    out: list[str] = []
    for item in items:
        lo, _, hi = str(item).lower().partition("-")
        if lo not in DAYS or (hi and hi not in DAYS):
            raise ValueError(f"days {v!r}: use mon..sun, e.g. mon-fri or sat,sun")
        i, j = DAYS.index(lo), DAYS.index(hi or lo)
        out += [DAYS[k % 7] for k in range(i, j + 1 if j >= i else j + 8)]
    return list(dict.fromkeys(out))


Hours = Annotated[str, AfterValidator(lambda v: (_hours(v), v)[1])]  # HH:MM-HH:MM, checked
Days = Annotated[str | tuple[str, ...], AfterValidator(lambda v: (_days(v), v)[1])]  # mon-fri, sat,sun or a list


class PeakRow(BaseModel):
    """model_rates.yaml `peak:` — hours (UTC) when the model's every rate is `multiplier` times
    the row's rates, with where that is stated."""

    model_config = ConfigDict(extra="forbid")
    multiplier: Decimal = Field(gt=0)
    hours_utc: list[Hours] = Field(min_length=1)
    days: Days = "mon-fri"
    source: str
    checked: dt.date


class Traffic(BaseModel):
    """A workload's `traffic:` — when its requests are sent."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)  # frozen: hashable, for the cache
    timezone: str = Field(description="IANA time zone of the users, e.g. Asia/Tokyo")
    business_hours: Hours = "09:00-18:00"
    business_days: Days = "mon-fri"
    business_share: float = Field(strict=True, default=0.8, ge=0, le=1,
                                  description="share of requests sent in business hours")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time zone {v!r} is not an IANA zone name (e.g. Asia/Tokyo, Asia/Seoul)") from None
        return v

    def describe(self) -> str:
        return f"{self.business_share:.0%} of requests in {self.business_hours} {self.timezone}"


@dataclass(frozen=True)
class Peak:
    """A rate card's peak hours: minutes of the UTC week billed at `multiplier` x the rates."""

    multiplier: Decimal
    minutes: frozenset[int]
    label: str
    source: str

    @classmethod
    def of(cls, row: PeakRow) -> Peak:
        spans = [_hours(h) for h in row.hours_utc]
        minutes = frozenset(DAYS.index(d) * 1440 + m for d in _days(row.days) for a, b in spans for m in range(a, b))
        days = row.days if isinstance(row.days, str) else ",".join(row.days)
        return cls(row.multiplier, minutes, f"{row.multiplier}x {', '.join(row.hours_utc)} UTC {days}", row.source)


@lru_cache(maxsize=64)
def peak_share(peak: Peak, traffic: Traffic | None, on: dt.date) -> float:
    """The share of a workload's requests sent in `peak` hours (the zone's UTC offset on day `on`).
    Cached: every model x language of a cost table asks the same question."""
    if traffic is None:
        return len(peak.minutes) / WEEK
    zone = ZoneInfo(traffic.timezone)
    offset = dt.datetime.combine(on, dt.time(12), tzinfo=zone).utcoffset() or dt.timedelta(0)
    shift = int(offset.total_seconds() // 60)
    a, b = _hours(traffic.business_hours)
    business = {DAYS.index(d) * 1440 + m for d in _days(traffic.business_days) for m in range(a, b)}
    n_in, n_out = len(business), WEEK - len(business)
    share = 0.0
    for local in range(WEEK):
        inside = local in business
        weight = (traffic.business_share / n_in if n_in else 0.0) if inside else (
            (1 - traffic.business_share) / n_out if n_out else 0.0)
        if weight and (local - shift) % WEEK in peak.minutes:
            share += weight
    return share
