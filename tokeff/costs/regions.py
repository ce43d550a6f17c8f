"""Where a model is called: the price list of a region (Alibaba and Zhipu list mainland-China
prices in CNY, apart from their international USD lists) and data residency (in-region
processing that some providers bill at a documented uplift: Anthropic's US-only inference,
OpenAI's data-residency endpoints, Together's geo-specific serverless).

A workload names its `region` (which price list) and, optionally, its `data_residency` (the
geography the data must be processed in). A model with no documented residency offering there is
not ranked for that workload; one that has it is priced at its uplift."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

INTERNATIONAL = "international"


class ResidencyUplift(BaseModel):
    """model_rates.yaml `residency:` - a provider's in-region processing, as a multiple of its rates."""

    model_config = ConfigDict(extra="forbid")
    provider: str
    geographies: list[str] = Field(min_length=1, description="where it processes in-region, e.g. us, eu, jp")
    multiplier: Decimal = Field(gt=0)
    models: list[str] = Field(default_factory=list, description="the models it applies to (default: all of the provider's)")
    source: str
    checked: date
    notes: str | None = None

    def covers(self, provider: str, model: str, geography: str) -> bool:
        return (self.provider == provider and geography in self.geographies
                and (not self.models or model in self.models))


def residency_for(uplifts: list[ResidencyUplift], provider: str, model: str, geography: str) -> ResidencyUplift | None:
    """The uplift under which `model` is processed in `geography`, or None if none is documented."""
    return next((u for u in uplifts if u.covers(provider, model, geography)), None)
