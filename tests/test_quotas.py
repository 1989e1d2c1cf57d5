"""Service quotas: the stack's need, the program's check of the applied values, the fake's answers, the report.

The need model is held to hand-computed numbers and, independently, to what the program really declares
(counted from the recorded resources), so a new resource that consumes a quota cannot slip past the model.
The program's check is exercised as under the real CLI: the fake account is given applied quotas.
"""

import functools
import json
import math
from collections import Counter

import pulumi
import pytest

from preflight import runner
from preflight.analysis import PolicyResult
from preflight.cluster_nodes import stack_config
from preflight.fake_account import FakeAccount
from preflight.fake_aws import FakeAws, UnknownToFake
from preflight.fake_usage import AccountUsage
from preflight.quota_report import SECTION
from preflight.report import build_json, human, markdown
from preflight.runner import run_stack
from preflight.stackfiles import read_stack
from rustfs_aws.config import ConfigError
from rustfs_aws.operations.quotas import QuotaError, stack_needs
from rustfs_model import catalogue
from rustfs_model.quotas import QUOTAS, vcpu_quota

ROOT_DIR = runner.PROJECT_DIR


def cluster_with(stack: str, **changes) -> dict:
    cluster = json.loads(read_stack(ROOT_DIR, stack).config["rustfs-aws:cluster"])
    return {"rustfs-aws:cluster": {**cluster, **changes}}


def variant(name: str) -> dict | None:
    if name == "io2":
        return cluster_with("prod", volume={"type": "io2", "sizeGiB": 500, "iops": 4_000})
    if name == "hourly-copies":  # copies kept a day (DLM's finest), 24 of them, while 3 originals are kept
        return {"rustfs-aws:backup": {"snapshotIntervalHours": 1, "snapshotRetainCount": 3, "copyRegion": "us-west-2"}}
    if name == "perAz-internet-facing":
        network = json.loads(read_stack(ROOT_DIR, "dev").config["rustfs-aws:network"])
        return {**cluster_with("dev", internetFacing=True), "rustfs-aws:network": {**network, "natGateways": "perAz"}}
    return None


@functools.cache
def offline(stack: str, name: str = ""):
    """One offline run per stack and variant, shared by the tests of this module."""
    return run_stack(stack, variant(name))


def keyed(needs) -> dict[str, float]:
    """Need by quota code, ``<region>/<code>`` for a need of another Region (the snapshot copies)."""
    keys = [f"{n.region}/{n.quota.code}" if n.region else n.quota.code for n in needs]
    assert len(set(keys)) == len(keys), keys
    return dict(zip(keys, (n.amount for n in needs), strict=True))


def needs_of(stack: str, name: str = "") -> dict[str, float]:
    return keyed(stack_needs(stack_config(offline(stack, name))))


# --- the need, by hand -------------------------------------------------------------------------------------

def test_prod_needs_by_hand():
    # 6 nodes x c6in.4xlarge (16 vCPUs) = 96 vCPUs, Standard class; a replacement never overlaps (max 100 %).
    # gp3: 6 x 16 data volumes x 1,024 GiB = 98,304 GiB = 96 TiB, plus 6 root volumes x 30 GiB = 180 GiB
    #      = 0.17578125 TiB: 96.17578125 TiB, above the 50 TiB default.
    # perAz NAT over 3 AZs: 3 Elastic IPs, one NAT gateway per AZ; 1 VPC, 1 internet gateway, 1 S3 gateway
    # endpoint, 10 interface endpoints (network.INTERFACE_ENDPOINT_SERVICES, xray included), 1 NLB; snapshots:
    # 96 volumes x 14 retained = 1,344, and as many copies in
    # backup.copyRegion us-west-2 (kept 14 days, one a day), which count against that Region's quota.
    assert needs_of("prod") == {
        "L-1216C47A": 96, "L-7A658B76": 96.17578125, "L-309BACF6": 1_344, "L-0263D0A3": 3, "L-FE5A380F": 1,
        "L-F678F1CE": 1, "L-A4707A72": 1, "L-1B52E74A": 1, "L-29B6F2EB": 10, "L-69A177A2": 1,
        "us-west-2/L-309BACF6": 1_344}


