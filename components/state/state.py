"""RustFS state as code: the desired state's publication and the reconciler that applies it on the nodes.

What is declared. The ``rustfs`` config section (settings.py; field rules in policies/rustfs_model/rustfs_state.py):
buckets (versioning, object lock, hard quota, lifecycle rules), RustFS policies and service accounts for
applications. Each service account's keys are generated here by pulumi-random and kept only in its own Secrets
Manager secret under the secrets key (``rustfs/<stack>/service-accounts/<name>``, JSON ``{"accessKey",
"secretKey"}``), exactly like the root credentials (security/credentials.py); ``version`` is a keeper, so raising
it generates new keys and the reconciler replaces the account (rotation).

Publication. The program writes the desired state, ARNs instead of secrets, as one SSM parameter
(``/rustfs/<cluster>/state/desired``; JSON with ``kind``, ``schema`` and ``revision``, the SHA-256 of the rest;
Standard tier up to 4 KB, Advanced up to 8 KB; a larger state is refused before any resource). The policy pack
reads the same parameter and fails a value that looks like a credential.

Delivery, as the node collector does it (observability/collector.py): a State Manager association runs this
component's Command document on the cluster's instances (``tag:rustfs:cluster``). The document installs the
distribution's ``python3-boto3`` from the pinned AL2023 repository release (the package is in the AL2023
repository: amazonlinux/amazon-linux-2023#704 shows python3-boto3-1.28.21-1.amzn2023.0.1 and 1.33.6-1 there;
``--releasever`` pins the build the repository served at that release), writes the reconciler
(reconciler/rustfs_reconcile.py, checked against the association's ``ScriptSha256``), and installs
``rustfs-state.service`` with ``rustfs-state.timer``. The association carries the state's and the script's
hashes, so a ``pulumi up`` that changes either updates it and State Manager runs it at once (UpdateAssociation);
the document then starts one reconciliation. Nothing of it is in the user data (EC2's 16 KB).

Schedule and the one actor. Every node's timer starts the reconciler every ``reconcileMinutes``; only the holder of
the lease acts. The lease is an item of this component's DynamoDB table, taken and renewed only by conditional
writes with an expiry (``leaseSeconds``): a holder that dies stops renewing and the next node to start takes over
after the expiry, within ``leaseSeconds`` + ``reconcileMinutes``. The item also holds the ledger of what the
reconciler created, each ledger write conditioned on the lease, so deletions (``delete: true``) reach only what it
created. The table is encrypted with a key of its own (key admin as the stack's other keys; the account uses it
only through DynamoDB), has point-in-time recovery and, in prod, deletion protection; the node role may touch only
the cluster's item (``dynamodb:LeadingKeys``).

Rejected: a State Manager association with MaxConcurrency 1 as the lock. It serialises the runs of one
association execution, not the reconciler: every node would still apply in turn (N times the admin API reads),
a manual Run Command or a second execution is not excluded, a node lost mid-run holds the execution until its
timeout, and associations run at most every 30 minutes. Also rejected: a lock object inside RustFS (the cluster
that is being configured would hold its own lock, and a cluster without write quorum could not release it) and
EC2 tags (no conditional writes).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from rustfs_aws import install_steps as steps
from rustfs_aws.component_args import component_args
from rustfs_aws.observability import telemetry as t
from rustfs_aws.security.credentials import ACCESS_KEY_LENGTH, SECRET_KEY_LENGTH, recovery_window_days
from rustfs_aws.security.key_policies import ADMIN_ACTIONS, GRANT_ACTIONS, USAGE_ACTIONS
from rustfs_aws.state.settings import DEFAULT_INTERVAL_MINUTES
from rustfs_aws.tagging import resource_tags
from rustfs_model import rustfs_state

SCRIPT = Path(__file__).with_name("reconciler") / "rustfs_reconcile.py"
SCRIPT_PATH = "/usr/local/lib/rustfs/rustfs-reconcile"
SERVICE, TIMER = "rustfs-state.service", "rustfs-state.timer"
PACKAGE = "python3-boto3"
LEASE_SECONDS = 120  # renewed before every write while less than half is left; a run is bounded below it
RUN_TIMEOUT_SECONDS = 900  # systemd ends a run that hangs past this
SCHEDULE = "rate(1 day)"  # the association re-installs (drift of the installation); the timer reconciles
MAX_CONCURRENCY, MAX_ERRORS = "50%", "1"
STEP_TIMEOUT_SECONDS = 600
# DynamoDB on-demand throughput ceilings (OnDemandThroughput): a runaway loop cannot run up the bill.
MAX_REQUEST_UNITS = 50


def parameter_name(cluster_id: str) -> str:
    return f"/rustfs/{cluster_id}/state/desired"


def table_name(cluster_id: str) -> str:
    return f"{cluster_id}-state"


def secret_name(stack: str, account: str) -> str:
    return f"rustfs/{stack}/service-accounts/{account}"


def script_text() -> str:
    text = SCRIPT.read_text()
    if "{{" in text:  # SSM would take it for a document parameter
        raise ValueError(f"{SCRIPT} contains '{{{{'")
    return text


def script_sha256() -> str:
    return hashlib.sha256(script_text().encode()).hexdigest()


def desired_body(*, cluster_id: str, namespace: str, buckets: list[dict], policies: list[dict],
                 service_accounts: list[dict], secret_arns: dict[str, str], extra: dict | None = None) -> dict:
    """The document's content before kind/schema/revision: ``service_accounts`` get their secret's ARN."""
    accounts = [{**a, "secretArn": secret_arns[a["name"]]} if not a["delete"] else a for a in service_accounts]
    return {"cluster": cluster_id,
            "lock": {"table": table_name(cluster_id), "key": cluster_id, "leaseSeconds": LEASE_SECONDS},
            "metrics": {"namespace": namespace},
            "buckets": buckets, "policies": policies, "serviceAccounts": accounts, **(extra or {})}


# The longest ARN prefix a resource of the stack can have (partition aws-us-gov, a long Region).
LONGEST_ARN_PREFIX = "arn:aws-us-gov:{service}:ap-southeast-5:123456789012:"


def longest_secret_arn(name: str) -> str:
    """The longest ARN a secret of this name can have (AWS adds a 6-character suffix)."""
    return LONGEST_ARN_PREFIX.format(service="secretsmanager") + f"secret:{name}-XXXXXX"


def placeholder_secret_arn(stack: str, account: str) -> str:
    """Sizes the parameter before the real ARNs are known."""
    return longest_secret_arn(secret_name(stack, account))


INSTALL_SCRIPT = r"""#!/bin/bash
set -euo pipefail
# Parameters arrive substituted; each has an allowedPattern (release, parameter name, SHA-256s, minutes).
release_version='{{ ReleaseVersion }}'
parameter='{{ StateParameter }}'
state_sha='{{ StateSha256 }}'
script_sha='{{ ScriptSha256 }}'
interval='{{ IntervalMinutes }}'
boot_env="${RUSTFS_BOOT_ENV_FILE:-/etc/rustfs/bootstrap.env}"
script="${RUSTFS_RECONCILER:-@@SCRIPT_PATH@@}"
unit_dir="${RUSTFS_UNIT_DIR:-/etc/systemd/system}"
state_dir="${RUSTFS_STATE_DIR:-/var/lib/rustfs-state}"
log() { echo "rustfs-state: $*" >&2; }

