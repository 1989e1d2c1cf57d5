"""The typed, validated stack configuration: the one model every component reads.

Keys live in the ``rustfs-aws:`` namespace; their names are public interface (README, users' stack files).
``parse`` is pure and collects every problem before raising one ``ConfigError``; ``load`` reads the Pulumi
config and calls it before any resource is declared.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from rustfs_aws.cluster.bootstrap.render import (
    DEFAULT_READINESS_WAIT,
    MAX_DRIVES,
    RUSTFS_LOG_LEVEL,
    RUSTFS_LOG_LEVELS,
    load_releases,
)
from rustfs_aws.cluster.bootstrap.startup import DEFAULT_TOPOLOGY_WAIT, READINESS_WAIT_RANGE, TOPOLOGY_WAIT_RANGE
from rustfs_aws.cluster.dns import endpoint_name
from rustfs_aws.cluster.user_data_size import user_data_problem
from rustfs_aws.dr.settings import DrConfig, parse_dr
from rustfs_aws.edge.settings import EdgeConfig, parse_edge
from rustfs_aws.edge.settings import check_against_state as check_edge_against_state
from rustfs_aws.eks.constants import IMAGE_DIGEST_PATTERN
from rustfs_aws.hybrid.settings import HybridConfig, parse_hybrid
from rustfs_aws.images.settings import ImagesConfig, parse_images
from rustfs_aws.integrations.settings import IntegrationsConfig, check_against_state, parse_integrations
from rustfs_aws.migration.settings import MigrationConfig, check_against_stack, parse_migration
from rustfs_aws.network.subnets import MAX_AZS, plan_subnets
from rustfs_aws.network.zones import ZONE_ID, zone_id_prefix
from rustfs_aws.observability.telemetry import COLLECTOR_PACKAGE_DEFAULT as DEFAULT_COLLECTOR_PACKAGE
from rustfs_aws.observability.telemetry import COLLECTOR_PACKAGE_VERSION, COLLECTOR_RELEASE_VERSION
from rustfs_aws.observability.telemetry import COLLECTOR_RELEASE_DEFAULT as DEFAULT_COLLECTOR_RELEASE
from rustfs_aws.operations.settings import OperationsConfig, parse_operations
from rustfs_aws.state.settings import StateConfig, parse_state_config
from rustfs_aws.validation import _MISSING, NAMESPACE, ConfigError, Problems
from rustfs_model import catalogue, layout, zone_spread
from rustfs_model.cost import CONFIG_USAGE_DEFAULTS

__all__ = ["ConfigError", "StackConfig", "load", "parse", "REQUIRED_TAG_KEYS"]

ENVIRONMENTS = ["dev", "staging", "prod"]
REQUIRED_TAG_KEYS = ("Project", "Environment", "Owner", "CostCenter")
_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-zA-Z-]+|alias/[\w/+=,.@-]+)$")
_ACCOUNT = re.compile(r"^\d{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$")
_DOMAIN = re.compile(r"^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_STACK = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
# AWS tag limits (AWS General Reference, "Tagging your AWS resources", tag naming limits).
_TAG_CHARS = re.compile(r"^[\w\s+\-=.:/@]*$")

# EBS limits, AWS EBS User Guide "Amazon EBS volume types" (docs.aws.amazon.com/ebs/latest/userguide/
# general-purpose.html and provisioned-iops.html), as of 2024: gp3 3,000-16,000 IOPS, 500 IOPS/GiB,
# 125-1,000 MiB/s, 0.25 MiB/s per IOPS, 1 GiB-16 TiB; io2 Block Express 100-256,000 IOPS, 1,000 IOPS/GiB,
# 4 GiB-64 TiB, throughput derived from IOPS (not settable). AWS announced larger gp3 limits in 2025
# (80,000 IOPS / 2,000 MiB/s / 64 TiB); we keep the long-standing ones until every region and the
# provider accept the new ones.
GP3 = {"iops": (3_000, 16_000), "iops_per_gib": 500, "throughput": (125, 1_000), "size": (1, 16_384)}
IO2 = {"iops": (100, 256_000), "iops_per_gib": 1_000, "size": (4, 65_536)}


@dataclass(frozen=True)
class NetworkConfig:
    cidr: str
    az_count: int
    nat_gateways: str  # single | perAz | none
    admin_cidrs: list[str]
    flow_log_retention_days: int
    az_ids: list[str] = field(default_factory=list)  # pinned AZ IDs, in order; empty: the default (zones.py)


@dataclass(frozen=True)
class VolumeConfig:
    type: str  # gp3 | io2
    size_gib: int
    iops: int
    throughput_mibps: int | None  # gp3 only


@dataclass(frozen=True)
class StartupConfig:
    """RustFS's own start-up bounds (components/cluster/bootstrap/startup.py explains the defaults)."""
    topology_wait_seconds: int = DEFAULT_TOPOLOGY_WAIT  # RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT
    readiness_wait_seconds: int = DEFAULT_READINESS_WAIT  # RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS


@dataclass(frozen=True)
class ClusterConfig:
    platform: str  # ec2 | eks
    nodes: int
    drives_per_node: int
    instance_type: str
    rustfs_version: str
    volume: VolumeConfig
    allow_unknown_instance_type: bool
    allow_az_loss_unsafe: bool
    client_cidrs: list[str]  # empty: the VPC CIDR
    console: bool
    placement: str  # partition | spread | none
    internet_facing: bool
    domain: str  # private hosted zone of node names and the S3 endpoint
    ami_id: str | None = None  # e.g. an EC2 Image Builder output; None: the latest Amazon Linux 2023
    startup: StartupConfig = field(default_factory=StartupConfig)


# EKS minor versions and their end of standard support (EKS User Guide, "Understand the Kubernetes version
# lifecycle on EKS": 14 months of standard support at $0.10 per cluster-hour, then 12 months of extended
# support at $0.60; release calendar, docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
# As of December 2026 1.35 (released on EKS 2026-01-28) is in standard support until 2027-03-27; 1.34's
# standard support ends 2026-12-02, so it is not offered for new stacks.
EKS_VERSIONS = {"1.35": "2027-03-27"}
DEFAULT_EKS_VERSION = "1.35"
# Kubernetes namespace names are DNS-1123 labels (Kubernetes docs, "Namespaces").
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_IMAGE_DIGEST = re.compile(IMAGE_DIGEST_PATTERN)


@dataclass(frozen=True)
class EksRustfsConfig:
    """Requests = limits (Guaranteed QoS: the kubelet evicts these pods last under node pressure)."""
    memory_gib: float
    cpu: float
    image_digest: str | None = None  # sha256:<64 hex>: the image is rustfs/rustfs:<version>@<digest>