def test_dev_needs_by_hand():
    # 4 x m6i.large (2 vCPUs) = 8 vCPUs; gp3: 4 x 2 x 100 GiB + 4 x 30 GiB = 920 GiB = 0.8984375 TiB;
    # a single NAT: 1 Elastic IP; snapshots 8 volumes x 3 = 24.
    assert needs_of("dev") == {
        "L-1216C47A": 8, "L-7A658B76": 0.8984375, "L-309BACF6": 24, "L-0263D0A3": 1, "L-FE5A380F": 1,
        "L-F678F1CE": 1, "L-A4707A72": 1, "L-1B52E74A": 1, "L-29B6F2EB": 10, "L-69A177A2": 1}


def test_copies_kept_by_duration_can_outnumber_the_originals():
    need = needs_of("dev", "hourly-copies")
    # 8 volumes x 3 hourly originals; the copies are kept ceil(1 h x 3 / 24 h) = 1 day: 24 per volume.
    assert (need["L-309BACF6"], need["us-west-2/L-309BACF6"]) == (24, 192)


def test_io2_needs_storage_and_iops_and_roots_stay_gp3():
    need = needs_of("prod", "io2")
    assert need["L-09BD8365"] == 96 * 500 / 1024  # 46.875 TiB of io2, above the 20 TiB default
    assert need["L-8D977E7E"] == 96 * 4_000  # 384,000 IOPS, above the 100,000 default
    assert need["L-7A658B76"] == 6 * 30 / 1024  # the root volumes alone


@pytest.mark.parametrize("itype,code", [
    ("c6in.4xlarge", "L-1216C47A"), ("m6i.large", "L-1216C47A"), ("im4gn.large", "L-1216C47A"),
    ("is4gen.xlarge", "L-1216C47A"), ("i4i.2xlarge", "L-1216C47A"), ("t3.micro", "L-1216C47A"),
    ("z1d.large", "L-1216C47A"), ("inf2.xlarge", "L-1945791B"), ("g5.xlarge", "L-DB2E81BA"),
    ("vt1.3xlarge", "L-DB2E81BA"), ("u-6tb1.metal", "L-43DA4232"), ("x2idn.16xlarge", "L-7295265B"),
    ("p5.48xlarge", "L-417A185B"), ("trn1.2xlarge", "L-2C3B7624"), ("dl1.24xlarge", "L-6E869C2A"),
    ("hpc7g.4xlarge", "L-F7808C92"), ("f1.2xlarge", "L-74FC7D96"), ("mac2.metal", None),
])
def test_instance_family_to_quota_class(itype, code):
    found = vcpu_quota(itype)
    assert (found.code if found else None) == code


def test_every_catalogued_type_has_a_vcpu_quota_class():
    assert all(vcpu_quota(name) for name in catalogue.INSTANCE_TYPES)


# --- the need against what the program declares ------------------------------------------------------------

