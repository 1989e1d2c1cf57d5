"""The S3 tier's IAM user and its keys, bucket replication and transfer acceleration (components/integrations/).

The tier user exists because RustFS's S3 tier takes static keys only; such a user is the most exposed identity of
a stack, so it carries the stack's permissions boundary like every role (the boundary's denies - IAM changes,
other stacks' keys and secrets, writes outside the stack's buckets - then hold even for a widened inline policy),
and its access key's secret goes into one Secrets Manager secret version and into nothing else: a stack output, an
SSM String parameter, a tag or user data would keep it in plaintext where its readers are not audited. The pack
cannot see secret markers (the Analyze request carries values), so it checks where an access key's outputs flow.

A replication rule that skips SSE-KMS objects replicates none of a bucket encrypted with SSE-KMS (S3 User Guide,
"Replicating objects created with server-side encryption (SSE-KMS)": without SseKmsEncryptedObjects they are not
replicated), and one without a replica key cannot encrypt what it writes; a rule that does not replicate delete
markers leaves deleted objects readable in the replica. The role S3 assumes for it should reach the two buckets
only, not every bucket of the account. Transfer acceleration serves clients on the internet (their requests reach
``<bucket>.s3-accelerate.amazonaws.com`` at an edge location); on a bucket that denies everyone outside a VPC
endpoint it can never be used and only costs.
"""

from __future__ import annotations

from pulumi_policy import Severity

from . import _iam
from ._kit import Res, aws, get, is_unknown, known_str, resource_policy, stack_policy

USER = aws("iam", "User")
ACCESS_KEY = aws("iam", "AccessKey")
SECRET_VERSION = aws("secretsmanager", "SecretVersion")
REPLICATION = aws("s3", "BucketReplicationConfig")
ROLE = aws("iam", "Role")
ROLE_POLICY = aws("iam", "RolePolicy")
ACCELERATE = aws("s3", "BucketAccelerateConfiguration")
BUCKET_POLICY = aws("s3", "BucketPolicy")


# ---- the tier user and its keys ----

def _check_user_boundary(res: Res, cfg: dict, report) -> None:
    boundary = res.get("permissionsBoundary")
    if boundary is None:
        report(f"IAM user '{res.name}' has no permissions boundary: give it the stack's boundary "
               "(<name>-permissions-boundary), as every role of the stack has.")


user_boundary = resource_policy(
    "rustfs-iam-user-require-permissions-boundary",
    "Every IAM user (the RustFS tier user) carries a permissions boundary.",
    severity=Severity.HIGH, types=[USER], check=_check_user_boundary, checks=["CKV_AWS_273"], topics=["iam"])


def _check_access_keys(resources: list[Res], cfg: dict, report) -> None:
    keys = [r for r in resources if r.type == ACCESS_KEY]
    for key in keys:
        readers = [r for r in resources if r is not key and any(key.urn in urns
                                                                 for urns in r.property_dependency_urns.values())]
        if key.get("pgpKey") is not None:
            continue  # the provider keeps only the PGP-encrypted secret; whoever holds the private key reads it
        leaks = [r for r in readers if r.type != SECRET_VERSION]
        for r in leaks:
            report(f"Access key '{key.name}' flows into {r.type.split(':')[-1]} '{r.name}': only a Secrets Manager "
                   "secret version may take the key's outputs (its secret would be kept in plaintext there).", r.urn)
        if not any(r.type == SECRET_VERSION for r in readers):
            report(f"Access key '{key.name}' is stored in no Secrets Manager secret version: its secret is then only "
                   "in the stack's state and outputs; write it to a secret (encrypted with the stack's key).", key.urn)


access_key_secret = stack_policy(
    "rustfs-iam-accesskey-require-secret-in-secrets-manager",
    "An IAM access key's secret goes into a Secrets Manager secret version and into no other resource.",
    severity=Severity.HIGH, types=[ACCESS_KEY], check=_check_access_keys, checks=["CKV_AWS_273", "IAM.3"],
    topics=["iam", "credentials"], reads_every_type=True)


# ---- replication ----

def _check_rules(res: Res, cfg: dict, report) -> None:
    for i, rule in enumerate(res.items("rules")):
        if not isinstance(rule, dict) or rule.get("status") == "Disabled" or is_unknown(rule):
            continue
        where = f"Replication rule {known_str(rule.get('id')) or i} of '{res.name}'"
        sse = get(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "status")
        if not is_unknown(sse) and sse != "Enabled":
            report(f"{where} skips SSE-KMS objects (sourceSelectionCriteria.sseKmsEncryptedObjects not Enabled): "
                   "S3 replicates none of them.")
        key = get(rule, "destination", "encryptionConfiguration", "replicaKmsKeyId")
        if key is None:
            report(f"{where} names no replica key (destination.encryptionConfiguration.replicaKmsKeyId): replicas "
                   "cannot be encrypted with a key of the destination Region.")
        markers = get(rule, "deleteMarkerReplication", "status")
        if cfg["requireDeleteMarkers"] and not is_unknown(markers) and markers != "Enabled":
            report(f"{where} does not replicate delete markers: objects deleted at the source stay readable in the "
                   "replica (set requireDeleteMarkers false where that is the point).")


