"""The ``rustfs`` section of the stack configuration (``rustfs-aws:rustfs``): what lives *inside* RustFS - buckets,
RustFS policies and service accounts for applications - declared as code and applied by the reconciler on the
nodes (components/state/state.py).

The key is ``rustfs`` as issue 13 names it: the section describes RustFS's own objects, next to ``cluster`` (the
machines) and ``eks.rustfs`` (the pods' resources). The field rules are RustFS's, in the pure schema module the
policy pack reads too (policies/rustfs_model/rustfs_state.py); this module only turns its findings into
``Problems`` naming the full key. Imports nothing from the rest of the program (config.py imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rustfs_model import rustfs_state

# How often each node's timer starts the reconciler (only the lease holder acts): drift is repaired within this.
DEFAULT_INTERVAL_MINUTES = 5
INTERVAL_RANGE = (2, 60)
KNOWN = {"buckets", "policies", "serviceAccounts", "reconcileMinutes"}


@dataclass(frozen=True)
class StateConfig:
    """``rustfs.*``: plain data as rustfs_state.parse_state normalizes it (dicts, camelCase as in the document)."""
    buckets: list[dict] = field(default_factory=list)
    policies: list[dict] = field(default_factory=list)
    service_accounts: list[dict] = field(default_factory=list)
    reconcile_minutes: int = DEFAULT_INTERVAL_MINUTES

    @property
    def declared(self) -> bool:
        """Anything to apply: without it the stack declares no reconciler at all."""
        return bool(self.buckets or self.policies or self.service_accounts)


def parse_state_config(p, raw: dict, *, platform: str) -> StateConfig:
    """``rustfs``: ``buckets``, ``policies``, ``serviceAccounts``, ``reconcileMinutes`` (``p``: config's Problems)."""
    s = p.section(raw, "rustfs", "rustfs", KNOWN)
    minutes = p.integer(s, "reconcileMinutes", "rustfs.reconcileMinutes", DEFAULT_INTERVAL_MINUTES,
                        *INTERVAL_RANGE, " minutes")
    parsed, problems = rustfs_state.parse_state(s)
    for path, value, allowed in problems:
        p.add(f"rustfs.{path}", value, allowed)
    cfg = StateConfig(parsed["buckets"], parsed["policies"], parsed["serviceAccounts"], minutes)
    if cfg.declared and platform != "ec2":
        p.add("rustfs", "buckets/policies/serviceAccounts", f"the reconciler runs on the EC2 storage nodes; not yet "
              f"with cluster.platform: {platform} (remove the section, or use cluster.platform: ec2)")
    return cfg
