"""Every AWS call a RustFS node makes is allowed by its role, and the role grants nothing else.

1. Static: every script the dev user data installs is scanned for `aws <service> <command>`: shell scripts
   with a small shell lexer (quotes, `$(...)`, `<(...)`, continuations, `python3 -c` code), Python with the
   AST (argv lists, argv prefixes built by a wrapper class, command strings).
2. Exercised: node-bootstrap (the secret steps) and takeover.py run against a fake AWS CLI holding the recorded
   dev resources. That gives each call's real arguments and proves the static list complete.
3. Each call becomes IAM requests: the action from botocore's operation names (checked against parliament's
   copy of the Service Authorization Reference), resources and condition keys from the recording (tags,
   regions, key of each secret and volume, the Route 53 change batch). The requests are evaluated against the
   node's inline policy, the permissions boundary and the KMS key policies the dev stack really declares.

The helpers: 1. shell_lexer, aws_cli_scan; 2. dev_node, fake_aws_cli; 3. iam_actions, node_iam_requests, iam_eval.
"""

from __future__ import annotations

import shlex

import pytest
from aws_cli_scan import (
    ExtractionError,
    node_aws_commands,
    python_aws_commands,
    script_kind,
    shell_aws_commands,
    split_aws_argv,
)
from dev_node import world
from fake_aws_cli import exercised_calls
from iam_actions import granted_actions, iam_action
from iam_eval import Request, condition_holds, evaluate
from node_iam_requests import GLOBAL_SERVICES, node_requests, tag_context, verdict

SSM_CORE = "AmazonSSMManagedInstanceCore"


# --- what the role may grant beyond the node's own calls ------------------------------------------------

# Granted actions no node script calls, each with the AWS-managed agent or service that needs it.
JUSTIFIED_GRANTS = {
    # EBS encryption with a customer managed key: EC2 uses the key with the caller's permissions. The EBS
    # User Guide ("Requirements for Amazon EBS encryption", permissions for users) lists kms:CreateGrant,
    # Decrypt, DescribeKey, GenerateDataKeyWithoutPlaintext and ReEncrypt; all scoped by kms:ViaService=ec2.
    "kms:Decrypt": "EBS attach of a CMK-encrypted volume (via ec2); also the secrets key via secretsmanager",
    "kms:DescribeKey": "EBS encryption with a CMK (via ec2), EBS User Guide permissions for users",
    "kms:GenerateDataKeyWithoutPlaintext": "EBS encryption with a CMK (via ec2), EBS User Guide",
    "kms:ReEncryptFrom": "EBS encryption with a CMK (via ec2), EBS User Guide ('kms:ReEncrypt*')",
    "kms:ReEncryptTo": "EBS encryption with a CMK (via ec2), EBS User Guide ('kms:ReEncrypt*')",
    # Log shipping by the CloudWatch agent / OTel collector (AWS managed CloudWatchAgentServerPolicy grants
    # these three logs actions; the collector comes with the Image Builder AMI, FEATURES.md).
    "logs:CreateLogStream": "CloudWatch agent / OTel collector (awscloudwatchlogs exporter)",
    "logs:DescribeLogStreams": "CloudWatch agent / OTel collector (awscloudwatchlogs exporter)",
    "logs:PutLogEvents": "CloudWatch agent / OTel collector (awscloudwatchlogs exporter)",
    # The AWS managed AWSXrayWriteOnlyAccess policy: what the X-Ray daemon / OTel awsxray exporter calls.
    "xray:PutTraceSegments": "X-Ray daemon / OTel awsxray exporter (AWSXrayWriteOnlyAccess)",
    "xray:PutTelemetryRecords": "X-Ray daemon / OTel awsxray exporter (AWSXrayWriteOnlyAccess)",
    "xray:GetSamplingRules": "X-Ray daemon / OTel awsxray sampler (AWSXrayWriteOnlyAccess)",
    "xray:GetSamplingTargets": "X-Ray daemon / OTel awsxray sampler (AWSXrayWriteOnlyAccess)",
    "xray:GetSamplingStatisticSummaries": "X-Ray daemon (AWSXrayWriteOnlyAccess)",
    # Run Command documents, not user data: their calls are judged in their own tests.
    "cloudwatch:DescribeAlarms": "the patch document's cluster check (tests/test_patching.py)",
    "logs:DescribeLogGroups": "SSM Agent: the session log group exists and is encrypted (tests/test_sessions.py)",
    "ssm:GetParameter": "the collector document reads its configuration parameter (tests/test_collector.py)",
}


# === tests =================================================================================================

# --- the extractor ---

