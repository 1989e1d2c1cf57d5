"""The bootstrap/ program: GitHub's OIDC provider, the deploy role per stack and the read-only preview role.

Checked against the main program itself (its preflight recordings: every type it declares has actions, every ARN it
creates is inside its own deploy role's scope and outside the other stack's), against IAM (policy_sentry's
definitions for every action; parliament and cloudsplaining through tests/iam_review.py; the evaluator of
tests/iam_eval.py for what each role may and may not do), and end to end through preflight and the policy pack.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from iam_eval import Request, _glob, evaluate
from iam_review import unexplained

from preflight import fake_delivery
from preflight.fake_account import FakeAccount
from preflight.fake_aws import FakeAws
from preflight.runner import run_stack

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "bootstrap"
sys.path.insert(0, str(BOOTSTRAP))
import derive  # noqa: E402
import permissions as p  # noqa: E402

ACCOUNT, PARTITION, REPO = "123456789012", "aws", "acme/rustfs-aws"
KW = {"partition": PARTITION, "account": ACCOUNT}
DEPLOYED = list(derive.DEPLOYED)
# bootstrap/__main__.py is the program itself (it declares resources when imported): read its default as text.
DEFAULT_SESSION_SECONDS = int(re.search(r"^DEFAULT_SESSION_SECONDS = ([0-9_]+)$",
                                        (BOOTSTRAP / "__main__.py").read_text(), re.M).group(1))


@pytest.fixture(scope="module")
def recordings():
    return {stack: run_stack(stack) for stack in DEPLOYED}


@pytest.fixture(scope="module")
def facts():
    data = json.loads((BOOTSTRAP / "managed.json").read_text())["stacks"]
    return {stack: p.StackFacts.from_json(stack, data[stack]) for stack in data}


@pytest.fixture(scope="module")
def bootstrap():
    return run_stack("bootstrap", project_dir=BOOTSTRAP)


# ---- the derivation -------------------------------------------------------------------------------------------

def test_managed_json_is_what_the_current_program_manages(recordings):
    data = json.loads((BOOTSTRAP / "managed.json").read_text())["stacks"]
    assert sorted(data) == DEPLOYED
    for stack, recording in recordings.items():
        assert derive.facts_of(recording) == data[stack], f"run venv/bin/python bootstrap/derive.py ({stack})"


def test_every_type_the_program_declares_has_its_actions(recordings):
    hybrid = run_stack("dev", {"rustfs-aws:hybrid": {"onPremCidrs": ["10.0.0.0/16"], "directConnect": {},
                                                     "vpn": {"customerGatewayIp": "100.20.30.40", "bgpAsn": 65010,
                                                             "staticRoutes": ["10.0.0.0/16"]}}})
    for recording in [*recordings.values(), hybrid]:
        p.grants(sorted({r.type for r in recording.resources if r.custom}))  # raises for a type without actions
    with pytest.raises(p.UnknownResourceType, match="aws:lambda/function:Function.*bootstrap/permissions.py GRANTS"):
        p.grants(["aws:lambda/function:Function"])


def test_a_dr_secondarys_deploy_role_derives_and_works_in_both_regions():
    """derive.py dr: the secondary's recording (its stack reference served by a preflight run of prod) has actions
    for every type, fits IAM's quotas, and reaches the accepter side in the primary's Region."""
    dr = p.StackFacts.from_json("dr", derive.facts("dr"))
    assert dr.regions == ["us-east-1", "us-west-2"]
    parts = p.split(p.deploy_policy(dr, **KW))
    assert all(len(p.compact(d)) <= fake_delivery.MANAGED_POLICY_MAX for d in parts)
    identity, boundary = _identity(parts), p.deploy_boundary(dr, **KW)
    for action, region in (("ec2:CreateVpcPeeringConnection", "us-west-2"), ("ec2:AcceptVpcPeeringConnection",
                                                                            "us-east-1"),
                           ("ec2:ModifyVpcPeeringConnectionOptions", "us-east-1")):
        request_ = _request(action, f"arn:aws:ec2:{region}:{ACCOUNT}:vpc-peering-connection/pcx-1", region)
        assert evaluate(request_, identity, boundary).allowed, action
    assert not evaluate(_request("ec2:AcceptVpcPeeringConnection", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:"
                                 "vpc-peering-connection/pcx-1", "eu-west-1"), identity, boundary).allowed


def test_every_action_is_an_iam_action_and_the_anywhere_ones_have_no_resource_level_permissions():
    from policy_sentry.querying.actions import get_action_data, get_actions_that_support_wildcard_arns_only

    wildcard_only = {}

    def only_star(action: str) -> bool:
        svc = p.service(action)
        wildcard_only.setdefault(svc, {a.lower() for a in get_actions_that_support_wildcard_arns_only(svc)})
        return action.lower() in wildcard_only[svc]

    for type_token, grant in p.GRANTS.items():
        for action in (*grant.manage, *grant.anywhere, *grant.read):
            svc, name = action.split(":")
            assert get_action_data(svc, name).get(svc), f"{type_token}: {action} is no IAM action"
        # config:PutConfigurationRecorder has a resource type in policy_sentry's newer definitions (iam_review.py)
        assert [a for a in grant.manage if only_star(a)] == [], type_token
        assert [a for a in grant.anywhere if not only_star(a)] == [], type_token
    for action in p.LOOKUPS:
        svc, name = action.split(":")
        assert get_action_data(svc, name).get(svc), action


def _arn_of(resource) -> str | None:
    arn = resource.outputs.get("arn")
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


# Services whose ARNs carry AWS-generated ids only: scoped to the account and Regions, not to one stack.
ACCOUNT_WIDE = {"ec2", "route53", "dlm"}


def test_each_deploy_role_reaches_every_arn_of_its_stack_and_no_arn_of_the_other(recordings, facts):
    checked = 0
    for stack, recording in recordings.items():
        other = next(s for s in DEPLOYED if s != stack)
        for resource in recording.resources:
            arn = _arn_of(resource)
            if not arn or resource.type == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
                continue
            svc = arn.split(":")[2]
            mine = [pattern for pattern in p.arns(svc, facts[stack], PARTITION, ACCOUNT) if _glob(pattern, arn, False)]
            assert mine, f"{stack}: {arn} outside {p.arns(svc, facts[stack], PARTITION, ACCOUNT)}"
            if svc in ACCOUNT_WIDE or not any(f"rustfs-{stack}" in m or f"rustfs/{stack}/" in m for m in mine):
                continue  # an id AWS generates (KMS keys, SSM windows and baselines): the account and Region only
            theirs = p.arns(svc, facts[other], PARTITION, ACCOUNT)
            assert not any(_glob(pattern, arn, False) for pattern in theirs), f"{other}'s role reaches {arn}"
            checked += 1
    assert checked > 150


# ---- what the roles may and may not do ------------------------------------------------------------------------

def _identity(documents: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": [s for d in documents for s in d["Statement"]]}


def _request(action: str, resource: str, region: str = "us-east-1", **context) -> Request:
    return Request(action, resource, tuple({"aws:RequestedRegion": region, **context}.items()), action)


def _deploy(facts, stack):
    return (_identity(p.split(p.deploy_policy(facts[stack], **KW))), p.deploy_boundary(facts[stack], **KW))


IAM = f"arn:aws:iam::{ACCOUNT}"
DEV_BOUNDARY = f"{IAM}:policy/rustfs-dev-permissions-boundary"


@pytest.mark.parametrize(("why", "request_", "allowed"), [
    ("a stack role under the stack's boundary", _request("iam:CreateRole", f"{IAM}:role/rustfs-dev-node",
                                                          **{"iam:PermissionsBoundary": DEV_BOUNDARY}), True),
    ("a stack role without the boundary", _request("iam:CreateRole", f"{IAM}:role/rustfs-dev-node"), False),
    ("a role under another boundary", _request("iam:CreateRole", f"{IAM}:role/rustfs-dev-x", **{
        "iam:PermissionsBoundary": f"{IAM}:policy/rustfs-prod-permissions-boundary"}), False),
    ("prod's role", _request("iam:PutRolePolicy", f"{IAM}:role/rustfs-prod-node"), False),
    ("its own role", _request("iam:PutRolePolicy", f"{IAM}:role/rustfs-deploy-dev"), False),
    ("its own boundary", _request("iam:CreatePolicyVersion", f"{IAM}:policy/rustfs-deploy-dev-permissions-boundary"),
     False),
    ("the OIDC provider", _request("iam:UpdateOpenIDConnectProviderThumbprint",
                                   f"{IAM}:oidc-provider/token.actions.githubusercontent.com"), False),
    ("pass a stack role to EC2", _request("iam:PassRole", f"{IAM}:role/rustfs-dev-node",
                                          **{"iam:PassedToService": "ec2.amazonaws.com"}), True),
    ("pass a stack role to Lambda", _request("iam:PassRole", f"{IAM}:role/rustfs-dev-node",
                                             **{"iam:PassedToService": "lambda.amazonaws.com"}), False),
    ("attach AdministratorAccess", _request("iam:AttachRolePolicy", f"{IAM}:role/rustfs-dev-node", **{
        "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}), False),
    ("attach SSM core", _request("iam:AttachRolePolicy", f"{IAM}:role/rustfs-dev-node", **{
        "iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}), True),
    ("a user (dev declares none)", _request("iam:CreateUser", f"{IAM}:user/rustfs/rustfs-dev-tier"), False),
    ("assume a stack role", _request("sts:AssumeRole", f"{IAM}:role/rustfs-dev-node"), False),
    ("a VPC in the stack's Region", _request("ec2:CreateVpc", f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/*"), True),
    ("a VPC elsewhere", _request("ec2:CreateVpc", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc/*", "eu-west-1"), False),
    ("a dev bucket", _request("s3:CreateBucket", "arn:aws:s3:::rustfs-dev-logs-123456789012-us-east-1"), True),
    ("a prod bucket", _request("s3:DeleteBucket", "arn:aws:s3:::rustfs-prod-logs-123456789012-us-east-1"), False),
    ("object reads", _request("s3:GetObject", "arn:aws:s3:::rustfs-dev-logs-123456789012-us-east-1/x"), False),
    ("a KMS key", _request("kms:CreateKey", "*"), True),
    ("decrypt directly", _request("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1"), False),
    ("decrypt through Secrets Manager", _request("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1", **{
        "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}), True),
    ("a dev secret value", _request("secretsmanager:GetSecretValue",
                                    f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rustfs/dev/root-x"), True),
    ("a prod secret value", _request("secretsmanager:GetSecretValue",
                                     f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rustfs/prod/root-x"), False),
    ("the account's session preferences (prod owns them)", _request(
        "ssm:UpdateDocument", f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/SSM-SessionManagerRunShell"), False),
])
def test_what_the_dev_deploy_role_may_do(facts, why, request_, allowed):
    identity, boundary = _deploy(facts, "dev")
    verdict = evaluate(request_, identity, boundary)
    assert verdict.allowed is allowed, (why, verdict)


PROD_BOUNDARY = f"{IAM}:policy/rustfs-prod-permissions-boundary"


@pytest.mark.parametrize(("request_", "allowed"), [
    (_request("iam:CreateUser", f"{IAM}:user/rustfs/rustfs-prod-tier", **{"iam:PermissionsBoundary": PROD_BOUNDARY}),
     True),
    # Unbounded, an inline policy and an access key would make it an administrator.
    (_request("iam:CreateUser", f"{IAM}:user/rustfs/rustfs-prod-tier"), False),
    (_request("iam:CreateUser", f"{IAM}:user/rustfs/rustfs-prod-tier", **{"iam:PermissionsBoundary": DEV_BOUNDARY}),
     False),
    (_request("iam:DeleteUserPermissionsBoundary", f"{IAM}:user/rustfs/rustfs-prod-tier"), False),
    (_request("iam:PutUserPolicy", f"{IAM}:user/rustfs/rustfs-prod-tier"), True),
])
def test_the_prod_deploy_role_creates_its_tier_user_only_under_the_stacks_boundary(facts, request_, allowed):
    identity, boundary = _deploy(facts, "prod")
    assert evaluate(request_, identity, boundary).allowed is allowed, request_


def test_prod_owns_the_accounts_session_preferences_and_the_config_recorder(facts):
    identity, boundary = _deploy(facts, "prod")
    for request_ in (_request("ssm:UpdateDocument", f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/"
                                                    "SSM-SessionManagerRunShell"),
                     _request("config:PutDeliveryChannel", "*"),
                     _request("s3:CreateBucket", "arn:aws:s3:::rustfs-prod-replica-123456789012-us-west-2",
                              "us-west-2")):
        assert evaluate(request_, identity, boundary).allowed, request_.action


@pytest.mark.parametrize(("request_", "allowed"), [
    (_request("ec2:DescribeVpcs", "*"), True),
    (_request("iam:GetRole", f"{IAM}:role/rustfs-prod-node"), True),
    (_request("ssm:GetParameter", "arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-"
                                  "kernel-default-x86_64"), True),
    (_request("ec2:CreateVpc", f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/*"), False),
    (_request("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:rustfs/dev/x"),
     False),
    (_request("ssm:GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/rustfs/rustfs-dev/collector/config"),
     False),
    (_request("s3:GetObject", "arn:aws:s3:::rustfs-dev-logs-123456789012-us-east-1/a"), False),
    (_request("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1"), False),
])
def test_the_preview_role_reads_and_nothing_else(facts, request_, allowed):
    deployed = [facts[s] for s in DEPLOYED]
    identity = _identity(p.split(p.preview_policy(deployed, partition=PARTITION)))
    assert evaluate(request_, identity, p.preview_boundary(deployed)).allowed is allowed, request_.action


def test_every_document_passes_parliament_and_cloudsplaining(facts):
    documents = p.reviewed_documents([facts[s] for s in DEPLOYED], repository=REPO, **KW)
    assert {kind for kind, _ in documents} == {"identity", "boundary", "trust"} and len(documents) > 10
    findings = [f for kind, document in documents for f in unexplained(document, kind)]
    assert findings == [], "\n".join(map(str, findings))


def test_documents_fit_iams_size_quotas_and_the_fake_refuses_one_that_does_not(facts):
    for stack in facts.values():
        parts = p.split(p.deploy_policy(stack, **KW))
        assert len(parts) <= p.MAX_MANAGED_POLICIES_PER_ROLE
        assert all(len(p.compact(d)) <= fake_delivery.MANAGED_POLICY_MAX for d in parts)
    big = {"Version": "2012-10-17", "Statement": [{"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:ListBucket",
                                                   "Resource": f"arn:aws:s3:::b{i:04d}"} for i in range(120)]}
    with pytest.raises(fake_delivery.IamApiError, match="LimitExceeded: Cannot exceed quota for PolicySize: 6144"):
        fake_delivery.check_policy_size("PolicySize", fake_delivery.MANAGED_POLICY_MAX)(lambda f, n, i: ("", {}))(
            None, "big", {"policy": json.dumps(big)})
    assert len(p.split(big)) == 2


def test_the_fake_refuses_an_eleventh_managed_policy_and_inline_policies_over_10240_together():
    """IAM quotas: 10 managed policies attached to a role (default), 10,240 characters of inline policies per role
    summed over its policies (each of these is under the limit alone)."""
    fake = FakeAws("us-east-1")
    attach = fake_delivery.check_attachment_count(lambda f, n, i: (n, {}))
    for i in range(fake_delivery.MAX_MANAGED_POLICIES_PER_ROLE):
        attach(fake, f"a{i}", {"role": "r", "policyArn": f"arn:aws:iam::123456789012:policy/p{i}"})
    attach(fake, "again", {"role": "r", "policyArn": "arn:aws:iam::123456789012:policy/p0"})  # the same policy
    attach(fake, "other-role", {"role": "r2", "policyArn": "arn:aws:iam::123456789012:policy/p10"})
    with pytest.raises(fake_delivery.IamApiError, match="PoliciesPerRole: 10"):
        attach(fake, "a10", {"role": "r", "policyArn": "arn:aws:iam::123456789012:policy/p10"})
    inline = fake_delivery.check_inline_total(lambda f, n, i: (n, {}))
    half = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::" + "b" * 5_400}]})
    inline(fake, "one", {"role": "r", "policy": half})
    inline(fake, "one", {"role": "r", "policy": half})  # the same policy again (an update) counts once
    with pytest.raises(fake_delivery.IamApiError, match="Maximum policy size of 10240"):
        inline(fake, "two", {"role": "r", "policy": half})


# ---- the program ----------------------------------------------------------------------------------------------

ROLE, POLICY = "aws:iam/role:Role", "aws:iam/policy:Policy"


def test_the_provider_trusts_githubs_issuer_for_sts_only_and_each_role_one_subject(bootstrap):
    provider = bootstrap.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider.inputs  # optional in pulumi-aws v7; IAM uses its trusted CAs for GitHub
    subjects = {}
    for role in bootstrap.of_type(ROLE):
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Federated": provider.outputs["arn"]}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        subjects[role.inputs["name"]] = condition["token.actions.githubusercontent.com:sub"]
    assert subjects == {"rustfs-deploy-dev": "repo:acme/rustfs-aws:environment:dev",
                        "rustfs-deploy-prod": "repo:acme/rustfs-aws:environment:prod",
                        "rustfs-preview": "repo:acme/rustfs-aws:pull_request"}


def test_each_role_carries_its_own_boundary_and_its_derived_policies(bootstrap, facts):
    policies = {r.outputs["arn"]: r for r in bootstrap.of_type(POLICY)}
    attached = {}
    for attachment in bootstrap.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        attached.setdefault(attachment.inputs["role"], []).append(policies[attachment.inputs["policyArn"]])
    for role in bootstrap.of_type(ROLE):
        name = role.inputs["name"]
        assert policies[role.inputs["permissionsBoundary"]].inputs["name"] == p.boundary_name(name)
        documents = [json.loads(x.inputs["policy"]) for x in sorted(attached[name], key=lambda x: x.inputs["name"])]
        expected = p.split(p.deploy_policy(facts[name.removeprefix("rustfs-deploy-")], **KW)) \
            if name.startswith("rustfs-deploy-") else p.split(p.preview_policy(list(facts.values()),
                                                                                partition=PARTITION))
        assert documents == expected
        assert role.inputs["maxSessionDuration"] == DEFAULT_SESSION_SECONDS == 10_800  # the up job's 180 minutes


def test_an_account_holds_one_provider_per_url_and_a_second_bootstrap_reuses_it():
    account = FakeAccount(ACCOUNT, trust_existing=True)
    run_stack("bootstrap", project_dir=BOOTSTRAP, fake=FakeAws("us-east-1", account=account))
    from preflight.runner import run_settings
    from preflight.stackfiles import read_stack

    other = read_stack(BOOTSTRAP, "bootstrap")
    other.stack = "second"
    with pytest.raises(fake_delivery.IamApiError, match="EntityAlreadyExists"):
        run_settings(other, project_dir=BOOTSTRAP, fake=FakeAws("us-east-1", account=account))
    reuse = f"{IAM}:oidc-provider/token.actions.githubusercontent.com"
    other.config["rustfs-aws-bootstrap:oidcProvider"] = reuse
    recording = run_settings(other, project_dir=BOOTSTRAP, fake=FakeAws("us-east-1", account=account))
    assert recording.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert recording.outputs["oidcProviderArn"] == reuse


@pytest.mark.parametrize(("key", "value", "message"), [
    ("repository", "not a repo", "rustfs-aws-bootstrap:repository: got 'not a repo'"),
    ("stacks", json.dumps(["dev", "staging"]), "'staging' is not in bootstrap/managed.json"),
    ("stacks", json.dumps(["deploy"]), "not deploy or preview"),
    ("oidcProvider", "arn:aws:iam::123456789012:oidc-provider/example.com", "rustfs-aws-bootstrap:oidcProvider"),
    ("escOidcProvider", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
     "rustfs-aws-bootstrap:escOidcProvider"),
])
def test_invalid_bootstrap_settings_name_the_key(key, value, message):
    with pytest.raises(Exception) as err:
        run_stack("bootstrap", {f"rustfs-aws-bootstrap:{key}": value}, project_dir=BOOTSTRAP)
    assert message in str(err.value)


def test_a_stack_name_that_prefixes_another_is_refused():
    data = json.loads((BOOTSTRAP / "managed.json").read_text())["stacks"]
    known = {**data, "dev-eu": data["dev"]}
    # read_config of the program itself, without its main() (which would declare resources)
    source = (BOOTSTRAP / "__main__.py").read_text().replace("\nmain()\n", "\n")
    namespace: dict = {"__file__": str(BOOTSTRAP / "__main__.py")}
    exec(compile(source, "bootstrap/__main__.py", "exec"), namespace)  # noqa: S102 (the program, without main())

    class Config:
        def get(self, key):
            return {"repository": REPO, "oidcProvider": "create"}.get(key)

        def get_object(self, key):
            return {"stacks": ["dev", "dev-eu"], "tags": {"Owner": "o", "CostCenter": "c"}}.get(key)

        def get_int(self, key):
            return None

    with pytest.raises(namespace["BootstrapConfigError"], match="'dev' is a prefix of 'dev-eu'"):
        namespace["read_config"](Config(), known)


def _preflight(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "preflight", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


@pytest.mark.parametrize("new_stack", [False, True], ids=["deployed", "first-deployment"])
def test_the_bootstrap_program_previews_clean_through_preflight_and_the_pack(tmp_path, new_stack):
    result = _preflight("--cwd", "bootstrap", "--stack", "bootstrap", "--json", str(tmp_path / "b.json"),
                        *(["--new-stack"] if new_stack else []))
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]
    assert result.stdout.rstrip().endswith("preflight bootstrap: 23 resources, 0 mandatory, 0 advisory violations")
    report = json.loads((tmp_path / "b.json").read_text())
    assert report["policy"]["violations"] == []
    names = {r["inputs"].get("name") for r in report["resources"] if r["type"] == ROLE}
    assert names == {"rustfs-deploy-dev", "rustfs-deploy-prod", "rustfs-preview"}


# ---- Pulumi ESC (examples/esc/) -------------------------------------------------------------------------------

ESC_EXAMPLE = ROOT / "examples" / "esc" / "rustfs-aws-prod.yaml"


def test_with_an_esc_organization_each_deploy_role_also_trusts_its_own_esc_environment_only():
    recording = run_stack("bootstrap", {"rustfs-aws-bootstrap:escOrganization": "acme"}, project_dir=BOOTSTRAP)
    providers = {r.inputs["url"]: r for r in recording.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")}
    assert providers["https://api.pulumi.com/oidc"].inputs["clientIdLists"] == ["aws:acme"]
    esc_arn = providers["https://api.pulumi.com/oidc"].outputs["arn"]
    for role in recording.of_type(ROLE):
        statements = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        esc = [s for s in statements if s["Principal"] == {"Federated": esc_arn}]
        if role.inputs["name"] == "rustfs-preview":
            assert esc == []  # pull requests only: ESC deploys, it does not preview here
            continue
        stack = role.inputs["name"].removeprefix("rustfs-deploy-")
        [statement] = esc
        assert statement["Condition"] == {"StringEquals": {
            "api.pulumi.com/oidc:aud": "aws:acme",
            "api.pulumi.com/oidc:sub":
                f"pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:rustfs-aws/{stack}"}}
        assert unexplained(json.loads(role.inputs["assumeRolePolicy"]), "trust") == []


def test_an_account_holds_one_esc_provider_and_a_second_bootstrap_reuses_it():
    account = FakeAccount(ACCOUNT, trust_existing=True)
    esc = {"rustfs-aws-bootstrap:escOrganization": "acme"}
    run_stack("bootstrap", esc, project_dir=BOOTSTRAP, fake=FakeAws("us-east-1", account=account))
    from preflight.runner import run_settings
    from preflight.stackfiles import read_stack

    other = read_stack(BOOTSTRAP, "bootstrap")
    other.stack = "second"
    other.config.update({**esc, "rustfs-aws-bootstrap:oidcProvider":
                         f"{IAM}:oidc-provider/token.actions.githubusercontent.com"})
    with pytest.raises(fake_delivery.IamApiError, match="EntityAlreadyExists: Provider with url https://api.pulumi"):
        run_settings(other, project_dir=BOOTSTRAP, fake=FakeAws("us-east-1", account=account))
    reuse = f"{IAM}:oidc-provider/api.pulumi.com/oidc"
    other.config["rustfs-aws-bootstrap:escOidcProvider"] = reuse
    recording = run_settings(other, project_dir=BOOTSTRAP, fake=FakeAws("us-east-1", account=account))
    assert recording.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    trusted = {s["Principal"]["Federated"] for r in recording.of_type(ROLE)
               for s in json.loads(r.inputs["assumeRolePolicy"])["Statement"]}
    assert reuse in trusted


def test_the_esc_example_logs_in_as_prods_deploy_role_and_its_config_is_valid_for_prod():
    import yaml

    values = yaml.safe_load(ESC_EXAMPLE.read_text())["values"]
    oidc = values["aws"]["login"]["fn::open::aws-login"]["oidc"]
    assert oidc["roleArn"].endswith(":role/rustfs-deploy-prod") and oidc["sessionName"]
    hours = int(oidc["duration"].removesuffix("h"))
    assert 3_600 < hours * 3_600 <= DEFAULT_SESSION_SECONDS  # over an hour, within the role's MaxSessionDuration
    # The trust names the subject these attributes produce (Pulumi IaC's default subject is env:<yaml>).
    assert tuple(oidc["subjectAttributes"]) == p.ESC_SUBJECT_ATTRIBUTES
    assert p.esc_subject("acme", "prod") == ("pulumi:environments:pulumi.organization.login:acme:"
                                             + ":".join(f"{a}:rustfs-aws/prod" for a in oidc["subjectAttributes"]))
    env = values["environmentVariables"]
    assert env == {"AWS_ACCESS_KEY_ID": "${aws.login.accessKeyId}",
                   "AWS_SECRET_ACCESS_KEY": "${aws.login.secretAccessKey}",
                   "AWS_SESSION_TOKEN": "${aws.login.sessionToken}"}
    config = values["pulumiConfig"]
    stack_file = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    assert not set(config) & set(stack_file)  # the stack file would win over these keys
    recording = run_stack("prod", config)  # the program accepts them: the values are valid prod config
    emails = [r.inputs["endpoint"] for r in recording.of_type("aws:sns/topicSubscription:TopicSubscription")]
    assert config["rustfs-aws:observability"]["alarmEmails"][0] in emails
