"""The node collector: the CloudWatch agent on every storage node, turning RustFS's OTLP and the host's state into
CloudWatch metrics (EMF), X-Ray traces and CloudWatch Logs.

What it has to carry. RustFS pushes metrics, traces and logs over OTLP/HTTP only (rustfs/rustfs 1.0.0-rc.3,
crates/obs/src/telemetry/mod.rs ``init_telemetry``: any ``RUSTFS_OBS_*ENDPOINT`` selects the OTLP pipeline;
otel.rs appends ``/v1/traces``, ``/v1/metrics``, ``/v1/logs`` to ``RUSTFS_OBS_ENDPOINT``). With the endpoint set
and log export on (``RUSTFS_OBS_LOGS_EXPORT_ENABLED``, default true) its log records go over OTLP and *no* local
file is written (otel.rs: the rolling file under ``RUSTFS_OBS_LOG_DIRECTORY`` is only the fallback when no OTLP log
exporter was built), and stdout stays silent in the ``production`` environment (the default
``RUSTFS_OBS_ENVIRONMENT``, crates/config/src/constants/app.rs; telemetry/local.rs ``resolve_file_stdout_mirror``).
So the collector is the only way RustFS's logs leave the node. The node's other story - bootstrap, take-over, TLS
refresh, RustFS's stderr - is in the systemd journal.

Choice: the **Amazon CloudWatch agent** (``amazon-cloudwatch-agent``) with an appended OpenTelemetry collector
configuration (CloudWatch User Guide, "Appending OpenTelemetry collector configuration files": the agent merges a
collector YAML with its own JSON configuration). The agent is an OpenTelemetry collector build whose components
include every one this needs (aws/amazon-cloudwatch-agent service/defaultcomponents/components.go at v1.300066.1
and v1.300071.0): receivers ``otlp``, ``hostmetrics``, ``filelog``; processors ``batch``, ``memory_limiter``,
``resource``, ``cumulativetodelta``, ``groupbyattrs``, ``metricstransform``, ``metricsgeneration``; exporters
``awsemf``, ``awsxray``, ``awscloudwatchlogs``; extension ``file_storage``. On Amazon Linux 2023 it is a package of
the distribution's own repository, so dnf installs it GPG-verified (``gpgcheck=1`` in AL2023's
/etc/yum.repos.d/amazonlinux.repo) from the S3 gateway endpoint the nodes already use for dnf
(rustfs_model/aws_repositories.py), pinned to an exact version and repository release (below).

Rejected: the **AWS Distro for OpenTelemetry collector**. Its build has no ``hostmetrics`` receiver and no
``journald`` receiver (aws-observability/aws-otel-collector pkg/defaultcomponents/defaults.go at v0.49.0, July
2026), so disk, inode, memory and swap usage would need a second agent anyway; and it is not in the AL2023
repository: it installs from an SSM Distributor package or an RPM downloaded from S3, which needs a checksum we
would have to pin by hand.

The journal. The agent reads journald itself only from 1.300070.0 (RELEASE_NOTES, "[Logs] Add journald log
collection support"; components.go gains ``journaldreceiver`` there), and the newest AL2023 build we can cite is
1.300066.2-2.amzn2023 (AL2023 release notes, "AL2023.11 upgrades from AL2023.11", release 2023.11.20260526). So the
installation adds ``rustfs-journal-export.service``: ``journalctl --follow --output=json`` of the RustFS units into
one file the ``filelog`` receiver tails, with ``file_storage`` keeping its offset across restarts. Its cursor file
makes a restart continue where it stopped. It restarts daily, and a start empties the file once it is over
``JOURNAL_MAX_MIB``: nothing else would ever shrink it on the 30 GiB root volume.
Once an AL2023 release with 1.300070.0 or later is pinned, a
``journald`` receiver can replace the unit (no other part changes).

Pinned and verified, outside the user data. The configuration is an SSM parameter (``telemetry.
collector_parameter_name``; Advanced tier above the Standard tier's 4 KB: its value is JSON, which is YAML, so
the policy pack and the cost model can read it with the standard library; no secrets in it: region, names and the
node's dimension, which the node fills from its own bootstrap.env). It is set as ``insecure_value``: ``value`` is
always a secret output, which would hide from preflight's report, the cost model (it counts the custom metrics from
the EMF declarations) and the tests exactly what this component ships; rustfs-ssm-parameter-disallow-plaintext-secrets
checks that nothing secret ever lands in it. A State Manager association runs this
component's Command document on the cluster's instances (target ``tag:rustfs:cluster``), which installs
``amazon-cloudwatch-agent-<packageVersion>`` with ``--releasever=<releaseVersion>``, fetches the parameter, checks
its SHA-256 against the association's ``ConfigSha256`` and applies it (fetch-config with the agent's JSON,
append-config with the collector YAML). The hash is an association parameter, so a changed configuration changes
the association and State Manager runs it again at once (UpdateAssociation: "When you update an association, the
association immediately runs against the specified targets"); a new node gets it when its SSM Agent registers,
and the 30-minute schedule repairs drift. Nothing of it is in the user data, which stays under EC2's 16 KB.

Pipelines (``collector_config``): RustFS's OTLP metrics -> ``cumulativetodelta`` for its histogram (telemetry.py:
the EMF exporter writes a histogram's count and sum as it gets them) -> ``resource`` (``ClusterId``, ``NodeName``)
-> ``awsemf`` in ``RustFS/<stack>`` with exactly the metric declarations of ``telemetry.RUSTFS_METRICS`` (the EMF
exporter drops every metric no declaration names: awsemfexporter/metric_translator.go, so nothing else is billed);
host metrics -> ``groupbyattrs`` by mount (one resource per mount, so ``metricsgeneration`` divides each mount's
used inodes by that mount's total: without its alpha ``MatchAttributes`` gate it takes metric2's first data point
of the resource) -> ``metricstransform`` into the percent metrics of ``telemetry.HOST_METRICS``; traces -> X-Ray;
RustFS's logs and the journal -> their log groups (``telemetry.LOG_GROUP_SUFFIXES``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws import install_steps as steps
from rustfs_aws.component_args import component_args
from rustfs_aws.observability import telemetry as t
from rustfs_aws.tagging import resource_tags

PACKAGE = "amazon-cloudwatch-agent"
DEFAULT_PACKAGE_VERSION = t.COLLECTOR_PACKAGE_DEFAULT
DEFAULT_RELEASE_VERSION = t.COLLECTOR_RELEASE_DEFAULT
PACKAGE_VERSION = t.COLLECTOR_PACKAGE_VERSION
RELEASE_VERSION = t.COLLECTOR_RELEASE_VERSION

AGENT_DIR = "/opt/aws/amazon-cloudwatch-agent"
AGENT_JSON = f"{AGENT_DIR}/etc/rustfs-agent.json"
COLLECTOR_YAML = f"{AGENT_DIR}/etc/rustfs-collector.yaml"
STATE_DIR = "/var/lib/rustfs-telemetry"
JOURNAL_FILE = "/var/log/rustfs-telemetry/journal.json"
# Its bound (MiB): a restart of the export truncates it above this; it restarts daily (the root volume is 30 GiB).
JOURNAL_MAX_MIB = 64
# The units whose journal is shipped: the bootstrap's (components/cluster/bootstrap/templates), RustFS's and the
# collector's own, and the state reconciler's (components/state/state.py).
JOURNAL_UNITS = ("rustfs-bootstrap.service", "rustfs-report-unhealthy.service", "rustfs-tls-refresh.service",
                 "rustfs.service", "amazon-cloudwatch-agent.service", "rustfs-state.service")
# The node's NodeName dimension: written by the document into the agent's environment from bootstrap.env.
NODE_ENV = "RUSTFS_NODE_DIMENSION"
NODE_VALUE = "${env:" + NODE_ENV + "}"
OTLP_LISTEN = t.OTLP_HTTP_ENDPOINT.removeprefix("http://")
# Standard parameters hold 4 KB, Advanced 8 KB (SSM User Guide, "Managing parameter tiers").
STANDARD_PARAMETER_BYTES = 4 * 1024
ADVANCED_PARAMETER_BYTES = 8 * 1024
SCHEDULE = "rate(30 minutes)"
# A bad configuration stops at the first failing node of the batch in flight, never the whole cluster at once.
MAX_CONCURRENCY, MAX_ERRORS = "25%", "1"
STEP_TIMEOUT_SECONDS = 900
# Intermediate host metrics, dropped by the EMF exporter (no declaration names them).
_INODES_USED, _INODES_TOTAL = "rustfs.inodes.used", "rustfs.inodes.total"


def _selectors(names) -> list[str]:
    return [f"^{re.escape(n)}$" for n in sorted(names)]


def metric_declarations() -> list[dict]:
    """The EMF exporter's declarations: one per distinct set of dimension sets, naming its metrics exactly."""
    groups: dict[tuple, list[str]] = {}
    for name, dimension_sets in t.RUSTFS_METRICS.items():
        groups.setdefault(tuple(dimension_sets), []).append(name)
    for name, dimensions in t.HOST_METRICS.items():
        groups.setdefault((dimensions,), []).append(name)
    return [{"dimensions": [list(d) for d in dims], "metric_name_selectors": _selectors(names)}
            for dims, names in sorted(groups.items())]


