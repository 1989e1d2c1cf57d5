"""Session Manager as the only shell (components/operations/sessions.py): what the stacks declare, who may use it,
what the nodes need, the account-level preferences singleton, and no SSH anywhere.

The session document logs to a log group the logs key encrypts (its key policy admits the group), and to the logs
bucket when configured; its stream is encrypted with the logs key, which the operator (GenerateDataKey) and the
node (Decrypt) may use only with a session's encryption context - with a key-admin role too. Only the stack that
owns the account declares SSM-SessionManagerRunShell: the fake account refuses a second one, as CreateDocument
does. checkov's CKV_AWS_112/113 read the same documents (tests/test_checkov.py).
"""

from __future__ import annotations

import json
from functools import cache

import pytest
from dev_node import recording, world
from iam_eval import Request, evaluate
from test_account_singletons import deploy
from test_config import BASE, PROD, only_problem, with_

from preflight.fake_account import DOCUMENT, AccountConflict, FakeAccount
from preflight.fake_operations import AwsRejects
from preflight.fake_ssm import check_session_content
from preflight.runner import run_stack
from rustfs_aws.config import parse
from rustfs_aws.security.iam_documents import operator_policy, permissions_boundary
from rustfs_aws.security.key_policies import key_policy

STACKS = ("dev", "prod")
REGION = "us-east-1"
ACCOUNT = "123456789012"
PREFERENCES = "SSM-SessionManagerRunShell"


def session_documents(r) -> dict[str, dict]:
    return {d.inputs["name"]: d for d in r.of_type("aws:ssm/document:Document")
            if d.inputs["documentType"] == "Session"}


@cache
def content(stack: str) -> dict:
    return json.loads(session_documents(recording(stack))[f"rustfs-{stack}-session-shell"].inputs["content"])


def logs_key(stack: str):
    [key] = [k for k in recording(stack).of_type("aws:kms/key:Key") if k.inputs["tags"]["rustfs:key-purpose"] == "logs"]
    return key


# --- what the stacks declare -----------------------------------------------------------------------------------

def test_only_the_account_owner_declares_the_accounts_session_preferences():
    assert set(session_documents(recording("dev"))) == {"rustfs-dev-session-shell"}
    prod = session_documents(recording("prod"))
    assert set(prod) == {"rustfs-prod-session-shell", PREFERENCES}  # prod: account.ownsAccountResources
    assert prod[PREFERENCES].inputs["content"] == prod["rustfs-prod-session-shell"].inputs["content"]


