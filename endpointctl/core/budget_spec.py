"""PURE: ``spec.budget``, a manifest's spending limit (checked by ``core/budget.py`` when planning)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, field_validator

from endpointctl.core.strict import StrictModel

# Kept as a Decimal so it compares exactly with money; a number in YAML and in the schema (text is refused).
Dollars = Annotated[Decimal, WithJsonSchema({"type": "number", "exclusiveMinimum": 0})]


class BudgetSpec(StrictModel):
    monthly_usd: Dollars = Field(
        alias="monthlyUSD",
        gt=0,
        allow_inf_nan=False,
        description="US dollars: a create or update whose most expensive 30 days (maxReplica replicas over "
        "the hours its schedule runs) would cost more is blocked in the plan.",
    )

    @field_validator("monthly_usd", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        # YAML reads `yes` as true and "500" is text: neither is an amount. A ${VAR} is text that holds one.
        if isinstance(value, bool):
            raise ValueError("expected a number of US dollars, e.g. 500, found a boolean")
        if type(value) is str:
            raise ValueError(f"expected a number of US dollars, e.g. 500, found text {value!r}")
        if isinstance(value, float):
            return Decimal(str(value))  # the digits written, not the float's binary expansion
        return value
