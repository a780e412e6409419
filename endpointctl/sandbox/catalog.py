"""The hardware catalog: vendors, regions and computes with prices, plus per-namespace quotas.

Quota is counted per instance type across regions, like the real service's ``RegionComputeQuota``.
Availability statuses include ``low_availability``, ``not_available`` and ``deprecated`` rows so clients
can be tested against each. ``intel-icl`` is deprecated everywhere, as the real service did on aws in
July 2025 (its pricing page); ``intel-spr`` is the CPU type to deploy on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InstanceType:
    name: str
    accelerator: str  # cpu | gpu
    architecture: str
    max_accelerators: int  # namespace quota for this type


@dataclass(frozen=True)
class Compute:
    vendor: str
    region: str
    instance_type: InstanceType
    size: str
    num_accelerators: int
    num_cpus: int
    memory_gb: float
    gpu_memory_gb: int | None
    price_per_hour: float
    status: str = "available"

    @property
    def id(self) -> str:
        return compute_id(self.vendor, self.region, self.instance_type.name, self.size)

    def to_wire(self, quota: dict[str, int] | None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "accelerator": self.instance_type.accelerator,
            "instanceType": self.instance_type.name,
            "instanceSize": self.size,
            "architecture": self.instance_type.architecture,
            "numAccelerators": self.num_accelerators,
            "numCpus": self.num_cpus,
            "memoryGb": self.memory_gb,
            "gpuMemoryGb": self.gpu_memory_gb,
            "pricePerHour": self.price_per_hour,
            "status": self.status,
        }
        if quota is not None:
            doc["quota"] = quota
        return doc


def compute_id(vendor: str, region: str, instance_type: str, size: str) -> str:
    return f"{vendor}-{region}-{instance_type}-{size}"


INTEL_ICL = InstanceType("intel-icl", "cpu", "Intel Ice Lake", 32)
INTEL_SPR = InstanceType("intel-spr", "cpu", "Intel Sapphire Rapids", 32)
NVIDIA_T4 = InstanceType("nvidia-t4", "gpu", "Nvidia T4", 4)
NVIDIA_L4 = InstanceType("nvidia-l4", "gpu", "Nvidia L4", 4)
NVIDIA_A10G = InstanceType("nvidia-a10g", "gpu", "Nvidia A10G", 4)
NVIDIA_A100 = InstanceType("nvidia-a100", "gpu", "Nvidia A100", 8)
# Live responses showed H100 rows as available with a 0/0 quota: listed, but not deployable.
NVIDIA_H100 = InstanceType("nvidia-h100", "gpu", "Nvidia H100", 0)
INSTANCE_TYPES = {
    t.name: t for t in (INTEL_ICL, INTEL_SPR, NVIDIA_T4, NVIDIA_L4, NVIDIA_A10G, NVIDIA_A100, NVIDIA_H100)
}

# (size, numAccelerators, numCpus, memoryGb, gpuMemoryGb total, pricePerHour)
_Row = tuple[str, int, int, float, int | None, float]
_SIZES: dict[str, list[_Row]] = {
    "intel-icl": [
        ("x1", 1, 1, 2.0, None, 0.033),
        ("x2", 2, 2, 4.0, None, 0.067),
        ("x4", 4, 4, 8.0, None, 0.134),
        ("x8", 8, 8, 16.0, None, 0.268),
    ],
    "intel-spr": [
        ("x1", 1, 2, 4.0, None, 0.034),
        ("x2", 2, 4, 8.0, None, 0.067),
        ("x4", 4, 8, 16.0, None, 0.134),
        ("x8", 8, 16, 32.0, None, 0.268),
    ],
    "nvidia-t4": [("x1", 1, 4, 15.0, 16, 0.5), ("x4", 4, 48, 192.0, 64, 3.0)],
    "nvidia-l4": [("x1", 1, 8, 30.0, 24, 0.8), ("x4", 4, 48, 186.0, 96, 3.8)],
    "nvidia-a10g": [("x1", 1, 6, 30.0, 24, 1.0), ("x4", 4, 48, 186.0, 96, 5.0)],
    "nvidia-a100": [
        ("x1", 1, 11, 142.0, 80, 2.5),
        ("x2", 2, 22, 284.0, 160, 5.0),
        ("x4", 4, 44, 568.0, 320, 10.0),
        ("x8", 8, 88, 1136.0, 640, 20.0),
    ],
    "nvidia-h100": [
        ("x1", 1, 23, 240.0, 80, 10.0),
        ("x2", 2, 46, 480.0, 160, 20.0),
        ("x4", 4, 92, 960.0, 320, 40.0),
        ("x8", 8, 184, 1920.0, 640, 80.0),
    ],
}

VENDORS: dict[str, dict[str, str]] = {
    "aws": {"us-east-1": "N. Virginia", "eu-west-1": "Ireland", "us-east-2": "Ohio"},
    "azure": {"eastus": "Virginia"},
    "gcp": {"us-east4": "N. Virginia"},
}

_OFFER: dict[tuple[str, str], tuple[str, ...]] = {
    ("aws", "us-east-1"): ("intel-icl", "intel-spr", "nvidia-t4", "nvidia-l4", "nvidia-a10g", "nvidia-a100"),
    ("aws", "eu-west-1"): ("intel-icl", "intel-spr", "nvidia-t4", "nvidia-l4", "nvidia-a10g"),
    ("aws", "us-east-2"): ("intel-spr", "nvidia-t4", "nvidia-a100"),
    ("azure", "eastus"): ("intel-spr", "nvidia-a100"),
    ("gcp", "us-east4"): ("intel-spr", "nvidia-t4", "nvidia-l4", "nvidia-h100"),
}

_STATUS_OVERRIDES: dict[str, str] = {
    "aws-us-east-1-nvidia-a100-x8": "low_availability",
    "aws-eu-west-1-nvidia-a10g-x4": "low_availability",
    "aws-us-east-2-nvidia-t4-x4": "not_available",
    "gcp-us-east4-nvidia-t4-x1": "deprecated",
    "gcp-us-east4-nvidia-t4-x4": "deprecated",
}
# Every size in every region: existing endpoints keep running on it, new ones cannot be created.
_DEPRECATED_TYPES = frozenset({"intel-icl"})

UNDEPLOYABLE = frozenset({"deprecated", "not_available"})


def _build() -> dict[str, Compute]:
    computes: dict[str, Compute] = {}
    for (vendor, region), types in _OFFER.items():
        for type_name in types:
            for size, n_acc, n_cpu, mem, gpu_mem, price in _SIZES[type_name]:
                cid = compute_id(vendor, region, type_name, size)
                computes[cid] = Compute(
                    vendor,
                    region,
                    INSTANCE_TYPES[type_name],
                    size,
                    n_acc,
                    n_cpu,
                    mem,
                    gpu_mem,
                    price,
                    "deprecated"
                    if type_name in _DEPRECATED_TYPES
                    else _STATUS_OVERRIDES.get(cid, "available"),
                )
    return computes


COMPUTES: dict[str, Compute] = _build()


def find(vendor: str, region: str, instance_type: str, size: str) -> Compute | None:
    return COMPUTES.get(compute_id(vendor, region, instance_type, size))


def usage(allocations: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Accelerators in use per instance type, from (compute id, maxReplica) pairs."""
    used: dict[str, int] = {}
    for cid, max_replica in allocations:
        compute = COMPUTES.get(cid)
        if compute is not None:
            name = compute.instance_type.name
            used[name] = used.get(name, 0) + max_replica * compute.num_accelerators
    return used


def quota(instance_type: str, used: dict[str, int]) -> dict[str, int]:
    return {
        "maxAccelerators": INSTANCE_TYPES[instance_type].max_accelerators,
        "usedAccelerators": used.get(instance_type, 0),
    }


def vendors_wire(used: dict[str, int] | None) -> dict[str, Any]:
    """``{"vendors": [...]}``; with quota when ``used`` is given (namespace listing), else public."""
    vendors = []
    for vendor, regions in VENDORS.items():
        region_docs = []
        for region, label in regions.items():
            computes = [
                c.to_wire(None if used is None else quota(c.instance_type.name, used))
                for c in COMPUTES.values()
                if c.vendor == vendor and c.region == region
            ]
            region_docs.append({"name": region, "label": label, "status": "available", "computes": computes})
        vendors.append({"name": vendor, "status": "available", "regions": region_docs})
    return {"vendors": vendors}


def quotas_wire(used: dict[str, int]) -> dict[str, Any]:
    return {
        "items": [
            {"architecture": t.architecture, "instanceType": t.name, **quota(t.name, used)}
            for t in INSTANCE_TYPES.values()
        ]
    }