@dataclass(frozen=True)
class LatticeConfig:
    """``eks.lattice``: the S3 endpoint shared through Amazon VPC Lattice (components/eks/lattice.py)."""
    service_network_id: str | None  # an existing service network (id or ARN) ...
    create_service_network: bool  # ... or one the stack creates (exactly one of the two)
    allowed_principals: list[str]  # account IDs the created service network is shared with (RAM)
    domain_name: str  # the name consumers use (custom domain name; in the pods' certificate)


@dataclass(frozen=True)
class EksConfig:
    kubernetes_version: str
    endpoint_public_cidrs: list[str]  # empty: the API endpoint is private only
    namespace: str
    client_namespaces: list[str]  # namespaces whose pods may reach RustFS's S3 port 9000
    rustfs: EksRustfsConfig
    lattice: LatticeConfig | None = None  # None: the S3 endpoint is not shared through VPC Lattice
    load_balancer_controller: str = "install"  # install (the pinned chart) | existing (installed by you)


@dataclass(frozen=True)
class TlsConfig:
    mode: str  # private-ca | acm
    certificate_arn: str | None


@dataclass(frozen=True)
class SecurityConfig:
    ebs_encryption_by_default: bool
    key_admin_role_arn: str | None
    operator_principals: list[str]
    operator_session_seconds: int
    cross_account_id: str | None
    cross_account_external_id: str | None
    root_credentials_version: int = 1  # bump to generate new RustFS root credentials
    # With ebs_encryption_by_default: the account's default EBS key. None leaves AWS's aws/ebs: a key of this
    # stack would make every other launch in the account depend on its grants and on its lifetime.
    ebs_default_kms_key_arn: str | None = None


@dataclass(frozen=True)
class AccountConfig:
    # The one stack per account and Region that declares the account's singletons there: the AWS Config
    # recorder, delivery channel and rules, the Config service-linked role, EBS encryption by default and
    # its key. Every other stack in that account and Region uses `existing` (components/security/audit.py).
    owns_account_resources: bool = False


@dataclass(frozen=True)
class AuditConfig:
    cloud_trail: str  # create | existing
    config: str  # create (only the account owner) | existing
    log_retention_days: int
    transition_ia_days: int
    transition_glacier_days: int
    expiration_days: int
    # AWSServiceRoleForConfig, one per account: auto (use it when the account has it, else create it) | create |
    # existing; resolved against the account before any resource (security/audit.py resolve_config_service_role)
    config_service_linked_role: str = "auto"


@dataclass(frozen=True)
class BackupConfig:
    snapshot_interval_hours: int
    snapshot_retain_count: int
    copy_region: str | None


@dataclass(frozen=True)
class UsageConfig:
    write_mbps: float
    read_mbps: float
    stored_tib: float
    growth_tib_per_month: float


@dataclass(frozen=True)
class BudgetConfig:
    monthly_usd: float
    emails: list[str]


@dataclass(frozen=True)
class AlarmThresholds:
    """``observability.alarms.*``: what the cluster alarms page at (README, Day 2: "What each alarm means")."""
    disk_used_percent: float = 80.0  # one RustFS drive's filesystem used
    capacity_used_percent: float = 70.0  # RustFS's used / usable capacity: time to add a pool
    drives_offline: int = 1  # drives RustFS sees offline, cluster-wide
    error_rate_percent: float = 1.0  # 5xx responses per request on the S3 port
    latency_seconds: float = 2.0  # mean time to the response of an S3 request
    certificate_days: int = 30  # days left on the soonest-expiring node certificate


@dataclass(frozen=True)
class TracingConfig:
    """``observability.tracing.*``: the X-Ray sampling rule and group of the RustFS service (tracing.py)."""
    enabled: bool = True
    sample_rate: float = 0.01  # share of requests traced (RustFS's own default traces every one)
    reservoir_per_second: int = 1  # traces per second taken before the rate applies


@dataclass(frozen=True)
class CollectorConfig:
    """``observability.collector.*``: the node collector (observability/collector.py)."""
    enabled: bool = True
    package_version: str = DEFAULT_COLLECTOR_PACKAGE  # amazon-cloudwatch-agent version-release in AL2023's repository
    release_version: str = DEFAULT_COLLECTOR_RELEASE  # the AL2023 repository release that carries it


@dataclass(frozen=True)
class ObservabilityConfig:
    alarm_emails: list[str]  # subscribed to the ops-alerts topic of the cluster alarms
    alarms: AlarmThresholds = field(default_factory=AlarmThresholds)
    dashboard: bool = True  # the CloudWatch dashboard (dashboard.py)
    tracing: TracingConfig = field(default_factory=TracingConfig)
    log_level: str = RUSTFS_LOG_LEVEL  # RUSTFS_OBS_LOGGER_LEVEL (bootstrap/render.py explains warn)
    log_retention_days: int | None = None  # the nodes' log groups; None: audit.logRetentionDays
    collector: CollectorConfig = field(default_factory=lambda: CollectorConfig())


@dataclass(frozen=True)
class QuotasConfig:
    check: bool = True  # read the account's applied service quotas and fail the preview below the stack's need


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    region: str
    environment: str
    tags: dict[str, str]  # required keys merged with the user's extra tags
    network: NetworkConfig
    cluster: ClusterConfig
    tls: TlsConfig
    security: SecurityConfig
    audit: AuditConfig
    backup: BackupConfig
    usage: UsageConfig
    budget: BudgetConfig
    secret_keys: list[str] = field(default_factory=list)
    observability: ObservabilityConfig = field(default_factory=lambda: ObservabilityConfig([]))
    quotas: QuotasConfig = field(default_factory=QuotasConfig)
    account: AccountConfig = field(default_factory=AccountConfig)
    operations: OperationsConfig = field(default_factory=OperationsConfig)  # patching, Session Manager
    images: ImagesConfig = field(default_factory=ImagesConfig)  # the optimized node AMI (images/settings.py)
    # tiering, replication, encryption (integrations/settings.py): the S3 tier, its replica, SSE with AWS KMS
    integrations: IntegrationsConfig = field(default_factory=IntegrationsConfig)
    migration: MigrationConfig | None = None  # DataSync copies into RustFS (migration/settings.py); None: none
    hybrid: HybridConfig | None = None  # on-premises networks, VPN, Direct Connect (hybrid/settings.py); None: none
    # buckets, policies and service accounts inside RustFS (state/settings.py, the ``rustfs`` section)
    rustfs: StateConfig = field(default_factory=StateConfig)
    eks: EksConfig | None = None  # only with cluster.platform: eks
    edge: EdgeConfig | None = None  # chosen RustFS buckets through CloudFront (edge/settings.py); None: no edge
    dr: DrConfig | None = None  # the DR secondary of another stack (dr/settings.py); None: a standalone stack

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def name(self) -> str:
        """Prefix for physical names: short, unique per project and stack."""
        return f"rustfs-{self.stack}"


