"""The ``dr`` section of the stack configuration: this stack is the disaster-recovery secondary of another stack.

```yaml
rustfs-aws:dr:
  primaryStack: acme/rustfs-aws/prod   # the primary, <organization>/<project>/<stack> (a Pulumi StackReference)
  replicateIlmExpiry: false            # optional: site replication also replicates lifecycle expiry rules
  replicatedGBPerMonth: 26280          # optional, for the cost estimate: GB the primary sends here a month
  alarms:
    backlogObjects: 1000               # optional: replication backlog on the primary that pages ...
    backlogMinutes: 15                 # ... when it lasts this long
```

Parsed by ``components/config.py`` (``parse`` calls ``parse_dr``) with the same ``Problems`` collector as every other
section; absent: a standalone stack, no stack reference. What can be checked only against the primary's outputs (CIDR
overlap, Regions, account, domain, encryption) is checked at preview from the stack reference (primary.py), naming
the same keys.

Rules here, each with its reason:
- ``primaryStack`` is a fully qualified stack name: ``StackReference`` resolves ``org/project/stack`` in the backend
  (Pulumi docs, "Stack references"); a bare stack name would silently mean the current organization and project.
  This stack cannot be its own primary.
- the DR cluster runs on EC2 (``cluster.platform: ec2``): the link adds rules to the nodes' and the load balancer's
  security groups, which in EKS mode the AWS Load Balancer Controller owns.
- ``rustfs.buckets``, ``rustfs.policies`` and ``rustfs.serviceAccounts`` stay empty on the secondary: site replication
  copies buckets, policies and service accounts from the primary (the RustFS admin API's ``site-replication/add``
  refuses to start when more than one site holds buckets: rustfs/src/admin/handlers/site_replication.rs
  ``validate_add_preflight_topology``, "site replication can be initialized with data on only one site"), and a
  second declaration here would fight the replicated one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# <organization>/<project>/<stack>: Pulumi's names - organizations and projects of letters, digits, '-', '_', '.';
# stack names the same (Pulumi docs, "Stacks": stack names may contain alphanumerics, hyphens, underscores, periods).
_STACK_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}/[A-Za-z0-9._-]{1,100}/[A-Za-z0-9._-]{1,100}$")
KNOWN = {"primaryStack", "replicateIlmExpiry", "replicatedGBPerMonth", "alarms"}
ALARM_KEYS = {"backlogObjects", "backlogMinutes"}


@dataclass(frozen=True)
class DrAlarms:
    """``dr.alarms``: the replication-backlog alarm on the primary (components/dr/link.py)."""
    backlog_objects: int = 1_000  # objects queued or failed toward the peer, on the busiest primary node
    backlog_minutes: int = 15  # for this long: a short burst of writes queues too, and drains


@dataclass(frozen=True)
class DrConfig:
    primary_stack: str  # <org>/<project>/<stack>
    replicate_ilm_expiry: bool = False
    replicated_gb_per_month: float | None = None  # None: the cost estimate takes usage.writeMBps for a month
    alarms: DrAlarms = field(default_factory=DrAlarms)

    @property
    def primary_project(self) -> str:
        return self.primary_stack.split("/")[1]

    @property
    def primary_stack_name(self) -> str:
        return self.primary_stack.split("/")[2]


def parse_dr(p, raw: dict, *, project: str, stack: str, platform: str, rustfs_declared: bool) -> DrConfig | None:
    """``dr`` or None when absent (``p``: config's Problems)."""
    if "dr" not in raw:
        return None
    d = p.section(raw, "dr", "dr", KNOWN)
    primary = p.string(d, "primaryStack", "dr.primaryStack", pattern=" stack reference <organization>/<project>/"
                       "<stack>, e.g. acme/rustfs-aws/prod", check=lambda v: bool(_STACK_REFERENCE.match(v)))
    if isinstance(primary, str) and _STACK_REFERENCE.match(primary):
        _, ref_project, ref_stack = primary.split("/")
        if (ref_project, ref_stack) == (project, stack):
            p.add("dr.primaryStack", primary, "names this stack itself; name the primary stack this one recovers")
    replicated = None
    if "replicatedGBPerMonth" in d:
        replicated = p.number(d, "replicatedGBPerMonth", "dr.replicatedGBPerMonth", 0.0, 0, 1e9)
    a = p.section(d, "alarms", "dr.alarms", ALARM_KEYS)
    default = DrAlarms()
    alarms = DrAlarms(
        backlog_objects=p.integer(a, "backlogObjects", "dr.alarms.backlogObjects", default.backlog_objects, 1,
                                  10_000_000, " objects"),
        # The alarm evaluates 5-minute periods; PutMetricAlarm takes at most a day of periods under an hour
        # (Period x EvaluationPeriods <= 86,400 s, CloudWatch API Reference; preflight/fake_operations.py).
        backlog_minutes=p.integer(a, "backlogMinutes", "dr.alarms.backlogMinutes", default.backlog_minutes, 5,
                                  1_440, " minutes"))
    if alarms.backlog_minutes % 5:
        p.add("dr.alarms.backlogMinutes", alarms.backlog_minutes, "a multiple of 5 (the alarm's period is 5 minutes)")
    if platform != "ec2":
        p.add("dr", "{...}", f"a DR secondary runs on EC2 (the link adds rules to the nodes' and the load balancer's "
              f"security groups); not with cluster.platform: {platform}")
    if rustfs_declared:
        p.add("rustfs", "buckets/policies/serviceAccounts", "leave them to the primary on a DR secondary: site "
              "replication copies buckets, policies and service accounts from it, and RustFS starts site replication "
              "only while one site holds buckets")
    return DrConfig(primary_stack=primary or "", replicate_ilm_expiry=p.boolean(
        d, "replicateIlmExpiry", "dr.replicateIlmExpiry", False), replicated_gb_per_month=replicated, alarms=alarms)
