"""The ``migration`` section of the stack configuration: DataSync copies from S3 buckets, NFS and SMB shares and
other S3-compatible stores into the stack's RustFS (components/migration/datasync.py builds them).

Parsed by ``components/config.py`` (``parse`` calls ``parse_migration``) with the same ``Problems`` collector as
every other section. Absent: no migration resources at all (no agent, no ``datasync`` endpoint).

Credentials in this section (the agent's activation key, an SMB password, another store's secret key) are accepted
only when the whole ``rustfs-aws:migration`` value is a Pulumi secret (``pulumi config set --secret --path ...``):
a plaintext value would sit in ``Pulumi.<stack>.yaml``. The limits checked here come from the AWS documents named in
``rustfs_model/datasync.py`` (schedules, bandwidth) and from the DataSync API model (hostnames, buckets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rustfs_model.datasync import (
    ACTIVATION_KEY,
    MAX_SERVER_CERTIFICATE_BYTES,
    MAX_TASKS_PER_REGION,
    OBJECT_BUCKET,
    SERVER_HOSTNAME,
    schedule_problem,
)

SOURCE_TYPES = ("s3", "nfs", "smb", "objectStorage")
# Sources DataSync cannot copy straight into RustFS: a Basic-mode task moves data between self-managed storage
# and an AWS storage service ("Transferring to or from on-premises storage": NFS, SMB, HDFS and object storage
# "and the following AWS storage services: Amazon S3, Amazon EFS, Amazon FSx ..."), never between two
# self-managed systems; RustFS is one. These are copied through the stack's staging bucket in two tasks.
STAGED_TYPES = ("nfs", "smb", "objectStorage")
# The agent on EC2: "the instance size must be at least 2xlarge. We recommend ... m5.2xlarge: for tasks to transfer
# up to 20 million files; m5.4xlarge: for tasks to transfer more than 20 million files" (DataSync User Guide,
# "Agent requirements", Amazon EC2 instance requirements).
AGENT_INSTANCE_TYPES = ("m5.2xlarge", "m5.4xlarge")
NFS_VERSIONS = ("AUTOMATIC", "NFS3", "NFS4_0", "NFS4_1")  # NfsMountOptions.Version
SMB_VERSIONS = ("AUTOMATIC", "SMB2", "SMB3")  # SmbMountOptions.Version (SMB 1 is refused: known weaknesses)
VERIFY_MODES = ("POINT_IN_TIME_CONSISTENT", "ONLY_FILES_TRANSFERRED")  # NONE is refused: copies are verified
LOG_LEVELS = ("BASIC", "TRANSFER")  # OFF is refused: every task logs to CloudWatch
TRANSFER_MODES = ("CHANGED", "ALL")
UNLIMITED_MIBPS = -1  # bandwidthMiBps: unlimited (explicit; a source's overrides the section's limit)
MAX_BANDWIDTH_MIBPS = 1_250 * 1_000 * 1_000 // (1024 * 1024)  # DataSync's 10 Gbps per task, in whole MiB/s
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")  # names roles, tasks and prefixes: short, lowercase
# S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules"); RustFS applies the same.
_BUCKET = re.compile(r"^(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[a-zA-Z0-9_\-+./()]*$")  # DataSync Subdirectory characters (no leading slash for S3)
_SMB_USER = re.compile(r"^[^\x22\x5B\x5D/\\:;|=,+*?\x3C\x3E]{1,104}$")  # CreateLocationSmb User
_SMB_DOMAIN = re.compile(r"^[A-Za-z0-9]((\.|-+)?[A-Za-z0-9]){0,252}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-zA-Z-]+$")
_AGENT_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:datasync:[a-z0-9-]+:\d{12}:agent/agent-[0-9a-z]{17}$")


@dataclass(frozen=True)
class AgentConfig:
    """The DataSync agent the stack runs in its VPC (EC2, AWS's DataSync AMI)."""
    instance_type: str = AGENT_INSTANCE_TYPES[0]
    activation_key: str | None = None  # unset: the instance and endpoint exist, the agent is not activated yet
    activation_cidrs: list[str] = field(default_factory=list)  # may reach port 80 until activated (adminCidrs)
    source_cidrs: list[str] = field(default_factory=list)  # where its NFS/SMB/object-store sources are


@dataclass(frozen=True)
class MigrationSource:
    name: str
    type: str  # s3 | nfs | smb | objectStorage
    destination_bucket: str  # the RustFS bucket it is copied into
    destination_prefix: str = ""
    size_tib: float = 0.0  # for the duration and cost estimates only
    schedule: str | None = None  # None: the section's
    bandwidth_mibps: int | None = None  # None: the section's; -1: unlimited
    # s3
    bucket: str | None = None
    prefix: str = ""
    kms_key_arn: str | None = None  # the source bucket's SSE-KMS key, if any: the read role may decrypt with it
    # nfs / smb / objectStorage
    hostname: str | None = None
    path: str | None = None  # NFS export or SMB share path
    version: str = "AUTOMATIC"  # NFS or SMB protocol version
    user: str | None = None  # SMB
    domain: str | None = None  # SMB
    password: str | None = None  # SMB (secret)
    port: int = 443  # objectStorage
    access_key: str | None = None  # objectStorage
    secret_key: str | None = None  # objectStorage (secret)
    server_certificate: str | None = None  # objectStorage: PEM of its private CA, if any
    agent_arns: list[str] = field(default_factory=list)  # agents near the source; empty: the stack's agent

    @property
    def staged(self) -> bool:
        return self.type in STAGED_TYPES


@dataclass(frozen=True)
class MigrationConfig:
    sources: list[MigrationSource]
    agent: AgentConfig = field(default_factory=AgentConfig)
    schedule: str | None = None  # None: tasks run when started (console, CLI), not on a schedule
    bandwidth_mibps: int | None = None  # None or -1: unlimited (BytesPerSecond -1)
    verify_mode: str = VERIFY_MODES[0]
    transfer_mode: str = TRANSFER_MODES[0]
    log_level: str = LOG_LEVELS[0]
    task_report: bool = False
    staging_expiration_days: int = 90

    @property
    def activated(self) -> bool:
        return self.agent.activation_key is not None

    @property
    def staged(self) -> list[MigrationSource]:
        return [s for s in self.sources if s.staged]

    def tasks(self) -> int:
        return sum(2 if s.staged else 1 for s in self.sources)


_SOURCE_KEYS = {
    "s3": {"bucket", "prefix", "kmsKeyArn"},
    "nfs": {"hostname", "path", "version", "agentArns"},
    "smb": {"hostname", "path", "version", "user", "domain", "password", "agentArns"},
    "objectStorage": {"hostname", "port", "bucket", "prefix", "accessKey", "secretKey", "serverCertificate",
                      "agentArns"},
}
_COMMON_KEYS = {"name", "type", "destinationBucket", "destinationPrefix", "sizeTiB", "schedule", "bandwidthMiBps"}
_SECRET_FIELDS = {"password", "secretKey"}


def parse_migration(p, raw: dict, *, secret: bool, admin_cidrs: list[str]) -> MigrationConfig | None:
    """``migration`` (``p`` is config.py's ``Problems``); ``secret``: the section is a Pulumi secret."""
    if "migration" not in raw:
        return None
    known = {"agent", "sources", "schedule", "bandwidthMiBps", "verifyMode", "transferMode", "logLevel", "taskReport",
             "stagingExpirationDays"}
    m = p.section(raw, "migration", "migration", known)
    schedule = _schedule(p, m, "migration.schedule")
    bandwidth = _bandwidth(p, m, "migration.bandwidthMiBps")
    agent = _agent(p, m, secret, admin_cidrs)
    sources = _sources(p, m, secret, agent)
    config = MigrationConfig(
        sources=sources, agent=agent, schedule=schedule, bandwidth_mibps=bandwidth,
        verify_mode=_enum_or_refuse(p, m, "verifyMode", VERIFY_MODES, "NONE", "every copy is verified (DataSync "
                                    "compares checksums at the destination); NONE is refused"),
        transfer_mode=p.enum(m, "transferMode", "migration.transferMode", list(TRANSFER_MODES), TRANSFER_MODES[0]),
        log_level=_enum_or_refuse(p, m, "logLevel", LOG_LEVELS, "OFF", "every task logs to its CloudWatch log group; "
                                  "OFF is refused"),
        task_report=p.boolean(m, "taskReport", "migration.taskReport", False),
        # The staged copies in S3 are redundant once RustFS holds them; S3 Standard-IA needs 30 days first.
        staging_expiration_days=p.integer(m, "stagingExpirationDays", "migration.stagingExpirationDays", 90, 31,
                                          3_650, " days"))
    if config.tasks() > MAX_TASKS_PER_REGION:
        p.add("migration.sources", f"{len(sources)} sources, {config.tasks()} tasks", f"DataSync allows "
              f"{MAX_TASKS_PER_REGION} tasks per account and Region by default (each NFS, SMB or object-store source "
              "takes two: source to staging, staging to RustFS); request a quota increase or split the sources")
    return config


def _enum_or_refuse(p, obj: dict, key: str, allowed: tuple[str, ...], refused: str, why: str) -> str:
    if obj.get(key) == refused:
        p.add(f"migration.{key}", refused, f"{why}; allowed values: {' | '.join(allowed)}")
        return allowed[0]
    return p.enum(obj, key, f"migration.{key}", list(allowed), allowed[0])


def _schedule(p, obj: dict, path: str) -> str | None:
    key = path.rsplit(".", 1)[-1]
    value = obj.get(key)
    if value is None:
        return None
    problem = schedule_problem(value) if isinstance(value, str) else "expected a string"
    if problem:
        p.add(path, value, f"{problem} (DataSync task schedule: EventBridge cron(m h dom mon dow yr) with one minute, "
              "or rate(N hours|days), at most once an hour), e.g. cron(0 2 * * ? *) or rate(12 hours)")
        return None
    return value


def _bandwidth(p, obj: dict, path: str) -> int | None:
    key = path.rsplit(".", 1)[-1]
    value = obj.get(key)
    if value is None:
        return None  # a source's: the section's; the section's: no limit
    if value == "unlimited":
        return UNLIMITED_MIBPS
    return p.integer(obj, key, path, 100, 1, MAX_BANDWIDTH_MIBPS,
                     " MiB/s (whole MiB/s as in the DataSync console; up to DataSync's 10 Gbps per task), "
                     "or 'unlimited'")


def _agent(p, m: dict, secret: bool, admin_cidrs: list[str]) -> AgentConfig:
    a = p.section(m, "agent", "migration.agent", {"instanceType", "activationKey", "activationCidrs", "sourceCidrs"})
    key = a.get("activationKey")
    if key is not None:
        if not secret:
            p.add("migration.agent.activationKey", "[plaintext]", "set it as a secret: pulumi config set --secret "
                  "--path 'migration.agent.activationKey' <key> (the whole migration value then becomes secret)")
        elif not isinstance(key, str) or not (ACTIVATION_KEY.match(key) or _placeholder(key)):
            p.add("migration.agent.activationKey", "[secret]", "expected the agent's activation key, five groups of "
                  "five capital letters or digits (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX): README, Migrating into RustFS")
    activation = p.cidr_list(a, "activationCidrs", "migration.agent.activationCidrs", admin_cidrs)
    if "0.0.0.0/0" in activation:
        p.add("migration.agent.activationCidrs", "0.0.0.0/0", "port 80 of the agent is opened to these CIDRs until it "
              "is activated; list the host you activate it from")
    return AgentConfig(
        instance_type=p.enum(a, "instanceType", "migration.agent.instanceType", list(AGENT_INSTANCE_TYPES),
                             AGENT_INSTANCE_TYPES[0]),
        activation_key=key if isinstance(key, str) else None, activation_cidrs=activation,
        source_cidrs=p.cidr_list(a, "sourceCidrs", "migration.agent.sourceCidrs", []))


def _placeholder(value: str) -> bool:
    """preflight's stand-in for a secret it cannot decrypt (preflight/stackfiles.py): not a value to check."""
    return value.startswith("preflight-placeholder")


def _sources(p, m: dict, secret: bool, agent: AgentConfig) -> list[MigrationSource]:
    raw = m.get("sources")
    if not isinstance(raw, list) or not raw:
        p.add("migration.sources", raw if raw is not None else "missing", "expected a non-empty list of sources "
              "(each with name, type: s3 | nfs | smb | objectStorage, and destinationBucket)")
        return []
    sources, names = [], set()
    for i, item in enumerate(raw):
        path = f"migration.sources[{i}]"
        if not isinstance(item, dict):
            p.add(path, item, "expected an object (YAML mapping)")
            continue
        kind = p.enum(item, "type", f"{path}.type", list(SOURCE_TYPES))
        p.unknown_keys(item, path, _COMMON_KEYS | _SOURCE_KEYS.get(kind, set()))
        name = p.string(item, "name", f"{path}.name", pattern=" name of 1-20 lowercase letters, digits and hyphens, "
                        "starting with a letter (it names the source's tasks, role and staging prefix)",
                        check=lambda v: bool(_SOURCE_NAME.match(v)))
        if name in names:
            p.add(f"{path}.name", name, "source names must be unique")
        names.add(name)
        for key in _SECRET_FIELDS & set(item):
            if not secret:
                p.add(f"{path}.{key}", "[plaintext]", f"set it as a secret: pulumi config set --secret --path "
                      f"'{path}.{key}' <value>")
        sources.append(_source(p, item, path, kind, name, agent))
    return sources


def _source(p, item: dict, path: str, kind: str, name: str, agent: AgentConfig) -> MigrationSource:
    common = {
        "name": name, "type": kind,
        "destination_bucket": p.string(item, "destinationBucket", f"{path}.destinationBucket", pattern=" RustFS "
                                       "bucket name (3-63 lowercase letters, digits, dots and hyphens)",
                                       check=lambda v: bool(_BUCKET.match(v))),
        "destination_prefix": _prefix(p, item, "destinationPrefix", path),
        "size_tib": p.number(item, "sizeTiB", f"{path}.sizeTiB", 0.0, 0, 1e5),
        "schedule": _schedule(p, item, f"{path}.schedule"),
        "bandwidth_mibps": _bandwidth(p, item, f"{path}.bandwidthMiBps"),
    }
    if kind == "s3":
        return MigrationSource(
            **common, bucket=p.string(item, "bucket", f"{path}.bucket", pattern=" S3 bucket name",
                                      check=lambda v: bool(_BUCKET.match(v))),
            prefix=_prefix(p, item, "prefix", path),
            kms_key_arn=p.string(item, "kmsKeyArn", f"{path}.kmsKeyArn", None, " KMS key ARN "
                                 "(arn:aws:kms:<region>:<account>:key/<id>) of the bucket's SSE-KMS key",
                                 check=lambda v: bool(_KMS_KEY_ARN.match(v))))
    hostname = p.string(item, "hostname", f"{path}.hostname", pattern=" DNS name or IPv4 address the agent reaches "
                        "(at most 255 characters)", check=lambda v: len(v) <= 255 and bool(SERVER_HOSTNAME.match(v)))
    agents = p.string_list(item, "agentArns", f"{path}.agentArns", [], check=lambda v: bool(_AGENT_ARN.match(v)),
                           what="DataSync agent ARNs (arn:aws:datasync:<region>:<account>:agent/agent-<17>)")
    if len(agents) > 8:
        p.add(f"{path}.agentArns", f"{len(agents)} agents", "a DataSync location takes 1-8 agents")
    if not agents and not agent.source_cidrs:
        p.add(f"{path}.agentArns", [], "a source outside AWS is read by an agent that reaches it: give agentArns of "
              "agents you run near it, or migration.agent.sourceCidrs (its network, routed to the VPC) so the "
              "stack's agent may connect to it")
    extra: dict = {"hostname": hostname, "agent_arns": agents}
    if kind in ("nfs", "smb"):
        extra["path"] = p.string(item, "path", f"{path}.path", pattern=" export or share path, e.g. /exports/data",
                                 check=lambda v: v.startswith("/") and bool(_PREFIX.match(v)))
        extra["version"] = p.enum(item, "version", f"{path}.version",
                                  list(NFS_VERSIONS if kind == "nfs" else SMB_VERSIONS), "AUTOMATIC")
    if kind == "smb":
        extra["user"] = p.string(item, "user", f"{path}.user", pattern=" SMB user (no \" [ ] / \\ : ; | = , + * ? < >)",
                                 check=lambda v: bool(_SMB_USER.match(v)))
        extra["domain"] = p.string(item, "domain", f"{path}.domain", None, " Windows domain name",
                                   check=lambda v: bool(_SMB_DOMAIN.match(v)))
        extra["password"] = p.string(item, "password", f"{path}.password", pattern=" SMB password (a secret)",
                                     check=lambda v: len(v) <= 104)
    if kind == "objectStorage":
        extra["port"] = p.integer(item, "port", f"{path}.port", 443, 1, 65_535)
        extra["bucket"] = p.string(item, "bucket", f"{path}.bucket", pattern=" bucket name of 3-63 characters",
                                   check=lambda v: bool(OBJECT_BUCKET.match(v)))
        extra["prefix"] = _prefix(p, item, "prefix", path)
        extra["access_key"] = p.string(item, "accessKey", f"{path}.accessKey", pattern=" access key of 8-200 "
                                       "characters", check=lambda v: 8 <= len(v) <= 200)
        extra["secret_key"] = p.string(item, "secretKey", f"{path}.secretKey", pattern=" secret key of 8-200 "
                                       "characters (a secret)", check=lambda v: 8 <= len(v) <= 200)
        extra["server_certificate"] = p.string(
            item, "serverCertificate", f"{path}.serverCertificate", None, " PEM certificate chain of at most "
            f"{MAX_SERVER_CERTIFICATE_BYTES:,} bytes", check=lambda v: "-----BEGIN CERTIFICATE-----" in v and len(
                v.encode()) <= MAX_SERVER_CERTIFICATE_BYTES)
    return MigrationSource(**common, **extra)


def _prefix(p, item: dict, key: str, path: str) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or value.startswith("/") or "//" in value or not _PREFIX.match(value) \
            or len(value) > 1024:
        p.add(f"{path}.{key}", value, "expected a key prefix without a leading slash or //, of letters, digits and "
              "_ - + . / ( )")
        return ""
    return value


# The migration's RustFS service account and its policy, declared to the state reconciler (components/state/), which
# creates them in RustFS from the account's Secrets Manager secret.
SERVICE_ACCOUNT = "rustfs-datasync"


def state_entries(migration: MigrationConfig) -> tuple[dict, dict]:
    """(policy, service account) as ``rustfs_state.parse_state`` normalizes them, for RustfsState."""
    from rustfs_aws.migration.documents import rustfs_service_account_policy
    from rustfs_model.rustfs_state import parse_state

    parsed, problems = parse_state({
        "policies": [{"name": SERVICE_ACCOUNT, "document": rustfs_service_account_policy(
            [s.destination_bucket for s in migration.sources])}],
        "serviceAccounts": [{"name": SERVICE_ACCOUNT, "policy": SERVICE_ACCOUNT,
                             "description": "DataSync migration into RustFS, managed by rustfs-aws"}]})
    if problems:  # the documents are ours: a problem here is a bug, not a config error
        raise ValueError(f"the DataSync service account does not pass the state model: {problems}")
    return parsed["policies"][0], parsed["serviceAccounts"][0]


def check_against_stack(p, migration: MigrationConfig | None, *, platform: str, client_cidrs: list[str],
                        agent_subnet_cidr: str | None, state=None) -> None:
    """What the rest of the stack must allow: EC2 mode (the RustFS endpoint ``s3.<domain>`` with the stack's CA), the
    agent's subnet among the load balancer's client CIDRs (it writes to RustFS through port 9000), and the service
    account's name free in ``rustfs`` (``state``: the StateConfig)."""
    if migration is None:
        return
    for key, entries in (("policies", getattr(state, "policies", [])),
                         ("serviceAccounts", getattr(state, "service_accounts", []))):
        for i, entry in enumerate(entries):
            if entry.get("name") == SERVICE_ACCOUNT:
                p.add(f"rustfs.{key}[{i}].name", SERVICE_ACCOUNT, "reserved for the DataSync migration's own service "
                      "account and policy while migration is configured; use another name")
    if platform != "ec2":
        p.add("migration", "(set)", f"only with cluster.platform: ec2 (got {platform!r}): the DataSync location "
              "writes to the stack's endpoint s3.<cluster.domain>, which EKS mode does not declare")
        return
    if client_cidrs and agent_subnet_cidr:
        import ipaddress

        subnet = ipaddress.ip_network(agent_subnet_cidr)
        if not any(subnet.subnet_of(ipaddress.ip_network(c)) for c in client_cidrs if _is_v4(c)):
            p.add("cluster.clientCidrs", client_cidrs, f"must include the DataSync agent's subnet {agent_subnet_cidr} "
                  "(the first private subnet) while migration is configured: the agent writes to RustFS on port 9000")


def _is_v4(cidr: str) -> bool:
    return ":" not in cidr