def test_shell_scan_follows_continuations_globals_and_substitutions():
    script = (
        "#!/bin/bash\n"
        "# aws s3 ls in a comment is no call\n"
        "value=\"$(aws --region \"$R\" --output text \\\n   secretsmanager get-secret-value --secret-id x)\"\n"
        "AWS_PAGER= aws ec2 describe-volumes --filters Name=tag:a,Values=b | jq .\n"
        "if aws sts get-caller-identity >/dev/null; then :; fi\n"
        "while read -r v; do echo \"$v\"; done < <(aws --endpoint-url=http://x route53 list-hosted-zones)\n"
        "python3 -c 'import subprocess; subprocess.run([\"aws\", \"s3api\", \"list-buckets\"])'\n"
        "echo 'no cli here: amazonaws.com'\n"
    )
    found = [(c.service, c.command, c.where) for c in shell_aws_commands(script, "s")]
    assert found == [("secretsmanager", "get-secret-value", "s:3"), ("ec2", "describe-volumes", "s:5"),
                     ("sts", "get-caller-identity", "s:6"), ("route53", "list-hosted-zones", "s:7"),
                     ("s3api", "list-buckets", "s:8 (python3 -c):1")]


def test_shell_scan_refuses_an_aws_word_it_cannot_place():
    with pytest.raises(ExtractionError, match="does not follow"):
        shell_aws_commands('CLI=aws\n$CLI ec2 describe-volumes\n', "s")


def test_python_scan_follows_a_wrapper_class_and_refuses_dynamic_commands():
    source = (
        "import subprocess\n"
        "class Cli:\n"
        "    def __init__(self, region):\n"
        "        self.base = ['aws', '--region', region, '--output', 'json']\n"
        "    def __call__(self, *args):\n"
        "        return subprocess.run([*self.base, *args])\n"
        "def f(cli: Cli):\n"
        "    cli('ec2', 'attach-volume', '--volume-id', 'v')\n"
        "other = Cli('r')\n"
        "other('route53', 'get-change', '--id', 'c')\n"
        "subprocess.run(['aws', 'sts', 'get-caller-identity'])\n"
        "subprocess.run('aws s3 ls', shell=True)\n"
    )
    found = [(c.service, c.command) for c in python_aws_commands(source, "p")]
    assert sorted(found) == sorted([("ec2", "attach-volume"), ("route53", "get-change"),
                                    ("sts", "get-caller-identity"), ("s3", "ls")])
    with pytest.raises(ExtractionError, match="literal"):
        python_aws_commands(source + "def g(cli: Cli, op):\n    cli('ec2', op)\n", "p")
    with pytest.raises(ExtractionError, match="SDK"):
        python_aws_commands("import boto3\n", "p")
    with pytest.raises(ExtractionError, match="f-string"):
        python_aws_commands("import os\nos.system(f'aws ec2 {op}')\n", "p")
    with pytest.raises(ExtractionError, match="outside a wrapper"):
        python_aws_commands("base = ['aws', '--region', r]\n", "p")
    assert python_aws_commands("raise RuntimeError(f'aws {op} failed')\n", "p") == []


@pytest.mark.parametrize("cli, action", [
    ("ec2 describe-volumes", "ec2:DescribeVolumes"),
    ("secretsmanager get-secret-value", "secretsmanager:GetSecretValue"),
    ("route53 change-resource-record-sets", "route53:ChangeResourceRecordSets"),
    ("route53 wait resource-record-sets-changed", "route53:GetChange"),  # a waiter polls its operation
    ("ec2 wait volume-in-use", "ec2:DescribeVolumes"),
    ("s3api list-objects-v2", "s3:ListBucket"),  # IAM action named differently from the API operation
    ("s3api head-object", "s3:GetObject"),
    ("configservice describe-config-rules", "config:DescribeConfigRules"),
    ("logs put-log-events", "logs:PutLogEvents"),
])
def test_cli_commands_map_to_iam_actions(cli, action):
    service, command, *rest = cli.split()
    assert iam_action(service, command, rest) == action


def test_cli_customizations_without_an_api_operation_are_refused():
    with pytest.raises(KeyError, match="customization"):
        iam_action("s3", "sync")


# --- the evaluator (it must be able to say no) ---

def req(action: str, resource: str = "*", **ctx) -> Request:
    return Request(action, resource, tuple(ctx.items()), "test")


