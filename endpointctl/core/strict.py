"""PURE: the base of every manifest model: unknown keys are refused, and a validated model is immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    # A misspelt key must fail loudly: the API would silently ignore it and the manifest would lie.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)
