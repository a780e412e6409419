"""PURE: an endpoint's month, projected: hours always on, hours its schedule runs, and their cost.

A month is counted in the endpoint's zone (its schedule's ``timezone``; UTC without a schedule), from
local midnight on the 1st to local midnight on the 1st of the next month, in real elapsed time: a month
in which clocks go forward is an hour short (Europe/Berlin, March 2026: 743 hours), one in which they
go back an hour long (October 2026: 745). Money is rounded as ``core/money.py`` says.

The one thing this module takes from a schedule is ``running_hours`` (``core/schedule.py``): how long
it runs inside a span, windows in their zone, ``except`` and holidays applied; outside its windows an
endpoint is paused or scaled to zero, and either costs nothing (idle replicas of a scaled-to-zero one are
not counted: a request that wakes it is the traffic's cost, not the schedule's). A manifest with
``state: paused`` runs no hours at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from endpointctl.core import money
from endpointctl.core.cost import CREATE_REPLICAS
from endpointctl.core.schedule import YEARS, running_hours
from endpointctl.core.spec import Desired, DesiredState, EndpointSpec

COMING_DAYS = 30  # the span a budget is checked over
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        found = _MONTH_RE.fullmatch(text.strip())
        if found is None:
            raise ValueError(f"--month {text!r} is not a month: write YYYY-MM, e.g. 2026-10")
        if int(found.group(1)) not in YEARS:
            raise ValueError(f"--month {text!r} is out of range: the year must be {YEARS[0]} to {YEARS[-1]}")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def containing(cls, instant: datetime, zone: tzinfo) -> Month:
        local = instant.astimezone(zone)
        return cls(local.year, local.month)

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """Local midnight on the 1st, and on the 1st of the next month, as instants in UTC."""
        following = Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)
        start = datetime(self.year, self.month, 1, tzinfo=zone)
        end = datetime(following.year, following.month, 1, tzinfo=zone)
        # Converted before anything subtracts them: two times in one zone subtract as wall-clock times.
        return start.astimezone(UTC), end.astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def zone_of(spec: EndpointSpec) -> tzinfo:
    """The schedule's zone; UTC without a schedule."""
    return UTC if spec.schedule is None else spec.schedule.compiled().zone


def elapsed_seconds(start: datetime, end: datetime) -> int:
    return round((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds())


def running_seconds(spec: EndpointSpec, start: datetime, end: datetime) -> int:
    """How long the manifest has the endpoint running between ``start`` and ``end``, in whole seconds."""
    if spec.state is DesiredState.PAUSED:
        return 0
    if spec.schedule is None:
        return elapsed_seconds(start, end)
    hours = running_hours(spec.schedule.compiled(), start, end)
    return round(hours * money.SECONDS_PER_HOUR)  # windows are whole minutes: seconds lose nothing


def replicas(spec: EndpointSpec) -> tuple[int, int]:
    """(replicas always running, the most autoscaling may run): max(minReplica, 1), and maxReplica.

    What the manifest omits is what a create sends (1). A floor of 0 still counts one replica: a
    scaled-to-zero endpoint that serves at all runs one while it does.
    """
    scaling = spec.scaling
    low = scaling.min_replica if scaling is not None and scaling.min_replica is not None else CREATE_REPLICAS
    high = scaling.max_replica if scaling is not None and scaling.max_replica is not None else CREATE_REPLICAS
    return max(low, 1), high


@dataclass(frozen=True)
class Projection:
    name: str
    namespace: str
    month: Month
    zone: str
    price: Decimal | None  # per replica per hour; None: unknown
    replicas: int
    max_replicas: int
    always_on: int  # seconds in the month
    scheduled: int  # seconds the schedule runs in it

    @property
    def monthly_always_on(self) -> Decimal | None:
        return self._cost(self.replicas, self.always_on)

    @property
    def monthly_scheduled(self) -> Decimal | None:
        return self._cost(self.replicas, self.scheduled)

    @property
    def monthly_max(self) -> Decimal | None:
        return self._cost(self.max_replicas, self.scheduled)

    @property
    def saving(self) -> Decimal | None:
        always, scheduled = self.monthly_always_on, self.monthly_scheduled
        return None if always is None or scheduled is None else always - scheduled

    def _cost(self, count: int, seconds: int) -> Decimal | None:
        return None if self.price is None else money.for_seconds(self.price, count, seconds)


def project(namespace: str, desired: Desired, price: Decimal | None, month: Month) -> Projection:
    spec = desired.spec
    zone = zone_of(spec)
    start, end = month.bounds(zone)
    low, high = replicas(spec)
    return Projection(
        name=desired.name,
        namespace=namespace,
        month=month,
        zone=str(zone),
        price=price,
        replicas=low,
        max_replicas=high,
        always_on=elapsed_seconds(start, end),
        scheduled=running_seconds(spec, start, end),
    )


def coming_max(spec: EndpointSpec, price: Decimal, max_replicas: int, now: datetime) -> tuple[int, Decimal]:
    """(seconds it runs, what ``max_replicas`` replicas cost then) over the coming ``COMING_DAYS`` days."""
    seconds = running_seconds(spec, now, now + timedelta(days=COMING_DAYS))
    return seconds, money.for_seconds(price, max_replicas, seconds)
