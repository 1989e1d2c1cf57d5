"""IAM documents (pure): parliament + cloudsplaining clean, and each statement scoped as intended."""

from __future__ import annotations

import fnmatch
import json
from functools import cache
from pathlib import Path

import pytest
from iam_eval import as_list
from iam_review import ALLOWED, allow_list_key, review, unexplained

from preflight.runner import run_stack
from rustfs_aws.eks.load_balancer_controller import controller_policy
from rustfs_aws.eks.platform import ebs_csi_policy
from rustfs_aws.security.iam_documents import (
    EC2_ON_EXISTING,
    KEY_ADMINISTRATION,
    STACK_TAG,
    NodeAccess,
    cross_account_policy,
    cross_account_trust,
    log_delivery_policy,
    node_policy,
    operator_policy,
    operator_trust,
    permissions_boundary,
    service_trust,
)
from rustfs_aws.security.key_policies import PURPOSES, key_policy
from rustfs_model.ssm_documents import ssm_document_problem

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rustfs/dev/root-credentials-AbC123"
SECRETS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-1111-1111-1111-111111111111"
DATA_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/22222222-2222-2222-2222-222222222222"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/rustfs/rustfs-dev/rustfs"
ACCESS = NodeAccess(partition="aws", region=REGION, account_id=ACCOUNT, stack="dev", secret_arns=[SECRET],
                    secrets_key_arn=SECRETS_KEY, data_key_arn=DATA_KEY, log_group_arns=[f"{LOG_GROUP}:*"],
                    hosted_zone_id="Z0123456789ABC", record_domain="dev.rustfs.internal")
OPERATORS = ["arn:aws:iam::123456789012:role/StorageOps", "arn:aws:iam::123456789012:user/alice"]


@cache
def documents() -> dict[str, tuple[str, dict]]:
    """Every document the stack generates, by label: (kind, document)."""
    docs = {
        "boundary": ("boundary", permissions_boundary(name="rustfs-dev", stack="dev", partition="aws")),
        "node": ("identity", node_policy(ACCESS)),
        "node-trust": ("trust", service_trust("ec2.amazonaws.com")),
        "operator-trust": ("trust", operator_trust(OPERATORS, 3600)),
        "operator": ("identity", operator_policy(partition="aws", region=REGION, account_id=ACCOUNT,
                                                 name="rustfs-dev", stack="dev")),
        "cross-account-trust": ("trust", cross_account_trust(partition="aws", account_id="210987654321",
                                                             external_id="dr-account-external-id-1")),
        "cross-account": ("identity", cross_account_policy(region=REGION)),
        "trail-logs-trust": ("trust", service_trust("cloudtrail.amazonaws.com")),
        "dlm-trust": ("trust", service_trust("dlm.amazonaws.com", ACCOUNT,
                                             f"arn:aws:dlm:{REGION}:{ACCOUNT}:policy/*")),
        "trail-logs": ("identity", log_delivery_policy(f"{LOG_GROUP}:*")),
        # EKS mode (components/eks/): the EBS CSI driver's and the load balancer controller's roles.
        "ebs-csi": ("identity", ebs_csi_policy(partition="aws", region=REGION, account_id=ACCOUNT, stack="eks",
                                               cluster_id="rustfs-eks", data_key_arn=DATA_KEY)),
        "lb-controller": ("identity", controller_policy(partition="aws", region=REGION, account_id=ACCOUNT,
                                                        cluster="rustfs-eks", vpc_id="vpc-0123456789abcdef0",
                                                        namespace="rustfs", service="rustfs")),
    }
    for purpose in PURPOSES:
        for admin in (None, "arn:aws:iam::123456789012:role/KeyAdmin"):
            docs[f"key-{purpose}-{'admin' if admin else 'account'}"] = ("key-policy", key_policy(
                purpose, name="rustfs-dev", account_id=ACCOUNT, partition="aws", region=REGION,
                key_admin_role_arn=admin, trail_name="rustfs-dev-trail", config_delivery=True))
    return docs


@pytest.mark.parametrize("label", sorted(documents()))
def test_document_has_no_unexplained_finding(label):
    kind, doc = documents()[label]
    assert unexplained(doc, kind) == [], label


# dev, and prod with every optional role (operators, a DR account) and a snapshot copy region.
PROD_WITH_OPTIONAL_ROLES = {
    "rustfs-aws:security": {"operatorPrincipals": OPERATORS, "crossAccount": {
        "accountId": "210987654321", "externalId": "dr-account-external-id-1"}},
    "rustfs-aws:backup": {"copyRegion": "us-west-2"},
}