TOP_LEVEL = {"account", "environment", "tags", "network", "cluster", "tls", "security", "audit", "backup",
             "usage", "budget", "observability", "quotas", "eks", "operations", "images", "migration", "hybrid",
             "rustfs", "edge", "dr",
             "tiering", "replication", "encryption"}


def parse(raw: dict, *, stack: str, region: str, project: str = NAMESPACE,
          secret_keys: list[str] | None = None) -> StackConfig:
    """Validate raw config values (keys without namespace; objects as dicts or JSON strings)."""
    p = Problems()
    p.unknown_keys(raw, "", TOP_LEVEL)
    if not _STACK.match(stack):
        # The stack name prefixes physical names: S3 buckets (lowercase, <= 63 with account id and region),
        # IAM roles, load balancers (<= 32 characters).
        p.items.append(f"stack name: got {stack!r}; expected 1-20 lowercase letters, digits and hyphens, "
                       "starting with a letter (it prefixes bucket, role and load balancer names)")
    if not isinstance(region, str) or not _REGION.match(region):
        p.items.append(f"aws:region: got {region!r}; expected an AWS region such as us-east-1")
    env = p.enum(raw, "environment", "environment", ENVIRONMENTS)
    prod = env == "prod"
    tags = _tags(p, raw, env, project)
    network = _network(p, raw, prod, region)
    cluster = _cluster(p, raw, prod, stack)
    _erasure_layout(p, cluster, network, prod)
    eks = _eks(p, raw, cluster)
    if not p.items and cluster.platform == "ec2":  # the largest node's user data against EC2's 16 KB limit
        p.items.extend(filter(None, [user_data_problem(cluster, stack=stack, region=region)]))
    tls = _tls(p, raw)
    account = _account(p, raw)
    security = _security(p, raw)
    if cluster.platform == "eks" and security.key_admin_role_arn:
        # With a key-admin role the account may use each key only through its one service (key_policies.py);
        # EKS encrypts Kubernetes Secrets with the secrets key through eks.<region>.amazonaws.com, not
        # Secrets Manager, so the cluster could not be created.
        p.add("security.keyAdminRoleArn", security.key_admin_role_arn, "not yet supported with cluster.platform: "
              "eks (the key policies admit no EKS secrets encryption); leave it unset, so the account administers "
              "the keys through IAM, or use cluster.platform: ec2")
    if security.ebs_encryption_by_default and not account.owns_account_resources:
        p.add("security.ebsEncryptionByDefault", True, "EBS encryption by default and its default key are one "
              "setting per account and Region, so only the stack that owns the account's resources sets them: "
              "set account.ownsAccountResources: true in that one stack, or leave this false (the default)")
    ebs_key = security.ebs_default_kms_key_arn
    if ebs_key and _KMS_KEY_ARN.match(ebs_key) and ebs_key.split(":")[3] != region:
        # ModifyEbsDefaultKmsKeyId sets the key of one Region; EBS cannot use a key of another (EC2 API Reference).
        p.add("security.ebsDefaultKmsKeyArn", ebs_key, f"the default EBS key must be a key of this stack's Region "
              f"({region})")
    audit = _audit(p, raw, prod, account.owns_account_resources)
    backup = _backup(p, raw, prod, region)
    usage = _usage(p, raw)
    budget = _budget(p, raw, prod)
    observability = _observability(p, raw)
    quotas = _quotas(p, raw)
    operations = parse_operations(p, raw, prod=prod, owns_account=account.owns_account_resources)
    images = parse_images(p, raw, platform=cluster.platform, ami_id=cluster.ami_id)
    rustfs = parse_state_config(p, raw, platform=cluster.platform)
    integrations = parse_integrations(p, raw, region=region, platform=cluster.platform, nodes=cluster.nodes)
    check_against_state(p, integrations, rustfs.buckets)
    hybrid = parse_hybrid(p, raw, vpc_cidr=network.cidr, region=region, platform=cluster.platform)
    migration = parse_migration(p, raw, secret=f"{NAMESPACE}:migration" in (secret_keys or []),
                                admin_cidrs=network.admin_cidrs)
    check_against_stack(p, migration, platform=cluster.platform, client_cidrs=cluster.client_cidrs,
                        agent_subnet_cidr=_first_private_subnet(network), state=rustfs)
    edge = parse_edge(p, raw, region=region, platform=cluster.platform, console=cluster.console,
                      endpoint=endpoint_name(cluster.domain), vpc_cidr=network.cidr, az_count=network.az_count,
                      az_ids=network.az_ids)
    check_edge_against_state(p, edge, rustfs, vpc_cidr=network.cidr, az_count=network.az_count)
    dr = parse_dr(p, raw, project=project, stack=stack, platform=cluster.platform, rustfs_declared=rustfs.declared)
    p.raise_if_any()
    return StackConfig(project=project, stack=stack, region=region, environment=env, tags=tags,
                       network=network, cluster=cluster, tls=tls, security=security, audit=audit,
                       backup=backup, usage=usage, budget=budget, secret_keys=sorted(secret_keys or []),
                       observability=observability, quotas=quotas, account=account, eks=eks,
                       operations=operations, images=images, migration=migration, hybrid=hybrid, rustfs=rustfs,
                       integrations=integrations, edge=edge, dr=dr)


def _first_private_subnet(network: NetworkConfig) -> str | None:
    """The CIDR of the first private subnet (the DataSync agent's), or None when the network is invalid."""
    try:
        return plan_subnets(network.cidr, min(network.az_count, MAX_AZS), public=True).private[0]
    except (ValueError, IndexError):
        return None


def _account(p: Problems, raw: dict) -> AccountConfig:
    a = p.section(raw, "account", "account", {"ownsAccountResources"})
    return AccountConfig(p.boolean(a, "ownsAccountResources", "account.ownsAccountResources", False))


def _tags(p: Problems, raw: dict, env: str, project: str) -> dict[str, str]:
    extra = raw.get("tags", {})
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except json.JSONDecodeError:
            extra = None
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        p.add("tags", extra, "expected a map of tag key to string value")
        extra = {}
    tags = {"Project": extra.get("Project", project), "Environment": env}
    for key in ("Owner", "CostCenter"):
        if not extra.get(key):
            p.add(f"tags.{key}", extra.get(key, _MISSING), "required tag: set a non-empty string "
                  "(every taggable resource carries Project, Environment, Owner and CostCenter)")
    if "Environment" in extra and extra["Environment"] != env:
        p.add("tags.Environment", extra["Environment"],
              f"Environment comes from rustfs-aws:environment ({env!r}); remove it or make it equal")
    for key, value in extra.items():
        if key.lower().startswith("aws:") or not 1 <= len(key) <= 128 or not _TAG_CHARS.match(key):
            p.add(f"tags.{key}", key, "tag keys are 1-128 characters of letters, digits, spaces and "
                  "+ - = . _ : / @, and may not start with aws:")
        elif len(value) > 256 or not _TAG_CHARS.match(value):
            p.add(f"tags.{key}", value, "tag values are up to 256 characters of letters, digits, spaces "
                  "and + - = . _ : / @")
    tags.update({k: v for k, v in extra.items() if k != "Environment"})
    # AWS allows 50 user tags; keep room for the per-resource ones: a data volume carries Name, rustfs:stack,
    # rustfs:cluster, rustfs:node, rustfs:node-name and rustfs:drive, an instance PatchGroup instead of the last.
    if len(tags) > 44:
        p.add("tags", f"{len(tags)} tags", "at most 44 tags (AWS allows 50 per resource; we add up to 6)")
    return tags