def _scale_to_percent() -> dict:
    return {"action": "experimental_scale_value", "experimental_scale": 100}


def _drop_labels(aggregation: str = "sum") -> dict:
    # An empty label_set keeps no data point attribute: one data point per resource (per mount after groupbyattrs).
    return {"action": "aggregate_labels", "label_set": [], "aggregation_type": aggregation}


def _host_transforms() -> list[dict]:
    used = {"state": "used"}
    return [
        {"include": "system.filesystem.utilization", "action": "insert", "new_name": t.HOST_DISK_USED,
         "operations": [_scale_to_percent(), _drop_labels("max")]},
        {"include": "system.filesystem.inodes.usage", "action": "insert", "new_name": _INODES_USED,
         "experimental_match_labels": used, "operations": [_drop_labels()]},
        {"include": "system.filesystem.inodes.usage", "action": "insert", "new_name": _INODES_TOTAL,
         "operations": [_drop_labels()]},
        {"include": "system.memory.utilization", "action": "insert", "new_name": t.HOST_MEMORY_USED,
         "experimental_match_labels": used, "operations": [_scale_to_percent(), _drop_labels()]},
        {"include": "system.paging.utilization", "action": "insert", "new_name": t.HOST_SWAP_USED,
         "experimental_match_labels": used, "operations": [_scale_to_percent(), _drop_labels()]},
    ]