# 1. Only on a RustFS node whose bootstrap has written its environment (cloud-init may still be at it).
@@WAIT_FOR_BOOT_ENV@@

# 2. boto3 from the distribution, at the pinned repository release (dnf checks its GPG signature).
@@DNF_INSTALL@@
python3 -c 'import boto3, botocore' >/dev/null

# 3. The reconciler, only if it is the one this association was made for.
mkdir -p "$(dirname "$script")" "$state_dir"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
# It travels gzip-compressed in base64 (the document's 64 KB would not hold it as text); python3 is on every node.
python3 -c 'import base64, gzip, sys; sys.stdout.buffer.write(gzip.decompress(base64.b64decode(sys.stdin.read())))' \
  > "$tmp" <<'RUSTFS_RECONCILER_EOF'
@@SCRIPT@@
RUSTFS_RECONCILER_EOF
@@SHA256_CHECK@@
install -m 0755 "$tmp" "$script"

# 4. The service (one run, bounded) and the timer that starts it on every node; the lease picks the one that acts.
cat > "$unit_dir/@@SERVICE@@" <<UNIT
[Unit]
Description=RustFS state reconciler: buckets, policies, service accounts as declared (components/state)
After=network-online.target rustfs.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/bin/python3 $script --parameter $parameter --boot-env $boot_env
TimeoutStartSec=@@RUN_TIMEOUT@@
Nice=10
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
UNIT
cat > "$unit_dir/@@TIMER@@" <<UNIT
[Unit]
Description=Start the RustFS state reconciler every $interval minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=${interval}min
RandomizedDelaySec=60
AccuracySec=30s

