"""Model lifecycles: whether a provider still serves a model, from the provider's own deprecation
page, with the date that page was checked.

A ranking must only hold models a buyer can use: a retired model is never ranked (it can still be
priced when named, with a warning), a deprecated one is ranked with its retirement date beside
it. A deprecated model whose retirement date has passed is retired: the state is computed on the
day of the run, so a rates file checked last month does not rank a model that retired last week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

State = Literal["current", "deprecated", "retired"]


class LifecycleEntry(BaseModel):
    """One statement of a provider's page about some of its models (model_rates.yaml `lifecycles:`)."""

    model_config = ConfigDict(extra="forbid")
    models: list[str] = Field(min_length=1)
    status: State
    date: dt.date | None = Field(default=None, description="deprecated: the announced retirement date; "
                              "retired: the day the model was shut down")
    replacement: str | None = None
    source: str = Field(min_length=1)
    checked: dt.date
    notes: str | None = Field(default=None, description="what the source says, and how sure that is")

    @model_validator(mode="after")
    def _dated(self) -> LifecycleEntry:
        if self.status != "current" and self.date is None:
            raise ValueError(f"a {self.status} model needs `date` (its retirement date)")
        if self.status == "current" and self.date is not None:
            raise ValueError("a current model has no retirement date; say `status: deprecated` with the date")
        return self


@dataclass(frozen=True)
class Lifecycle:
    """A model's state on a given day, and where that is stated."""

    state: State
    retires: dt.date | None
    replacement: str | None
    source: str
    checked: dt.date | None

    @property
    def label(self) -> str:
        """`current`, `deprecated (retires 2026-12-20)` or `retired (2026-07-24)`."""
        if self.state == "deprecated":
            return f"deprecated (retires {self.retires})"
        if self.state == "retired":
            return f"retired ({self.retires})"
        return "current" if self.source else "not stated"

    @property
    def ranked(self) -> bool:
        return self.state != "retired"

    def why_not_ranked(self) -> str:
        instead = f"; use {self.replacement}" if self.replacement else ""
        return f"retired on {self.retires} by its provider{instead} ({self.source}, checked {self.checked})"


UNKNOWN = Lifecycle("current", None, None, "", None)


def lifecycle_of(entry: LifecycleEntry | None, on: dt.date) -> Lifecycle:
    """The state `entry` gives a model on day `on`: a deprecation past its date is a retirement,
    and a retired model was deprecated on the days before its shutdown."""
    if entry is None:
        return UNKNOWN
    state: State = entry.status
    if state == "deprecated" and entry.date is not None and entry.date <= on:
        state = "retired"
    elif state == "retired" and entry.date is not None and on < entry.date:
        state = "deprecated"  # priced as of a day before it was shut down
    return Lifecycle(state, entry.date, entry.replacement, entry.source, entry.checked)


def index_lifecycles(entries: list[LifecycleEntry], models: set[str], where: str) -> dict[str, LifecycleEntry]:
    """Each model's one entry; a model named twice or a name with no row is an error (ValueError
    naming it), and so is a model row with no entry: every status carries its source."""
    out: dict[str, LifecycleEntry] = {}
    for e in entries:
        for m in e.models:
            if m not in models:
                raise ValueError(f"{where}: lifecycles names {m!r}, which has no row")
            if m in out:
                raise ValueError(f"{where}: lifecycles gives model {m!r} twice")
            out[m] = e
    if entries:
        missing = sorted(models - set(out))
        if missing:
            raise ValueError(f"{where}: model {missing[0]!r} has no lifecycle (add it to `lifecycles:` with "
                             "its status, the provider page that says so, and the date you checked it)")
    return out