def _network(p: Problems, raw: dict, prod: bool, region: str) -> NetworkConfig:
    known = {"cidr", "azCount", "azIds", "natGateways", "adminCidrs", "flowLogRetentionDays"}
    net = p.section(raw, "network", "network", known)
    cidr = p.cidr(net.get("cidr", "10.40.0.0/16"), "network.cidr", 16, 24) or "10.40.0.0/16"
    az_ids = _az_ids(p, net, region, prod)
    if az_ids:  # the list defines the AZ count; a differing azCount is a contradiction, not an override
        az_count = min(len(az_ids), MAX_AZS)
        if "azCount" in net and net["azCount"] != len(az_ids):
            p.add("network.azCount", net["azCount"], f"network.azIds lists {len(az_ids)} zones and defines the AZ "
                  f"count; remove azCount or set it to {len(az_ids)}")
    else:
        az_count = p.integer(net, "azCount", "network.azCount", 3 if prod else 2, 2, 6)
        if prod and az_count < 3:
            p.add("network.azCount", az_count, "prod needs at least 3 AZs (2–6 allowed, prod ≥ 3)")
    if net.get("natGateways") == "none":
        # The Network component can go without NAT, a cluster cannot: at every take-over a node updates its
        # Route 53 record, and the Route 53 API has no PrivateLink endpoint (VPC PrivateLink guide, "AWS services
        # that integrate with AWS PrivateLink"); a stock AL2023 node also downloads the pinned RustFS release
        # from GitHub (tests/test_endpoint_policies.py routes every call a node makes).
        p.add("network.natGateways", "none", "the nodes update their Route 53 records, an API no VPC endpoint "
              "carries, and stock nodes download RustFS from GitHub; use single | perAz")
        net = {k: v for k, v in net.items() if k != "natGateways"}
    nat = p.enum(net, "natGateways", "network.natGateways", ["single", "perAz"], "perAz" if prod else "single")
    admin = p.cidr_list(net, "adminCidrs", "network.adminCidrs", [])
    for i, c in enumerate(admin):
        if c in ("0.0.0.0/0",):
            p.add(f"network.adminCidrs[{i}]", c, "the console and operations ports are never open to the "
                  "internet; list your office or VPN CIDRs")
    retention = p.enum(net, "flowLogRetentionDays", "network.flowLogRetentionDays", _RETENTION_DAYS,
                       365 if prod else 30)
    try:  # every stack has NAT, so public subnets
        plan_subnets(cidr, min(az_count, MAX_AZS), public=True)
    except ValueError as exc:
        p.add("network.cidr", cidr, str(exc))
    return NetworkConfig(cidr, az_count, nat, admin, retention, az_ids)


def _az_ids(p: Problems, net: dict, region: str, prod: bool) -> list[str]:
    """``network.azIds``: distinct AZ IDs of the stack's region; their number is the AZ count (zones.py)."""
    if "azIds" not in net:
        return []
    prefix = zone_id_prefix(region) if isinstance(region, str) else None
    example = f"{prefix or 'use1'}-az1"
    ids = p.string_list(net, "azIds", "network.azIds", [], what=f"AZ IDs such as {example}")
    for i, zone_id in enumerate(ids):
        match = ZONE_ID.match(zone_id)
        if not match:
            p.add(f"network.azIds[{i}]", zone_id, f"expected an AZ ID such as {example} (an ID, not a zone name "
                  "like us-east-1a: names differ per account; see README, AZ IDs)")
        elif prefix and match.group(1) != prefix:
            p.add(f"network.azIds[{i}]", zone_id, f"not a zone of aws:region {region}; its AZ IDs are "
                  f"{prefix}-az<n>")
    repeated = sorted({z for z in ids if ids.count(z) > 1})
    if repeated:
        p.add("network.azIds", ids, f"lists {', '.join(repeated)} more than once; each AZ once")
    if isinstance(net.get("azIds"), list) and not 2 <= len(ids) <= MAX_AZS:
        p.add("network.azIds", ids, f"list 2–{MAX_AZS} AZ IDs (it defines the AZ count)")
    elif prod and len(ids) < 3:
        p.add("network.azIds", ids, "prod needs at least 3 AZs (2–6 allowed, prod ≥ 3)")
    return ids


# AWS Budgets: at most 10 e-mail subscribers per notification (AWS Billing User Guide, Budgets quotas).
MAX_BUDGET_EMAILS = 10
# Our limit, not an SNS one: every address confirms its own subscription; teams subscribe a list or a pager.
MAX_ALARM_EMAILS = 10
# EC2 spread placement groups: at most 7 running instances per AZ (EC2 User Guide, placement groups).
MAX_SPREAD_PER_AZ = 7

# CloudWatch Logs accepted retention values (CloudWatch Logs API reference, PutRetentionPolicy).
_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                   2922, 3288, 3653]


def _volume(p: Problems, cluster: dict, prod: bool) -> VolumeConfig:
    vol = p.section(cluster, "volume", "cluster.volume", {"type", "sizeGiB", "iops", "throughputMiBps"})
    vtype = p.enum(vol, "type", "cluster.volume.type", ["gp3", "io2"], "gp3")
    limits = GP3 if vtype == "gp3" else IO2
    size = p.integer(vol, "sizeGiB", "cluster.volume.sizeGiB", 1024 if prod else 100, *limits["size"],
                     f" GiB for {vtype}")
    iops = p.integer(vol, "iops", "cluster.volume.iops", 3_000, *limits["iops"], f" for {vtype}")
    if iops > limits["iops_per_gib"] * size:
        p.add("cluster.volume.iops", iops, f"{vtype} allows at most {limits['iops_per_gib']} IOPS per GiB: "
              f"≤ {limits['iops_per_gib'] * size:,} for {size:,} GiB")
    throughput: int | None = None
    if vtype == "gp3":
        throughput = p.integer(vol, "throughputMiBps", "cluster.volume.throughputMiBps", 125,
                               *GP3["throughput"], " MiB/s for gp3")
        if throughput * 4 > iops:
            p.add("cluster.volume.throughputMiBps", throughput,
                  f"gp3 allows at most 0.25 MiB/s per provisioned IOPS: ≤ {iops // 4} MiB/s at {iops:,} IOPS")
    elif "throughputMiBps" in vol:
        p.add("cluster.volume.throughputMiBps", vol["throughputMiBps"],
              "not accepted for io2 (its throughput follows from IOPS); remove it")
    return VolumeConfig(vtype, size, iops, throughput)


