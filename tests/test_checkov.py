"""An independent review of what the dev and prod stacks declare: checkov's Terraform checks.

The recorded resources are rendered as Terraform JSON (tests/checkov_render.py) and scanned with
`checkov --framework terraform_json --skip-download` (offline). Every failure must be in ALLOWED below.

checkov pins boto3, cloudsplaining and networkx to versions that clash with the other test tools, so it lives
in its own virtualenv, ``venv/checkov`` (``make test`` creates it with the version pinned in
requirements-dev.txt); ``CHECKOV=/path/to/checkov`` overrides it.

Blind spot of checkov's terraform_json runner (not of the rendering): it hands a `policy` JSON string to
cloudsplaining as it is, so CKV_AWS_286-290 and CKV_AWS_355 (IAM) and CKV_AWS_169/385 (SNS topic policy) give
no result (an object in its place becomes HCL-wrapped lists, which cloudsplaining cannot read either). scan()
runs those checks itself, with checkov's own check classes, on the parsed documents, as checkov's Terraform
and plan runners would, and adds their results to the CLI's.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path

import pytest
from checkov_render import TERRAFORM_TYPES, UnmappedType, render

from preflight.runner import Recording, run_stack

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod")
SCAN_SECONDS_LIMIT = 60

RENDERING = "false positive of the rendering"
NOT_APPLICABLE = "not applicable to RustFS"
ACCEPTED = "real gap we accept"


@dataclasses.dataclass(frozen=True)
class Allowed:
    kind: str  # RENDERING, NOT_APPLICABLE or ACCEPTED
    stacks: tuple[str, ...]  # where it fails (it must: a stale entry is an error)
    resources: str  # regular expression that every failing Terraform address must match
    reason: str


_BOUNDARY = r"aws_iam_policy\.rustfs-\w+-iam-permissions-boundary$"

# The one allow-list. Each entry says why the failure is acceptable; none hides a rendering shortcut.
ALLOWED = {
    "CKV_AWS_62": Allowed(
        NOT_APPLICABLE, STACKS, _BOUNDARY,
        "'*:*' admin policy: the policy is the stacks' permissions boundary (a ceiling: Allow * then Deny IAM, "
        "key administration, foreign resources), never attached to a principal; checkov reads it as an identity "
        "policy. test_boundary_is_only_a_boundary keeps that true."),
    "CKV_AWS_63": Allowed(
        NOT_APPLICABLE, STACKS, _BOUNDARY,
        "'*' actions: the same permissions boundary (see CKV_AWS_62)."),
    "CKV2_AWS_40": Allowed(
        NOT_APPLICABLE, STACKS, _BOUNDARY,
        "full IAM privileges: the same permissions boundary, which in fact denies IAM changes (see CKV_AWS_62)."),
    "CKV2_AWS_23": Allowed(
        NOT_APPLICABLE, STACKS, r"aws_route53_record\.rustfs-\w+-dns-rustfs-\d+$",
        "A record without an attached resource: each node's record is declared with the placeholder 192.0.2.1 "
        "and ignore_changes on records; the node writes its own private IP at boot (take-over). The endpoint "
        "records are aliases to the NLB and pass."),
    "CKV2_AWS_57": Allowed(
        ACCEPTED, STACKS,
        r"aws_secretsmanager_secret\.rustfs-\w+-(root-credentials-secret|tls-rustfs-\d+|state-sa-[\w-]+-secret"
        r"|tier-credentials)$",
        "no automatic (Lambda) rotation: RustFS root credentials rotate by bumping security."
        "rootCredentialsVersion and a coordinated restart (docs/security.md); node TLS keys are re-issued by "
        "`pulumi up` before expiry (early renewal); service-account keys by raising their `version` (the reconciler "
        "replaces the account, components/state/state.py); the tier key by tiering.keyVersion/previousKeyVersion "
        "(the reconciler edits the tier, components/integrations/tiering.py). A rotation Lambda could do neither."),
    "CKV_AWS_180": Allowed(
        ACCEPTED, ("prod",), r"aws_imagebuilder_component\.rustfs-\w+-images-component$",
        "Image Builder component without a customer managed key: the node image's document holds nothing secret "
        "(the public release URL and its pinned checksum, package names, kernel settings; components/images/"
        "document.py). A stack key would have to admit decryption through imagebuilder.<region>.amazonaws.com, "
        "which no key policy of key_policies.py does, for no confidentiality gained; Image Builder encrypts it with "
        "an AWS owned key."),
    "CKV2_AWS_62": Allowed(
        NOT_APPLICABLE, STACKS, r"aws_s3_bucket\.rustfs-\w+-(audit-(logs|audit)|replica-(bucket|logs)|tier-bucket)$",
        "S3 event notifications: the buckets are the audit and access-log buckets, the remote tier (RustFS reads "
        "and writes it itself) and its replica (RustFS data lives on EBS); nothing consumes their object events."),
    "CKV_AWS_144": Allowed(
        ACCEPTED, STACKS, r"aws_s3_bucket\.rustfs-\w+-(audit-(logs|audit)|replica-logs)$",
        "cross-region replication of the audit and access-log buckets (the replica Region's included): not "
        "declared; they are versioned, "
        "KMS-encrypted and lifecycle-managed in the stack's region. A regional loss would lose the copies there."),
    "CKV2_AWS_34": Allowed(
        NOT_APPLICABLE, STACKS, r"aws_ssm_parameter\.rustfs-\w+-(collector-config|state-desired)$",
        "String, not SecureString: the collector configuration and the desired RustFS state hold no secret (secret "
        "ARNs, never values; the pack's rustfs-ssm-parameter-disallow-plaintext-secrets fails one that does), and "
        "the policy pack and cost model must read them."),
    "CKV_AWS_273": Allowed(
        ACCEPTED, ("prod",), r"aws_iam_user\.rustfs-\w+-tier-user$",
        "an IAM user, not SSO: RustFS's s3 tier takes static keys only (tier_config.rs, warm_backend_s3.rs); the "
        "user has no console password, the boundary, and a policy usable only through the stack's S3 endpoint."),
    "CKV_AWS_40": Allowed(
        ACCEPTED, ("prod",), r"aws_iam_user_policy\.rustfs-\w+-tier-user-policy$",
        "inline policy on a user: the remote tier's one user (see CKV_AWS_273) needs no group; the policy allows "
        "only the tier prefix of its bucket."),
    "CKV_AWS_150": Allowed(
        ACCEPTED, ("dev",), r"aws_lb\.rustfs-dev-lb-nlb$",
        "dev load balancer without deletion protection: the dev stack is torn down at will; prod has it on."),
    "CKV_AWS_338": Allowed(
        ACCEPTED, ("dev",), r"aws_cloudwatch_log_group\.rustfs-dev-",
        "dev log groups keep 30 days (cost; audit.logRetentionDays / network.flowLogRetentionDays); prod keeps "
        "365 days and passes."),
    **{check_id: Allowed(NOT_APPLICABLE, STACKS, _BOUNDARY, f"{what}: the permissions boundary (see CKV_AWS_62).")
       for check_id, what in (("CKV_AWS_286", "privilege escalation"), ("CKV_AWS_287", "credentials exposure"),
                              ("CKV_AWS_288", "data exfiltration"), ("CKV_AWS_289", "permissions management"),
                              ("CKV_AWS_290", "unconstrained writes"), ("CKV_AWS_355", "'*' resource"))},
}

# Checks that read a parsed policy document, which terraform_json never gives them (see the module docstring).
POLICY_DOCUMENT_CHECKS = ("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290",
                          "CKV_AWS_355", "CKV_AWS_169", "CKV_AWS_385")
POLICY_DOCUMENT_TYPES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_sns_topic_policy")
_RUN_POLICY_DOCUMENT_CHECKS = """
import json, sys
from checkov.terraform.checks.resource.registry import resource_registry
from checkov.terraform.checks.resource import *  # registers the checks