def collector_config(*, stack: str, region: str, cluster_id: str, log_group_prefix: str, mount_root: str = "/data",
                     traces: bool = True) -> dict:
    """The OpenTelemetry collector configuration the agent appends (a dict; stored as JSON, which is YAML)."""
    suffix = "/rustfs"
    memory, resource, batch = f"memory_limiter{suffix}", f"resource{suffix}", f"batch{suffix}"
    logs_to = {purpose: {"region": region, "log_group_name": t.log_group_name(log_group_prefix, purpose),
                         "log_stream_name": NODE_VALUE} for purpose in ("rustfs", "journal")}
    mounts = f"^{re.escape(mount_root.rstrip('/'))}/rustfs[0-9]+$"
    pipelines = {
        "metrics/rustfs": {"receivers": ["otlp/rustfs"],
                           "processors": [memory, "cumulativetodelta/rustfs", resource, batch],
                           "exporters": ["awsemf/rustfs"]},
        "metrics/host": {"receivers": ["hostmetrics/rustfs"],
                         "processors": [memory, "groupbyattrs/mounts", "metricstransform/host",
                                        "metricsgeneration/host", "resource/mounts", resource, batch],
                         "exporters": ["awsemf/rustfs"]},
        "logs/rustfs": {"receivers": ["otlp/rustfs"], "processors": [memory, resource, batch],
                        "exporters": ["awscloudwatchlogs/rustfs"]},
        "logs/journal": {"receivers": ["filelog/journal"], "processors": [memory, resource, batch],
                         "exporters": ["awscloudwatchlogs/journal"]},
    }
    exporters = {
        "awsemf/rustfs": {"region": region, "namespace": t.metric_namespace(stack),
                          "log_group_name": t.log_group_name(log_group_prefix, "metrics"),
                          "log_stream_name": NODE_VALUE, "dimension_rollup_option": "NoDimensionRollup",
                          "resource_to_telemetry_conversion": {"enabled": True},
                          "metric_declarations": metric_declarations()},
        "awscloudwatchlogs/rustfs": logs_to["rustfs"],
        "awscloudwatchlogs/journal": logs_to["journal"],
    }
    if traces:
        pipelines["traces/rustfs"] = {"receivers": ["otlp/rustfs"], "processors": [memory, resource, batch],
                                      "exporters": ["awsxray/rustfs"]}
        exporters["awsxray/rustfs"] = {"region": region}
    return {
        "extensions": {"file_storage/rustfs": {"directory": f"{STATE_DIR}/storage", "create_directory": True}},
        "receivers": {
            "otlp/rustfs": {"protocols": {"http": {"endpoint": OTLP_LISTEN}}},
            "hostmetrics/rustfs": {"collection_interval": "60s", "scrapers": {
                "filesystem": {"include_mount_points": {"match_type": "regexp", "mount_points": [mounts]},
                               "metrics": {"system.filesystem.utilization": {"enabled": True}}},
                "memory": {"metrics": {"system.memory.utilization": {"enabled": True}}},
                "paging": {"metrics": {"system.paging.utilization": {"enabled": True}}}}},
            "filelog/journal": {
                "include": [JOURNAL_FILE], "start_at": "beginning", "storage": "file_storage/rustfs",
                "operators": [
                    {"type": "json_parser", "timestamp": {"parse_from": "attributes.__REALTIME_TIMESTAMP",
                                                          "layout_type": "epoch", "layout": "us"}},
                    {"type": "move", "from": "attributes.MESSAGE", "to": "body"}]},
        },
        "processors": {
            memory: {"check_interval": "1s", "limit_mib": 256, "spike_limit_mib": 64},
            "cumulativetodelta/rustfs": {"include": {"match_type": "strict",
                                                     "metrics": sorted(_histograms())}},
            "groupbyattrs/mounts": {"keys": ["mountpoint"]},
            "metricstransform/host": {"transforms": _host_transforms()},
            "metricsgeneration/host": {"rules": [{"name": t.HOST_INODES_USED, "unit": "Percent", "type": "calculate",
                                                  "metric1": _INODES_USED, "metric2": _INODES_TOTAL,
                                                  "operation": "percent"}]},
            "resource/mounts": {"attributes": [
                {"key": t.MOUNT_DIMENSION, "from_attribute": "mountpoint", "action": "insert"},
                {"key": "mountpoint", "action": "delete"}]},
            resource: {"attributes": [
                {"key": t.CLUSTER_DIMENSION, "value": cluster_id, "action": "upsert"},
                {"key": t.NODE_DIMENSION, "value": NODE_VALUE, "action": "upsert"}]},
            batch: {"timeout": "10s"},
        },
        "exporters": exporters,
        "service": {"extensions": ["file_storage/rustfs"], "pipelines": pipelines},
    }