[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now @@TIMER@@

# 5. A new desired state or reconciler: one run now (the lease decides whether this node acts).
stamp="$state_sha $script_sha $interval"
if [ "$(cat "$state_dir/installed" 2>/dev/null)" != "$stamp" ]; then
    echo "$stamp" > "$state_dir/installed"
    systemctl start --no-block @@SERVICE@@
    log "installed reconciler $script_sha for state $state_sha; a run is starting"
else
    log "reconciler $script_sha for state $state_sha already installed"
fi
"""


def install_script() -> str:
    text = INSTALL_SCRIPT
    for marker, value in {"@@WAIT_FOR_BOOT_ENV@@": steps.wait_for_boot_env(),
                          "@@DNF_INSTALL@@": steps.dnf_install(PACKAGE),
                          "@@SHA256_CHECK@@": steps.sha256_check("$tmp", "$script_sha", "the reconciler",
                                                                 "not installed"),
                          "@@SCRIPT_PATH@@": SCRIPT_PATH, "@@PACKAGE@@": PACKAGE, "@@SERVICE@@": SERVICE,
                          "@@TIMER@@": TIMER, "@@RUN_TIMEOUT@@": str(RUN_TIMEOUT_SECONDS)}.items():
        text = text.replace(marker, value)
    return text.replace("@@SCRIPT@@", packed_script())


def packed_script() -> str:
    """The reconciler as the document carries it: gzip (no timestamp, so the document is the same on every run)
    in base64 lines of 76 characters."""
    return base64.encodebytes(gzip.compress(script_text().encode(), mtime=0)).decode().rstrip("\n")


def install_document(cluster_id: str) -> dict:
    """Schema 2.2 Command document: install boto3, the reconciler (hash-checked), its service and timer."""
    return {
        "schemaVersion": "2.2",
        "description": f"RustFS cluster {cluster_id}: install the state reconciler and its timer "
                       "(components/state/state.py).",
        "parameters": {
            "ReleaseVersion": {"type": "String", "allowedPattern": t.COLLECTOR_RELEASE_VERSION.pattern,
                               "description": "AL2023 repository release (dnf --releasever) of python3-boto3."},
            "StateParameter": {"type": "String", "allowedPattern": r"^/rustfs/[a-z0-9-]+/state/desired$",
                               "description": "SSM parameter holding the desired state."},
            "StateSha256": {"type": "String", "allowedPattern": "^[0-9a-f]{64}$",
                            "description": "Revision of the desired state this run installs for."},
            "ScriptSha256": {"type": "String", "allowedPattern": "^[0-9a-f]{64}$",
                             "description": "SHA-256 of the reconciler this run must install."},
            "IntervalMinutes": {"type": "String", "allowedPattern": "^[1-9][0-9]?$",
                                "description": "Minutes between the timer's runs on each node."},
        },
        "mainSteps": [{"action": "aws:runShellScript", "name": "installReconciler",
                       "precondition": {"StringEquals": ["platformType", "Linux"]},
                       "inputs": {"timeoutSeconds": str(STEP_TIMEOUT_SECONDS),
                                  "runCommand": install_script().splitlines()}}],
    }


def document_content(cluster_id: str) -> str:
    """The document's content, compact: SSM counts every byte of it, the runtime parameters included, against 64 KB
    (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html, ``Content``), and
    indentation spent a sixth of that on the embedded reconciler's lines."""
    return json.dumps(install_document(cluster_id), separators=(",", ":"))


def table_key_policy(*, account_id: str, partition: str, region: str, key_admin_role_arn: str | None) -> dict:
    """The state table's key: administered like the stack's other keys (security/key_policies.py); with a key-admin
    role the account uses it only through DynamoDB. DynamoDB itself may read the key's metadata (AWS DynamoDB
    Developer Guide, "Key policy for a customer managed key")."""
    root = f"arn:{partition}:iam::{account_id}:root"
    dynamodb = {"Sid": "DynamoDbReadsKeyMetadata", "Effect": "Allow",
                "Principal": {"Service": "dynamodb.amazonaws.com"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}
    if key_admin_role_arn is None:
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow", "Principal": {"AWS": root},
             "Action": "kms:*", "Resource": "*"}, dynamodb]}
    via = {"StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": f"dynamodb.{region}.amazonaws.com"}}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "KeyAdministratorRole", "Effect": "Allow", "Principal": {"AWS": key_admin_role_arn},
         "Action": ADMIN_ACTIONS, "Resource": "*"},
        {"Sid": "AccountUsesKeyThroughDynamoDb", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": USAGE_ACTIONS, "Resource": "*", "Condition": via},
        {"Sid": "AccountGrantsToDynamoDb", "Effect": "Allow", "Principal": {"AWS": root}, "Action": GRANT_ACTIONS,
         "Resource": "*", "Condition": {**via, "Bool": {"kms:GrantIsForAWSResource": "true"}}},
        dynamodb]}