def test_evaluator_condition_semantics():
    ctx = {"aws:ResourceTag/t": "a", "k:names": ["x.dom", "y.dom"]}
    assert condition_holds("StringEquals", "aws:ResourceTag/t", "a", ctx)
    assert not condition_holds("StringEquals", "aws:ResourceTag/missing", "a", ctx)
    assert condition_holds("StringNotEquals", "aws:ResourceTag/missing", "a", ctx)  # absent key: negated holds
    assert condition_holds("StringEqualsIfExists", "aws:ResourceTag/missing", "a", ctx)
    assert condition_holds("ForAllValues:StringLike", "k:names", "*.dom", ctx)
    assert not condition_holds("ForAllValues:StringLike", "k:names", "x.*", ctx)
    assert condition_holds("ForAllValues:StringLike", "k:missing", "x.*", ctx)  # vacuous truth
    assert not condition_holds("ForAnyValue:StringLike", "k:missing", "x.*", ctx)
    assert condition_holds("Null", "k:missing", "true", ctx)
    with pytest.raises(ValueError, match="multivalued"):
        condition_holds("StringLike", "k:names", "*", ctx)
    with pytest.raises(ValueError, match="not implemented"):
        condition_holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", ctx)


def test_evaluator_deny_wins_and_the_boundary_caps():
    allow = {"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}
    everything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    deny = {"Statement": [*everything["Statement"], {"Sid": "D", "Effect": "Deny", "Action": "ec2:*",
                                                     "NotResource": "arn:aws:ec2:*:*:volume/vol-1"}]}
    assert evaluate(req("ec2:DescribeVolumes"), allow, everything).allowed
    assert not evaluate(req("ec2:DescribeVolumes"), allow, deny).allowed
    assert not evaluate(req("ec2:AttachVolume"), allow, everything).allowed
    assert not evaluate(req("ec2:DescribeVolumes"), allow, {"Statement": []}).allowed


def test_the_real_policies_refuse_what_the_node_must_not_do():
    """The same evaluation that allows the node's calls refuses near misses (other stack, zone, domain)."""
    w = world()
    node = w.nodes[0]
    [vol] = [v for v, d in w.volumes.items() if d["tags"]["rustfs:node-name"] == node.name
             and d["tags"]["rustfs:drive"] == "0"]
    volume = f"arn:aws:ec2:{w.region}:{w.account}:volume/{vol}"
    base = {"aws:RequestedRegion": w.region}
    other_stack = {**tag_context("ec2", w.volumes[vol]["tags"]), "aws:ResourceTag/rustfs:stack": "prod",
                   "ec2:ResourceTag/rustfs:stack": "prod"}
    other_cluster = {**tag_context("ec2", w.volumes[vol]["tags"]), "aws:ResourceTag/rustfs:cluster": "x"}
    zone_id = node.boot_env["BOOT_HOSTED_ZONE_ID"]
    upsert = {"route53:ChangeResourceRecordSetsRecordTypes": ["A"],
              "route53:ChangeResourceRecordSetsActions": ["UPSERT"]}
    secret = next(iter(w.secrets))
    refused = [
        req("ec2:AttachVolume", volume, **base, **other_stack),
        req("ec2:AttachVolume", volume, **base, **other_cluster),
        req("ec2:DeleteVolume", volume, **base, **tag_context("ec2", w.volumes[vol]["tags"])),
        req("ec2:DescribeVolumes", **{"aws:RequestedRegion": "eu-west-1"}),
        req("route53:ChangeResourceRecordSets", f"arn:aws:route53:::hostedzone/{zone_id}", **upsert,
            **{"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["evil.example.com"]}),
        req("route53:ChangeResourceRecordSets", f"arn:aws:route53:::hostedzone/{zone_id}",
            **{**upsert, "route53:ChangeResourceRecordSetsActions": ["DELETE"],
               "route53:ChangeResourceRecordSetsNormalizedRecordNames": [node.name]}),
        req("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHERZONE", **upsert,
            **{"route53:ChangeResourceRecordSetsNormalizedRecordNames": [node.name]}),
        req("secretsmanager:GetSecretValue", secret, **base, **tag_context(
            "secretsmanager", {**w.secrets[secret]["tags"], "rustfs:stack": "prod"})),
        req("secretsmanager:GetSecretValue", secret.replace("rustfs/", "other/"), **base),
        # Another cluster's group (its tag), and metrics outside the node's namespaces.
        req("autoscaling:SetInstanceHealth", f"arn:aws:autoscaling:{w.region}:{w.account}:autoScalingGroup:"
            f"00000000-0000-4000-8000-000000000000:autoScalingGroupName/{node.group_name}", **base,
            **tag_context("autoscaling", {**(node.group_tags or {}), "rustfs:cluster": "rustfs-other"})),
        req("autoscaling:SetInstanceHealth", f"arn:aws:autoscaling:eu-west-1:{w.account}:autoScalingGroup:"
            f"00000000-0000-4000-8000-000000000000:autoScalingGroupName/{node.group_name}",
            **{"aws:RequestedRegion": "eu-west-1"}, **tag_context("autoscaling", node.group_tags or {})),
        req("cloudwatch:PutMetricData", **base, **{"cloudwatch:namespace": "AWS/EC2"}),
    ]
    for r in refused:
        assert not evaluate(r, w.node_policy, w.boundary).allowed, r


# --- the dev node's real calls ---

def test_node_role_has_only_its_inline_policy_and_the_ssm_core_policy():
    # Verdicts below come from the inline policy alone; the only managed policy is SSM's, which grants
    # ssm/ssmmessages/ec2messages actions (Systems Manager agent) and none of the calls tested here.
    assert [a.rsplit("/", 1)[1] for a in world().role_attachments] == [SSM_CORE]


def test_every_executable_the_user_data_installs_is_scanned():
    for node in world().nodes:
        executables = {p for p, f in node.files.items() if f.mode_letters}
        assert executables, node.name
        for path in executables:
            assert script_kind(node.files[path].content), f"{path}: no shell or python3 shebang"


def test_static_calls_are_exactly_the_exercised_calls():
    """The scenarios reach every call the scripts contain, and the scan misses none the scripts make."""
    for node in world().nodes:
        static = {(c.service, c.command) for c in node_aws_commands(node.files, node.runcmd)}
        exercised = {split_aws_argv(list(a))[:2] for a in exercised_calls(node.name)}
        assert static == exercised, node.name
        assert static == {("ec2", "describe-volumes"), ("ec2", "describe-instances"), ("ec2", "attach-volume"),
                          ("ec2", "detach-volume"), ("route53", "list-resource-record-sets"),
                          ("route53", "change-resource-record-sets"), ("secretsmanager", "get-secret-value"),
                          ("cloudwatch", "put-metric-data"), ("autoscaling", "set-instance-health")}


def test_each_node_reads_exactly_its_own_secrets_and_attaches_exactly_its_own_volumes():
    for node in world().nodes:
        calls = [split_aws_argv(list(a)) for a in exercised_calls(node.name)]
        read = {o["--secret-id"] for s, c, o, _ in calls if c == "get-secret-value"}
        assert read == {node.boot_env["BOOT_CREDENTIALS_SECRET_ARN"], node.boot_env["BOOT_TLS_SECRET_ARN"]}
        attached = {o["--volume-id"] for s, c, o, _ in calls if c == "attach-volume"}
        assert attached == {v for v, d in world().volumes.items() if d["tags"]["rustfs:node-name"] == node.name}


def test_every_call_of_every_node_is_allowed_and_not_denied_by_the_boundary():
    w = world()
    problems = []
    for node in w.nodes:
        for r in node_requests(node.name):
            v = verdict(r, w)
            if not v.allowed:
                problems.append(f"{node.name}: {r.action} on {r.resource} ({r.why}): allowed by {v.allowed_by}, "
                                f"denied by {v.denied_by}, boundary allows {v.boundary_allows}, "
                                f"key policy allows {v.resource_policy_allows}")
    assert not problems, "\n".join(problems)


def test_regional_calls_name_the_stack_region():
    for node in world().nodes:
        for argv in exercised_calls(node.name):
            service, _, opts, _ = split_aws_argv(list(argv))
            if service not in GLOBAL_SERVICES:
                assert opts.get("--region") == world().region, shlex.join(argv)


def test_every_call_has_connect_and_read_timeouts():
    """A hung connection must end within the boot bound (node-bootstrap and takeover.py add the process timeout)."""
    for node in world().nodes[:1]:
        for argv in exercised_calls(node.name):
            _, _, opts, _ = split_aws_argv(list(argv))
            assert opts.get("--cli-connect-timeout") and opts.get("--cli-read-timeout"), shlex.join(argv)


def test_the_role_grants_only_what_the_node_calls_or_a_listed_agent_needs():
    w = world()
    used = {r.action for node in w.nodes for r in node_requests(node.name)}
    granted = granted_actions(w.node_policy)
    unjustified = granted - used - set(JUSTIFIED_GRANTS)
    assert not unjustified, f"granted, never called by a node script, not justified: {sorted(unjustified)}"
    assert set(JUSTIFIED_GRANTS) <= granted, f"stale justifications: {sorted(set(JUSTIFIED_GRANTS) - granted)}"
    # kms:Decrypt serves both: the node's secret reads (used) and EBS (justified).
    assert not (set(JUSTIFIED_GRANTS) - {"kms:Decrypt"}) & used, "a justified grant is used by a script"