def _histograms() -> set[str]:
    """RustFS's histograms among the published metrics (telemetry.py: they must reach awsemf as deltas)."""
    return {n for n in t.RUSTFS_METRICS if n.endswith("_seconds")}


def config_text(config: dict) -> str:
    """The parameter's value: compact JSON, so it fits Advanced tier's 8 KB with room."""
    return json.dumps(config, separators=(",", ":"), sort_keys=True)


def config_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parameter_tier(text: str) -> str:
    size = len(text.encode())
    if size > ADVANCED_PARAMETER_BYTES:
        raise ValueError(f"collector configuration is {size} bytes; an SSM parameter holds at most "
                         f"{ADVANCED_PARAMETER_BYTES}")
    return "Standard" if size <= STANDARD_PARAMETER_BYTES else "Advanced"


def agent_json(region: str) -> dict:
    """The agent's own configuration: no pipeline of its own (everything is in the appended collector YAML); the
    translator accepts a file without one (tool/translator/translator.go tolerates ErrNoPipelines)."""
    return {"agent": {"region": region}}


INSTALL_SCRIPT = r"""#!/bin/bash
set -euo pipefail
# Parameters arrive substituted; each has an allowedPattern (package version, release, SHA-256, parameter name).
package_version='{{ PackageVersion }}'
release_version='{{ ReleaseVersion }}'
parameter='{{ ConfigParameter }}'
expected_sha='{{ ConfigSha256 }}'
boot_env="${RUSTFS_BOOT_ENV_FILE:-/etc/rustfs/bootstrap.env}"
agent_dir="${RUSTFS_AGENT_DIR:-@@AGENT_DIR@@}"
state_dir="${RUSTFS_TELEMETRY_STATE:-@@STATE_DIR@@}"
journal_file="${RUSTFS_JOURNAL_FILE:-@@JOURNAL_FILE@@}"
unit_dir="${RUSTFS_UNIT_DIR:-/etc/systemd/system}"
log() { echo "rustfs-collector: $*" >&2; }

# 1. The node's identity, from the bootstrap's environment (cloud-init may still be writing it).
@@WAIT_FOR_BOOT_ENV@@
node_name="$(sed -n 's/^BOOT_NODE_NAME=//p' "$boot_env" | tr -d "'\"")"
region="$(sed -n 's/^BOOT_REGION=//p' "$boot_env" | tr -d "'\"")"
node="${node_name%%.*}"
[[ "$node" =~ ^[a-z0-9-]{1,63}$ ]] || { log "unexpected node name '$node_name'"; exit 1; }
[[ "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || { log "unexpected region '$region'"; exit 1; }

# 2. The pinned package from the AL2023 repository (dnf checks its GPG signature; gpgcheck=1 in amazonlinux.repo).
@@DNF_INSTALL@@
rpm -q "@@PACKAGE@@-$package_version" >/dev/null

# 3. The configuration, only if it is the one this association was made for.
mkdir -p "$state_dir" "$(dirname "$journal_file")"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
# The CLI's text output ends the value with a newline; $(...) drops it again (the stored JSON has none).
value="$(aws ssm get-parameter --region "$region" --name "$parameter" --query Parameter.Value --output text)"
printf '%s' "$value" > "$tmp"
@@SHA256_CHECK@@

# 4. The journal export the filelog receiver tails, and the agent's environment (its NodeName dimension).
# The export only appends, onto the small root volume: once a day the unit ends (RuntimeMaxSec; Restart=always starts
# it again and journalctl resumes from its cursor file), and a start finds the file over its bound truncated first.
# The filelog receiver takes the truncated file for a new one (the fingerprint of its first bytes changed) and reads
# it from the start; what it had not read yet when the day ended is all that is lost.
cat > "$unit_dir/rustfs-journal-export.service" <<UNIT
[Unit]
Description=RustFS units' journal as JSON lines for the CloudWatch agent
After=systemd-journald.service

[Service]
ExecStartPre=-/usr/bin/find $journal_file -maxdepth 0 -size +@@JOURNAL_MAX_MIB@@M -exec /usr/bin/truncate --size=0 {} \;
ExecStart=/usr/bin/journalctl --follow --no-tail --output=json --cursor-file=$state_dir/journal.cursor \
@@JOURNAL_UNITS@@ --output-fields=MESSAGE,PRIORITY,_SYSTEMD_UNIT,_PID
StandardOutput=append:$journal_file
Restart=always
RestartSec=5
RuntimeMaxSec=1d

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$unit_dir/@@PACKAGE@@.service.d"
printf '[Service]\nEnvironment=@@NODE_ENV@@=%s\n' "$node" > "$unit_dir/@@PACKAGE@@.service.d/rustfs.conf"
systemctl daemon-reload
systemctl enable --now rustfs-journal-export.service

# 5. Apply, and restart the agent only when the package or the configuration changed.
stamp="$package_version $expected_sha $node"
if [ "$(cat "$state_dir/applied" 2>/dev/null)" = "$stamp" ] && systemctl is-active --quiet @@PACKAGE@@; then
    log "configuration $expected_sha already running"
    exit 0
fi
printf '{"agent":{"region":"%s"}}\n' "$region" > "$agent_dir/etc/rustfs-agent.json"
install -m 0644 "$tmp" "$agent_dir/etc/rustfs-collector.yaml"
ctl="$agent_dir/bin/amazon-cloudwatch-agent-ctl"
"$ctl" -a fetch-config -m ec2 -c "file:$agent_dir/etc/rustfs-agent.json"
"$ctl" -a append-config -m ec2 -c "file:$agent_dir/etc/rustfs-collector.yaml" -s
# The agent's unit is Type=simple with Restart=on-failure, RestartSec=60s (its packaging/dependencies/
# amazon-cloudwatch-agent.service): it is active the moment it starts, and an agent that cannot load the
# configuration exits a second later and waits a minute in auto-restart. Look once it has had time to fail.
sleep "${RUSTFS_AGENT_SETTLE_SECONDS:-20}"
if ! systemctl is-active --quiet @@PACKAGE@@; then
    log "@@PACKAGE@@ did not stay running with configuration $expected_sha; the end of its log:"
    tail -n 20 "$agent_dir/logs/amazon-cloudwatch-agent.log" >&2 || true
    exit 1
fi
echo "$stamp" > "$state_dir/applied"
log "applied configuration $expected_sha with @@PACKAGE@@-$package_version"
"""