def declared(recording) -> dict[str, float]:
    """Quota consumption counted from the recorded resources, independently of rustfs_model.quotas."""
    by_type = lambda t: recording.of_type(t)  # noqa: E731
    templates = {t.inputs["name"]: t for t in by_type("aws:ec2/launchTemplate:LaunchTemplate")}
    out: Counter = Counter()
    for group in by_type("aws:autoscaling/group:Group"):
        template = templates[group.inputs["launchTemplate"]["name"]]
        count = int(group.inputs["maxSize"])
        itype = catalogue.instance_type(template.inputs["instanceType"])
        out[vcpu_quota(itype.name).code] += count * itype.vcpu
        for mapping in template.inputs.get("blockDeviceMappings", []):
            ebs = mapping["ebs"]
            out[{"gp3": "L-7A658B76", "io2": "L-09BD8365"}[ebs["volumeType"]]] += count * ebs["volumeSize"] / 1024
    volumes = by_type("aws:ebs/volume:Volume")
    for v in volumes:
        out[{"gp3": "L-7A658B76", "io2": "L-09BD8365"}[v.inputs["type"]]] += v.inputs["size"] / 1024
        if v.inputs["type"] == "io2":
            out["L-8D977E7E"] += v.inputs["iops"]
    for policy in by_type("aws:dlm/lifecyclePolicy:LifecyclePolicy"):
        details = policy.inputs["policyDetails"]
        targets = details["targetTags"].items()
        matched = [v for v in volumes if targets <= v.inputs.get("tags", {}).items()]
        out["L-309BACF6"] += sum(len(matched) * s["retainRule"]["count"] for s in details["schedules"])
        for schedule in details["schedules"]:
            every_hours = schedule["createRule"]["interval"]
            for rule in schedule.get("crossRegionCopyRules") or []:
                assert rule["retainRule"]["intervalUnit"] == "DAYS"
                kept = math.ceil(rule["retainRule"]["interval"] * 24 / every_hours)  # one copy per run
                out[f"{rule['target']}/L-309BACF6"] += len(matched) * kept
    subnet_azs = {s.outputs["id"]: s.outputs["availabilityZone"] for s in by_type("aws:ec2/subnet:Subnet")}
    nats = Counter(subnet_azs[n.inputs["subnetId"]] for n in by_type("aws:ec2/natGateway:NatGateway"))
    out["L-FE5A380F"] = max(nats.values(), default=0)
    out["L-0263D0A3"] = len(by_type("aws:ec2/eip:Eip"))
    out["L-F678F1CE"] = len(by_type("aws:ec2/vpc:Vpc"))
    out["L-A4707A72"] = len(by_type("aws:ec2/internetGateway:InternetGateway"))
    endpoints = by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    out["L-1B52E74A"] = sum(e.inputs["vpcEndpointType"] == "Gateway" for e in endpoints)
    per_vpc = Counter(e.inputs["vpcId"] for e in endpoints if e.inputs["vpcEndpointType"] != "Gateway")
    out["L-29B6F2EB"] = max(per_vpc.values(), default=0)
    out["L-69A177A2"] = sum(lb.inputs.get("loadBalancerType") == "network"
                            for lb in by_type("aws:lb/loadBalancer:LoadBalancer"))
    return {code: amount for code, amount in out.items() if amount}


@pytest.mark.parametrize("stack,name", [("dev", ""), ("prod", ""), ("prod", "io2"), ("dev", "perAz-internet-facing"),
                                        ("dev", "hourly-copies")])
def test_the_model_counts_what_the_program_declares(stack, name):
    recording = offline(stack, name)
    modelled = keyed(stack_needs(stack_config(recording)))
    assert modelled == pytest.approx(declared(recording))


# --- the program's check, as under the real CLI ------------------------------------------------------------

def test_prod_against_a_new_accounts_defaults_fails_naming_each_quota_need_and_value():
    with pytest.raises(QuotaError) as failure:
        run_stack("prod", fake=FakeAws("us-east-1", quotas={}))
    message = str(failure.value)
    assert "below what the stack needs (2 quotas)" in message
    assert ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (ec2 L-1216C47A): needs 96 vCPUs"
            in message and "applied quota 5 in us-east-1 (need against the whole quota: what other workloads of "
            "the account use in this Region is not subtracted" in message)
    assert ("Storage for General Purpose SSD (gp3) volumes, in TiB (ebs L-7A658B76): needs 96.18 TiB" in message
            and "applied quota 50 in us-east-1 (need against the whole quota" in message)
    assert ("aws service-quotas request-service-quota-increase --service-code ebs --quota-code L-7A658B76 "
            "--desired-value 97 --region us-east-1") in message
    assert "rustfs-aws:quotas.check: false" in message
    assert isinstance(failure.value, pulumi.RunError)  # printed by the language host without a traceback


def test_the_check_runs_before_any_aws_resource_is_declared(program_monitors):
    monitors = program_monitors
    with pytest.raises(QuotaError):
        run_stack("prod", fake=FakeAws("us-east-1", quotas={"L-7A658B76": 10}))
    assert [r.type for r in monitors[0].recorded] == ["pulumi:providers:aws"]