@pytest.mark.parametrize("stack", STACKS)
def test_sessions_stream_to_an_encrypted_log_group_and_the_stream_is_encrypted(stack):
    body = content(stack)
    assert (body["schemaVersion"], body["sessionType"]) == ("1.0", "Standard_Stream")
    inputs = body["inputs"]
    group = f"/rustfs/rustfs-{stack}/sessions"
    assert inputs["cloudWatchLogGroupName"] == group
    assert inputs["cloudWatchEncryptionEnabled"] is True and inputs["cloudWatchStreamingEnabled"] is True
    key = logs_key(stack)
    assert inputs["kmsKeyId"] == key.outputs["arn"]
    [log_group] = [g for g in recording(stack).of_type("aws:cloudwatch/logGroup:LogGroup") if g.inputs["name"] == group]
    assert log_group.inputs["kmsKeyId"] == key.outputs["arn"]
    # The logs key lets CloudWatch Logs use it for this group (the encryption context names the group).
    policy = json.loads(key.inputs["policy"])
    [logs] = [s for s in policy["Statement"] if s["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}]
    req = Request("kms:GenerateDataKey", key.outputs["arn"], (
        ("kms:EncryptionContext:aws:logs:arn", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"),), "logs")
    assert evaluate(req, {"Statement": [logs]}, {"Statement": [{"Effect": "Allow", "Action": "*",
                                                                 "Resource": "*"}]}).allowed
    check_session_content(f"rustfs-{stack}-session-shell", json.dumps(body))


def test_timeouts_and_run_as_come_from_the_config():
    assert (content("dev")["inputs"]["idleSessionTimeout"], content("dev")["inputs"]["maxSessionDuration"]) == (
        "20", "60")
    assert content("dev")["inputs"]["runAsEnabled"] is False  # ssm-user, which SSM Agent creates
    r = run_stack("dev", {"rustfs-aws:operations": {"sessions": {
        "idleTimeoutMinutes": 10, "maxDurationMinutes": 240, "runAsUser": "rustfs-ops"}}})
    inputs = json.loads(session_documents(r)["rustfs-dev-session-shell"].inputs["content"])["inputs"]
    assert (inputs["idleSessionTimeout"], inputs["maxSessionDuration"]) == ("10", "240")
    assert (inputs["runAsEnabled"], inputs["runAsDefaultUser"]) == (True, "rustfs-ops")


def test_prod_also_keeps_transcripts_in_the_logs_bucket_and_dev_does_not():
    assert content("dev")["inputs"]["s3BucketName"] == ""
    [bucket] = [b for b in recording("prod").of_type("aws:s3/bucket:Bucket") if b.name == "rustfs-prod-audit-logs"]
    inputs = content("prod")["inputs"]
    assert inputs["s3BucketName"] == bucket.outputs["bucket"]
    assert inputs["s3KeyPrefix"] == "session-manager/rustfs-prod/" and inputs["s3EncryptionEnabled"] is True


@pytest.mark.parametrize(("path", "value", "message"), [
    ("operations.sessions.idleTimeoutMinutes", 0, "operations.sessions.idleTimeoutMinutes: got 0; allowed range 1–60"),
    ("operations.sessions.maxDurationMinutes", 2000, "maxDurationMinutes: got 2000; allowed range 1–1,440"),
    ("operations.sessions.runAsUser", "root", "operations.sessions.runAsUser: got 'root'; expected Linux user"),
    ("operations.sessions.runAsUser", "Ops Team", "runAsUser: got 'Ops Team'"),
    ("operations.sessions.s3Logging", "yes", "operations.sessions.s3Logging: got 'yes'; expected true or false"),
    ("operations.sessions.accountPreferences", "create", "exist once per account and Region"),
    ("operations.sessions.accountPreferences", "mine", "allowed values: create | existing"),
])
def test_bad_session_config_is_refused_naming_the_key(path, value, message):
    assert message in only_problem(with_(BASE, path, value))


def test_the_owner_creates_the_preferences_by_default_and_may_leave_them_to_someone_else():
    owner = with_(PROD, "account.ownsAccountResources", True)
    assert parse(owner, stack="prod", region=REGION).operations.sessions.account_preferences == "create"
    assert parse(BASE, stack="dev", region=REGION).operations.sessions.account_preferences == "existing"
    kept = with_(owner, "operations.sessions.accountPreferences", "existing")
    assert parse(kept, stack="prod", region=REGION).operations.sessions.account_preferences == "existing"


# --- one account, one set of preferences -------------------------------------------------------------------------

def test_the_fake_account_refuses_a_second_owner_of_the_session_preferences():
    account = FakeAccount()
    deploy("prod", account)
    assert account.holder(DOCUMENT, REGION, PREFERENCES).stack == "prod"
    # dev stays `existing`: both stacks deploy into the account.
    deploy("dev", account)
    # dev claiming them (with its Config recorder left to prod) fails as CreateDocument does.
    claim = {"rustfs-aws:operations": {"sessions": {"accountPreferences": "create"}},
             "rustfs-aws:account": {"ownsAccountResources": True}, "rustfs-aws:audit": {"config": "existing"}}
    with pytest.raises(AccountConflict, match="DocumentAlreadyExists") as exc:
        deploy("dev", account, claim)
    assert "of stack 'prod'" in str(exc.value) and "ownsAccountResources" in str(exc.value)


def test_preferences_someone_saved_in_the_console_refuse_the_owners_create():
    account = FakeAccount(trust_existing=True).preexisting(DOCUMENT, REGION, PREFERENCES)
    with pytest.raises(AccountConflict, match=f"DocumentAlreadyExists.*'{PREFERENCES}' \\(outside this project\\)"):
        deploy("prod", account)
    deploy("prod", account, {"rustfs-aws:operations": {"sessions": {"accountPreferences": "existing"}}})


@pytest.mark.parametrize(("change", "error"), [
    ({"schemaVersion": "2.2"}, "schemaVersion 1.0"),
    ({"sessionType": "Shell"}, "sessionType 'Shell'"),
    ({"inputs": {"idleSessionTimeout": "61"}}, "idleSessionTimeout '61' must be a string of 1-60"),
    ({"inputs": {"maxSessionDuration": 60}}, "maxSessionDuration 60 must be a string"),
    ({"inputs": {"runAsEnabled": True, "runAsDefaultUser": ""}}, "runAsEnabled needs runAsDefaultUser"),
    ({"inputs": {"cloudWatchEncryptionEnabled": "true"}}, "cloudWatchEncryptionEnabled must be a boolean"),
])
def test_fake_ssm_refuses_session_documents_ssm_refuses(change, error):
    good = {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {"idleSessionTimeout": "20"}}
    check_session_content("d", json.dumps(good))
    with pytest.raises(AwsRejects, match=error):
        check_session_content("d", json.dumps({**good, **change}))


# --- who may start a session, and with which document ------------------------------------------------------------

def _operator(action: str, resource: str, key_admin: str | None = None, **context) -> bool:
    identity = operator_policy(partition="aws", region=REGION, account_id=ACCOUNT, name="rustfs-dev", stack="dev")
    boundary = permissions_boundary(name="rustfs-dev", stack="dev", partition="aws")
    req = Request(action, resource, tuple({"aws:RequestedRegion": REGION, **context}.items()), "operator")
    resource_policy = key_policy("logs", name="rustfs-dev", account_id=ACCOUNT, partition="aws", region=REGION,
                                 key_admin_role_arn=key_admin) if action.startswith("kms:") else None
    role = f"arn:aws:iam::{ACCOUNT}:role/rustfs-dev-operator"
    return evaluate(req, identity, boundary, resource_policy, role, ACCOUNT).allowed


def test_the_operator_starts_shells_only_with_the_stacks_session_document():
    ssm = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document"
    instance = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0"
    tagged = {"ssm:resourceTag/rustfs:stack": "dev"}
    assert _operator("ssm:StartSession", f"{ssm}/rustfs-dev-session-shell")
    assert _operator("ssm:StartSession", instance, **tagged, **{"ssm:SessionDocumentAccessCheck": "true"})
    assert not _operator("ssm:StartSession", instance, **{"ssm:resourceTag/rustfs:stack": "prod"})
    # The account's default document logs where the account owner chose: not granted, so a session that names no
    # document is refused (SessionDocumentAccessCheck makes Session Manager ask for it).
    for other in (f"{ssm}/{PREFERENCES}", f"{ssm}/rustfs-prod-session-shell",
                  f"arn:aws:ssm:{REGION}::document/AWS-StartSSHSession",
                  f"arn:aws:ssm:{REGION}::document/AWS-StartPortForwardingSession"):
        assert not _operator("ssm:StartSession", other), other


@pytest.mark.parametrize("key_admin", [None, f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"])
def test_the_operator_may_generate_only_session_data_keys_with_the_logs_key(key_admin):
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs = {"aws:ResourceTag/rustfs:stack": "dev", "aws:ResourceTag/rustfs:key-purpose": "logs",
            "kms:CallerAccount": ACCOUNT}
    session = {"kms:EncryptionContext:aws:ssm:SessionId": "ops-0123456789abcdef0",
               "kms:EncryptionContext:aws:ssm:TargetId": "i-0123456789abcdef0"}
    assert _operator("kms:GenerateDataKey", key, key_admin, **logs, **session)
    assert not _operator("kms:GenerateDataKey", key, key_admin, **logs)  # no session: not for other data
    assert not _operator("kms:GenerateDataKey", key, key_admin, **{**logs, "aws:ResourceTag/rustfs:key-purpose":
                                                                   "secrets"}, **session)
    assert not _operator("kms:Decrypt", key, key_admin, **logs, **session)


# --- what the nodes need ------------------------------------------------------------------------------------------

def _node(stack: str, action: str, resource: str, **context) -> bool:
    w = world(stack)
    req = Request(action, resource, tuple({"aws:RequestedRegion": REGION, **context}.items()), "SSM Agent")
    key = w.keys.get(resource, {}).get("policy") if action.startswith("kms:") else None
    return evaluate(req, w.node_policy, w.boundary, key, w.role_arn, w.account).allowed


@pytest.mark.parametrize("stack", STACKS)
def test_ssm_agent_may_log_the_session_and_decrypt_its_stream(stack):
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/rustfs/rustfs-{stack}/sessions"
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        assert _node(stack, action, f"{group}:log-stream:i-0abc-session"), action
    assert _node(stack, "logs:DescribeLogGroups", "*")
    key = logs_key(stack)
    tags = {"aws:ResourceTag/rustfs:stack": stack, "kms:CallerAccount": ACCOUNT}
    session = {"kms:EncryptionContext:aws:ssm:SessionId": "ops-0123", "kms:EncryptionContext:aws:ssm:TargetId":
               "i-0123456789abcdef0"}
    assert _node(stack, "kms:Decrypt", key.outputs["arn"], **tags, **session)
    assert not _node(stack, "kms:Decrypt", key.outputs["arn"], **tags)  # log data is CloudWatch Logs' to decrypt


def test_with_s3_logging_the_node_may_upload_only_under_the_stacks_session_prefix():
    [bucket] = [b for b in recording("prod").of_type("aws:s3/bucket:Bucket") if b.name == "rustfs-prod-audit-logs"]
    arn = bucket.outputs["arn"]
    assert _node("prod", "s3:PutObject", f"{arn}/session-manager/rustfs-prod/ops-0123.log")
    assert not _node("prod", "s3:PutObject", f"{arn}/cloudtrail/x")
    assert _node("prod", "s3:GetEncryptionConfiguration", arn)
    assert not _node("dev", "s3:PutObject", f"{arn}/session-manager/rustfs-dev/x")  # dev: CloudWatch Logs only


# --- no SSH anywhere ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_no_key_pair_and_no_inbound_ssh(stack):
    r = recording(stack)
    assert not r.of_type("aws:ec2/keyPair:KeyPair")
    templates = r.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert templates and not [t.name for t in templates if t.inputs.get("keyName")]
    opened = []
    for rule in r.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        low, high = rule.inputs.get("fromPort", 0), rule.inputs.get("toPort", 65535)
        if rule.inputs["ipProtocol"] in ("tcp", "-1") and low <= 22 <= high:
            opened.append(rule.name)
    for group in r.of_type("aws:ec2/securityGroup:SecurityGroup"):
        opened += [group.name for i in group.inputs.get("ingress", []) if i.get("fromPort", 0) <= 22 <= i.get(
            "toPort", 65535)]
    assert opened == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_operations_calls_of_the_nodes_get_out_and_pass_their_endpoints(stack):
    """SSM Agent's session logging and the patch check, signed with the node role, through the VPC endpoints
    (tests/test_endpoint_policies.py's routing and policy model)."""
    from test_endpoint_policies import node_networks, path, verdict

    w = world(stack)
    base = {"aws:RequestedRegion": REGION, "aws:PrincipalArn": w.role_arn, "aws:PrincipalAccount": w.account,
            "aws:SecureTransport": "true"}
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/rustfs/rustfs-{stack}/sessions"
    calls = [("logs:PutLogEvents", f"{group}:log-stream:s"), ("logs:DescribeLogGroups", "*"),
             ("kms:Decrypt", logs_key(stack).outputs["arn"]),
             ("cloudwatch:DescribeAlarms",
              f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:rustfs-{stack}-cluster-degraded")]
    if stack == "prod":
        [bucket] = [b for b in recording("prod").of_type("aws:s3/bucket:Bucket") if b.name == "rustfs-prod-audit-logs"]
        calls.append(("s3:PutObject", f"{bucket.outputs['arn']}/session-manager/rustfs-prod/s.log"))
    for node, net in node_networks(stack).items():
        for action, resource in calls:
            prefix = action.split(":")[0]
            ctx = {**base, **({"aws:ResourceAccount": ACCOUNT} if prefix == "s3" else {})}
            req = Request(action, resource, tuple(ctx.items()), "operations")
            assert path(net, prefix, REGION).endpoint is not None, (node, action)  # never through NAT
            assert verdict(net, req, prefix, REGION, signed_by=(w.role_arn, w.account)) is None, (node, action)
