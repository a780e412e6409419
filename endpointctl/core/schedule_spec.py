"""PURE: ``spec.schedule`` as the manifest writes it, validated offline into a ``Schedule``.

Each value is checked on its own (a window per list item), so a problem is reported at its own line and
key path; the rules themselves live in ``core.schedule_syntax``.
"""

from __future__ import annotations

import datetime
import functools
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from endpointctl.core.schedule import Schedule
from endpointctl.core.schedule_syntax import (
    EXCEPT_FORMAT,
    WINDOW_FORMAT,
    check_country,
    check_otherwise,
    load_zone,
    parse_except,
    parse_schedule,
    parse_window,
)
from endpointctl.core.strict import StrictModel


def _check_window(text: str) -> str:
    parse_window(text)
    return text


def _check_except(text: str) -> str:
    parse_except(text)
    return text


def _date_as_text(value: Any) -> Any:
    # YAML reads an unquoted 2027-01-06 as a date; it means the same day as the quoted one.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


WindowText = Annotated[str, AfterValidator(_check_window)]
ExceptText = Annotated[str, BeforeValidator(_date_as_text), AfterValidator(_check_except)]


class ScheduleSpec(StrictModel):
    timezone: str = Field(
        description="IANA time zone of the windows, e.g. Europe/Berlin; they follow its clock through DST."
    )
    running: list[WindowText] = Field(
        min_length=1,
        description=f"Windows when the endpoint runs, wall-clock time in the zone: {WINDOW_FORMAT}. "
        "Days: Mon..Sun, ranges, lists or daily; an end before the start runs past midnight.",
    )
    otherwise: Literal["paused", "scaledToZero"] = Field(
        "paused", description="The state outside the windows: paused (the default) or scaledToZero."
    )
    except_days: list[ExceptText] = Field(
        default_factory=list,
        alias="except",
        description=f"Days when `otherwise` holds all day, whatever the windows: {EXCEPT_FORMAT}.",
    )
    holidays: str | None = Field(
        None,
        description="A country code (e.g. DE, US, GB), or one with a subdivision (DE-BY, US-CA): its public "
        "holidays count as `except` days.",
    )

    @field_validator("timezone")
    @classmethod
    def _a_zone(cls, value: str) -> str:
        load_zone(value)
        return value

    @field_validator("otherwise", mode="before")
    @classmethod
    def _never_running(cls, value: Any) -> Any:
        if isinstance(value, str):
            check_otherwise(value)
        return value

    @field_validator("holidays")
    @classmethod
    def _a_country(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)

    def compiled(self) -> Schedule:
        """The schedule, ready to evaluate (``core.schedule``)."""
        return _compiled(
            self.timezone, tuple(self.running), self.otherwise, tuple(self.except_days), self.holidays
        )


@functools.lru_cache(maxsize=256)  # one Schedule per text: its evaluations are cached by it
def _compiled(
    timezone: str,
    running: tuple[str, ...],
    otherwise: str,
    except_days: tuple[str, ...],
    holidays: str | None,
) -> Schedule:
    return parse_schedule(timezone, running, otherwise, except_days, holidays)