def test_applied_quotas_at_the_need_pass_and_every_consumed_quota_is_read():
    fake = FakeAws("us-east-1", quotas={"L-1216C47A": 96, "L-7A658B76": 97})
    recording = run_stack("prod", fake=fake)
    assert recording.of_type("aws:ebs/volume:Volume")
    assert sorted(fake.quotas.reads) == sorted(needs_of("prod"))  # the copies' quota read in us-west-2


def test_one_quota_short_is_the_only_one_named():
    with pytest.raises(QuotaError) as failure:
        run_stack("prod", fake=FakeAws("us-east-1", quotas={"L-1216C47A": 96, "L-7A658B76": 97, "L-0263D0A3": 2}))
    assert [s.need.quota.code for s in failure.value.exceeded] == ["L-0263D0A3"]
    assert ("EC2-VPC Elastic IPs (ec2 L-0263D0A3): needs 3 addresses (one per NAT gateway), 0 in use outside this "
            "stack, applied quota 2 in us-east-1: 2 left") in str(failure.value)


ENOUGH = {"L-1216C47A": 200, "L-7A658B76": 200}  # vCPUs and gp3 TiB for prod and dev together


def test_the_copy_regions_snapshot_quota_is_checked_there():
    fake = FakeAws("us-east-1", quotas=ENOUGH, region_quotas={"us-west-2": {"L-309BACF6": 1_000}})
    with pytest.raises(QuotaError) as failure:
        run_stack("prod", fake=fake)
    [short] = failure.value.exceeded
    assert (short.need.quota.code, short.need.region, short.applied) == ("L-309BACF6", "us-west-2", 1_000)
    message = str(failure.value)
    assert ("Snapshots per Region (ebs L-309BACF6): needs 1,344 snapshots (96 data volumes x 14 copies kept in "
            "us-west-2), applied quota 1,000 in us-west-2") in message
    assert "--quota-code L-309BACF6 --desired-value 1344 --region us-west-2" in message
    assert "us-west-2/L-309BACF6" in fake.quotas.reads and "L-309BACF6" in fake.quotas.reads


# --- usage outside the stack: the account's quota is shared ----------------------------------------------

def deploy_into(account: FakeAccount, stack: str, quotas: dict, overrides: dict | None = None):
    return run_stack(stack, overrides, fake=FakeAws("us-east-1", account=account, quotas=quotas))


def test_another_stacks_addresses_count_against_this_ones_quota():
    account = FakeAccount()
    deploy_into(account, "dev", ENOUGH)  # one NAT gateway: one Elastic IP, one VPC, one NLB
    with pytest.raises(QuotaError) as failure:
        deploy_into(account, "prod", {**ENOUGH, "L-0263D0A3": 3, "L-69A177A2": 1})
    shorts = {s.need.quota.code: s for s in failure.value.exceeded}
    assert set(shorts) == {"L-0263D0A3", "L-69A177A2"}
    assert (shorts["L-0263D0A3"].outside, shorts["L-69A177A2"].outside) == (1, 1)
    message = str(failure.value)
    assert "needs 3 addresses (one per NAT gateway), 1 in use outside this stack, applied quota 3 in us-east-1: " \
           "2 left" in message
    assert "--quota-code L-0263D0A3 --desired-value 4 --region us-east-1" in message  # room for both


def test_a_stacks_own_resources_are_not_counted_again_on_its_next_up():
    # After the first up the stack's EIPs, VPC and NLB exist; the second up must not count them as another's.
    account = FakeAccount()
    tight = {**ENOUGH, "L-0263D0A3": 3, "L-F678F1CE": 2, "L-69A177A2": 1}  # VPCs: the default VPC and prod's
    deploy_into(account, "prod", tight)
    deploy_into(account, "prod", tight)


def test_usage_made_outside_pulumi_counts_and_only_network_load_balancers_count_as_nlbs():
    account = FakeAccount(usage=AccountUsage(outside={"us-east-1": {"nlbs": 49, "albs": 30, "vpcs": 3}}))
    with pytest.raises(QuotaError) as failure:
        deploy_into(account, "dev", {**ENOUGH, "L-69A177A2": 49})
    [nlb] = failure.value.exceeded
    assert (nlb.need.quota.code, nlb.outside) == ("L-69A177A2", 49)
    # 3 VPCs outside Pulumi and the default VPC: 4 of 5, dev's is the fifth.
    deploy_into(account, "dev", ENOUGH)