wanted, results = set(sys.argv[1].split(",")), []
for item in json.load(sys.stdin):
    for check in resource_registry.checks.get(item["type"], []):
        if check.id in wanted:
            found = check.run(scanned_file="/main.tf.json", entity_configuration={"policy": [item["policy"]]},
                              entity_name=item["resource"], entity_type=item["type"], skip_info={})
            results.append({"check_id": check.id, "check_name": check.name, "resource": item["resource"],
                            "result": found["result"].value})
json.dump(results, sys.stdout)
"""


# --- finding and running checkov -------------------------------------------------------------------------

def _pinned_version() -> str:
    text = (ROOT / "requirements-dev.txt").read_text()
    found = re.search(r"checkov==([0-9][0-9.]*)", text)
    assert found, "requirements-dev.txt must pin checkov (checkov==X.Y.Z)"
    return found.group(1)


def _checkov_executable() -> str | None:
    for candidate in (os.environ.get("CHECKOV"), str(ROOT / "venv" / "checkov" / "bin" / "checkov"),
                      shutil.which("checkov")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def checkov() -> str:
    executable = _checkov_executable()
    if executable is None:
        pytest.skip("checkov is not installed: `make test` installs it into venv/checkov "
                    "(or set CHECKOV=/path/to/checkov)")
    version = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True,
                             timeout=120).stdout.strip()
    assert version == _pinned_version(), (
        f"{executable} is checkov {version}, requirements-dev.txt pins {_pinned_version()}: "
        "remove venv/checkov and run `make test`")
    return executable


@dataclasses.dataclass
class Scan:
    document: dict
    passed: list[dict]
    failed: list[dict]
    parsing_errors: int
    seconds: float

    def failing(self, check_id: str) -> set[str]:
        return {r["resource"] for r in self.failed if r["check_id"] == check_id}

    def passing(self, check_id: str) -> set[str]:
        return {r["resource"] for r in self.passed if r["check_id"] == check_id}


def scan(checkov: str, recording: Recording, tmp_path: Path) -> Scan:
    document = render(recording)
    (tmp_path / "main.tf.json").write_text(json.dumps(document, indent=1))
    started = time.monotonic()
    done = subprocess.run(
        [checkov, "-d", str(tmp_path), "--framework", "terraform_json", "--skip-download", "--compact",
         "-o", "json"], capture_output=True, text=True, timeout=5 * SCAN_SECONDS_LIMIT)
    assert done.returncode in (0, 1), f"checkov exited {done.returncode}:\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    assert isinstance(report, dict) and report.get("check_type") == "terraform_json", report
    names = _address_of_name(document)
    results = report["results"]
    for record in results["passed_checks"] + results["failed_checks"]:
        # per-resource checks name their resource `resource.<name>`; graph checks give `<type>.<name>`
        if record["resource"].startswith("resource."):
            record["resource"] = names[record["resource"].removeprefix("resource.")]
    passed, failed = results["passed_checks"], results["failed_checks"]
    silent = {r["check_id"] for r in passed + failed} & set(POLICY_DOCUMENT_CHECKS)
    assert not silent, f"checkov now evaluates {sorted(silent)} itself: drop them from POLICY_DOCUMENT_CHECKS"
    for record in _policy_document_checks(checkov, document):
        (passed if record["result"] == "PASSED" else failed).append(record)
    return Scan(document, passed, failed, report["summary"]["parsing_errors"], time.monotonic() - started)


def _policy_document_checks(checkov: str, document: dict) -> list[dict]:
    """POLICY_DOCUMENT_CHECKS on each parsed policy, in checkov's own interpreter (its venv)."""
    with open(checkov) as script:
        interpreter = script.readline().removeprefix("#!").strip()  # the entry point's shebang
    items = [{"type": tf_type, "resource": f"{tf_type}.{name}", "policy": json.loads(body["policy"])}
             for tf_type in POLICY_DOCUMENT_TYPES for name, body in document["resource"].get(tf_type, {}).items()]
    done = subprocess.run([interpreter, "-c", _RUN_POLICY_DOCUMENT_CHECKS, ",".join(POLICY_DOCUMENT_CHECKS)],
                          input=json.dumps(items), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _address_of_name(document: dict) -> dict[str, str]:
    return {name: f"{tf_type}.{name}" for tf_type, named in document["resource"].items() for name in named}


@cache
def recording_of(stack: str) -> Recording:
    return run_stack(stack)


@pytest.fixture(scope="module")
def scans(checkov, tmp_path_factory) -> dict[str, Scan]:
    return {stack: scan(checkov, recording_of(stack), tmp_path_factory.mktemp(f"checkov-{stack}"))
            for stack in STACKS}


# --- the review ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_no_failure_outside_the_allow_list(scans, stack):
    result = scans[stack]
    assert result.parsing_errors == 0
    unexplained = sorted(
        f"{r['check_id']} {r['resource']}: {r['check_name']}" for r in result.failed
        if r["check_id"] not in ALLOWED or stack not in ALLOWED[r["check_id"]].stacks
        or not re.match(ALLOWED[r["check_id"]].resources, r["resource"]))
    assert not unexplained, "checkov failures not in ALLOWED:\n" + "\n".join(unexplained)


def test_allow_list_has_no_stale_entry(scans):
    stale = [f"{check_id} in {stack}" for check_id, allowed in ALLOWED.items() for stack in allowed.stacks
             if not scans[stack].failing(check_id)]
    assert not stale, f"allow-listed checks that no longer fail (remove them): {stale}"
    assert {allowed.kind for allowed in ALLOWED.values()} <= {RENDERING, NOT_APPLICABLE, ACCEPTED}


@pytest.mark.parametrize("stack", STACKS)
def test_checkov_evaluated_our_resources(scans, stack):
    result = scans[stack]
    recording = recording_of(stack)
    document = result.document["resource"]
    assert len(result.passed) > 250

    def every(tf_type: str) -> set[str]:
        assert document.get(tf_type), f"no {tf_type} rendered"
        return {f"{tf_type}.{name}" for name in document[tf_type]}

    assert result.passing("CKV_AWS_79") == every("aws_launch_template")  # IMDSv1 off
    assert result.passing("CKV_AWS_341") == every("aws_launch_template")  # metadata hop limit 1
    assert result.passing("CKV_AWS_88") == every("aws_launch_template")  # no public IP
    assert result.passing("CKV_AWS_3") == every("aws_ebs_volume")  # encrypted
    assert result.passing("CKV_AWS_189") == every("aws_ebs_volume")  # with a customer-managed key
    assert len(every("aws_ebs_volume")) == len(recording.of_type("aws:ebs/volume:Volume"))
    assert result.passing("CKV2_AWS_11") == every("aws_vpc")  # flow logs (graph: flow log → VPC)
    assert result.passing("CKV2_AWS_6") == every("aws_s3_bucket")  # public access block (graph)
    assert result.passing("CKV2_AWS_64") == every("aws_kms_key")  # key policy defined
    assert result.passing("CKV_AWS_7") == every("aws_kms_key")  # key rotation
    assert result.passing("CKV2_AWS_12") == every("aws_vpc")  # its default SG restricts all traffic (graph)
    assert every("aws_default_security_group")
    assert every("aws_security_group") <= result.passing("CKV2_AWS_5")  # every SG attached (graph)
    for check_id in ("CKV_AWS_286", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355"):  # parsed policy documents
        users = {f"aws_iam_user_policy.{name}" for name in document.get("aws_iam_user_policy", {})}
        inline = every("aws_iam_role_policy") | users
        assert result.passing(check_id) == inline, check_id


def test_scans_are_fast_enough(scans):
    slow = {stack: round(s.seconds, 1) for stack, s in scans.items() if s.seconds > SCAN_SECONDS_LIMIT}
    assert not slow, f"checkov took longer than {SCAN_SECONDS_LIMIT} s: {slow}"


def test_checkov_catches_regressions_through_the_rendering(checkov, tmp_path):
    """Break one thing per check in a copy of the dev recording: each break must fail its check, on its resource.

    This proves the rendered shapes (metadata_options block, encrypted flag), the references that graph
    checks follow (public access block → bucket, flow log → VPC) and the policy-document pass carry what
    checkov reads.
    """
    original = recording_of("dev")
    resources = [dataclasses.replace(r, inputs=copy.deepcopy(r.inputs)) for r in original.resources]
    template = next(r for r in resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate")
    template.inputs["metadataOptions"]["httpTokens"] = "optional"
    volume = next(r for r in resources if r.type == "aws:ebs/volume:Volume")
    volume.inputs["encrypted"] = False
    volume.inputs.pop("kmsKeyId")
    block = next(r for r in resources if r.type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    bucket = next(r for r in resources if r.type == "aws:s3/bucket:Bucket"
                  and r.outputs["id"] == block.inputs["bucket"])
    inline = next(r for r in resources if r.type == "aws:iam/rolePolicy:RolePolicy")
    policy = json.loads(inline.inputs["policy"])
    policy["Statement"].append({"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"})
    inline.inputs["policy"] = json.dumps(policy)
    resources = [r for r in resources if r is not block and r.type != "aws:ec2/flowLog:FlowLog"]
    broken = scan(checkov, dataclasses.replace(original, resources=resources), tmp_path)

    def address(resource) -> str:
        return next(f"{t}.{n}" for t, named in broken.document["resource"].items()
                    for n, body in named.items() if body["//"] == resource.urn)

    assert broken.failing("CKV_AWS_79") == {address(template)}
    assert address(volume) in broken.failing("CKV_AWS_3")
    assert address(volume) in broken.failing("CKV_AWS_189")
    assert broken.failing("CKV2_AWS_6") == {address(bucket)}
    assert address(inline) in broken.failing("CKV_AWS_286")  # privilege escalation
    assert broken.failing("CKV2_AWS_11") == {f"aws_vpc.{name}" for name in broken.document["resource"]["aws_vpc"]}


# --- the permissions boundary is what the allow-list says it is -------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_boundary_is_only_a_boundary(stack):
    recording = recording_of(stack)
    boundary = recording.one("aws:iam/policy:Policy")
    arn = boundary.outputs["arn"]
    assert arn.endswith("-permissions-boundary")
    attached = [r.name for r in recording.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if r.inputs["policyArn"] == arn]
    assert not attached, f"the permissions boundary is attached as a policy to {attached}"
    roles = recording.of_type("aws:iam/role:Role")
    assert roles and all(r.inputs.get("permissionsBoundary") == arn for r in roles)
    statements = json.loads(boundary.inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements if s["Effect"] == "Allow"] == ["CeilingForStackRoles"]
    assert any(s["Effect"] == "Deny" and "iam:Create*" in s["Action"] for s in statements)


# --- the rendering (no checkov needed) ---------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_recorded_resource_is_rendered_once(stack):
    recording = recording_of(stack)
    document = render(recording)
    custom = [r for r in recording.resources if r.custom and r.type != "pulumi:providers:aws"]
    rendered = [body["//"] for named in document["resource"].values() for body in named.values()]
    assert sorted(rendered) == sorted(r.urn for r in custom)
    assert {r.type for r in custom} <= TERRAFORM_TYPES.keys()


def test_an_unmapped_type_is_an_error():
    recording = recording_of("dev")
    strange = dataclasses.replace(recording.resources[-1], type="aws:ec2/instance:Instance", urn="urn:x")
    with pytest.raises(UnmappedType, match="aws:ec2/instance:Instance"):
        render(dataclasses.replace(recording, resources=[*recording.resources, strange]))


def _body(document: dict, tf_type: str, name: str) -> dict:
    return document["resource"][tf_type][name]


def test_blocks_take_the_terraform_shapes():
    document = render(recording_of("dev"))
    template = _body(document, "aws_launch_template", "rustfs-dev-cluster-rustfs-1")
    assert template["metadata_options"] == [{"http_endpoint": "enabled", "http_put_response_hop_limit": 1,
                                             "instance_metadata_tags": "disabled", "http_tokens": "required"}]
    (root,) = template["block_device_mappings"]
    assert root["device_name"] == "/dev/xvda" and root["ebs"][0]["encrypted"] == "true"
    assert [spec["resource_type"] for spec in template["tag_specifications"]] == [
        "instance", "network-interface", "volume"]
    assert isinstance(template["tag_specifications"][0]["tags"], dict)  # a map, not a block
    group = _body(document, "aws_autoscaling_group", "rustfs-dev-cluster-rustfs-1__autoscaling_group")
    assert {"key": "Project", "value": "rustfs-aws", "propagate_at_launch": True} in group["tag"]
    assert group["name"] == "rustfs-dev-rustfs-1"  # its own name, not its template's
    assert group["launch_template"][0]["name"] == "${aws_launch_template.rustfs-dev-cluster-rustfs-1.name}"
    encryption = _body(document, "aws_s3_bucket_server_side_encryption_configuration",
                       "rustfs-dev-audit-logs-encryption")
    (rule,) = encryption["rule"]
    assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    lifecycle = _body(document, "aws_s3_bucket_lifecycle_configuration", "rustfs-dev-audit-audit-lifecycle")
    assert [t["storage_class"] for t in lifecycle["rule"][0]["transition"]] == ["STANDARD_IA", "GLACIER"]
    assert lifecycle["rule"][0]["filter"] == [{}]
    closed = _body(document, "aws_default_security_group", "rustfs-dev-net-default-sg")
    assert closed["ingress"] == [] and closed["egress"] == []


def test_values_of_other_resources_become_references():
    document = render(recording_of("dev"))
    block = _body(document, "aws_s3_bucket_public_access_block", "rustfs-dev-audit-logs-public-access")
    assert block["bucket"] == "${aws_s3_bucket.rustfs-dev-audit-logs.id}"
    bucket = _body(document, "aws_s3_bucket", "rustfs-dev-audit-logs")
    assert bucket["bucket"] == "rustfs-dev-logs-123456789012-us-east-1"  # its own name stays literal
    flow_log = _body(document, "aws_flow_log", "rustfs-dev-net-flow-log")
    assert flow_log["vpc_id"] == "${aws_vpc.rustfs-dev-net-vpc.id}"
    # The log group shares its name with the flow-log role: whichever registers first keeps the bare address.
    assert flow_log["log_destination"] in ("${aws_cloudwatch_log_group.rustfs-dev-net-flow-logs.arn}",
                                           "${aws_cloudwatch_log_group.rustfs-dev-net-flow-logs__cloudwatch_log_group.arn}")
    trail = _body(document, "aws_cloudtrail", "rustfs-dev-audit-trail__cloudtrail")
    assert trail["cloud_watch_logs_group_arn"] == "${aws_cloudwatch_log_group.rustfs-dev-audit-trail.arn}:*"
    assert trail["kms_key_id"] == "${aws_kms_key.rustfs-dev-keys-storage.arn}"
    version = _body(document, "aws_secretsmanager_secret_version", "rustfs-dev-root-credentials-secret-version")
    assert version["secret_id"] == "${aws_secretsmanager_secret.rustfs-dev-root-credentials-secret.id}"
    profile = _body(document, "aws_iam_instance_profile", "rustfs-dev-iam-node__iam_instance_profile")
    assert profile["role"] == "${aws_iam_role.rustfs-dev-iam-node.id}"
    # only the account owner (prod) records with AWS Config
    status = _body(render(recording_of("prod")), "aws_config_configuration_recorder_status",
                   "rustfs-prod-audit-recorder-status")
    assert status["name"] == "${aws_config_configuration_recorder.rustfs-prod-audit-recorder.name}"
    alias = _body(document, "aws_route53_record", "rustfs-dev-dns-s3")["alias"][0]
    assert alias["name"] == "${aws_lb.rustfs-dev-lb-nlb.dns_name}"
    assert alias["zone_id"] == "${aws_lb.rustfs-dev-lb-nlb.zone_id}"
    assert "${" not in json.dumps(_body(document, "aws_vpc", "rustfs-dev-net-vpc")["tags"])


def test_provider_default_tags_and_aliases():
    recording = recording_of("prod")
    document = render(recording)
    main, *others = document["provider"]["aws"]
    copy_region = next(p for p in others if p["alias"] == "rustfs-prod-snapshots-copy-region")
    default_tags = json.loads(recording.resources[0].inputs["defaultTags"])["tags"]
    assert recording.resources[0].type == "pulumi:providers:aws"
    assert main["default_tags"] == [{"tags": default_tags}] and "alias" not in main
    assert copy_region["region"] == "us-west-2"
    key = _body(document, "aws_kms_key", "rustfs-prod-snapshots-copy-key")
    assert key["provider"] == f"aws.{copy_region['alias']}"
    assert "provider" not in _body(document, "aws_kms_key", "rustfs-prod-keys-data")