def _cluster(p: Problems, raw: dict, prod: bool, stack: str) -> ClusterConfig:
    known = {"platform", "nodes", "drivesPerNode", "instanceType", "rustfsVersion", "volume",
             "allowUnknownInstanceType", "allowAzLossUnsafe", "clientCidrs", "console", "placement", "startup",
             "internetFacing", "domain", "amiId"}
    c = p.section(raw, "cluster", "cluster", known)
    platform = p.enum(c, "platform", "cluster.platform", ["ec2", "eks"], "ec2")
    nodes = p.integer(c, "nodes", "cluster.nodes", 6 if prod else 4, 1, 64)
    # At most MAX_DRIVES: the take-over step attaches data volumes at /dev/sd[f-z] (bootstrap/takeover.py).
    drives = p.integer(c, "drivesPerNode", "cluster.drivesPerNode", 8 if prod else 2, 1, MAX_DRIVES)
    if nodes * drives < 4:
        p.add("cluster.drivesPerNode", drives, f"nodes × drivesPerNode must be ≥ 4 (RustFS erasure coding "
              f"needs 4 drives); {nodes} × {drives} = {nodes * drives}")
    if prod and nodes < 4:
        p.add("cluster.nodes", nodes, "prod needs at least 4 nodes (RustFS production guidance)")
    allow_unknown = p.boolean(c, "allowUnknownInstanceType", "cluster.allowUnknownInstanceType", False)
    itype = p.string(c, "instanceType", "cluster.instanceType", "c6in.4xlarge" if prod else "m6i.large")
    if itype and catalogue.instance_type(itype) is None and not allow_unknown:
        p.add("cluster.instanceType", itype, "not in our instance catalogue; known families: "
              f"{', '.join(catalogue.families())} (set cluster.allowUnknownInstanceType: true to opt out)")
    version = p.string(c, "rustfsVersion", "cluster.rustfsVersion", "1.0.1",
                       " version such as 1.0.1", check=lambda v: bool(_VERSION.match(v)))
    pinned = load_releases()["releases"]
    if _VERSION.match(version or "") and version not in pinned:
        p.add("cluster.rustfsVersion", version, f"no pinned SHA-256 for this release; pinned versions: "
              f"{', '.join(pinned)} (add the release's checksums to components/cluster/bootstrap/releases.json)")
    volume = _volume(p, c, prod)
    clients = p.cidr_list(c, "clientCidrs", "cluster.clientCidrs", [])
    if "0.0.0.0/0" in clients and not c.get("internetFacing"):
        p.add("cluster.clientCidrs", clients, "0.0.0.0/0 is only allowed with cluster.internetFacing: true")
    placement = p.enum(c, "placement", "cluster.placement", ["partition", "spread", "none"], "partition")
    domain = p.string(c, "domain", "cluster.domain", f"{stack}.rustfs.internal",
                      " DNS domain such as prod.rustfs.internal", check=lambda v: bool(_DOMAIN.match(v)))
    return ClusterConfig(
        platform=platform, nodes=nodes, drives_per_node=drives, instance_type=itype,
        rustfs_version=version, volume=volume, allow_unknown_instance_type=allow_unknown,
        allow_az_loss_unsafe=p.boolean(c, "allowAzLossUnsafe", "cluster.allowAzLossUnsafe", False),
        client_cidrs=clients, console=p.boolean(c, "console", "cluster.console", not prod),
        placement=placement, internet_facing=p.boolean(c, "internetFacing", "cluster.internetFacing", False),
        domain=domain,
        ami_id=p.string(c, "amiId", "cluster.amiId", None, " AMI id such as ami-0123456789abcdef0",
                        check=lambda v: bool(re.match(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$", v))),
        startup=_startup(p, c))


def _eks(p: Problems, raw: dict, cluster: ClusterConfig) -> EksConfig | None:
    """``eks``: the EKS platform's settings; refused unless ``cluster.platform`` is ``eks``."""
    if cluster.platform != "eks":
        if "eks" in raw:
            p.add("eks", "(section present)", f"only read with cluster.platform: eks (this stack has "
                  f"{cluster.platform!r}); remove the section or set cluster.platform: eks")
        return None
    e = p.section(raw, "eks", "eks", {"kubernetesVersion", "endpointPublicCidrs", "namespace",
                                      "clientNamespaces", "rustfs", "lattice", "loadBalancerController"})
    version = p.enum(e, "kubernetesVersion", "eks.kubernetesVersion", list(EKS_VERSIONS), DEFAULT_EKS_VERSION)
    public = p.cidr_list(e, "endpointPublicCidrs", "eks.endpointPublicCidrs", [])
    if "0.0.0.0/0" in public:
        p.add("eks.endpointPublicCidrs", public, "a Kubernetes API open to the whole internet is refused; list "
              "the operators' CIDRs, or leave the list empty for a private endpoint (reached from the VPC)")
    is_namespace = lambda v: bool(_NAMESPACE.match(v))  # noqa: E731
    namespace = p.string(e, "namespace", "eks.namespace", "rustfs", " Kubernetes namespace name (DNS-1123 "
                         "label: lowercase letters, digits and '-', at most 63)", check=is_namespace)
    clients = p.string_list(e, "clientNamespaces", "eks.clientNamespaces", [], check=is_namespace,
                            what="Kubernetes namespace names (DNS-1123 labels)")
    r = p.section(e, "rustfs", "eks.rustfs", {"memoryGiB", "cpu", "imageDigest"})
    itype = catalogue.instance_type(cluster.instance_type)
    # What the pod may ask for: the node's memory less the kubelet's and the system's reservation (EKS AMIs
    # reserve 255 MiB + 11 MiB per pod for kube-reserved plus an eviction threshold; a quarter of the node
    # leaves room for the DaemonSets: CNI, kube-proxy, EBS CSI node, Pod Identity agent).
    max_memory = round(itype.memory_gib * 0.75, 1) if itype else 1024.0
    max_cpu = (itype.vcpu - 0.5) if itype else 192.0
    # Default: half the node's memory, at least 4 GiB, within the bound above: RustFS is the node's one
    # workload (the taint keeps others off) and the rest stays for the kernel's page cache over the drives.
    default_memory = max(4.0, round(itype.memory_gib / 2, 1)) if itype else 8.0
    memory = p.number(r, "memoryGiB", "eks.rustfs.memoryGiB", min(default_memory, max_memory), 1, max_memory)
    cpu = p.number(r, "cpu", "eks.rustfs.cpu", max(1.0, min(float(itype.vcpu // 2), max_cpu)) if itype else 2.0,
                   0.5, max(max_cpu, 0.5))
    # Not resolved here (no registry access at plan time): the operator reads it from the registry (README).
    digest = p.string(r, "imageDigest", "eks.rustfs.imageDigest", None, f" 'sha256:' and 64 lowercase hex digits, "
                      f"the digest of rustfs/rustfs:{cluster.rustfs_version} (docker buildx imagetools inspect "
                      f"rustfs/rustfs:{cluster.rustfs_version}, or crane digest)", check=lambda v: bool(
                          _IMAGE_DIGEST.match(v)))
    return EksConfig(kubernetes_version=version, endpoint_public_cidrs=public, namespace=namespace,
                     client_namespaces=clients,
                     rustfs=EksRustfsConfig(memory_gib=memory, cpu=cpu, image_digest=digest),
                     lattice=_lattice(p, e, cluster),
                     # install by default: the cluster is the stack's own and new, so nothing else put one there.
                     load_balancer_controller=p.enum(e, "loadBalancerController", "eks.loadBalancerController",
                                                     ["install", "existing"], "install"))


# A service network by id (sn- and 17 hex) or ARN (VPC Lattice API Reference, ServiceNetworkSummary).
_SERVICE_NETWORK = re.compile(r"^(sn-[0-9a-f]{17}|arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:\d{12}:servicenetwork/"
                              r"sn-[0-9a-f]{17})$")


def _lattice(p: Problems, eks: dict, cluster: ClusterConfig) -> LatticeConfig | None:
    """``eks.lattice``: absent, no VPC Lattice. Exactly one of serviceNetworkId and createServiceNetwork."""
    if "lattice" not in eks:
        return None
    section = p.section(eks, "lattice", "eks.lattice", {"serviceNetworkId", "createServiceNetwork",
                                                        "allowedPrincipals", "domainName"})
    existing = p.string(section, "serviceNetworkId", "eks.lattice.serviceNetworkId", None,
                        " service network id (sn- and 17 hex digits) or ARN",
                        check=lambda v: bool(_SERVICE_NETWORK.match(v)))
    create = p.boolean(section, "createServiceNetwork", "eks.lattice.createServiceNetwork", False)
    if bool(existing) == create:
        p.add("eks.lattice", section, "set exactly one of serviceNetworkId (an existing service network) and "
              "createServiceNetwork: true (one of the stack's)")
    principals = p.string_list(section, "allowedPrincipals", "eks.lattice.allowedPrincipals", [],
                               check=lambda v: bool(_ACCOUNT.match(v)), what="12-digit AWS account IDs")
    if principals and not create:
        p.add("eks.lattice.allowedPrincipals", principals, "only with createServiceNetwork: true (the stack shares "
              "its own service network through RAM); an existing service network is shared by its owner")
    domain = p.string(section, "domainName", "eks.lattice.domainName", f"s3.{cluster.domain}",
                      " DNS name such as s3.prod.example.internal", check=lambda v: bool(_DOMAIN.match(v)))
    return LatticeConfig(service_network_id=existing, create_service_network=create,
                         allowed_principals=principals, domain_name=domain)


def _startup(p: Problems, cluster: dict) -> StartupConfig:
    """``cluster.startup``: how long RustFS waits for its peers before it exits (bootstrap/startup.py)."""
    s = p.section(cluster, "startup", "cluster.startup", {"topologyWaitSeconds", "readinessWaitSeconds"})
    return StartupConfig(
        p.integer(s, "topologyWaitSeconds", "cluster.startup.topologyWaitSeconds", DEFAULT_TOPOLOGY_WAIT,
                  *TOPOLOGY_WAIT_RANGE, " seconds (RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT)"),
        p.integer(s, "readinessWaitSeconds", "cluster.startup.readinessWaitSeconds", DEFAULT_READINESS_WAIT,
                  *READINESS_WAIT_RANGE, " seconds (RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS)"))


def _erasure_layout(p: Problems, cluster: ClusterConfig, network: NetworkConfig, prod: bool) -> None:
    """RustFS must accept the layout, and prod must keep quorum when a whole AZ is lost."""
    if cluster.nodes * cluster.drives_per_node < 4:
        return  # already reported on cluster.drivesPerNode
    azs = [f"AZ{i + 1}" for i in range(network.az_count)]
    placed = layout.place_nodes(cluster.nodes, azs)
    nodes = tuple(layout.Node(f"rustfs-{i + 1}", az, cluster.drives_per_node, cluster.volume.size_gib)
                  for i, az in enumerate(placed))
    try:
        planned = layout.compute_layout([layout.Pool(nodes=nodes)])
    except layout.LayoutError as exc:
        p.add("cluster", {"nodes": cluster.nodes, "drivesPerNode": cluster.drives_per_node}, str(exc))
        return
    busiest = max(Counter(placed).values())
    if cluster.placement == "spread" and busiest > MAX_SPREAD_PER_AZ:
        p.add("cluster.placement", "spread", f"AWS allows at most {MAX_SPREAD_PER_AZ} running instances per AZ in "
              f"a spread placement group and this cluster puts {busiest} in one AZ; use 'partition' or add AZs")
    # EKS: the scheduler, not the program, places pods in zones; only what holds for every balanced placement
    # counts (rustfs_model/zone_spread.py).
    eks = cluster.platform == "eks"
    survives = (zone_spread.analyse(cluster.nodes, cluster.drives_per_node, network.az_count).survives_az_loss
                if eks else planned.survives_az_loss)
    if prod and not survives and not cluster.allow_az_loss_unsafe:
        advice = (zone_spread.az_loss_advice(cluster.nodes, cluster.drives_per_node, network.az_count) if eks
                  else layout.az_loss_advice(cluster.nodes, cluster.drives_per_node, azs))
        p.add("cluster.nodes", cluster.nodes, f"prod must survive the loss of one AZ: {advice} "
              "(or set cluster.allowAzLossUnsafe: true to accept the risk)")


def _tls(p: Problems, raw: dict) -> TlsConfig:
    t = p.section(raw, "tls", "tls", {"mode", "certificateArn"})
    mode = p.enum(t, "mode", "tls.mode", ["private-ca", "acm"], "private-ca")
    arn = None
    if mode == "acm":
        arn = p.string(t, "certificateArn", "tls.certificateArn", pattern=" ACM certificate ARN "
                       "(required with tls.mode: acm)", check=lambda v: ":acm:" in v and bool(_ARN.match(v)))
    elif "certificateArn" in t:
        p.add("tls.certificateArn", t["certificateArn"], "only used with tls.mode: acm")
    return TlsConfig(mode, arn)


def _security(p: Problems, raw: dict) -> SecurityConfig:
    known = {"ebsEncryptionByDefault", "ebsDefaultKmsKeyArn", "keyAdminRoleArn", "operatorPrincipals",
             "operatorSessionSeconds", "crossAccount", "rootCredentialsVersion"}
    s = p.section(raw, "security", "security", known)
    is_arn = lambda v: bool(_ARN.match(v))  # noqa: E731
    admin = p.string(s, "keyAdminRoleArn", "security.keyAdminRoleArn", None, " IAM role ARN", check=is_arn)
    operators = p.string_list(s, "operatorPrincipals", "security.operatorPrincipals", [], check=is_arn,
                              what="IAM principal ARNs")
    # The operator role's MaxSessionDuration: IAM takes 3,600-43,200 s (IAM API reference, CreateRole).
    session = p.integer(s, "operatorSessionSeconds", "security.operatorSessionSeconds", 3_600, 3_600, 43_200,
                        " seconds")
    xa = p.section(s, "crossAccount", "security.crossAccount", {"accountId", "externalId"})
    account = external = None
    if xa:
        account = p.string(xa, "accountId", "security.crossAccount.accountId", pattern=" 12-digit "
                           "AWS account id", check=lambda v: bool(_ACCOUNT.match(v)))
        # ExternalId: 2-1224 characters of [\w+=,.@:/-] (IAM API reference, AssumeRole).
        external = p.string(xa, "externalId", "security.crossAccount.externalId", pattern=" ExternalId of "
                            "16-1224 characters of letters, digits and + = , . @ : / -",
                            check=lambda v: bool(re.match(r"^[\w+=,.@:/-]{16,1224}$", v)))
    ebs_default = p.boolean(s, "ebsEncryptionByDefault", "security.ebsEncryptionByDefault", False)
    ebs_key = p.string(s, "ebsDefaultKmsKeyArn", "security.ebsDefaultKmsKeyArn", None, " KMS key or alias ARN "
                       "(arn:aws:kms:<region>:<account>:key/<id> or :alias/<name>)",
                       check=lambda v: bool(_KMS_KEY_ARN.match(v)))
    if ebs_key is not None and ebs_default is not True:
        p.add("security.ebsDefaultKmsKeyArn", ebs_key, "only used with security.ebsEncryptionByDefault: true; remove "
              "it, or turn encryption by default on in the stack that owns the account's resources")
    return SecurityConfig(ebs_default, admin, operators, session, account, external,
                          p.integer(s, "rootCredentialsVersion", "security.rootCredentialsVersion", 1, 1,
                                    1_000_000), ebs_key)


def _audit(p: Problems, raw: dict, prod: bool, owns_account: bool) -> AuditConfig:
    known = {"cloudTrail", "config", "configServiceLinkedRole", "logRetentionDays", "transitionIaDays",
             "transitionGlacierDays", "expirationDays"}
    a = p.section(raw, "audit", "audit", known)
    ia = p.integer(a, "transitionIaDays", "audit.transitionIaDays", 30, 30, 3_650, " days")
    glacier = p.integer(a, "transitionGlacierDays", "audit.transitionGlacierDays", 90, 60, 3_650, " days")
    expiry = p.integer(a, "expirationDays", "audit.expirationDays", 2_557 if prod else 365, 1, 36_500,
                       " days")
    if glacier <= ia:
        p.add("audit.transitionGlacierDays", glacier, f"must be later than audit.transitionIaDays ({ia})")
    if expiry <= glacier:
        p.add("audit.expirationDays", expiry, f"must be later than audit.transitionGlacierDays ({glacier})")
    # One configuration recorder and one delivery channel per account and Region (AWS Config API Reference,
    # PutConfigurationRecorder / PutDeliveryChannel): a second stack creating them fails.
    config = p.enum(a, "config", "audit.config", ["create", "existing"], "create" if owns_account else "existing")
    if config == "create" and not owns_account:
        p.add("audit.config", "create", "the AWS Config recorder and delivery channel exist once per account and "
              "Region, so only the stack that owns the account's resources creates them: set "
              "account.ownsAccountResources: true in that one stack, and leave audit.config at existing (the "
              "default) in every other")
    role = p.enum(a, "configServiceLinkedRole", "audit.configServiceLinkedRole", ["auto", "create", "existing"],
                  "auto")
    if "configServiceLinkedRole" in a and config != "create":
        p.add("audit.configServiceLinkedRole", a["configServiceLinkedRole"],
              "only used with audit.config: create (it is the role of the recorder this stack creates); remove it")
    return AuditConfig(
        cloud_trail=p.enum(a, "cloudTrail", "audit.cloudTrail", ["create", "existing"], "create"),
        config=config, config_service_linked_role=role,
        log_retention_days=p.enum(a, "logRetentionDays", "audit.logRetentionDays", _RETENTION_DAYS,
                                  365 if prod else 30),
        transition_ia_days=ia, transition_glacier_days=glacier, expiration_days=expiry)


def _backup(p: Problems, raw: dict, prod: bool, region: str) -> BackupConfig:
    b = p.section(raw, "backup", "backup", {"snapshotIntervalHours", "snapshotRetainCount", "copyRegion"})
    # DLM create rule intervals: 1, 2, 3, 4, 6, 8, 12 or 24 hours (DLM API reference, CreateRule).
    interval = p.enum(b, "snapshotIntervalHours", "backup.snapshotIntervalHours", [1, 2, 3, 4, 6, 8, 12, 24],
                      24)
    retain = p.integer(b, "snapshotRetainCount", "backup.snapshotRetainCount", 14 if prod else 3, 1, 1_000)
    copy = p.string(b, "copyRegion", "backup.copyRegion", None, " AWS region such as us-west-2",
                    check=lambda v: bool(_REGION.match(v)))
    if copy and copy == region:
        p.add("backup.copyRegion", copy, "must differ from the stack's region (aws:region)")
    return BackupConfig(interval, retain, copy)


def _usage(p: Problems, raw: dict) -> UsageConfig:
    u = p.section(raw, "usage", "usage", {"writeMBps", "readMBps", "storedTiB", "growthTiBPerMonth"})
    return UsageConfig(
        write_mbps=p.number(u, "writeMBps", "usage.writeMBps", CONFIG_USAGE_DEFAULTS["writeMBps"], 0, 1e6),
        read_mbps=p.number(u, "readMBps", "usage.readMBps", CONFIG_USAGE_DEFAULTS["readMBps"], 0, 1e6),
        stored_tib=p.number(u, "storedTiB", "usage.storedTiB", CONFIG_USAGE_DEFAULTS["storedTiB"], 0, 1e6),
        growth_tib_per_month=p.number(u, "growthTiBPerMonth", "usage.growthTiBPerMonth",
                                      CONFIG_USAGE_DEFAULTS["growthTiBPerMonth"], 0, 1e6))


def _budget(p: Problems, raw: dict, prod: bool) -> BudgetConfig:
    b = p.section(raw, "budget", "budget", {"monthlyUSD", "emails"})
    emails = p.string_list(b, "emails", "budget.emails", [], check=lambda v: bool(_EMAIL.match(v)),
                           what="e-mail addresses")
    if len(emails) > MAX_BUDGET_EMAILS:
        p.add("budget.emails", f"{len(emails)} addresses", f"AWS Budgets notifies at most {MAX_BUDGET_EMAILS} "
              "e-mail subscribers per alert; subscribe the rest to the alert SNS topic")
    return BudgetConfig(p.number(b, "monthlyUSD", "budget.monthlyUSD", 20_000.0 if prod else 1_000.0, 1, 1e8),
                        emails)


def _observability(p: Problems, raw: dict) -> ObservabilityConfig:
    o = p.section(raw, "observability", "observability",
                  {"alarmEmails", *_OBSERVABILITY_ALARM_KEYS, *_OBSERVABILITY_TELEMETRY_KEYS})
    emails = p.string_list(o, "alarmEmails", "observability.alarmEmails", [], check=lambda v: bool(_EMAIL.match(v)),
                           what="e-mail addresses")
    if len(emails) > MAX_ALARM_EMAILS:
        p.add("observability.alarmEmails", f"{len(emails)} addresses", f"at most {MAX_ALARM_EMAILS} addresses "
              "(each confirms its own subscription); subscribe a team list or a paging service to the "
              "ops-alerts topic instead")
    return ObservabilityConfig(emails, **_observability_alarms(p, o), **_observability_telemetry(p, o))


_OBSERVABILITY_ALARM_KEYS = {"alarms", "dashboard", "tracing"}


def _observability_alarms(p: Problems, o: dict) -> dict:
    """``observability.alarms.*`` thresholds, ``observability.dashboard`` and ``observability.tracing.*``."""
    a = p.section(o, "alarms", "observability.alarms", {"diskUsedPercent", "capacityUsedPercent", "drivesOffline",
                                                         "errorRatePercent", "latencySeconds", "certificateDays"})
    d = AlarmThresholds()
    alarms = AlarmThresholds(
        disk_used_percent=p.number(a, "diskUsedPercent", "observability.alarms.diskUsedPercent",
                                   d.disk_used_percent, 50, 99),
        capacity_used_percent=p.number(a, "capacityUsedPercent", "observability.alarms.capacityUsedPercent",
                                       d.capacity_used_percent, 10, 95),
        drives_offline=p.integer(a, "drivesOffline", "observability.alarms.drivesOffline", d.drives_offline, 1, 100,
                                 " drives"),
        error_rate_percent=p.number(a, "errorRatePercent", "observability.alarms.errorRatePercent",
                                    d.error_rate_percent, 0.01, 100),
        latency_seconds=p.number(a, "latencySeconds", "observability.alarms.latencySeconds", d.latency_seconds,
                                 0.01, 300),
        # Node certificates are renewed 60 days before they expire (tls.py): a threshold of 60 or more would page
        # for every certificate between its renewal date and its pickup.
        certificate_days=p.integer(a, "certificateDays", "observability.alarms.certificateDays",
                                   d.certificate_days, 7, 59, " days (renewal starts at 60)"))
    t = p.section(o, "tracing", "observability.tracing", {"enabled", "sampleRate", "reservoirPerSecond"})
    dt = TracingConfig()
    tracing = TracingConfig(
        enabled=p.boolean(t, "enabled", "observability.tracing.enabled", dt.enabled),
        # X-Ray bills every trace recorded: the rate is the cost knob (cost.py prices it from usage.requestsPerSecond).
        sample_rate=p.number(t, "sampleRate", "observability.tracing.sampleRate", dt.sample_rate, 0, 1),
        reservoir_per_second=p.integer(t, "reservoirPerSecond", "observability.tracing.reservoirPerSecond",
                                       dt.reservoir_per_second, 0, 100, " traces per second"))
    return {"alarms": alarms, "dashboard": p.boolean(o, "dashboard", "observability.dashboard", True),
            "tracing": tracing}


_OBSERVABILITY_TELEMETRY_KEYS = {"logLevel", "logRetentionDays", "collector"}


def _observability_telemetry(p: Problems, o: dict) -> dict:
    """``observability.logLevel``, ``observability.logRetentionDays`` and ``observability.collector.*``."""
    c = p.section(o, "collector", "observability.collector", {"enabled", "packageVersion", "releaseVersion"})
    collector = CollectorConfig(
        enabled=p.boolean(c, "enabled", "observability.collector.enabled", True),
        package_version=p.string(c, "packageVersion", "observability.collector.packageVersion",
                                 DEFAULT_COLLECTOR_PACKAGE, " amazon-cloudwatch-agent version-release of the AL2023 "
                                 "repository, e.g. 1.300066.2-2.amzn2023", check=lambda v: bool(
                                     COLLECTOR_PACKAGE_VERSION.match(v))),
        release_version=p.string(c, "releaseVersion", "observability.collector.releaseVersion",
                                 DEFAULT_COLLECTOR_RELEASE, " AL2023 release that carries that package, e.g. "
                                 "2023.11.20260526", check=lambda v: bool(COLLECTOR_RELEASE_VERSION.match(v))))
    return {
        "log_level": p.enum(o, "logLevel", "observability.logLevel", list(RUSTFS_LOG_LEVELS), RUSTFS_LOG_LEVEL),
        # Unset: the audit retention (audit.logRetentionDays), one value CloudWatch Logs accepts.
        "log_retention_days": (p.enum(o, "logRetentionDays", "observability.logRetentionDays", _RETENTION_DAYS)
                               if "logRetentionDays" in o else None),
        "collector": collector,
    }


def _quotas(p: Problems, raw: dict) -> QuotasConfig:
    q = p.section(raw, "quotas", "quotas", {"check"})
    return QuotasConfig(p.boolean(q, "check", "quotas.check", True))


def load() -> StackConfig:
    """Read the stack's config through the Pulumi runtime and validate it."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    prefix = f"{NAMESPACE}:"
    # The CLI passes config in PULUMI_CONFIG; preflight and tests set it in-process (set_all_config).
    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw = {k[len(prefix):]: v for k, v in everything.items() if k.startswith(prefix)}
    secrets = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    secret_keys = [k for k in secrets if k.startswith(prefix)]
    region = pulumi.Config("aws").get("region") or ""
    return parse(raw, stack=pulumi.get_stack(), region=region, project=pulumi.get_project(),
                 secret_keys=secret_keys)
