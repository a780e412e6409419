"""PURE: money as exact decimals, and the hourly cost of a change before and after it.

Rounding, in one place: a price is kept exactly as the catalog wrote it (``Decimal`` from the JSON
number's shortest text, so 0.067 is 0.067, never 0.0670000000000000040). An hourly cost is a price times
a whole number of replicas, so it is exact and never rounded. A monthly figure is a price times replicas
times hours, where hours are counted in whole seconds (a schedule's windows are whole minutes, so nothing
is lost); it is rounded once, at the end, to whole cents, half up. Sums and differences of monthly figures
are made of those rounded cents, so the identities the README states (``saving = monthlyAlwaysOn -
monthlyScheduled``) hold exactly on the figures shown.

``None`` is an unknown amount everywhere (a price the catalog does not give, hardware it does not list):
shown as unknown, never as 0, and never a reason to block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "USD"
CENT = Decimal("0.01")
SECONDS_PER_HOUR = 3600


# No hardware costs more than this an hour; a figure past it is no price but an API's mistake (1e30 made
# every sum with it fail: a Decimal has 28 digits), so it is unknown like any other.
MAX_PRICE = Decimal(1_000_000)


def exact(value: object) -> Decimal | None:
    """A price as an exact decimal, or None: absent, null, not a number, negative, not finite, or past
    ``MAX_PRICE``."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    # str() of a float is its shortest round-trip text: the digits the JSON answer had.
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return amount if amount.is_finite() and 0 <= amount <= MAX_PRICE else None


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to whole cents, half up (the only rounding money ever gets)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def for_seconds(price_per_hour: Decimal, replicas: int, seconds: int) -> Decimal:
    """What ``replicas`` replicas cost over ``seconds`` seconds, in whole cents."""
    return cents(price_per_hour * replicas * seconds / SECONDS_PER_HOUR)


def hours(seconds: int) -> Decimal:
    """Seconds as hours, to two decimals for people (money is computed from the seconds, not these)."""
    return (Decimal(seconds) / SECONDS_PER_HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


def text(amount: Decimal | None) -> str:
    """``$1.25``, ``$0.067`` (every digit a price has, at least cents), or ``unknown``."""
    if amount is None:
        return "unknown"
    exponent = amount.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"${amount:,.{places}f}"


@dataclass(frozen=True)
class Hourly:
    """What an endpoint costs per hour with between ``low`` and ``high`` replicas running.

    ``low`` and ``high`` are None together when the price or the replica counts are unknown.
    """

    low: Decimal | None
    high: Decimal | None

    @property
    def known(self) -> bool:
        return self.low is not None and self.high is not None

    @staticmethod
    def of(price: Decimal | None, low: int | None, high: int | None) -> Hourly:
        if price is None or low is None or high is None:
            return UNKNOWN
        return Hourly(price * low, price * high)


UNKNOWN = Hourly(None, None)
NOTHING = Hourly(Decimal(0), Decimal(0))  # paused, or not there


@dataclass(frozen=True)
class ChangeCost:
    """A change's hourly cost: ``before`` None for a create (nothing runs), ``after`` None for a delete."""

    before: Hourly | None
    after: Hourly | None
    currency: str = CURRENCY