def install_script() -> str:
    units = " ".join(f"--unit={u}" for u in JOURNAL_UNITS)
    replacements = {"@@WAIT_FOR_BOOT_ENV@@": steps.wait_for_boot_env(),
                    "@@DNF_INSTALL@@": steps.dnf_install("@@PACKAGE@@-$package_version"),
                    "@@SHA256_CHECK@@": steps.sha256_check("$tmp", "$expected_sha", "parameter $parameter",
                                                           "not applied"),
                    "@@AGENT_DIR@@": AGENT_DIR, "@@STATE_DIR@@": STATE_DIR, "@@JOURNAL_FILE@@": JOURNAL_FILE,
                    "@@PACKAGE@@": PACKAGE, "@@NODE_ENV@@": NODE_ENV, "@@JOURNAL_UNITS@@": units,
                    "@@JOURNAL_MAX_MIB@@": str(JOURNAL_MAX_MIB)}
    text = INSTALL_SCRIPT
    for marker, value in replacements.items():
        text = text.replace(marker, value)
    return text


def install_document(cluster_id: str) -> dict:
    """Schema 2.2 Command document: install the pinned agent, apply the configuration parameter if its hash
    matches. Every parameter has an allowedPattern: SSM substitutes them into the script's text."""
    return {
        "schemaVersion": "2.2",
        "description": f"RustFS cluster {cluster_id}: install the pinned CloudWatch agent and apply the node "
                       "collector's configuration (components/observability/collector.py).",
        "parameters": {
            "PackageVersion": {"type": "String", "allowedPattern": PACKAGE_VERSION.pattern,
                               "description": f"{PACKAGE} version-release in the AL2023 repository."},
            "ReleaseVersion": {"type": "String", "allowedPattern": RELEASE_VERSION.pattern,
                               "description": "AL2023 repository release (dnf --releasever) that carries it."},
            "ConfigParameter": {"type": "String", "allowedPattern": r"^/rustfs/[a-z0-9-]+/collector/config$",
                                "description": "SSM parameter holding the collector configuration."},
            "ConfigSha256": {"type": "String", "allowedPattern": "^[0-9a-f]{64}$",
                             "description": "SHA-256 of the configuration this run must apply."},
        },
        "mainSteps": [{"action": "aws:runShellScript", "name": "installCollector",
                       "precondition": {"StringEquals": ["platformType", "Linux"]},
                       "inputs": {"timeoutSeconds": str(STEP_TIMEOUT_SECONDS),
                                  "runCommand": install_script().splitlines()}}],
    }