@cache
def recorded_documents() -> list[tuple[str, dict]]:
    """Every IAM-style document the dev and prod stacks declare, as the engine sees it."""
    found = []
    for rec in (run_stack("dev"), run_stack("prod", overrides=PROD_WITH_OPTIONAL_ROLES)):
        found += [("identity", json.loads(r.inputs["policy"]))
                  for r in rec.of_type("aws:iam/rolePolicy:RolePolicy")]
        found += [("trust", json.loads(r.inputs["assumeRolePolicy"])) for r in rec.of_type("aws:iam/role:Role")]
        found += [("key-policy", json.loads(r.inputs["policy"])) for r in rec.of_type("aws:kms/key:Key")]
        found += [("bucket-policy", json.loads(r.inputs["policy"]))
                  for r in rec.of_type("aws:s3/bucketPolicy:BucketPolicy")]
        found += [("boundary" if r.name.endswith("-permissions-boundary") else "identity",
                   json.loads(r.inputs["policy"])) for r in rec.of_type("aws:iam/policy:Policy")]
    return found


def test_every_document_the_stack_declares_has_no_unexplained_finding():
    for kind, doc in recorded_documents():
        assert unexplained(doc, kind) == [], json.dumps(doc)[:300]


def delivery_documents() -> list[tuple[str, dict]]:
    """The bootstrap program's documents (bootstrap/permissions.py): the delivery roles share the allow-list."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bootstrap"))
    import permissions

    data = json.loads((Path(__file__).resolve().parent.parent / "bootstrap" / "managed.json").read_text())["stacks"]
    return permissions.reviewed_documents([permissions.StackFacts.from_json(s, v) for s, v in data.items()],
                                          partition="aws", account=ACCOUNT, repository="acme/rustfs-aws")


def test_every_allow_list_entry_is_still_needed():
    docs = [*documents().values(), *recorded_documents(), *delivery_documents()]
    used = {allow_list_key(kind, f) for kind, doc in docs for f in review(doc, kind)}
    stale = set(ALLOWED) - used
    assert not stale, f"allow-list entries no document needs any more: {sorted(stale)}"


def sids(doc: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in doc["Statement"]}


# --- node policy -------------------------------------------------------------------------------------

def test_node_policy_statements_are_scoped_to_stack_arns_or_conditioned():
    for stmt in node_policy(ACCESS)["Statement"]:
        resources = as_list(stmt["Resource"])
        if resources == ["*"]:
            assert stmt.get("Condition"), f"{stmt['Sid']}: Resource * without a condition"
        else:
            assert all(ACCOUNT in r or ":route53:::" in r for r in resources), stmt["Sid"]


def test_node_reads_only_its_secrets_and_decrypts_only_through_secrets_manager():
    s = sids(node_policy(ACCESS))
    assert s["ReadOwnSecrets"]["Resource"] == [SECRET]
    assert s["DecryptOwnSecrets"]["Resource"] == SECRETS_KEY
    assert s["DecryptOwnSecrets"]["Condition"]["StringEquals"]["kms:ViaService"] == \
        f"secretsmanager.{REGION}.amazonaws.com"
    for sid in ("UseDataKeyThroughEc2", "LetEc2GrantDataKeyToInstance"):
        assert s[sid]["Resource"] == DATA_KEY
        assert s[sid]["Condition"]["StringEquals"]["kms:ViaService"] == f"ec2.{REGION}.amazonaws.com"
    assert s["LetEc2GrantDataKeyToInstance"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    # Bool on a key that Decrypt requests never carry would silently deny them.
    assert "Bool" not in s["UseDataKeyThroughEc2"]["Condition"]


def test_node_writes_only_its_log_groups_and_metric_namespace():
    s = sids(node_policy(ACCESS))
    assert s["WriteOwnLogGroups"]["Resource"] == [LOG_GROUP, f"{LOG_GROUP}:log-stream:*"]
    assert "logs:CreateLogGroup" not in s["WriteOwnLogGroups"]["Action"]
    # RustFS's own metrics (OTLP through the collector) and the node scripts' (certificate expiry), nothing else.
    assert s["PutOwnMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": ["RustFS", "RustFS/Node"]}}


def test_node_takes_over_only_volumes_and_interfaces_tagged_for_its_cluster():
    s = sids(node_policy(ACCESS))
    takeover = s["TakeOverOwnVolumes"]
    assert takeover["Condition"] == {"StringEquals": {f"aws:ResourceTag/{STACK_TAG}": "dev"}}
    custom = sids(node_policy(NodeAccess(**{**ACCESS.__dict__, "volume_tag": ("rustfs:cluster", "c1")})))
    assert custom["TakeOverOwnVolumes"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/rustfs:cluster": "c1"}}
    assert not {"ec2:TerminateInstances", "ec2:DeleteVolume"} & set(takeover["Action"])


def test_node_upserts_only_a_records_below_its_domain_in_its_zone():
    dns = sids(node_policy(ACCESS))["UpdateOwnDnsRecords"]
    assert dns["Resource"] == "arn:aws:route53:::hostedzone/Z0123456789ABC"
    assert dns["Condition"]["ForAllValues:StringLike"] == {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": "*.dev.rustfs.internal"}
    assert dns["Condition"]["ForAllValues:StringEquals"] == {
        "route53:ChangeResourceRecordSetsRecordTypes": "A", "route53:ChangeResourceRecordSetsActions": "UPSERT"}
    read = sids(node_policy(ACCESS))["ReadOwnZoneRecords"]  # takeover.py checks its record before writing
    assert (read["Action"], read["Resource"]) == ("route53:ListResourceRecordSets",
                                                  "arn:aws:route53:::hostedzone/Z0123456789ABC")


def test_no_identity_policy_grants_iam_or_a_full_service_wildcard():
    for label, (kind, doc) in documents().items():
        if kind != "identity":
            continue
        for stmt in doc["Statement"]:
            for action in as_list(stmt["Action"]):
                assert not action.startswith("iam:") and not action.endswith(":*") and action != "*", label


# --- boundary ----------------------------------------------------------------------------------------

def test_boundary_denies_identity_organizations_and_key_administration():
    s = sids(permissions_boundary(name="rustfs-dev", stack="dev", partition="aws"))
    denied = s["NoIdentityOrOrganizationAdministration"]["Action"]
    assert "organizations:*" in denied
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole",
                   "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary"):
        assert any(fnmatch.fnmatchcase(action, pattern) for pattern in denied), action
    # Reads stay allowed: AWS Config records IAM resources through a role under this boundary.
    assert not any(fnmatch.fnmatchcase("iam:GetRole", p) or fnmatch.fnmatchcase("iam:ListRoles", p)
                   for p in denied)
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateKey", "kms:DisableKey"} <= \
        set(s["NoKeyAdministration"]["Action"])
    # Using keys (and EBS's CreateGrant) stays possible; administration does not.
    assert not {"kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey*"} & set(KEY_ADMINISTRATION)
    for sid in ("NoIdentityOrOrganizationAdministration", "NoKeyAdministration"):
        assert s[sid]["Effect"] == "Deny" and "Condition" not in s[sid]


def test_boundary_confines_roles_to_the_stacks_tagged_resources():
    s = sids(permissions_boundary(name="rustfs-dev", stack="dev", partition="aws"))
    other = {"StringNotEquals": {f"aws:ResourceTag/{STACK_TAG}": "dev"}}
    for sid in ("NoEc2ResourcesOfOtherStacks", "NoSecretsOfOtherStacks", "NoKeysOfOtherStacks"):
        assert s[sid]["Effect"] == "Deny" and s[sid]["Condition"] == other
    assert {"ec2:AttachVolume", "ec2:DetachVolume", "ec2:AttachNetworkInterface"} <= set(EC2_ON_EXISTING)
    assert s["NoWritesToOtherBuckets"]["NotResource"] == ["arn:aws:s3:::rustfs-dev-*",
                                                          "arn:aws:s3:::rustfs-dev-*/*"]
    assert s["NoWritesToOtherLogGroups"]["NotResource"] == "arn:aws:logs:*:*:log-group:/rustfs/rustfs-dev/*"


# --- operator and cross-account ----------------------------------------------------------------------

def test_operator_trust_requires_recent_mfa_and_names_only_configured_principals():
    stmt = operator_trust(OPERATORS, 3600)["Statement"][0]
    assert stmt["Principal"] == {"AWS": sorted(OPERATORS)}
    assert stmt["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                 "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}


def test_operator_starts_sessions_only_on_stack_nodes_with_the_shell_document():
    s = sids(operator_policy(partition="aws", region=REGION, account_id=ACCOUNT, name="rustfs-dev",
                             stack="dev"))
    nodes = s["StartSessionsOnStackNodes"]
    assert nodes["Resource"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/*"
    # Without --document-name Session Manager would use the account's default document: the check makes it ask
    # for a grant on it, and there is none (operations/sessions.py).
    assert nodes["Condition"] == {"StringEquals": {f"ssm:resourceTag/{STACK_TAG}": "dev"},
                                  "BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    # The stack's own session document belongs to the account: its ARN names it.
    assert s["StartSessionsWithShellDocument"]["Resource"] == \
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/rustfs-dev-session-shell"
    assert s["ManageOwnSessions"]["Resource"].endswith(":session/${aws:userid}-*")
    assert s["ReadStackLogs"]["Resource"].endswith("log-group:/rustfs/rustfs-dev/*")
    writes = {(sid, a) for sid, st in s.items() for a in as_list(st["Action"])
              if a.split(":")[1].startswith(("Put", "Delete", "Create", "Update", "Send"))}
    # The one write: Run Command with the stack's restart and patch documents on its nodes (tests/test_operations.py).
    assert writes == {("SendOperationsDocumentsToStackNodes", "ssm:SendCommand")}
    documents = [f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/rustfs-dev-{kind}" for kind in (
        "patch-node", "restart-coordinated", "restart-rolling")]
    assert s["SendOperationsDocumentsToStackNodes"]["Resource"] == [*documents, nodes["Resource"]]
    assert s["SendOperationsDocumentsToStackNodes"]["Condition"] == {
        "StringEquals": {f"ssm:resourceTag/{STACK_TAG}": "dev"}}
    assert s["ReadOperationsDocuments"]["Resource"] == documents


def test_cross_account_trust_requires_the_external_id():
    stmt = cross_account_trust(partition="aws", account_id="210987654321",
                               external_id="dr-account-external-id-1")["Statement"][0]
    assert stmt["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}
    assert stmt["Condition"] == {"StringEquals": {"sts:ExternalId": "dr-account-external-id-1"}}


def test_service_trust_carries_the_source_conditions_the_service_sends():
    stmt = documents()["dlm-trust"][1]["Statement"][0]
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                                 "ArnLike": {"aws:SourceArn": f"arn:aws:dlm:{REGION}:{ACCOUNT}:policy/*"}}
    # CloudTrail sends neither when it assumes its CloudWatch Logs role: no condition, or CreateTrail fails.
    assert "Condition" not in documents()["trail-logs-trust"][1]["Statement"][0]


def test_service_trust_refuses_a_condition_the_service_never_sends():
    with pytest.raises(ValueError, match="does not send"):
        service_trust("cloudtrail.amazonaws.com", ACCOUNT)
    with pytest.raises(ValueError, match="not in rustfs_model.service_context"):
        service_trust("unknown.amazonaws.com", ACCOUNT)


@pytest.mark.parametrize(("arn", "problem"), [
    ("arn:aws:ssm:eu-west-1::document/AWS-RunShellScript", None),
    ("arn:aws:ssm:eu-west-1:123456789012:document/SSM-SessionManagerRunShell", None),
    ("arn:aws:ssm:eu-west-1::document/SSM-SessionManagerRunShell", "needs the account id"),
    ("arn:aws:ssm:eu-west-1:123456789012:document/AWS-RunShellScript", "has no account id"),
    ("arn:aws:ssm:eu-west-1::document/AmazonCloudWatch-ManageAgent", None),
    ("arn:aws:ssm:::document/AWS-RunShellScript", "regional"),
    ("arn:aws:ssm:eu-west-1::document/*", None),
    ("arn:aws:ssm:eu-west-1::document/rustfs-*", "needs the account id"),
    ("arn:aws:ssm:eu-west-1:123456789012:parameter/x", None),
])
def test_ssm_document_arns_are_classified_by_owner(arn, problem):
    found = ssm_document_problem(arn)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize(("service", "condition", "issue"), [
    ("cloudtrail.amazonaws.com", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, "TRUST_CONDITION_KEY_NOT_SENT"),
    ("ec2.amazonaws.com", {"ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/*"}},
     "TRUST_CONDITION_KEY_NOT_SENT"),
    ("dlm.amazonaws.com", {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}, None),
    ("cloudtrail.amazonaws.com", {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}, None),
    ("new.amazonaws.com", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, "TRUST_SERVICE_UNKNOWN"),
])
def test_trust_review_fails_conditions_the_service_cannot_satisfy(service, condition, issue):
    trust = {"Version": "2012-10-17", "Statement": [{"Sid": "T", "Effect": "Allow", "Principal": {
        "Service": service}, "Action": "sts:AssumeRole", "Condition": condition}]}
    issues = {f.issue for f in review(trust, "trust")} - {"CREDENTIALS_EXPOSURE"}
    assert issues == ({issue} if issue else set()), issues


def test_every_recorded_trust_and_document_arn_was_reviewed():
    """The review above ran over every role trust of dev and prod (with optional roles): make sure the
    recordings hold the trusts this class is about, so the check cannot pass vacuously."""
    services = {s for kind, doc in recorded_documents() if kind == "trust" for st in doc["Statement"]
                for s in as_list(st.get("Principal", {}).get("Service", []))}
    assert {"ec2.amazonaws.com", "dlm.amazonaws.com", "cloudtrail.amazonaws.com",
            "vpc-flow-logs.amazonaws.com"} <= services, services
    arns = [r for kind, doc in recorded_documents() for st in doc["Statement"] for r in as_list(st.get("Resource"))
            if isinstance(r, str) and ":document/" in r]
    assert any(a.endswith("-session-shell") and ":123456789012:" in a for a in arns), arns