def test_the_fake_lists_the_accounts_resources_with_ec2s_tag_filters():
    from preflight.fake_usage import get_eips, get_lbs, get_vpcs

    account = FakeAccount(usage=AccountUsage(outside={"us-east-1": {"eips": 2, "albs": 1}}))
    fake = FakeAws("us-east-1", account=account)
    account.declare("us-east-1", "aws:ec2/eip:Eip", "prod", "nat-0", {"tags": {"Name": "rustfs-prod-net-nat-a"}})
    account.declare("us-east-1", "aws:lb/loadBalancer:LoadBalancer", "prod", "nlb",
                    {"loadBalancerType": "network", "tags": {"Name": "rustfs-prod-s3"}})
    assert len(get_eips(fake, {})["allocationIds"]) == 3
    assert len(get_eips(fake, {"filters": [{"name": "tag:Name", "values": ["rustfs-prod-net-nat-*"]}]})
               ["allocationIds"]) == 1
    assert get_eips(fake, {"region": "eu-west-1"})["allocationIds"] == []  # another Region's are its own
    assert len(get_vpcs(fake, {})["ids"]) == 1  # the Region's default VPC
    arns = get_lbs(fake, {})["arns"]
    assert sorted(a.split(":loadbalancer/")[1].split("/")[0] for a in arns) == ["app", "net"]
    assert len(get_lbs(fake, {"tags": {"Name": "rustfs-prod-s3"}})["arns"]) == 1
    with pytest.raises(UnknownToFake):
        get_vpcs(fake, {"filters": [{"name": "cidr", "values": ["10.0.0.0/16"]}]})


def test_quotas_check_false_skips_the_check():
    fake = FakeAws("us-east-1", quotas={})
    run_stack("prod", {"rustfs-aws:quotas": {"check": False}}, fake=fake)
    assert fake.quotas.reads == []


def test_offline_runs_turn_the_check_off_without_touching_the_stacks_config():
    recording = offline("prod")  # no applied quotas known: as preflight runs
    assert "rustfs-aws:quotas" not in recording.settings.config
    assert stack_config(recording).quotas.check is True


def test_a_deploy_role_that_cannot_read_quotas_gets_one_clear_error():
    with pytest.raises(pulumi.RunError) as failure:
        run_stack("dev", fake=FakeAws("us-east-1", quotas={}, quotas_readable=False))
    message = str(failure.value)
    assert message.startswith("could not read service quota Running On-Demand Standard")
    assert "servicequotas:GetAWSDefaultServiceQuota and servicequotas:GetServiceQuota" in message
    assert "AccessDeniedException" in message and "rustfs-aws:quotas.check: false" in message


def test_an_uncatalogued_type_reads_its_vcpus_from_ec2_which_must_know_it():
    overrides = cluster_with("dev", instanceType="m5.large", allowUnknownInstanceType=True)
    with pytest.raises(pulumi.RunError, match=r"could not read the vCPUs of instance type m5\.large.*"
                                              r"InvalidInstanceType"):
        run_stack("dev", overrides, fake=FakeAws("us-east-1", quotas={}))


def test_an_instance_family_without_a_vcpu_quota_class_is_a_config_error():
    overrides = cluster_with("dev", instanceType="mac2.metal", allowUnknownInstanceType=True)
    with pytest.raises(ConfigError, match=r"rustfs-aws:cluster\.instanceType: got 'mac2\.metal'; no On-Demand "
                                          r"vCPU quota class"):
        run_stack("dev", overrides, fake=FakeAws("us-east-1", quotas={}))


def test_quotas_config_is_validated():
    with pytest.raises(ConfigError) as failure:
        run_stack("dev", {"rustfs-aws:quotas": {"check": "yes", "skip": True}})
    assert "rustfs-aws:quotas.check: got 'yes'; expected true or false" in str(failure.value)
    assert "rustfs-aws:quotas.skip: got true; unknown key; known keys here: check" in str(failure.value)


