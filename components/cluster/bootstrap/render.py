"""Render the EC2 user data (cloud-config) of one RustFS node.

`render_user_data(params)` returns the readable `#cloud-config` text. Pass
`render_user_data_base64(params)` to EC2 (LaunchTemplate.user_data / Instance.user_data_base64): it
gzips the text when it is larger than EC2's 16 KB limit on raw user data ("User data is limited to
16 KB, in raw form, before it is base64-encoded", EC2 user guide, instance user data); cloud-init
decompresses gzip user data itself (cloud-init docs, user-data formats: "gzip compressed content").

Only non-secret values go in: secrets stay in Secrets Manager and are read by the node at boot
(credentials secret JSON `{"accessKey", "secretKey"}`, TLS secret JSON
`{"certificate", "privateKey", "caCertificate"?}`).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import shlex
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rustfs_aws.cluster.bootstrap.comments import strip_comments
from rustfs_aws.cluster.bootstrap.startup import (
    DEFAULT_TOPOLOGY_WAIT,
    default_readiness_wait,
    rustfs_start_bound,
    unit_start_timeout,
)
from rustfs_model.ellipses import EllipsesError, expand_volumes

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
EC2_USER_DATA_LIMIT = 16 * 1024
LIB_DIR = "/usr/local/lib/rustfs"
TLS_DIR = "/etc/rustfs/tls"
MAX_DRIVES = 21  # takeover.py attaches at /dev/sd[f-z]
# First boot bound: node-bootstrap --boot retries what can become ready (secret values, volumes, DNS, the
# release download) with exponential backoff for this long, then reports its instance Unhealthy to its
# group. 20 min covers a cold start of the whole stack (the last TLS secret versions are written after the
# load balancer; a predecessor's volumes detach) with room; storage_nodes sets the group's health-check
# grace above it.
READY_TIMEOUT_SECONDS = 1200
RETRY_INITIAL_SECONDS, RETRY_MAX_SECONDS = 5, 60
# RustFS's own start-up bounds (RUSTFS_STARTUP_*, see startup.py): long enough to outlast a peer's boot bound.
DEFAULT_READINESS_WAIT = default_readiness_wait(READY_TIMEOUT_SECONDS)
RUSTFS_LOG_LEVEL = "warn"  # RUSTFS_OBS_LOGGER_LEVEL's default here (observability.logLevel), see rustfs_environment
# RustFS's level names (crates/obs/src/telemetry/filter.rs is_level_token); "off" is refused: no logs at all.
RUSTFS_LOG_LEVELS = ("error", "warn", "info", "debug", "trace")
# Seconds between RustFS's metric exports (RUSTFS_OBS_METER_INTERVAL, default 30: crates/config/src/constants/app.rs
# METER_INTERVAL). 60 is CloudWatch's standard resolution: each export becomes one EMF record per series, so 30 would
# double the records ingested for no finer metric.
RUSTFS_METER_INTERVAL_SECONDS = 60
# node-bootstrap bounds every attempt by the boot bound plus a 60 s grace (BOOT_ATTEMPT_GRACE_SECONDS); systemd's
# TimeoutStartSec adds this margin. Should systemd still end the unit, OnFailure= reports the node anyway.
BOOT_UNIT_MARGIN_SECONDS = 120
# rustfs-report-unhealthy.service retries IMDSv2 and SetInstanceHealth this long (BOOT_REPORT_TIMEOUT_SECONDS).
REPORT_TIMEOUT_SECONDS = 600
# One AWS CLI call, its own retries included (BOOT_CALL_TIMEOUT_SECONDS): rustfs.service's ExecStartPre makes two
# (startup.START_MARGIN covers them; tests/test_startup_bounds.py).
CALL_TIMEOUT_SECONDS = 45
# The namespace of the node's own CloudWatch metrics (node-bootstrap publish_tls_expiry: TlsCertificateDaysToExpiry,
# dimension ClusterId, whole days), alarmed by observability/alarms.py and granted by iam_documents.node_policy.
NODE_METRIC_NAMESPACE = "RustFS/Node"

_DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,32}$")
_CLUSTER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_VOLUMES = re.compile(r"^[A-Za-z0-9{}.:/_ -]+$")  # RUSTFS_VOLUMES: URLs, paths, {a...b} ranges
_DOMAIN = re.compile(r"^[a-z0-9.-]+(:\d{1,5})?$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")
_MOUNT_ROOT = re.compile(r"^/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key/[0-9a-f-]{36}$")


class _Template(string.Template):
    delimiter = "@@"  # the shell and unit files are full of ${...}


def load_releases() -> dict:
    return json.loads((HERE / "releases.json").read_text())


@dataclass(frozen=True)
class NodeTelemetry:
    """What RustFS sends to the node collector (observability.logLevel, observability.tracing.*)."""
    otlp_endpoint: str | None  # observability/telemetry.py OTLP_HTTP_ENDPOINT; None: no collector (local log file)
    log_level: str = RUSTFS_LOG_LEVEL
    trace_sample_ratio: float | None = None
    traces_enabled: bool = True


@dataclass(frozen=True, kw_only=True)
class UserDataParams:
    cluster_id: str
    node_index: int
    node_name: str  # this node's DNS name: the A record takeover.py UPSERTs, a host in `volumes`
    hosted_zone_id: str
    volumes: str  # RUSTFS_VOLUMES, identical on every node
    drives_per_node: int
    rustfs_version: str
    arch: str  # "x86_64" | "aarch64"
    credentials_secret_arn: str
    tls_secret_arn: str | None
    region: str
    server_domains: tuple[str, ...] = ()
    console_enabled: bool = False
    otlp_endpoint: str | None = None  # the node collector's OTLP/HTTP base URL (observability/telemetry.py)
    log_level: str = RUSTFS_LOG_LEVEL  # RUSTFS_OBS_LOGGER_LEVEL
    trace_sample_ratio: float | None = None  # RUSTFS_OBS_SAMPLE_RATIO; None: RustFS's 1.0 (every request)
    traces_enabled: bool = True  # RUSTFS_OBS_TRACES_EXPORT_ENABLED
    mount_root: str = "/data"
    topology_wait_seconds: int = DEFAULT_TOPOLOGY_WAIT  # RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT
    readiness_wait_seconds: int = DEFAULT_READINESS_WAIT  # RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS
    start_timeout_seconds: int | None = None  # rustfs.service TimeoutStartSec; None: above RustFS's bounds
    ready_timeout_seconds: int = READY_TIMEOUT_SECONDS  # node-bootstrap --boot bound (BOOT_READY_TIMEOUT_SECONDS)
    force_detach_dead: bool = False  # takeover may force-detach volumes of a stopped/terminated holder
    download_base: str | None = None  # mirror of the GitHub release downloads (same asset names)
    sse_key_arn: str | None = None  # RustFS's AWS KMS backend and its default key (integrations/sse.py); None: no KMS

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("invalid UserDataParams: " + "; ".join(problems))

    def problems(self) -> list[str]:
        p: list[str] = []

        def need(ok: bool, message: str) -> None:
            if not ok:
                p.append(message)

        need(bool(_CLUSTER_ID.match(self.cluster_id)), f"cluster_id {self.cluster_id!r}: want [a-z0-9-], <= 40")
        need(self.node_index >= 0, f"node_index {self.node_index} must be >= 0")
        need(bool(_DNS_NAME.match(self.node_name)), f"node_name {self.node_name!r} is not a lower-case DNS name")
        need(bool(_ZONE_ID.match(self.hosted_zone_id)), f"hosted_zone_id {self.hosted_zone_id!r} is not a zone id")
        need(1 <= self.drives_per_node <= MAX_DRIVES, f"drives_per_node must be 1..{MAX_DRIVES}")
        need(bool(_MOUNT_ROOT.match(self.mount_root)), f"mount_root {self.mount_root!r} must be an absolute path")
        need(bool(_VOLUMES.match(self.volumes)), "volumes (RUSTFS_VOLUMES) is empty or has characters outside URLs")
        need(
            f"{self.mount_root}/rustfs" in self.volumes,
            f"volumes must use the drive paths {self.mount_root}/rustfs<N> that prepare-disks mounts",
        )
        release = load_releases()["releases"].get(self.rustfs_version, {})
        need(bool(release), f"rustfs_version {self.rustfs_version!r} has no checksums in releases.json")
        need(not release or self.arch in release, f"arch {self.arch!r} not in releases.json for this version")
        need(bool(_SECRET_ARN.match(self.credentials_secret_arn)), "credentials_secret_arn is not a secret ARN")
        need(
            self.tls_secret_arn is None or bool(_SECRET_ARN.match(self.tls_secret_arn)),
            "tls_secret_arn is not a secret ARN",
        )
        need(bool(_REGION.match(self.region)), f"region {self.region!r} is not an AWS region")
        need(all(_DOMAIN.match(d) for d in self.server_domains), f"server_domains {self.server_domains!r}")
        need(self.otlp_endpoint is None or bool(_URL.match(self.otlp_endpoint)), "otlp_endpoint is not a URL")
        need(self.log_level in RUSTFS_LOG_LEVELS, f"log_level {self.log_level!r}: want one of {RUSTFS_LOG_LEVELS}")
        need(self.trace_sample_ratio is None or 0 <= self.trace_sample_ratio <= 1,
             "trace_sample_ratio must be 0..1 (RUSTFS_OBS_SAMPLE_RATIO)")
        need(self.download_base is None or bool(_URL.match(self.download_base)), "download_base is not a URL")
        kms = _KMS_KEY_ARN.match(self.sse_key_arn or "")
        need(self.sse_key_arn is None or bool(kms and kms.group(1) == self.region),
             "sse_key_arn must be the ARN of a KMS key of the node's region (RUSTFS_KMS_DEFAULT_KEY_ID: RustFS's AWS "
             "backend takes a key id or ARN, never creates one)")
        need(1 <= self.topology_wait_seconds and 1 <= self.readiness_wait_seconds,
             "topology_wait_seconds and readiness_wait_seconds must be >= 1 (RustFS reads 0 as its default)")
        need(60 <= self.unit_start_timeout <= 3600, "start_timeout_seconds must be 60..3600")
        need(self.unit_start_timeout > rustfs_start_bound(self.topology_wait_seconds, self.readiness_wait_seconds),
             f"start_timeout_seconds ({self.unit_start_timeout}) must exceed RustFS's own start-up bound "
             f"({rustfs_start_bound(self.topology_wait_seconds, self.readiness_wait_seconds)} s): RustFS, not "
             "systemd, decides when a start has failed")
        # RustFS refuses an empty RUSTFS_VOLUMES argument (clap NonEmptyStringValueParser, value_delimiter ' ').
        need(all(self.volumes.split(" ")), "volumes (RUSTFS_VOLUMES) has an empty argument: a double, leading "
             "or trailing space, which RustFS refuses")
        need(self._node_in_volumes(),
             f"node_name {self.node_name!r} is not a host of volumes (RUSTFS_LOCAL_ENDPOINT_HOST must name one)")
        need(300 <= self.ready_timeout_seconds <= 3600, "ready_timeout_seconds must be 300..3600")
        return p

    def _node_in_volumes(self) -> bool:
        try:
            hosts = {urlsplit(e).hostname for e in expand_volumes(self.volumes)}
        except (EllipsesError, ValueError):
            return True  # malformed volumes are reported by the checks above
        return self.node_name in hosts

    @property
    def unit_start_timeout(self) -> int:
        if self.start_timeout_seconds is not None:
            return self.start_timeout_seconds
        return unit_start_timeout(self.topology_wait_seconds, self.readiness_wait_seconds)

    @property
    def data_paths(self) -> list[str]:
        return [f"{self.mount_root}/rustfs{i}" for i in range(self.drives_per_node)]


def rustfs_environment(params: UserDataParams) -> str:
    """/etc/default/rustfs: the RustFS settings (rustfs/src/config/cli.rs); no credentials."""
    env = {
        "RUSTFS_VOLUMES": params.volumes,
        "RUSTFS_ADDRESS": ":9000",
        "RUSTFS_CONSOLE_ENABLE": "true" if params.console_enabled else "false",
        "RUSTFS_CONSOLE_ADDRESS": ":9001",
        "RUSTFS_REGION": params.region,
        # Only used without the collector (observability.collector.enabled: false, no RUSTFS_OBS_ENDPOINT below):
        # RustFS then logs JSON to a rolling file here, hourly, 30 files kept, nothing on stdout in "production"
        # (crates/obs/src/telemetry/mod.rs init_telemetry rule 2; local.rs init_file_logging_internal;
        # DEFAULT_LOG_ROTATION_TIME / DEFAULT_LOG_KEEP_FILES in crates/config/src/constants/app.rs).
        "RUSTFS_OBS_LOG_DIRECTORY": "/var/log/rustfs",
        # RustFS's default is "error" (crates/config/src/constants/app.rs DEFAULT_LOG_LEVEL): nothing about DNS
        # retries, offline drives or unreachable peers. "warn" (our default, observability.logLevel) logs those;
        # "info" would also build a tracing span for every HTTP request (rustfs/src/server/http.rs
        # make_http_trace_span returns Span::none() below INFO), on the data path: only from "info" on are there
        # request traces for X-Ray at all.
        "RUSTFS_OBS_LOGGER_LEVEL": params.log_level,
        # Start-up (startup.py): this node's drives are the endpoints of its own name, found without DNS
        # (RustFS accepts an explicit local host only in orchestrated mode, whose wait is unbounded unless set).
        "RUSTFS_LOCAL_ENDPOINT_HOST": params.node_name,
        "RUSTFS_STARTUP_TOPOLOGY_WAIT_MODE": "orchestrated",
        "RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT": str(params.topology_wait_seconds),
        "RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS": str(params.readiness_wait_seconds),
    }
    if params.tls_secret_arn:
        env["RUSTFS_TLS_PATH"] = TLS_DIR
        # RustFS reloads the TLS directory every RUSTFS_TLS_RELOAD_INTERVAL (default 30 s), whether or not it
        # changed, and swaps in the certificate and CA set it read (rustfs/src/server/tls_material.rs
        # spawn_reload_loop; off by default, crates/config/src/constants/tls.rs): a renewal written by
        # rustfs-tls-refresh.timer needs no restart (how node-bootstrap write_tls keeps each read consistent).
        env["RUSTFS_TLS_RELOAD_ENABLE"] = "true"
    if params.server_domains:
        env["RUSTFS_SERVER_DOMAINS"] = ",".join(params.server_domains)
    # RustFS's default "simple" trusted proxy takes X-Forwarded-For (then X-Real-IP, Forwarded) from any private
    # peer as the client address, aws:SourceIp included (crates/trusted-proxies/src/simple.rs resolve_client_info;
    # default on: crates/config/src/constants/proxy.rs): any client in the VPC could claim any address in a RustFS
    # policy's aws:SourceIp condition. Nothing in front of the nodes is a proxy that needs it - the NLB preserves the
    # client's address (instance targets, load_balancer.py), the edge's ALB re-encrypts and strips the header - so
    # it is off on every node: aws:SourceIp is the connection's peer (rustfs/src/auth.rs policy_source_ip).
    env["RUSTFS_TRUSTED_PROXY_ENABLED"] = "false"
    if params.otlp_endpoint:
        # Telemetry (crates/config/src/observability/mod.rs, crates/obs/src/config.rs and telemetry/otel.rs at the
        # pinned release): with an endpoint RustFS pushes traces, metrics and logs over OTLP/HTTP to
        # <endpoint>/v1/{traces,metrics,logs} and writes no log file (RUSTFS_OBS_LOG_DIRECTORY is only the fallback
        # when no log exporter is built); stdout stays off in its default "production" environment, which we keep
        # (RUSTFS_OBS_ENVIRONMENT also switches span verbosity). Service name: RustFS's default (telemetry.py).
        env["RUSTFS_OBS_ENDPOINT"] = params.otlp_endpoint
        env["RUSTFS_OBS_METER_INTERVAL"] = str(RUSTFS_METER_INTERVAL_SECONDS)
        env["RUSTFS_OBS_TRACES_EXPORT_ENABLED"] = "true" if params.traces_enabled else "false"
        if params.trace_sample_ratio is not None:
            env["RUSTFS_OBS_SAMPLE_RATIO"] = f"{params.trace_sample_ratio:g}"
    if params.sse_key_arn:
        # SSE with RustFS's AWS KMS backend (rustfs/src/config/cli.rs RUSTFS_KMS_ENABLE / RUSTFS_KMS_BACKEND /
        # RUSTFS_KMS_DEFAULT_KEY_ID, crates/kms/src/config.rs RUSTFS_KMS_AWS_REGION; credentials from the aws-config
        # chain: the instance profile). The key's Region is the stack's, reached through the KMS interface endpoint.
        # The synthetic probe is off: the AWS backend refuses the named key the probe creates (backends/aws.rs), so
        # a round could only end "unsupported" or repeat a denied DescribeKey every minute (crates/kms/src/probe.rs).
        env["RUSTFS_KMS_ENABLE"] = "true"
        env["RUSTFS_KMS_BACKEND"] = "aws"
        env["RUSTFS_KMS_AWS_REGION"] = params.region
        env["RUSTFS_KMS_DEFAULT_KEY_ID"] = params.sse_key_arn
        env["RUSTFS_KMS_PROBE_INTERVAL_SECS"] = "0"
    return "".join(f'{key}="{value}"\n' for key, value in env.items())


def bootstrap_environment(params: UserDataParams) -> str:
    """/etc/rustfs/bootstrap.env, read by rustfs-bootstrap.service (systemd EnvironmentFile)."""
    releases = load_releases()
    asset = releases["releases"][params.rustfs_version][params.arch]
    base = (params.download_base or releases["download_base"]).rstrip("/")
    env = {
        "BOOT_CLUSTER_ID": params.cluster_id,
        "BOOT_NODE_INDEX": str(params.node_index),
        "BOOT_NODE_NAME": params.node_name,
        "BOOT_HOSTED_ZONE_ID": params.hosted_zone_id,
        "BOOT_DRIVES": str(params.drives_per_node),
        "BOOT_REGION": params.region,
        "BOOT_RUSTFS_VERSION": params.rustfs_version,
        "BOOT_ASSET_URL": f"{base}/{params.rustfs_version}/{asset['asset']}",
        "BOOT_ASSET_SHA256": asset["sha256"],
        "BOOT_CREDENTIALS_SECRET_ARN": params.credentials_secret_arn,
        "BOOT_TLS_SECRET_ARN": params.tls_secret_arn or "",
        "BOOT_TLS_DIR": TLS_DIR,
        "BOOT_FORCE_DETACH_DEAD": "1" if params.force_detach_dead else "0",
        "BOOT_READY_TIMEOUT_SECONDS": str(params.ready_timeout_seconds),
        "BOOT_RETRY_INITIAL_SECONDS": str(RETRY_INITIAL_SECONDS),
        "BOOT_RETRY_MAX_SECONDS": str(RETRY_MAX_SECONDS),
        "BOOT_CALL_TIMEOUT_SECONDS": str(CALL_TIMEOUT_SECONDS),
        "BOOT_REPORT_TIMEOUT_SECONDS": str(REPORT_TIMEOUT_SECONDS),
        "BOOT_METRIC_NAMESPACE": NODE_METRIC_NAMESPACE,
        "RUSTFS_MOUNT_ROOT": params.mount_root,
    }
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in env.items())


def render_unit(params: UserDataParams) -> str:
    return _Template((TEMPLATES / "rustfs.service").read_text()).substitute(
        node_name=params.node_name,
        data_paths=" ".join(params.data_paths),
        start_timeout_seconds=f"{params.unit_start_timeout}s",
    )


def render_bootstrap_unit(params: UserDataParams) -> str:
    return _Template((TEMPLATES / "rustfs-bootstrap.service").read_text()).substitute(
        ready_timeout_seconds=params.ready_timeout_seconds,
        unit_timeout_seconds=params.ready_timeout_seconds + BOOT_UNIT_MARGIN_SECONDS,
    )


def render_report_unit() -> str:
    return _Template((TEMPLATES / "rustfs-report-unhealthy.service").read_text()).substitute(
        report_timeout_seconds=REPORT_TIMEOUT_SECONDS,
        unit_timeout_seconds=REPORT_TIMEOUT_SECONDS + BOOT_UNIT_MARGIN_SECONDS,
    )


def embedded_files(params: UserDataParams) -> list[tuple[str, str, str]]:
    """(path, mode, content) of every file the user data writes; scripts without their comment lines
    (comments.py: the 16 KB limit)."""
    return [
        *((f"{LIB_DIR}/{script}", "0755", strip_comments((HERE / script).read_text()))
          for script in ("node-bootstrap", "takeover.py", "map-volumes", "prepare-disks")),
        ("/etc/rustfs/bootstrap.env", "0644", bootstrap_environment(params)),
        ("/etc/default/rustfs", "0644", rustfs_environment(params)),
        ("/etc/systemd/system/rustfs-bootstrap.service", "0644", render_bootstrap_unit(params)),
        ("/etc/systemd/system/rustfs-report-unhealthy.service", "0644", render_report_unit()),
        ("/etc/systemd/system/rustfs.service", "0644", render_unit(params)),
        *((f"/etc/systemd/system/{unit}", "0644", (TEMPLATES / unit).read_text())
          for unit in ("rustfs-tls-refresh.service", "rustfs-tls-refresh.timer")),
    ]


def _write_file_entry(path: str, mode: str, content: str) -> str:
    body = "".join(f"      {line}\n" if line else "\n" for line in content.splitlines())
    return f"  - path: {path}\n    owner: root:root\n    permissions: '{mode}'\n    content: |\n{body}"


def render_user_data(params: UserDataParams) -> str:
    entries = "".join(_write_file_entry(*f) for f in embedded_files(params)).rstrip("\n")
    return _Template((TEMPLATES / "cloud-config.yaml").read_text()).substitute(
        node_name=params.node_name, cluster_id=params.cluster_id, write_files=entries
    )


def user_data_bytes(params: UserDataParams) -> bytes:
    """The user data as EC2 receives it before base64 (what its 16 KB limit counts): the text, gzip-compressed
    when the text alone exceeds the limit. Not checked here: components/cluster/user_data_size.py refuses a layout
    over the limit as a configuration error, before any resource exists."""
    raw = render_user_data(params).encode()
    if len(raw) > EC2_USER_DATA_LIMIT:
        raw = gzip.compress(raw, mtime=0)  # mtime=0: identical input -> identical bytes, no needless replace
    return raw


def render_user_data_base64(params: UserDataParams) -> str:
    """Base64 user data for EC2 (the launch template API takes base64; the limit applies before it)."""
    raw = user_data_bytes(params)
    if len(raw) > EC2_USER_DATA_LIMIT:
        raise ValueError(f"user data is {len(raw)} bytes even gzip-compressed (limit {EC2_USER_DATA_LIMIT})")
    return base64.b64encode(raw).decode()
