"""Catalogue of storage-relevant EC2 instance types (figures from AWS documentation, dated).

The figures live in ``data/instance_types.json`` with their source; this module only loads them.
A type is listed only when every figure below could be sourced. Size a storage cluster on the
*baseline* network and EBS figures: the burst/max figures last minutes (network credits) or 30 minutes
per 24 hours (EBS), so a sustained transfer falls back to the baseline.

Stdlib only, so the policy pack can carry it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "instance_types.json"

ARCHITECTURES = ("x86_64", "arm64")


@dataclass(frozen=True)
class InstanceType:
    name: str
    family: str
    vcpu: int
    memory_gib: float
    arch: str  # "x86_64" | "arm64"
    network_baseline_gbps: float  # sustained; equals burst for types with a fixed figure
    network_burst_gbps: float  # "Up to" figure, held only while network credits last
    ebs_baseline_mbps: float  # MB/s at 128 KiB I/O, sustained
    ebs_max_mbps: float  # MB/s, held 30 min per 24 h on types that burst
    ebs_baseline_iops: int  # at 16 KiB I/O
    ebs_max_iops: int
    nvme_gb: tuple[int, ...]  # local instance store disks (GB each); empty if none
    source: str  # human-readable citation of the tables the figures come from

    @property
    def nvme_total_gb(self) -> int:
        return sum(self.nvme_gb)

    @property
    def network_bursts(self) -> bool:
        return self.network_burst_gbps > self.network_baseline_gbps

    @property
    def ebs_bursts(self) -> bool:
        return self.ebs_max_mbps > self.ebs_baseline_mbps


def _citation(source: dict) -> str:
    return f"{source['title']} ({source['origin']})"


def _load(path: Path = DATA_FILE) -> tuple[dict[str, InstanceType], dict[str, dict]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    sources = raw["sources"]
    types: dict[str, InstanceType] = {}
    for name, row in raw["instance_types"].items():
        if row["arch"] not in ARCHITECTURES:
            raise ValueError(f"{path}: {name} has unknown arch {row['arch']!r}")
        if row["network_baseline_gbps"] > row["network_burst_gbps"] or row["ebs_baseline_mbps"] > row[
            "ebs_max_mbps"
        ]:
            raise ValueError(f"{path}: {name} has a baseline above its burst figure")
        types[name] = InstanceType(
            name=name,
            family=row["family"],
            vcpu=int(row["vcpu"]),
            memory_gib=float(row["memory_gib"]),
            arch=row["arch"],
            network_baseline_gbps=float(row["network_baseline_gbps"]),
            network_burst_gbps=float(row["network_burst_gbps"]),
            ebs_baseline_mbps=float(row["ebs_baseline_mbps"]),
            ebs_max_mbps=float(row["ebs_max_mbps"]),
            ebs_baseline_iops=int(row["ebs_baseline_iops"]),
            ebs_max_iops=int(row["ebs_max_iops"]),
            nvme_gb=tuple(int(g) for g in row["nvme_gb"]),
            source=_citation(sources[row["source"]]),
        )
    return types, sources


INSTANCE_TYPES, SOURCES = _load()


def instance_type(name: str) -> InstanceType | None:
    """The catalogue entry for ``name`` (e.g. ``"m7g.large"``), or None if it is not catalogued."""
    return INSTANCE_TYPES.get(name)


def families() -> list[str]:
    """Sorted instance families present in the catalogue, e.g. ``["c6gn", "c6in", "i3en", ...]``."""
    return sorted({t.family for t in INSTANCE_TYPES.values()})


# --- Prices -------------------------------------------------------------------------------------------

PRICES_FILE = Path(__file__).with_name("data") / "prices.json"
_PRICES = json.loads(PRICES_FILE.read_text(encoding="utf-8"))
HOURS_PER_MONTH: int = _PRICES["hours_per_month"]  # AWS and Infracost monthly convention


class PriceNotSourced(LookupError):
    """No sourced price for this item in this region (a missing price is never taken as free)."""


def price_regions() -> list[str]:
    return sorted(_PRICES["regions"])


def price_table(table: str) -> dict:
    """``{"date", "source", ...}`` of one price table (ec2, ebs, s3, nat, nlb, transfer, cloudwatch, ...)."""
    return _PRICES["tables"][table]


def price(region: str, table: str, key: str) -> float:
    """USD price of ``key`` in ``table`` for ``region``; raises PriceNotSourced if it was not sourced."""
    values = _PRICES["regions"].get(region, {}).get(table)
    if values is None or key not in values:
        priced = [r for r in price_regions() if key in _PRICES["regions"][r].get(table, {})]
        raise PriceNotSourced(
            f"no sourced {table} price {key!r} for region {region}"
            + (f" (sourced for: {', '.join(priced)})" if priced else "")
        )
    return float(values[key])


def has_price(region: str, table: str, key: str) -> bool:
    try:
        price(region, table, key)
    except PriceNotSourced:
        return False
    return True