def node_statements(*, cluster_id: str, region: str, table_arn: str, key_arn: str, secret_arns: list[str]) -> list:
    """What the reconciler calls with the node role, beyond reading its parameter (NodeAccessInputs.parameter_arns)
    and PutMetricData in the stack's namespace (already the node's): the cluster's lease item, the table key through
    DynamoDB, the service accounts' secrets. DynamoDB uses a table's customer managed key on behalf of the caller
    and first reads its metadata as the caller (DescribeKey), as the key policy statement the AWS KMS Developer
    Guide gives for DynamoDB tables allows ("How Amazon DynamoDB uses AWS KMS", kms:ViaService dynamodb)."""
    out = [
        {"Sid": "StateLeaseItem", "Effect": "Allow",
         "Action": "dynamodb:UpdateItem", "Resource": table_arn,
         "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [cluster_id]}}},
        {"Sid": "StateTableKeyThroughDynamoDb", "Effect": "Allow",
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}}},
    ]
    if secret_arns:
        out.append({"Sid": "StateServiceAccountKeys", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                    "Resource": sorted(secret_arns)})
    return out


@dataclass
class RustfsStateArgs:
    """Inputs of ``RustfsState``."""

    cluster_id: str
    """The cluster's name (``rustfs-dev``): the instances' ``rustfs:cluster`` tag, the parameter and table names."""
    stack: str
    """The stack's short name: the ``rustfs:stack`` tag, the secret names and the metric namespace."""
    region: str
    """The stack's AWS Region."""
    account_id: pulumi.Input[str]
    """The AWS account ID (the table key's policy)."""
    partition: pulumi.Input[str]
    """The AWS partition (the table key's policy)."""
    secrets_key_arn: pulumi.Input[str]
    """ARN of the KMS key that encrypts the service accounts' secrets (``Keys``' ``secrets`` key)."""
    buckets: list[dict] = field(default_factory=list)
    """Buckets as ``rustfs_state.parse_state`` normalizes ``rustfs.buckets``."""
    policies: list[dict] = field(default_factory=list)
    """RustFS policies as ``rustfs_state.parse_state`` normalizes ``rustfs.policies``."""
    service_accounts: list[dict] = field(default_factory=list)
    """Service accounts as ``rustfs_state.parse_state`` normalizes ``rustfs.serviceAccounts``."""
    extra: pulumi.Input[dict] | None = None
    """Further top-level entries of the desired state (e.g. a tiering component's tiers); their reconciler steps
    must exist in reconciler/rustfs_reconcile.py. May be an output (other components' ARNs)."""
    extra_sizing: dict | None = None
    """``extra`` with the longest values its outputs can take (placeholder ARNs): sizes the parameter before any
    resource when ``extra`` is an output (components/integrations/wiring.py)."""
    reconcile_minutes: int = DEFAULT_INTERVAL_MINUTES
    """Minutes between the timer's runs on each node (``rustfs.reconcileMinutes``)."""
    release_version: str = t.COLLECTOR_RELEASE_DEFAULT
    """AL2023 repository release that python3-boto3 is installed from (``observability.collector.releaseVersion``)."""
    key_admin_role_arn: str | None = None
    """The stack's key-admin role (``security.keyAdminRoleArn``): administers the table key as it does the others."""
    protect: bool | None = False
    """Prod: the table has deletion protection, the secrets a 30-day recovery window, the key and table ``protect``."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, next to each one's ``Name``."""


