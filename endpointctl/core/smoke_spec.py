"""PURE: the ``smokeTest`` part of a manifest: what to send to a deployed endpoint and what to expect."""

from __future__ import annotations

import re
from typing import Annotated, Any

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from endpointctl.core.defaults import COLD_START_SECONDS, MAX_SECONDS
from endpointctl.core.strict import StrictModel, expanded_number

ASSERTION_KINDS = ("equals", "contains", "matches", "exists")
DEFAULT_COLD_START_SECONDS = COLD_START_SECONDS
# Tags of the one-or-many union below. Pydantic puts them in error locations; ``explain`` drops them so a
# message points at the manifest's own keys.
ONE_ASSERTION = "json-assertion"
ASSERTION_LIST = "json-assertion-list"
UNION_TAGS = frozenset({ONE_ASSERTION, ASSERTION_LIST})


class JsonAssertion(StrictModel):
    path: str = Field(
        min_length=1,
        description='JMESPath expression into the JSON answer, e.g. "[0].label".',
    )
    equals: Any = Field(None, description="The value at path equals this JSON value.")
    contains: Any = Field(
        None,
        description="The value at path contains this: a substring of a string, an element of a list, "
        "a key of a mapping.",
    )
    matches: str | None = Field(None, description="The string at path matches this regular expression.")
    exists: bool | None = Field(
        None, description="true: path yields a non-null value; false: it yields nothing."
    )

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            jmespath.compile(value)
        except JMESPathError as exc:
            # jmespath's own message draws a caret under the expression over several lines.
            reason = str(exc).splitlines()[0].removeprefix("Invalid jmespath expression: ").rstrip(": ")
            raise ValueError(f"invalid JMESPath expression {value!r}: {reason}") from None
        return value

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> JsonAssertion:
        # fields_set, not "is not None": `equals: null` is a legitimate check.
        given = [kind for kind in ASSERTION_KINDS if kind in self.model_fields_set]
        if len(given) != 1:
            found = " and ".join(given) if given else "none"
            raise ValueError(f"expected exactly one of {', '.join(ASSERTION_KINDS)}; found {found}")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in ASSERTION_KINDS if kind in self.model_fields_set)

    @property
    def operand(self) -> Any:
        return getattr(self, self.kind)


def _one_or_many(value: Any) -> str | None:
    if isinstance(value, dict | JsonAssertion):
        return ONE_ASSERTION
    if isinstance(value, list):
        return ASSERTION_LIST
    return None


JsonAssertions = Annotated[
    Annotated[JsonAssertion, Tag(ONE_ASSERTION)] | Annotated[list[JsonAssertion], Tag(ASSERTION_LIST)],
    Discriminator(
        _one_or_many,
        custom_error_type="one_or_many",
        custom_error_message="expected a mapping with path and one check, or a list of them",
    ),
]


class SmokeExpect(StrictModel):
    # strict, as every number of a manifest: a quoted "200" is text and YAML 1.1's `yes` a boolean (1 ms).
    status: int = Field(200, ge=100, le=599, strict=True, description="Expected HTTP status of the answer.")
    json_assertions: JsonAssertions | None = Field(
        None,
        alias="json",
        description="Checks on the JSON answer: {path, equals|contains|matches|exists}, or a list of them. "
        "Without any, the answer must have the task's shape.",
    )
    max_latency_ms: float | None = Field(
        None,
        alias="maxLatencyMs",
        gt=0,
        le=MAX_SECONDS * 1000,
        strict=True,
        description="Fail when a warm call takes longer.",
    )

    @field_validator("status", "max_latency_ms", mode="before")
    @classmethod
    def _from_a_variable(cls, value: Any) -> Any:
        return expanded_number(value)

    @property
    def assertions(self) -> tuple[JsonAssertion, ...]:
        found = self.json_assertions
        if found is None:
            return ()
        return (found,) if isinstance(found, JsonAssertion) else tuple(found)


class SmokeTestSpec(StrictModel):
    request: Any = Field(
        None,
        description="JSON body to POST to the endpoint's URL. Default: one chosen by the model's task.",
    )
    expect: SmokeExpect = Field(default_factory=SmokeExpect, description="What the answer must satisfy.")
    cold_start_timeout_seconds: float = Field(
        DEFAULT_COLD_START_SECONDS,
        alias="coldStartTimeoutSeconds",
        gt=0,
        le=MAX_SECONDS,
        strict=True,
        description="Seconds waking a scaled-to-zero or loading endpoint may take (at most a week).",
    )

    @field_validator("cold_start_timeout_seconds", mode="before")
    @classmethod
    def _from_a_variable(cls, value: Any) -> Any:
        return expanded_number(value)