# --- the fake's Service Quotas -----------------------------------------------------------------------------

def call(fake: FakeAws, token: str, **args):
    return fake.call(pulumi.runtime.MockCallArgs(token=token, args=args, provider=""))


QUOTA = "aws:servicequotas/getServiceQuota:getServiceQuota"


def test_fake_answers_aws_defaults_unless_applied_values_are_given():
    default = call(FakeAws("us-east-1"), QUOTA, serviceCode="ebs", quotaCode="L-7A658B76")
    assert (default["value"], default["defaultValue"]) == (50.0, 50.0)
    applied = call(FakeAws("us-east-1", quotas={"L-7A658B76": 300}), QUOTA, serviceCode="ebs",
                   quotaCode="L-7A658B76")
    assert (applied["value"], applied["defaultValue"]) == (300.0, 50.0)
    assert applied["arn"] == "arn:aws:servicequotas:us-east-1:123456789012:ebs/L-7A658B76"


@pytest.mark.parametrize("service,code", [("ec2", "L-7A658B76"), ("ebs", "L-00000000")])
def test_fake_refuses_a_quota_code_of_another_service_or_none(service, code):
    _, failures = call(FakeAws("us-east-1"), QUOTA, serviceCode=service, quotaCode=code)
    assert "NoSuchResourceException" in failures[0][1]


def test_fake_never_invents_an_unpublished_default():
    with pytest.raises(UnknownToFake, match="AWS publishes no default"):
        call(FakeAws("us-east-1"), QUOTA, serviceCode="ec2", quotaCode="L-DB2E81BA")
    with pytest.raises(UnknownToFake):
        FakeAws("us-east-1", quotas={"L-NOTAQUOTA": 1})


def test_fake_instance_types_come_from_the_catalogue():
    token = "aws:ec2/getInstanceType:getInstanceType"
    assert call(FakeAws("us-east-1"), token, instanceType="c6in.4xlarge")["defaultVcpus"] == 16
    _, failures = call(FakeAws("us-east-1"), token, instanceType="m5.large")
    assert "InvalidInstanceType" in failures[0][1]


def test_every_quota_cites_its_source():
    assert all(q.source and q.service in {"ec2", "ebs", "vpc", "elasticloadbalancing"} for q in QUOTAS.values())


# --- the preflight report section --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prod_report():
    recording = offline("prod")
    value = SECTION.compute(recording)
    policy = PolicyResult(pack="p", version="0", policies=[], violations=[], config_file=None)
    doc = build_json(recording, policy, {"quotas": value})
    return doc, human(doc, SECTION.human(value)), markdown(doc, SECTION.markdown(value))


def test_report_json_lists_each_need_against_the_default(prod_report):
    doc, _, _ = prod_report
    quotas = doc["quotas"]
    assert quotas["aboveDefault"] == ["L-1216C47A", "L-7A658B76"]
    gp3 = next(r for r in quotas["rows"] if r["code"] == "L-7A658B76")
    assert (gp3["need"], gp3["default"], gp3["aboveDefault"]) == (96.17578125, 50, True)
    assert gp3["request"].endswith("--quota-code L-7A658B76 --desired-value 97 --region us-east-1")
    assert quotas["checkedByProgram"] is True
    assert doc["summary"]["mandatory"] == 0  # a warning, never a failure


def test_report_human_and_markdown_warn(prod_report):
    _, text, md = prod_report
    assert ("WARNING Storage for General Purpose SSD (gp3) volumes, in TiB (ebs L-7A658B76): needs 96.18 TiB, "
            "AWS default 50") in text
    assert "### Service quotas" in md
    assert "| ⚠️ Storage for General Purpose SSD (gp3) volumes, in TiB | `ebs` `L-7A658B76` | 96.18 TiB | 50 |" in md
    assert "| EC2-VPC Elastic IPs | `ec2` `L-0263D0A3` | 3 addresses | 5 |" in md
    assert ("aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A "
            "--desired-value 96 --region us-east-1") in md
