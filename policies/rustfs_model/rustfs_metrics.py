"""RustFS's own metrics at the pinned release, as ``data/rustfs_metrics.json`` lists them (written from RustFS's
sources by policies/tools/rustfs_metrics.py, which says where each fact comes from). Stdlib only."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "rustfs_metrics.json"


@cache
def catalogue() -> dict[str, dict]:
    """Metric name (the OTLP instrument name, as CloudWatch gets it) -> its entry (type, unit, labels, source)."""
    return {m["name"]: m for m in json.loads(DATA_FILE.read_text())["metrics"]}


def emitted(name: str) -> dict:
    """The entry of a metric RustFS emits at the pinned release; a clear error for one it only declares or lacks."""
    entry = catalogue().get(name)
    if entry is None:
        raise KeyError(f"RustFS has no metric {name!r} at the pinned release ({DATA_FILE.name})")
    if not entry["emitted"]:
        raise KeyError(f"RustFS declares {name!r} but does not emit it at the pinned release: "
                       f"{entry.get('not_emitted_because', 'no collector pushes it')}")
    return entry
