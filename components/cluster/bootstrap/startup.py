"""How long RustFS waits for its peers at start-up, and systemd's start timeout above that.

RustFS, not systemd, bounds its own start-up (facts from rustfs/rustfs, tests/data/rustfs_settings.json
"startup"); each stage that does not converge in time ends the process with an error naming what was
missing, and systemd starts it again (``Restart=always``, ``RestartSec=10s``):

1. Endpoint list. With ``RUSTFS_LOCAL_ENDPOINT_HOST`` set to the node's own name (mode ``orchestrated``)
   RustFS finds its local drives by name, without DNS (``crates/ecstore/src/layout/endpoints.rs``
   ``update_is_local_from_explicit_host``); any lookup it still makes there retries for at most
   ``RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT`` (orchestrated mode waits forever unless it is set).
2. Format load: 11 attempts with sleeps of 2, 4, 8 and then 16 s (126 s) plus the attempts' RPC timeouts
   (5 s drive check): 181 s, not configurable (``crates/ecstore/src/store/init.rs``).
3. Readiness (storage, IAM and lock quorum) for ``RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS``
   (``rustfs/src/server/readiness.rs``; RustFS's default 120 s, and 0 means that default). Only then does
   RustFS send READY=1, which ends systemd's start job.

Why DNS-free identity: the take-over step UPSERTs the node's record just before RustFS starts, and Route 53
needs up to 60 s to propagate it while resolvers keep the old value (the TEST-NET placeholder or a dead
predecessor's address) for the record's TTL. A node resolving its own name to that old value marks none of
its drives local and runs without them. Rejected: keeping DNS locality and waiting in the bootstrap until
the name resolves to this instance - it costs up to 90 s per boot and still races a resolver cache.

Defaults fit a cold start of the whole cluster (every node booting, some replacing dead instances):

* readiness: a peer may still be booting for up to its own boot bound (render.py
  ``READY_TIMEOUT_SECONDS``: node-bootstrap retries secrets, the predecessor's volumes and its DNS record
  that long before it reports itself Unhealthy); then its record needs ``ROUTE53_PROPAGATION`` (Route 53
  FAQ: "designed to propagate updates ... within 60 seconds under normal conditions") plus
  ``NODE_RECORD_TTL`` (components/cluster/dns.py) to reach the others, and it runs its own format stage:
  1,200 + 60 + 30 + 181 = 1,471 s, rounded up to 25 minutes. No RustFS bound is shorter than a peer's
  legitimate boot.
* topology: peer names exist from ``pulumi up`` (components/cluster/dns.py creates every record with a placeholder),
  so a lookup can only fail while a record is new: 60 s propagation + 30 s TTL. 300 s is three times that
  (and above RustFS's own 180 s).
* systemd's ``TimeoutStartSec`` is the sum of all three stages plus ``START_MARGIN`` (process start and the
  unit's ``ExecStartPre``, two bounded Secrets Manager reads), so RustFS always gives up first, with its own
  diagnosis; systemd's timeout would only SIGTERM the process ("start operation timed out") and hide which
  stage was missing.

Rejected: RustFS's defaults (180 s / 120 s). After the format stage a node has its drive quorum but may
still wait for IAM and lock quorum from a peer that is still booting; 120 s would end it there and start the
whole sequence again. The format stage itself is fixed at 181 s: without a drive quorum the
process exits and systemd starts it again ("store init failed to load formats" in the journal) - a loop
this release does not let us configure away, and harmless (nothing is written before quorum).
"""

from __future__ import annotations

ROUTE53_PROPAGATION = 60  # Route 53 FAQ, "How quickly will changes ... propagate globally?"
NODE_RECORD_TTL = 30  # components/cluster/dns.py NODE_RECORD_TTL (a test keeps them equal; this module stays pure)
# rustfs crates/ecstore/src/store/init.rs: sleeps of 2, 4, 8, then 16 s between 11 attempts, each bounded by the
# 5 s drive check (crates/config/src/constants/drive.rs DEFAULT_DRIVE_ACTIVE_CHECK_TIMEOUT_SECS).
FORMAT_LOAD_BOUND = 2 + 4 + 8 + 7 * 16 + 11 * 5
START_MARGIN = 120
RUSTFS_DEFAULT_TOPOLOGY_WAIT = 180  # crates/config/src/constants/app.rs DEFAULT_STARTUP_TOPOLOGY_WAIT_TIMEOUT_SECS
# Config ranges (cluster.startup.*): at their maxima the systemd bound is one hour.
TOPOLOGY_WAIT_RANGE = (30, 600)
READINESS_WAIT_RANGE = (60, 2_400)


def _round_up(seconds: int, step: int = 300) -> int:
    return -(-seconds // step) * step


DEFAULT_TOPOLOGY_WAIT = max(_round_up(3 * (ROUTE53_PROPAGATION + NODE_RECORD_TTL)), RUSTFS_DEFAULT_TOPOLOGY_WAIT)


def default_readiness_wait(peer_boot_bound: int) -> int:
    """Outlast a peer that boots for ``peer_boot_bound`` seconds, publishes its record and loads the format."""
    return _round_up(peer_boot_bound + ROUTE53_PROPAGATION + NODE_RECORD_TTL + FORMAT_LOAD_BOUND)


def rustfs_start_bound(topology_wait: int, readiness_wait: int) -> int:
    """The longest RustFS itself may take from exec to READY=1 (or to its own exit)."""
    return topology_wait + FORMAT_LOAD_BOUND + readiness_wait


def unit_start_timeout(topology_wait: int, readiness_wait: int) -> int:
    """systemd TimeoutStartSec for rustfs.service: above every bound RustFS sets itself."""
    return rustfs_start_bound(topology_wait, readiness_wait) + START_MARGIN
