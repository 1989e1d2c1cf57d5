"""The telemetry contract: where the node collector puts RustFS's and the host's data, and the names that
the alarms, the dashboard and the patching window read it by.

One module, so the collector's configuration (collector.py), the alarms (alarms.py), the dashboard and the
maintenance window cannot drift apart: each imports these names instead of spelling them.
"""

import re

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


def node_dimension_value(node_name: str) -> str:
    """NodeName's value for a node: the first label of its DNS name (``rustfs-1`` of ``rustfs-1.<domain>``), as the
    per-node alarm names spell it."""
    return node_name.split(".")[0]


# RustFS's service name: the OTLP resource's service.name, so the X-Ray segment name of its traces
# (RUSTFS_OBS_SERVICE_NAME, default APP_NAME "RustFS": crates/obs/src/config.rs, crates/config/src/constants/app.rs;
# crates/obs/src/telemetry/resource.rs). The bootstrap leaves it unset.
RUSTFS_SERVICE_NAME = "RustFS"

# RustFS's label on its HTTP status-class metrics (rustfs/src/server/http.rs LABEL_HTTP_STATUS_CLASS), kept as a
# dimension name.
STATUS_CLASS_DIMENSION = "status_class"

# Host metrics the collector publishes in metric_namespace(stack) (collector.py), name -> dimensions, in percent.
HOST_DISK_USED = "disk_used_percent"
HOST_INODES_USED = "disk_inodes_used_percent"
HOST_MEMORY_USED = "mem_used_percent"
HOST_SWAP_USED = "swap_used_percent"
HOST_METRICS: dict[str, tuple[str, ...]] = {
    HOST_DISK_USED: (CLUSTER_DIMENSION, NODE_DIMENSION, MOUNT_DIMENSION),
    HOST_INODES_USED: (CLUSTER_DIMENSION, NODE_DIMENSION, MOUNT_DIMENSION),
    HOST_MEMORY_USED: (CLUSTER_DIMENSION, NODE_DIMENSION),
    HOST_SWAP_USED: (CLUSTER_DIMENSION, NODE_DIMENSION),
}

# RustFS's own metrics (policies/rustfs_model/data/rustfs_metrics.json) that the alarms and the dashboard read, with
# the dimension sets the collector must publish each with (its EMF metric_declarations). {ClusterId} alone is a
# roll-up: every node's data point lands in it too, so Maximum / Sum over it are over the nodes (the cluster-wide
# gauges are each node's view of the whole cluster). Histograms must reach the EMF exporter as deltas (the
# cumulativetodelta processor): RustFS exports cumulative temporality (crates/obs/src/telemetry/otel.rs) and the
# awsemf exporter writes a histogram's Count and Sum as it gets them (datapoint.go; opentelemetry-collector-contrib
# issue 18245, closed unfixed), which would make the Average the mean since RustFS started.
_CLUSTER = (CLUSTER_DIMENSION,)
_NODE = (CLUSTER_DIMENSION, NODE_DIMENSION)
RUSTFS_METRICS: dict[str, tuple[tuple[str, ...], ...]] = {
    "rustfs_cluster_capacity_usable_total_bytes": (_CLUSTER,),
    "rustfs_cluster_capacity_used_bytes": (_CLUSTER,),
    "rustfs_cluster_health_drives_offline_count": (_CLUSTER, _NODE),
    "rustfs_cluster_health_drives_count": (_CLUSTER, _NODE),
    "rustfs_http_server_requests_total": (_CLUSTER, _NODE),
    "rustfs_http_server_failures_total": ((*_CLUSTER, STATUS_CLASS_DIMENSION), (*_NODE, STATUS_CLASS_DIMENSION)),
    "rustfs_http_server_request_duration_seconds": (_CLUSTER, _NODE),
    "rustfs_http_server_request_body_bytes_total": (_CLUSTER,),
    "rustfs_http_server_response_body_bytes_total": (_CLUSTER,),
    # Objects queued for or failed toward a replication target, per node (crates/obs/src/metrics/schema/
    # replication.rs): the DR link's backlog alarm on the primary reads its roll-up (components/dr/link.py).
    "rustfs_replication_recent_backlog_count": (_CLUSTER,),
}


# Where the nodes' telemetry lands in CloudWatch Logs, by purpose, under the stack's log-group prefix (the logs key
# serves only groups under it, Keys' logGroupPrefix). Observability creates them; the node role writes only there.
LOG_GROUP_SUFFIXES = {
    "rustfs": "rustfs",  # RustFS's own log records, pushed over OTLP
    "journal": "nodes",  # the node's systemd journal of the RustFS units: bootstrap, take-over, TLS refresh, stderr
    "metrics": "metrics",  # the EMF records CloudWatch extracts the metrics above from
}


def log_group_name(prefix: str, purpose: str) -> str:
    """The name of the nodes' log group for a purpose of ``LOG_GROUP_SUFFIXES``."""
    return f"{prefix}{LOG_GROUP_SUFFIXES[purpose]}"


def collector_parameter_name(cluster_id: str) -> str:
    """The SSM parameter holding the node collector's configuration (collector.py); the node role may read it."""
    return f"/rustfs/{cluster_id}/collector/config"


# The node collector's package: the newest amazon-cloudwatch-agent build of the AL2023 repository we can cite, and the
# repository release that carries it (docs.aws.amazon.com/linux/al2023/release-notes/vercmp-AL2023.11-AL2023.11.html:
# 1.300064.1-1 -> 1.300066.2-2 in 2023.11.20260526). Its OpenTelemetry components are v0.124 (the agent's go.mod
# at v1.300066.1). observability.collector.packageVersion / releaseVersion override them.
COLLECTOR_PACKAGE_DEFAULT = "1.300066.2-2.amzn2023"
COLLECTOR_RELEASE_DEFAULT = "2023.11.20260526"
COLLECTOR_PACKAGE_VERSION = re.compile(r"^1\.[0-9]{6}\.[0-9]+-[0-9]+\.amzn2023(\.[0-9]+)?$")
COLLECTOR_RELEASE_VERSION = re.compile(r"^2023\.[0-9]+\.[0-9]{8}$")
