"""DataSync migration (components/migration/): the ``migration`` config, what the stack declares with it, the IAM
documents, and the fake DataSync refusing what the real API refuses.

The stack runs under preflight's runner with the dev stack's file and a ``migration`` section that is a Pulumi
secret (as ``pulumi config set --secret --path`` makes it). Expectations are DataSync's documented rules, written
here independently of the code: an S3 source takes one task straight into RustFS; an NFS, SMB or object-store
source two, through S3 (DataSync copies only between self-managed storage and AWS storage services); every task
verifies, logs to the DataSync log group and keeps deleted files; the RustFS location is s3.<domain>:9000 over HTTPS
with the cluster CA; credentials are Pulumi secrets that come from Secrets Manager.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from iam_review import unexplained
from test_config import BASE

from preflight.analysis import policy_config_for, run_policies
from preflight.fake_aws import FakeAws
from preflight.fake_datasync import task as fake_task
from preflight.fake_operations import AwsRejects
from preflight.runner import SECRET, run_settings
from preflight.stackfiles import read_stack
from rustfs_aws.config import ConfigError, parse
from rustfs_model.datasync import schedule_problem

ROOT = Path(__file__).resolve().parent.parent
KEY = "ABCDE-12345-FGHIJ-67890-KLMNO"
SMB_PASSWORD = "smb-pass-7f3a9c"
STORE_SECRET = "store-secret-51d08e2b"
MIGRATION = {
    "agent": {"activationKey": KEY, "sourceCidrs": ["172.16.0.0/16"]},
    "schedule": "cron(0 2 * * ? *)", "bandwidthMiBps": 100, "taskReport": True,
    "sources": [
        {"name": "photos", "type": "s3", "bucket": "legacy-photos", "prefix": "2024/", "destinationBucket": "photos",
         "sizeTiB": 10},
        {"name": "nas", "type": "nfs", "hostname": "nas.corp.example", "path": "/exports/data",
         "destinationBucket": "nas", "sizeTiB": 2, "bandwidthMiBps": "unlimited"},
        {"name": "share", "type": "smb", "hostname": "10.1.2.3", "path": "/share", "user": "svc",
         "password": SMB_PASSWORD, "destinationBucket": "share", "schedule": "rate(12 hours)"},
        {"name": "minio", "type": "objectStorage", "hostname": "minio.corp.example", "port": 9000, "bucket": "old",
         "accessKey": "OLDSTOREKEY1", "secretKey": STORE_SECRET, "destinationBucket": "old"},
    ],
}
TASK = "aws:datasync/task:Task"
OBJECT_STORAGE = "aws:datasync/locationObjectStorage:LocationObjectStorage"
S3_LOCATION = "aws:datasync/s3Location:S3Location"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"


def stack(migration: dict, *, secret: bool = True, fake: FakeAws | None = None):
    settings = read_stack(ROOT, "dev")
    settings.config["rustfs-aws:migration"] = json.dumps(migration)
    if secret:
        settings.secret_keys.append("rustfs-aws:migration")
    return run_settings(settings, fake=fake)


@pytest.fixture(scope="module")
def rec():
    return stack(MIGRATION)


@pytest.fixture(scope="module")
def not_activated():
    phase_one = copy.deepcopy(MIGRATION)
    del phase_one["agent"]["activationKey"]
    return stack(phase_one)


def mine(recording, token):
    return [r for r in recording.of_type(token) if "-migration" in r.name]


def by_name(recording, token, name):
    return recording.one(token, f"rustfs-dev-migration-{name}")


def location_of(recording, arn):
    for r in recording.resources:
        if r.type.startswith("aws:datasync/") and r.outputs.get("arn") == arn:
            return r
    raise LookupError(arn)


# --- config -------------------------------------------------------------------------------------------------

def problems(migration, *, secret=True, raw=None) -> list[str]:
    raw = copy.deepcopy(raw or BASE)
    raw["migration"] = migration
    try:
        parse(raw, stack="dev", region="us-east-1", secret_keys=["rustfs-aws:migration"] if secret else [])
    except ConfigError as exc:
        return exc.problems
    return []


def source(**overrides):
    return {"name": "photos", "type": "s3", "bucket": "legacy-photos", "destinationBucket": "photos", **overrides}


def test_the_example_config_is_valid():
    assert problems(MIGRATION) == []


@pytest.mark.parametrize("schedule", ["rate(30 minutes)", "rate(59 minutes)", "cron(*/15 * * * ? *)",
                                      "cron(0,30 * * * ? *)", "cron(0 2 * * *)", "cron(0 2 * * 1 *)", "daily"])
def test_schedules_faster_than_hourly_or_malformed_are_refused(schedule):
    [problem] = problems({"sources": [source()], "schedule": schedule})
    assert problem.startswith(f'rustfs-aws:migration.schedule: got "{schedule}"') or \
        problem.startswith(f"rustfs-aws:migration.schedule: got '{schedule}'")
    assert "cron(0 2 * * ? *)" in problem  # says what would be accepted


@pytest.mark.parametrize("schedule", ["rate(1 hour)", "rate(60 minutes)", "rate(7 days)", "cron(15 * * * ? *)",
                                      "cron(0 12 ? * SUN,WED *)", "cron(0 8 1 * ? *)"])
def test_hourly_or_slower_schedules_are_accepted(schedule):
    assert schedule_problem(schedule) is None
    assert problems({"sources": [source()], "schedule": schedule}) == []


def test_the_minute_rule_names_the_hour_minimum():
    assert "minimum interval is 1 hour" in schedule_problem("rate(30 minutes)")
    assert "more than once an hour" in schedule_problem("cron(0/10 * * * ? *)")


@pytest.mark.parametrize("value", [0, -1, 2000, 1.5, "fast"])
def test_bandwidth_is_whole_mib_per_second_up_to_ten_gbps(value):
    [problem] = problems({"sources": [source()], "bandwidthMiBps": value})
    assert problem.startswith("rustfs-aws:migration.bandwidthMiBps:") and "1,192" in problem


def test_verification_and_logging_cannot_be_turned_off():
    found = problems({"sources": [source()], "verifyMode": "NONE", "logLevel": "OFF"})
    assert any(p.startswith("rustfs-aws:migration.verifyMode: got 'NONE'") and "refused" in p for p in found)
    assert any(p.startswith("rustfs-aws:migration.logLevel: got 'OFF'") and "refused" in p for p in found)


def test_credentials_need_the_section_to_be_secret():
    found = problems({"agent": {"activationKey": KEY}, "sources": [{
        "name": "share", "type": "smb", "hostname": "10.1.2.3", "path": "/share", "user": "svc",
        "password": SMB_PASSWORD, "destinationBucket": "share",
        "agentArns": ["arn:aws:datasync:us-east-1:123456789012:agent/agent-0123456789abcdef0"]}]}, secret=False)
    assert sorted(p.split(":")[1] for p in found) == ["migration.agent.activationKey", "migration.sources[0].password"]
    assert all("pulumi config set --secret --path" in p for p in found)
    assert not [p for p in found if SMB_PASSWORD in p or KEY in p]  # the values themselves are not echoed


def test_a_malformed_activation_key_is_refused():
    [problem] = problems({"agent": {"activationKey": "not-a-key"}, "sources": [source()]})
    assert problem.startswith("rustfs-aws:migration.agent.activationKey: got '[secret]'")


def test_a_source_outside_aws_needs_an_agent_that_reaches_it():
    [problem] = problems({"sources": [{"name": "nas", "type": "nfs", "hostname": "nas.corp.example",
                                       "path": "/exports", "destinationBucket": "nas"}]})
    assert problem.startswith("rustfs-aws:migration.sources[0].agentArns:") and "sourceCidrs" in problem


def test_source_names_are_unique_and_short():
    found = problems({"sources": [source(), source(), source(name="Has_Upper")]})
    assert sum("must be unique" in p for p in found) == 1
    assert any(p.startswith("rustfs-aws:migration.sources[2].name") for p in found)


def test_unknown_keys_and_bad_buckets_name_their_key():
    found = problems({"sources": [source(destinationBucket="Bad_Bucket", hostname="x")]})
    assert any(p.startswith("rustfs-aws:migration.sources[0].destinationBucket") for p in found)
    assert any(p.startswith("rustfs-aws:migration.sources[0].hostname") and "unknown key" in p for p in found)


def test_migration_needs_ec2_mode_and_the_agent_among_the_client_cidrs():
    raw = copy.deepcopy(BASE)
    raw["cluster"]["clientCidrs"] = ["10.40.200.0/24"]
    [problem] = problems({"sources": [source()]}, raw=raw)
    # 10.40.0.0/16 in eight blocks: the first private subnet is 10.40.0.0/19.
    assert problem.startswith("rustfs-aws:cluster.clientCidrs:") and "10.40.0.0/19" in problem
    raw["cluster"]["clientCidrs"] = ["10.40.0.0/16"]
    assert problems({"sources": [source()]}, raw=raw) == []


# --- what the stack declares --------------------------------------------------------------------------------

def test_each_source_gets_the_tasks_datasync_supports(rec):
    pairs = {}
    for task in mine(rec, TASK):
        src = location_of(rec, task.inputs["sourceLocationArn"])
        dst = location_of(rec, task.inputs["destinationLocationArn"])
        pairs[task.inputs["name"].removeprefix("rustfs-dev-")] = (src.type.split(":")[-1], dst.type.split(":")[-1])
    assert pairs == {
        "photos": ("S3Location", "LocationObjectStorage"),
        "nas-stage": ("NfsLocation", "S3Location"), "nas-load": ("S3Location", "LocationObjectStorage"),
        "share-stage": ("LocationSmb", "S3Location"), "share-load": ("S3Location", "LocationObjectStorage"),
        "minio-stage": ("LocationObjectStorage", "S3Location"), "minio-load": ("S3Location", "LocationObjectStorage"),
    }


def test_tasks_verify_log_keep_deletions_and_follow_schedule_and_limit(rec):
    group = by_name(rec, "aws:cloudwatch/logGroup:LogGroup", "logs")
    assert group.inputs["name"] == "/rustfs/rustfs-dev/datasync" and group.inputs["kmsKeyId"]
    limits, schedules = {}, {}
    for task in mine(rec, TASK):
        options = task.inputs["options"]
        assert options["verifyMode"] == "POINT_IN_TIME_CONSISTENT" and options["logLevel"] == "BASIC"
        assert options["preserveDeletedFiles"] == "PRESERVE" and options["transferMode"] == "CHANGED"
        assert task.inputs["cloudwatchLogGroupArn"] == group.outputs["arn"]
        assert task.inputs["taskMode"] == "BASIC"
        assert task.inputs["taskReportConfig"]["s3Destination"]["subdirectory"].startswith("reports/")
        name = task.inputs["name"].removeprefix("rustfs-dev-")
        limits[name], schedules[name] = options["bytesPerSecond"], task.inputs["schedule"]["scheduleExpression"]
    assert limits["photos"] == 100 * 1024 * 1024 and limits["nas-stage"] == -1 and limits["share-load"] == 104857600
    assert schedules["share-stage"] == "rate(12 hours)" and schedules["photos"] == "cron(0 2 * * ? *)"


def test_the_rustfs_location_is_the_stack_endpoint_over_https_with_the_cluster_ca(rec):
    ca = rec.outputs["caCertificatePem"]
    rustfs = [r for r in mine(rec, OBJECT_STORAGE) if r.name.endswith("-rustfs")]
    assert {r.inputs["bucketName"] for r in rustfs} == {"photos", "nas", "share", "old"}
    agent = by_name(rec, "aws:datasync/agent:Agent", "agent-activation")
    for r in rustfs:
        assert (r.inputs["serverHostname"], r.inputs["serverPort"], r.inputs["serverProtocol"]) == \
            ("s3.dev.rustfs.internal", 9000, "HTTPS")
        assert r.inputs["serverCertificate"] == ca and r.inputs["secretKey"] == SECRET
        assert r.inputs["agentArns"] == [agent.outputs["arn"]]


def test_credentials_are_secrets_from_secrets_manager(rec):
    versions = {r.name: r for r in mine(rec, SECRET_VERSION)}
    assert set(versions) == {"rustfs-dev-migration-source-share-version", "rustfs-dev-migration-source-minio-version"}
    assert all(v.inputs["secretString"] == SECRET for v in versions.values())
    # The service account's keys are the state reconciler's (it creates the account in RustFS from them).
    account = rec.one(SECRET_VERSION, "rustfs-dev-state-sa-rustfs-datasync-secret-version")
    assert account.inputs["secretString"] == SECRET
    for location in (r for r in mine(rec, OBJECT_STORAGE) if r.name.endswith("-rustfs")):
        assert account.urn in location.property_dependencies["secretKey"]
    store = by_name(rec, OBJECT_STORAGE, "minio-store")
    smb = by_name(rec, "aws:datasync/locationSmb:LocationSmb", "share-smb")
    assert store.inputs["secretKey"] == SECRET and smb.inputs["password"] == SECRET
    # Derived from the secret version's value, so the key in Secrets Manager is the one DataSync holds.
    assert versions["rustfs-dev-migration-source-minio-version"].urn in store.property_dependencies["secretKey"]
    assert versions["rustfs-dev-migration-source-share-version"].urn in smb.property_dependencies["password"]
    agent = by_name(rec, "aws:datasync/agent:Agent", "agent-activation")
    assert agent.inputs["activationKey"] == SECRET
    everything = json.dumps([r.inputs for r in rec.resources]) + json.dumps(rec.outputs)
    for value in (KEY, SMB_PASSWORD, STORE_SECRET):
        assert value not in everything


def test_the_agent_runs_from_the_datasync_ami_in_the_first_private_subnet(rec):
    instance = by_name(rec, "aws:ec2/instance:Instance", "agent")
    subnet = rec.one("aws:ec2/subnet:Subnet", "rustfs-dev-net-private-0")
    assert instance.inputs["subnetId"] == subnet.outputs["id"] and instance.inputs["associatePublicIpAddress"] is False
    assert instance.inputs["instanceType"] == "m5.2xlarge" and instance.inputs["ami"].startswith("ami-")
    assert instance.inputs["metadataOptions"]["httpTokens"] == "required"
    root = instance.inputs["rootBlockDevice"]
    assert root["volumeSize"] == 80 and root["encrypted"] is True and root["kmsKeyId"]
    assert "iamInstanceProfile" not in instance.inputs and "keyName" not in instance.inputs
    endpoint = by_name(rec, "aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.datasync"
    assert endpoint.inputs["privateDnsEnabled"] is False and endpoint.inputs["subnetIds"] == [subnet.outputs["id"]]
    agent = by_name(rec, "aws:datasync/agent:Agent", "agent-activation")
    assert agent.inputs["vpcEndpointId"] == endpoint.outputs["id"]
    assert agent.inputs["subnetArns"] == [f"arn:aws:ec2:us-east-1:123456789012:subnet/{subnet.outputs['id']}"]


def test_the_endpoint_admits_only_the_agent_on_datasyncs_ports(rec):
    endpoint_sg = by_name(rec, "aws:ec2/securityGroup:SecurityGroup", "endpoint-sg")
    agent_sg = by_name(rec, "aws:ec2/securityGroup:SecurityGroup", "agent-sg")
    rules = [r for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == endpoint_sg.outputs["id"]]
    assert sorted((r.inputs["fromPort"], r.inputs["toPort"]) for r in rules) == [(443, 443), (1024, 1064)]
    assert {r.inputs["referencedSecurityGroupId"] for r in rules} == {agent_sg.outputs["id"]}
    # Activated: the agent's port 80 is closed again.
    assert not [r for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == agent_sg.outputs["id"]]


def test_before_activation_the_agent_exists_and_nothing_depends_on_it(not_activated):
    rec = not_activated
    assert mine(rec, TASK) == [] and mine(rec, OBJECT_STORAGE) == [] and mine(rec, "aws:datasync/agent:Agent") == []
    assert by_name(rec, "aws:ec2/instance:Instance", "agent")
    agent_sg = by_name(rec, "aws:ec2/securityGroup:SecurityGroup", "agent-sg")
    port80 = [r for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == agent_sg.outputs["id"]]
    assert {(r.inputs["fromPort"], r.inputs["cidrIpv4"]) for r in port80} == {(80, "10.40.0.0/16"),
                                                                              (80, "192.0.2.0/24")}
    assert "datasyncAgentPrivateIp" in rec.outputs and "datasyncTaskArns" not in rec.outputs


def test_without_migration_nothing_of_it_exists():
    plain = run_settings(read_stack(ROOT, "dev"))
    assert not [r for r in plain.resources if "datasync" in r.type or "-migration" in r.name]
    assert not [r for r in plain.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if "datasync" in r.inputs["serviceName"]]


def test_the_staging_bucket_never_archives_what_datasync_reads(rec):
    lifecycle = [r for r in rec.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                 if "migration-staging" in r.name]
    [rule] = lifecycle[0].inputs["rules"]
    assert [t["storageClass"] for t in rule["transitions"]] == ["STANDARD_IA"]
    assert rule["expiration"]["days"] == 90


def test_the_reconciler_creates_the_service_account_with_only_the_destination_buckets(rec):
    # The state is published as insecureValue (components/state/state.py: it holds no secret, and the pack reads it).
    desired = json.loads(rec.one("aws:ssm/parameter:Parameter", "rustfs-dev-state-desired").inputs["insecureValue"])
    [account] = [a for a in desired["serviceAccounts"] if a["name"] == "rustfs-datasync"]
    assert account["policy"] == "rustfs-datasync" and account["secretArn"].startswith("arn:aws:secretsmanager:")
    [policy] = [p for p in desired["policies"] if p["name"] == "rustfs-datasync"]
    resources = {r for stmt in policy["document"]["Statement"] for r in stmt["Resource"]}
    buckets = ("photos", "nas", "share", "old")
    assert resources == {f"arn:aws:s3:::{b}{suffix}" for b in buckets for suffix in ("", "/*")}
    assert not any(a.startswith("admin:") for stmt in policy["document"]["Statement"] for a in stmt["Action"])
    assert rec.outputs["datasyncServiceAccountSecretArn"] == account["secretArn"]


def test_the_reserved_service_account_name_is_refused_in_rustfs():
    raw = copy.deepcopy(BASE)
    raw["rustfs"] = {"policies": [{"name": "rustfs-datasync", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::x/*"]}]}}]}
    [problem] = problems({"sources": [source()]}, raw=raw)
    assert problem.startswith("rustfs-aws:rustfs.policies[0].name: got 'rustfs-datasync'") and "reserved" in problem


# --- IAM ----------------------------------------------------------------------------------------------------

def test_every_datasync_role_is_least_privilege_and_parliament_clean(rec):
    roles = [r for r in mine(rec, ROLE)]
    assert len(roles) == 5  # photos, nas, share, minio, reports
    for role in roles:
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert unexplained(trust, "trust") == []
        [stmt] = trust["Statement"]
        assert stmt["Principal"] == {"Service": "datasync.amazonaws.com"}
        assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"},
                                     "ArnLike": {"aws:SourceArn": "arn:aws:datasync:us-east-1:123456789012:*"}}
        assert role.inputs["permissionsBoundary"]
    for policy in mine(rec, ROLE_POLICY):
        assert unexplained(json.loads(policy.inputs["policy"]), "identity") == [], policy.name


def test_the_s3_source_role_only_reads_its_bucket_and_prefix(rec):
    doc = json.loads(by_name(rec, ROLE_POLICY, "photos-policy").inputs["policy"])
    grants = {(tuple(sorted(s["Action"])), s["Resource"]) for s in doc["Statement"]}
    # "Configuring AWS DataSync transfers with Amazon S3", Required permissions, source location.
    assert grants == {
        (("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"), "arn:aws:s3:::legacy-photos"),
        (("s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:GetObjectVersionTagging",
          "s3:ListMultipartUploadParts"), "arn:aws:s3:::legacy-photos/2024/*")}


def test_the_log_resource_policy_admits_datasync_tasks_of_this_account_to_one_group(rec):
    policy = by_name(rec, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "log-policy")
    [stmt] = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert stmt["Resource"] == "arn:aws:logs:us-east-1:123456789012:log-group:/rustfs/rustfs-dev/datasync:*"
    assert stmt["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:datasync:us-east-1:123456789012:task/*"
    assert unexplained(json.loads(policy.inputs["policyDocument"]), "bucket-policy") == []


def test_the_stack_with_migration_has_no_mandatory_violation(rec):
    config, _ = policy_config_for("dev", None)
    mandatory = [v for v in run_policies(rec, policy_config=config, config_file=None).violations
                 if v["enforcementLevel"] == "mandatory"]
    assert mandatory == []


# --- the fake refuses what DataSync refuses -----------------------------------------------------------------

def _fake_with_locations():
    fake = FakeAws("us-east-1")
    from preflight.fake_datasync import RESOURCES
    agent = "arn:aws:datasync:us-east-1:123456789012:agent/agent-0123456789abcdef0"
    nfs, _ = RESOURCES["aws:datasync/nfsLocation:NfsLocation"](fake, "nfs", {
        "serverHostname": "nas", "subdirectory": "/x", "onPremConfig": {"agentArns": [agent]}})
    store, _ = RESOURCES[OBJECT_STORAGE](fake, "store", {"serverHostname": "s3.x.internal", "bucketName": "bkt",
                                                         "agentArns": [agent]})
    s3, _ = RESOURCES[S3_LOCATION](fake, "s3", {"s3BucketArn": "arn:aws:s3:::b", "s3Config": {
        "bucketAccessRoleArn": "arn:aws:iam::123456789012:role/r"}})
    return fake, nfs, store, s3


def test_the_fake_refuses_a_task_between_two_self_managed_systems():
    fake, nfs, store, s3 = _fake_with_locations()
    with pytest.raises(AwsRejects, match="two self-managed"):
        fake_task(fake, "t", {"sourceLocationArn": nfs, "destinationLocationArn": store})
    fake_task(fake, "ok", {"sourceLocationArn": nfs, "destinationLocationArn": s3})


@pytest.mark.parametrize("inputs, message", [
    ({"schedule": {"scheduleExpression": "rate(15 minutes)"}}, "minimum interval is 1 hour"),
    ({"options": {"bytesPerSecond": -2}}, "BytesPerSecond"),
    ({"options": {"logLevel": "BASIC"}}, "needs a CloudWatchLogGroupArn"),
    ({"options": {"verifyMode": "SOMETIMES"}}, "verifyMode"),
    ({"name": "bad*name"}, "Name must match"),
])
def test_the_fake_refuses_what_create_task_refuses(inputs, message):
    fake, nfs, store, s3 = _fake_with_locations()
    with pytest.raises(AwsRejects, match=message):
        fake_task(fake, "t", {"sourceLocationArn": s3, "destinationLocationArn": store, **inputs})


def test_the_fake_counts_datasyncs_task_quota():
    fake, nfs, store, s3 = _fake_with_locations()
    for i in range(100):
        fake_task(fake, f"t{i}", {"sourceLocationArn": s3, "destinationLocationArn": store})
    fake_task(fake, "t0", {"sourceLocationArn": s3, "destinationLocationArn": store})  # an update, not a new one
    with pytest.raises(AwsRejects, match="100 DataSync tasks"):
        fake_task(fake, "t100", {"sourceLocationArn": s3, "destinationLocationArn": store})


@pytest.mark.parametrize("inputs, message", [
    ({"serverHostname": "bad_host!"}, "ServerHostname"),
    ({"serverHostname": "a" * 256}, "ServerHostname"),
    ({"serverProtocol": "HTTP", "serverCertificate": "-----BEGIN CERTIFICATE-----\nx"}, "needs ServerProtocol HTTPS"),
    ({"secretKey": "short"}, "8-200"),
    ({"agentArns": []}, "1-8 agent"),
    ({"bucketName": "ab"}, "BucketName"),
])
def test_the_fake_refuses_bad_object_storage_locations(inputs, message):
    from preflight.fake_datasync import RESOURCES
    base = {"serverHostname": "s3.dev.rustfs.internal", "bucketName": "photos",
            "agentArns": ["arn:aws:datasync:us-east-1:123456789012:agent/agent-0123456789abcdef0"]}
    with pytest.raises(AwsRejects, match=message):
        RESOURCES[OBJECT_STORAGE](FakeAws("us-east-1"), "loc", {**base, **inputs})


def test_the_fake_refuses_a_malformed_activation_key():
    from preflight.fake_datasync import agent
    with pytest.raises(AwsRejects, match="activation key"):
        agent(FakeAws("us-east-1"), "a", {"activationKey": "abc"})