@dataclass
class NodeCollectorArgs:
    """Inputs of ``NodeCollector``."""

    cluster_id: str
    """The cluster's name (``rustfs-dev``): the instances' ``rustfs:cluster`` tag the association targets."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag and the metric namespace ``RustFS/<stack>``."""
    region: str
    """The stack's AWS Region: where the exporters send."""
    log_group_prefix: str
    """Prefix of the log groups (``Keys``' ``logGroupPrefix``): Observability creates the groups under it."""
    package_version: str = DEFAULT_PACKAGE_VERSION
    """``amazon-cloudwatch-agent`` version-release to install (``observability.collector.packageVersion``)."""
    release_version: str = DEFAULT_RELEASE_VERSION
    """AL2023 repository release that carries it (``observability.collector.releaseVersion``)."""
    mount_root: str = "/data"
    """Where the bootstrap mounts the drives: the disk metrics cover ``<mount_root>/rustfs<N>``."""
    traces: bool = True
    """Whether RustFS's traces go to X-Ray (``observability.tracing.enabled``)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the parameter, document and association, next to each one's ``Name``."""


class NodeCollector(pulumi.ComponentResource):
    """The collector on every node: its configuration parameter, the Command document that installs and applies it,
    and the State Manager association that runs that document on the cluster's instances."""

    parameter_arn: pulumi.Output[str]
    """ARN of the configuration parameter: the node role may read it (ssm:GetParameter)."""
    parameter_name: str
    """Name of the configuration parameter (``telemetry.collector_parameter_name``)."""
    config_sha256: str
    """SHA-256 of the configuration: the association's ``ConfigSha256``."""

    def __init__(self, name: str, args: NodeCollectorArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(NodeCollectorArgs, args)
        super().__init__("rustfs:observability:NodeCollector", name, None, opts)
        if not PACKAGE_VERSION.match(args.package_version) or not RELEASE_VERSION.match(args.release_version):
            raise ValueError(f"package_version {args.package_version!r} / release_version {args.release_version!r}: "
                             f"want {PACKAGE_VERSION.pattern} / {RELEASE_VERSION.pattern}")
        child = pulumi.ResourceOptions(parent=self)
        text = config_text(collector_config(stack=args.stack, region=args.region, cluster_id=args.cluster_id,
                                            log_group_prefix=args.log_group_prefix, mount_root=args.mount_root,
                                            traces=args.traces))
        self.config_sha256 = config_sha256(text)
        self.parameter_name = t.collector_parameter_name(args.cluster_id)
        cluster_tag = {"rustfs:cluster": args.cluster_id}
        self.parameter = aws.ssm.Parameter(
            f"{name}-config", name=self.parameter_name, type="String", tier=parameter_tier(text), insecure_value=text,
            data_type="text", description=f"Node collector configuration of RustFS cluster {args.cluster_id} "
                                          "(OpenTelemetry collector YAML, written as JSON); no secrets",
            tags=resource_tags(args.tags, f"{args.cluster_id}-collector-config", args.stack, cluster_tag),
            opts=child)
        document_name = f"{args.cluster_id}-collector"
        # No `permissions`: the document stays private to the account.
        self.document = aws.ssm.Document(
            f"{name}-install", name=document_name, document_type="Command", document_format="JSON",
            content=json.dumps(install_document(args.cluster_id), indent=2), target_type="/AWS::EC2::Instance",
            tags=resource_tags(args.tags, document_name, args.stack, cluster_tag), opts=child)
        self.association = aws.ssm.Association(
            f"{name}-apply", association_name=f"{args.cluster_id}-collector", name=self.document.name,
            targets=[aws.ssm.AssociationTargetArgs(key="tag:rustfs:cluster", values=[args.cluster_id])],
            parameters={"PackageVersion": args.package_version, "ReleaseVersion": args.release_version,
                        "ConfigParameter": self.parameter_name, "ConfigSha256": self.config_sha256},
            schedule_expression=SCHEDULE, compliance_severity="HIGH", max_concurrency=MAX_CONCURRENCY,
            max_errors=MAX_ERRORS, apply_only_at_cron_interval=False,
            tags=resource_tags(args.tags, f"{args.cluster_id}-collector", args.stack, cluster_tag),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.parameter]))
        self.parameter_arn = self.parameter.arn
        self.register_outputs({"parameterName": self.parameter_name, "parameterArn": self.parameter.arn,
                               "documentName": self.document.name, "associationId": self.association.association_id,
                               "configSha256": self.config_sha256})
