"""PURE: `endpointctl hardware`'s filters over a namespace's hardware catalog, and the one that matched
nothing.

A filter that matches no row of the catalog is a typo more often than an answer (`--region us-east1`),
and an empty table with exit 0 lets a script go on as if the vendor region offered nothing: it is told,
exit 1, with the values that do exist, as a name that matches no endpoint is. Rows that match but cannot
be deployed now are an answer (the table hides them without --all), not a filter's mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from endpointctl.core.endpoint import Hardware, same_name
from endpointctl.core.preflight import listed, names_of
from endpointctl.core.suggest import did_you_mean


@dataclass(frozen=True)
class HardwareFilter:
    vendor: str | None = None
    region: str | None = None
    accelerator: str | None = None
    show_all: bool = False  # also what cannot be deployed now (deprecated, unavailable, over quota)

    def admits(self, h: Hardware) -> bool:
        return self.matches(h) and (self.show_all or h.deployable)

    def matches(self, h: Hardware) -> bool:
        """Whether the row is one the filters name, deployable now or not."""
        return (
            (self.vendor is None or same_name(h.vendor, self.vendor))
            and (self.region is None or same_name(h.region, self.region))
            and (self.accelerator is None or h.accelerator == self.accelerator)
        )

    def unmatched(self, rows: Sequence[Hardware]) -> str | None:
        """Which filter matched no row of ``rows`` (the whole catalog), and what exists there instead;
        None when some row matches them all. Asked in the order they narrow: vendor, region, accelerator,
        so the message names the first one that left nothing, and lists what is offered within the
        filters before it (a vendor's regions; without --vendor, each vendor's)."""
        where: list[str] = []  # the filters that matched, as the catalog spells them
        if self.vendor is not None:
            vendors = names_of(r.vendor for r in rows)
            rows = [r for r in rows if same_name(r.vendor, self.vendor)]
            if not rows:
                offered = _any(vendors)
                return (
                    f"--vendor {self.vendor}: the catalog offers no hardware of it; vendors offered: "
                    + offered
                )
            where.append(rows[0].vendor)
        if self.region is not None:
            regions = names_of(r.region for r in rows)
            matched = [r for r in rows if same_name(r.region, self.region)]
            if not matched:
                offered = (
                    f"{where[0]} regions offered: {_any(regions)}"
                    if where
                    else "regions offered: " + _by_vendor(rows)
                )
                none = f"{where[0]} has no such region" if where else "no vendor has such a region"
                close = did_you_mean(self.region, regions)
                return f"--region {self.region}: {none}{close}; {offered}"
            rows = matched
            if not where:  # a region's name says little without its vendor
                where.append("/".join(names_of(r.vendor for r in rows)))
            where.append(rows[0].region)
        if self.accelerator is not None and not any(r.accelerator == self.accelerator for r in rows):
            there = " ".join(where) or "the catalog"
            return (
                f"--accelerator {self.accelerator}: {there} offers no such hardware; accelerators offered"
                f"{' in ' + there if where else ''}: {_any(names_of(r.accelerator for r in rows))}"
            )
        return None


def _any(names: Sequence[str]) -> str:
    return listed(names) if names else "none"


def _by_vendor(rows: Sequence[Hardware]) -> str:
    """``aws: eu-west-1, us-east-1; azure: eastus``: a region's name says little without its vendor."""
    vendors = names_of(r.vendor for r in rows)
    parts = [f"{v}: {listed(names_of(r.region for r in rows if r.vendor == v))}" for v in vendors]
    return "; ".join(parts) or "none"