class RustfsState(pulumi.ComponentResource):
    """The desired RustFS state: service-account secrets, the published parameter, the lease table and its key,
    and the document and association that install the reconciler on the cluster's nodes."""

    parameter_arn: pulumi.Output[str]
    """ARN of the desired-state parameter: the node role reads it."""
    parameter_name: str
    """Its name (``/rustfs/<cluster>/state/desired``)."""
    secret_arns: dict[str, pulumi.Output[str]]
    """Secret ARN by service-account name: applications read their keys there."""
    table_arn: pulumi.Output[str]
    """ARN of the lease and ledger table."""
    key_arn: pulumi.Output[str]
    """ARN of the table's KMS key."""
    node_statements: pulumi.Output[list]
    """The node role's statements for the reconciler (lease item, table key, service-account secrets)."""

    def __init__(self, name: str, args: RustfsStateArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(RustfsStateArgs, args)
        super().__init__("rustfs:state:RustfsState", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=bool(args.protect))
        cluster, stack, tags = args.cluster_id, args.stack, args.tags or {}
        cluster_tag = {"rustfs:cluster": cluster}
        live = [a for a in args.service_accounts if not a["delete"]]
        body = lambda arns, extra: desired_body(  # noqa: E731
            cluster_id=cluster, namespace=t.metric_namespace(stack), buckets=args.buckets, policies=args.policies,
            service_accounts=args.service_accounts, secret_arns=arns, extra=extra)
        # Sized with the longest ARNs first: an oversized state fails here, before any resource, naming the limit.
        sizing = args.extra_sizing if args.extra_sizing is not None else (
            args.extra if isinstance(args.extra, dict) else {})
        tier = rustfs_state.parameter_tier(rustfs_state.document_text(rustfs_state.document(
            body({a["name"]: placeholder_secret_arn(stack, a["name"]) for a in live}, sizing))))

        self.secret_arns = {}
        self.secret_versions: dict[str, aws.secretsmanager.SecretVersion] = {}  # whose value a consumer derives from
        for a in live:
            self.secret_arns[a["name"]] = self._service_account(name, stack, a, args, tags)
        names = sorted(self.secret_arns)
        extra = pulumi.Output.from_input(args.extra or {})
        text = pulumi.Output.all(extra, *[self.secret_arns[n] for n in names]).apply(
            lambda v: rustfs_state.document_text(rustfs_state.document(body(dict(zip(names, v[1:], strict=True)),
                                                                            v[0]))))
        state_sha = text.apply(lambda v: json.loads(v)["revision"])

        key_policy = pulumi.Output.all(args.account_id, args.partition).apply(lambda v: json.dumps(table_key_policy(
            account_id=v[0], partition=v[1], region=args.region, key_admin_role_arn=args.key_admin_role_arn)))
        key = aws.kms.Key(f"{name}-key", description=f"DynamoDB lease and ledger of RustFS {cluster}'s state "
                                                     "reconciler", enable_key_rotation=True,
                          deletion_window_in_days=30, customer_master_key_spec="SYMMETRIC_DEFAULT", policy=key_policy,
                          # Tagged with its purpose like every key of the stack (security/keys.py): the tag is how
                          # keys are told apart by IAM conditions, audits and tests.
                          tags=resource_tags(tags, f"{cluster}-state", stack,
                                             {**cluster_tag, "rustfs:key-purpose": "state"}), opts=protected)
        aws.kms.Alias(f"{name}-key", name=f"alias/rustfs/{stack}/state", target_key_id=key.key_id, opts=child)
        self.table = aws.dynamodb.Table(
            f"{name}-lease", name=table_name(cluster), billing_mode="PAY_PER_REQUEST", hash_key="pk",
            attributes=[aws.dynamodb.TableAttributeArgs(name="pk", type="S")],
            on_demand_throughput=aws.dynamodb.TableOnDemandThroughputArgs(
                max_read_request_units=MAX_REQUEST_UNITS, max_write_request_units=MAX_REQUEST_UNITS),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=key.arn),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=bool(args.protect),
            tags=resource_tags(tags, table_name(cluster), stack, cluster_tag), opts=protected)

        self.parameter_name = parameter_name(cluster)
        self.parameter = aws.ssm.Parameter(
            # insecure_value: the provider marks ``value`` secret, which would hide from the policy pack the one
            # property it must read here; the document holds no secret (rustfs_state.secret_like says so).
            f"{name}-desired", name=self.parameter_name, type="String", tier=tier, insecure_value=text,
            data_type="text",
            description=f"Desired RustFS state of cluster {cluster} (buckets, policies, service accounts; secret "
                        "ARNs, never values)",
            tags=resource_tags(tags, f"{cluster}-state-desired", stack, cluster_tag), opts=child)
        document_name = f"{cluster}-state"
        self.document = aws.ssm.Document(
            f"{name}-install", name=document_name, document_type="Command", document_format="JSON",
            content=document_content(cluster), target_type="/AWS::EC2::Instance",
            tags=resource_tags(tags, document_name, stack, cluster_tag), opts=child)
        self.association = aws.ssm.Association(
            f"{name}-apply", association_name=f"{cluster}-state", name=self.document.name,
            targets=[aws.ssm.AssociationTargetArgs(key="tag:rustfs:cluster", values=[cluster])],
            parameters={"ReleaseVersion": args.release_version, "StateParameter": self.parameter_name,
                        "StateSha256": state_sha, "ScriptSha256": script_sha256(),
                        "IntervalMinutes": str(args.reconcile_minutes)},
            schedule_expression=SCHEDULE, compliance_severity="MEDIUM", max_concurrency=MAX_CONCURRENCY,
            max_errors=MAX_ERRORS, apply_only_at_cron_interval=False,
            tags=resource_tags(tags, f"{cluster}-state", stack, cluster_tag),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.parameter, self.table]))

        self.parameter_arn = self.parameter.arn
        self.table_arn, self.key_arn = self.table.arn, key.arn
        self.node_statements = pulumi.Output.all(self.table.arn, key.arn, *[self.secret_arns[n] for n in names]).apply(
            lambda v: node_statements(cluster_id=cluster, region=args.region, table_arn=v[0], key_arn=v[1],
                                      secret_arns=list(v[2:])))
        self.register_outputs({"parameterName": self.parameter_name, "parameterArn": self.parameter.arn,
                               "tableArn": self.table.arn, "keyArn": key.arn, "secretArns": self.secret_arns,
                               "documentName": self.document.name, "associationId": self.association.association_id})

    def _service_account(self, name: str, stack: str, a: dict, args: RustfsStateArgs, tags: dict) -> pulumi.Output:
        """The account's keys (pulumi-random, ``version`` a keeper) in its own secret; returns the secret's ARN."""
        prefix = f"{name}-sa-{a['name']}"
        child = pulumi.ResourceOptions(parent=self)
        keepers = {"version": str(a["version"])}
        access_key = random.RandomPassword(
            f"{prefix}-access-key", length=ACCESS_KEY_LENGTH, upper=True, lower=False, numeric=True, special=False,
            min_upper=4, min_numeric=4, keepers=keepers, opts=child)
        secret_key = random.RandomPassword(
            f"{prefix}-secret-key", length=SECRET_KEY_LENGTH, upper=True, lower=True, numeric=True, special=False,
            min_upper=4, min_lower=4, min_numeric=4, keepers=keepers, opts=child)
        secret = aws.secretsmanager.Secret(
            f"{prefix}-secret", name=secret_name(stack, a["name"]), kms_key_id=args.secrets_key_arn,
            description=f"RustFS service account {a['name']} of stack {stack} (applied by the state reconciler)",
            recovery_window_in_days=recovery_window_days(bool(args.protect)),
            tags=resource_tags(tags, secret_name(stack, a["name"]), stack, {"rustfs:service-account": a["name"]}),
            opts=pulumi.ResourceOptions(parent=self, protect=bool(args.protect)))
        self.secret_versions[a["name"]] = aws.secretsmanager.SecretVersion(
            f"{prefix}-secret-version", secret_id=secret.id, secret_string=pulumi.Output.secret(
                pulumi.Output.json_dumps({"accessKey": access_key.result, "secretKey": secret_key.result})),
            opts=pulumi.ResourceOptions(parent=secret))
        return secret.arn
