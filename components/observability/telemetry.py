"""The telemetry contract: where the node collector puts RustFS's and the host's data, and the names that
the alarms, the dashboard and the patching window read it by.

One module, so the collector's configuration (collector.py), the alarms (alarms.py), the dashboard and the
maintenance window cannot drift apart: each imports these names instead of spelling them.
"""

# RustFS pushes OTLP over HTTP to this base URL; it appends /v1/metrics, /v1/traces, /v1/logs
# (RUSTFS_OBS_ENDPOINT, crates/config/src/observability/mod.rs at the pinned release).
OTLP_HTTP_ENDPOINT = "http://127.0.0.1:4318"

# Dimensions every stack metric carries (the existing node metrics already use ClusterId).
CLUSTER_DIMENSION = "ClusterId"
NODE_DIMENSION = "NodeName"
# Host metrics of one RustFS data mount also carry its mount path (/mnt/rustfs0 ...).
MOUNT_DIMENSION = "MountPath"


def metric_namespace(stack: str) -> str:
    """CloudWatch namespace of RustFS's own metrics and the collector's host metrics: ``RustFS/<stack>``."""
    return f"RustFS/{stack}"


def degraded_alarm_name(cluster_id: str) -> str:
    """The composite alarm that is in ALARM while the cluster is degraded; patching never runs then."""
    return f"{cluster_id}-cluster-degraded"