replication_rules = resource_policy(
    "rustfs-s3-replication-require-delete-markers-and-kms",
    "Bucket replication rules replicate SSE-KMS objects, re-encrypt them with a replica key, and replicate delete "
    "markers.",
    severity=Severity.HIGH, types=[REPLICATION], check=_check_rules, checks=["CKV_AWS_144"],
    topics=["resilience", "encryption"],
    config={"requireDeleteMarkers": {"type": "boolean", "default": True,
                                     "description": "delete markers must be replicated"}})


def _bucket_arns(config: Res) -> set[str]:
    arns = set()
    source = known_str(config.get("bucket"))
    if source:
        arns.add(source if source.startswith("arn:") else f"arn:aws:s3:::{source}")
    for rule in config.items("rules"):
        dest = known_str(get(rule, "destination", "bucket"))
        if dest:
            arns.add(dest)
    return arns


def _scoped(resource: str, buckets: set[str]) -> bool:
    return any(resource in (b, f"{b}/*") or resource.startswith(f"{b}/") for b in buckets)


def _check_replication_roles(resources: list[Res], cfg: dict, report) -> None:
    roles = [r for r in resources if r.type == ROLE]
    role_policies = [r for r in resources if r.type == ROLE_POLICY]
    for config in (r for r in resources if r.type == REPLICATION):
        arn = config.get("role")
        role = next((r for r in roles if config.refers_to("role", r) or
                     (isinstance(arn, str) and known_str(r.props.get("arn")) == arn)), None)
        if role is None or is_unknown(arn):
            continue
        buckets = _bucket_arns(config)
        documents = [_iam.parse(p.get("policy")) for p in role_policies if p.refers_to("role", role)]
        documents += [_iam.parse(inline.get("policy")) for inline in role.items("inlinePolicies")
                      if isinstance(inline, dict)]
        for statement in (s for d in documents for s in d.statements if _iam.is_allow(s)):
            actions = [a for a in _iam.as_list(statement.get("Action")) if isinstance(a, str)]
            s3 = [a for a in actions if a.lower().startswith("s3:") or a == "*"]
            kms = [a for a in actions if a.lower().startswith("kms:")]
            resources_ = [x for x in _iam.as_list(statement.get("Resource")) if isinstance(x, str)]
            if s3 and buckets and not all(_scoped(x, buckets) for x in resources_):
                report(f"Replication role '{role.name}' allows {', '.join(s3)} on {', '.join(resources_)}: only the "
                       f"replicated buckets ({', '.join(sorted(buckets))}).", role.urn)
            if kms and "*" in resources_:
                report(f"Replication role '{role.name}' allows {', '.join(kms)} on every key: name the source and "
                       "replica keys.", role.urn)
            if any(a in ("*", "s3:*") for a in actions):
                report(f"Replication role '{role.name}' allows {statement.get('Action')}: list the replication "
                       "actions.", role.urn)


replication_role = stack_policy(
    "rustfs-s3-replication-require-scoped-role",
    "The role of a bucket replication configuration reaches only the replicated buckets and names its keys.",
    severity=Severity.HIGH, types=[REPLICATION, ROLE, ROLE_POLICY], check=_check_replication_roles,
    checks=["CKV_AWS_355", "IAM.21"], topics=["iam", "resilience"])


# ---- transfer acceleration ----

def _endpoint_only(documents: list[_iam.Parsed]) -> bool:
    """A Deny for every principal of all S3 actions when the request does not come through a VPC endpoint/VPC."""
    for statement in (s for d in documents for s in d.statements):
        if statement.get("Effect") != "Deny" or "*" not in _iam.principals(statement):
            continue
        actions = {a.lower() for a in _iam.as_list(statement.get("Action")) if isinstance(a, str)}
        condition = statement.get("Condition") or {}
        negated = [k.lower() for op, block in condition.items() if op.startswith("StringNotEquals")
                   and isinstance(block, dict) for k in block]
        if actions & {"*", "s3:*"} and any(k in ("aws:sourcevpce", "aws:sourcevpc") for k in negated):
            return True
    return False


def _check_acceleration(resources: list[Res], cfg: dict, report) -> None:
    policies = [r for r in resources if r.type == BUCKET_POLICY]
    for acc in (r for r in resources if r.type == ACCELERATE):
        if acc.get("status") != "Enabled":
            continue
        bucket = acc.get("bucket")
        documents = [_iam.parse(p.get("policy")) for p in policies
                     if isinstance(bucket, str) and p.get("bucket") == bucket]
        if _endpoint_only(documents):
            report(f"'{acc.name}' turns on transfer acceleration for bucket {bucket}, whose policy refuses every "
                   "request that does not come through a VPC endpoint: accelerated requests arrive from edge "
                   "locations over the internet and can never pass, so acceleration only adds cost.", acc.urn)


acceleration = stack_policy(
    "rustfs-s3-accelerate-disallow-on-endpoint-only-bucket",
    "Transfer acceleration is not turned on for a bucket that only admits requests through a VPC endpoint.",
    severity=Severity.LOW, types=[ACCELERATE, BUCKET_POLICY], check=_check_acceleration, topics=["cost"])

POLICIES = [user_boundary, access_key_secret, replication_rules, replication_role, acceleration]
