"""node-bootstrap --boot against a moto server: what can become ready is retried, a node that cannot says so.

The rendered scripts (comment lines stripped, as the user data carries them) run with the real AWS CLI (a
recording shim in front of it) against moto (Secrets Manager, EC2, Auto Scaling, Route 53) and a fake IMDSv2,
with a bound of a few seconds instead of 20 minutes. Where the outcome is the Unhealthy report, the rendered
rustfs-bootstrap.service runs as systemd would (tests/systemd_units.py) and its OnFailure= unit reports:
- a secret whose value (its SecretVersion) appears only after a delay: the node comes up;
- a secret value that never appears: the node reports its own instance Unhealthy to its group, within the bound;
- volumes that are created only after a delay: the real take-over step is retried until it attaches them;
- a volume held by a live instance: the take-over waits only as long as the bound, then the node reports;
- an AWS call that hangs (CLI, take-over): it ends at the bound; one that hangs past systemd's TimeoutStartSec:
  systemd ends the unit, and OnFailure= still reports;
- IMDSv2 and the API failing at first: the report retries both;
- a permanent error (volumes in another AZ): not retried, not reported - a replacement would fail alike;
- Secrets Manager down (its endpoint refuses connections) with the files already on disk: a restart keeps them,
  a reboot of the node does not make it report itself Unhealthy.

Where moto is kinder than AWS the test is stricter: moto ignores SetInstanceHealth's ShouldRespectGracePeriod
(moto/autoscaling/models.py set_instance_health), but AWS honours the group's grace period by default (Auto
Scaling API reference, SetInstanceHealth), which is longer than the bound: the call must opt out of it.
"""

from __future__ import annotations

import json
import os
import pwd
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from aws_cli_scan import split_aws_argv
from fake_imds import FakeImdsV2, serving
from moto_server import free_port
from systemd_units import Systemd, unit_settings

from rustfs_aws.cluster.bootstrap import render
from rustfs_aws.cluster.bootstrap.comments import strip_comments

BOOTSTRAP = Path(__file__).resolve().parent.parent / "components" / "cluster" / "bootstrap"
UNITS = "/etc/systemd/system"
REGION = "us-east-1"
CLUSTER = "c1"
NODE = "rustfs-1.c1.internal"
OWNER = pwd.getpwuid(os.getuid()).pw_name
BOUND = 6  # seconds (BOOT_READY_TIMEOUT_SECONDS) when the node must give up; the rendered default is 1200
TAKEOVER_BOUND = 12  # each take-over attempt makes several CLI calls of ~0.5 s each
PATIENT_BOUND = 30  # when the node must come up: it returns as soon as it is ready
CREDENTIALS = {"accessKey": "AKIAFAKENODEACCESS", "secretKey": "fake-secret-key-0123456789",
               "rpcSecret": "fake-rpc-secret-0123456789abcdef0123456789"}  # RUSTFS_RPC_SECRET (credentials.py)
TLS = {"certificate": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
       "privateKey": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----"}


@pytest.fixture(scope="module")
def imds():
    with serving() as url:
        yield url


class Account:
    """One node's world in moto: its group with one running instance, its secrets (no values yet), its zone."""

    def __init__(self, endpoint: str):
        client = lambda service: boto3.client(  # noqa: E731
            service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
            aws_secret_access_key="testing")
        self.sm, self.ec2, self.asg, self.r53 = (client(s) for s in ("secretsmanager", "ec2", "autoscaling",
                                                                     "route53"))
        ami = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.ec2.create_launch_template(LaunchTemplateName=f"{CLUSTER}-rustfs-1",
                                        LaunchTemplateData={"ImageId": ami, "InstanceType": "m6i.large"})
        subnet = self.ec2.describe_subnets()["Subnets"][0]
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=f"{CLUSTER}-rustfs-1", MinSize=1, MaxSize=1, DesiredCapacity=1,
            LaunchTemplate={"LaunchTemplateName": f"{CLUSTER}-rustfs-1"}, VPCZoneIdentifier=subnet["SubnetId"],
            HealthCheckType="EC2", HealthCheckGracePeriod=1500,
            Tags=[{"Key": "rustfs:cluster", "Value": CLUSTER, "PropagateAtLaunch": True}])
        [me] = self.asg.describe_auto_scaling_instances()["AutoScalingInstances"]
        self.instance, self.zone = me["InstanceId"], me["AvailabilityZone"]
        # A Secret without a SecretVersion: what a node saw before its group waited for the versions.
        self.credentials_arn = self.sm.create_secret(Name=f"rustfs/{CLUSTER}/root-credentials")["ARN"]
        self.tls_arn = self.sm.create_secret(Name=f"rustfs/{CLUSTER}/tls/rustfs-1")["ARN"]
        vpc = subnet["VpcId"]
        self.zone_id = self.r53.create_hosted_zone(
            Name="c1.internal", CallerReference=str(time.time()), VPC={"VPCRegion": REGION, "VPCId": vpc},
            HostedZoneConfig={"PrivateZone": True, "Comment": "test"})["HostedZone"]["Id"].split("/")[-1]

    def write_secret_values(self) -> None:
        self.sm.put_secret_value(SecretId=self.credentials_arn, SecretString=json.dumps(CREDENTIALS))
        self.sm.put_secret_value(SecretId=self.tls_arn, SecretString=json.dumps(TLS))

    def create_volumes(self, attached: bool = False) -> list[str]:
        """This node's two volumes; `attached`: already held by its instance (a reboot), so the take-over is quick."""
        tags = lambda d: [{"Key": k, "Value": v} for k, v in  # noqa: E731
                          {"rustfs:cluster": CLUSTER, "rustfs:node": "1", "rustfs:drive": str(d)}.items()]
        volumes = [self.ec2.create_volume(AvailabilityZone=self.zone, Size=10, TagSpecifications=[
            {"ResourceType": "volume", "Tags": tags(d)}])["VolumeId"] for d in range(2)]
        for drive, volume in enumerate(volumes if attached else []):
            self.ec2.attach_volume(VolumeId=volume, InstanceId=self.instance, Device=f"/dev/sd{'fg'[drive]}")
        return volumes

    def health(self) -> str:
        [me] = self.asg.describe_auto_scaling_instances(InstanceIds=[self.instance])["AutoScalingInstances"]
        return me["HealthStatus"]


@pytest.fixture
def account(moto_endpoint, imds):
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    a = Account(moto_endpoint)
    FakeImdsV2.values = {"instance-id": a.instance, "placement/availability-zone": a.zone,
                    "placement/region": REGION, "local-ipv4": "10.0.1.5"}
    FakeImdsV2.failures = 0
    return a


def closed_port_url() -> str:
    """An endpoint that refuses every connection: the service is down."""
    return f"http://127.0.0.1:{free_port()}"


def rendered_units() -> dict[str, str]:
    """The boot, report and RustFS units as render.py writes them (the settings that matter here do not depend
    on the node)."""
    params = render.UserDataParams(
        cluster_id=CLUSTER, node_index=1, node_name=NODE, hosted_zone_id="Z0123456789ABCDEFGHIJ",
        volumes="http://rustfs-{1...4}.c1.internal:9000/data/rustfs{0...1}", drives_per_node=2,
        rustfs_version="1.0.1", arch="x86_64", region=REGION,
        credentials_secret_arn=f"arn:aws:secretsmanager:{REGION}:123456789012:secret:rustfs/c1/root-AbCdEf",
        tls_secret_arn=f"arn:aws:secretsmanager:{REGION}:123456789012:secret:rustfs/c1/tls-AbCdEf")
    return {Path(path).name: content for path, _, content in render.embedded_files(params)
            if path.startswith(f"{UNITS}/")}


@pytest.fixture
def node(account, moto_endpoint, imds, tmp_path):
    """Runs the real node-bootstrap with a recording `aws` shim in front of the real AWS CLI."""
    log = tmp_path / "aws-calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real_aws = Path(sys.executable).parent / "aws"
    # TEST_AWS_HANG=<command>: that call never answers. TEST_AWS_FAIL=<command>:<n>: its first n calls fail.
    (bin_dir / "aws").write_text(
        "#!/bin/bash\n"
        f"for a in \"$@\"; do printf '%s\\037' \"$a\"; done >> {log}\nprintf '\\036' >> {log}\n"
        'if [ -n "${TEST_AWS_HANG:-}" ] && [[ " $* " == *" $TEST_AWS_HANG "* ]]; then sleep 600; fi\n'
        'if [ -n "${TEST_AWS_FAIL:-}" ] && [[ " $* " == *" ${TEST_AWS_FAIL%:*} "* ]]; then\n'
        f'  n=$(cat {log}.failed 2>/dev/null || echo 0)\n'
        f'  if [ "$n" -lt "${{TEST_AWS_FAIL##*:}}" ]; then echo $((n + 1)) > {log}.failed; exit 255; fi\n'
        'fi\n'
        f'{real_aws} "$@"\nrc=$?\necho "$*" >> {log}.done\nexit $rc\n')
    (bin_dir / "systemctl").write_text("#!/bin/sh\nexit 0\n")  # take_over_drives reloads systemd
    # A python3 that leaves PATH alone (a pyenv shim puts its own bin, and its own aws, first).
    (bin_dir / "python3").symlink_to(sys.executable)
    for shim in ("aws", "systemctl"):
        (bin_dir / shim).chmod(0o755)
    # The take-over runs for real (takeover.py against moto); only the device steps are stand-ins.
    lib = tmp_path / "lib"
    lib.mkdir()
    for script in ("node-bootstrap", "takeover.py"):  # as the user data carries them
        (lib / script).write_text(strip_comments((BOOTSTRAP / script).read_text()))
    (lib / "map-volumes").write_text("#!/bin/sh\nfor p in \"$@\"; do echo \"${p%%:*}:/dev/fake${p%%:*}\"; done\n")
    (lib / "prepare-disks").write_text("#!/bin/sh\nexit 0\n")
    for f in lib.iterdir():
        f.chmod(0o755)
    etc = tmp_path / "etc"
    etc.mkdir()
    binary = tmp_path / "rustfs"  # the pinned release, as if baked into the AMI: install_rustfs downloads nothing
    binary.write_text('#!/bin/sh\necho "rustfs 1.0.1"\n')
    binary.chmod(0o755)
    env = {
        **os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
        "AWS_MAX_ATTEMPTS": "1",  # the scripts' own retries are under test; the CLI's would only slow an outage down
        "BOOT_CLUSTER_ID": CLUSTER, "BOOT_NODE_INDEX": "1", "BOOT_NODE_NAME": NODE,
        "BOOT_HOSTED_ZONE_ID": account.zone_id, "BOOT_DRIVES": "2", "BOOT_REGION": REGION,
        "BOOT_RUSTFS_VERSION": "1.0.1", "BOOT_ASSET_URL": "https://example.invalid/rustfs.zip",
        "BOOT_ASSET_SHA256": "0" * 64, "BOOT_CREDENTIALS_SECRET_ARN": account.credentials_arn,
        "BOOT_TLS_SECRET_ARN": account.tls_arn, "BOOT_TLS_DIR": str(etc / "tls"), "BOOT_CONFIG_DIR": str(etc),
        "BOOT_SERVICE_USER": OWNER, "BOOT_LIB_DIR": str(lib), "RUSTFS_MOUNT_ROOT": str(tmp_path / "data"),
        "BOOT_READY_TIMEOUT_SECONDS": str(BOUND), "BOOT_RETRY_INITIAL_SECONDS": "1", "BOOT_RETRY_MAX_SECONDS": "2",
        "BOOT_REPORT_TIMEOUT_SECONDS": "20", "BOOT_STATE_DIR": str(tmp_path / "run"), "RUSTFS_BIN": str(binary),
        "BOOT_CHRONY_CONF": str(etc / "chrony.conf"),
    }
    boot_keys = [k for k in env if k.startswith(("BOOT_", "RUSTFS_"))]

    class Node:
        config = etc
        script = lib / "node-bootstrap"

        def boot(self, *steps: str, bound: int = BOUND, **extra: str) -> tuple[subprocess.CompletedProcess, float]:
            started = time.monotonic()
            result = subprocess.run([str(self.script), "--boot", *steps],
                                    env={**env, "BOOT_READY_TIMEOUT_SECONDS": str(bound), **extra},
                                    capture_output=True, text=True, timeout=bound + 90)
            return result, time.monotonic() - started

        def run(self, *argv: str, **extra: str) -> subprocess.CompletedProcess:
            return subprocess.run([str(self.script), *argv], env={**env, **extra}, capture_output=True, text=True,
                                  timeout=120)

        def systemd(self, bound: int = BOUND, start_timeouts: dict[str, float] | None = None, **extra: str):
            """The rendered units, run as systemd would; /etc/rustfs/bootstrap.env holds this node's settings."""
            settings = {**env, "BOOT_READY_TIMEOUT_SECONDS": str(bound), **extra}
            bootstrap_env = {k: settings[k] for k in boot_keys}
            lines = "".join(f"{k}={shlex.quote(v)}\n" for k, v in bootstrap_env.items())
            (tmp_path / "bootstrap.env").write_text(lines)
            base = {k: v for k, v in settings.items() if k not in boot_keys}
            return Systemd(rendered_units(), {f"{render.LIB_DIR}/node-bootstrap": str(self.script),
                                              "/etc/rustfs/bootstrap.env": str(tmp_path / "bootstrap.env")},
                           {"/etc/rustfs/bootstrap.env": bootstrap_env}, base, start_timeouts)

        def completed(self, command: str) -> bool:
            done = Path(f"{log}.done")
            return done.exists() and f" {command} " in done.read_text()

        def calls(self, command: str | None = None) -> list[tuple[str, str, dict]]:
            records = log.read_text().split("\036") if log.exists() else []
            argvs = [["aws", *r.split("\037")[:-1]] for r in records if r]
            parsed = [split_aws_argv(a)[:3] for a in argvs]
            return [c for c in parsed if command is None or c[1] == command]

    return Node()


def once_called(node, command: str, action) -> threading.Thread:
    """Run `action` right after the node's first `command` call has completed: it certainly saw the old state."""
    def watch():
        deadline = time.monotonic() + 30
        while not node.completed(command) and time.monotonic() < deadline:
            time.sleep(0.05)
        action()
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_secret_values_that_appear_later_are_waited_for_and_the_node_comes_up(node, account):
    writer = once_called(node, "get-secret-value", account.write_secret_values)
    result, _ = node.boot("write_credentials", "write_tls", bound=PATIENT_BOUND)
    writer.join()
    assert result.returncode == 0, result.stderr
    assert len(node.calls("get-secret-value")) >= 3, "the first read found no value and was retried"
    assert "write_credentials: attempt 1 failed; next in 1s" in result.stderr
    assert (node.config / "credentials").read_text() == (
        f"RUSTFS_ACCESS_KEY={CREDENTIALS['accessKey']}\nRUSTFS_SECRET_KEY={CREDENTIALS['secretKey']}\n"
        f"RUSTFS_RPC_SECRET={CREDENTIALS['rpcSecret']}\n")
    assert (node.config / "tls" / "rustfs_cert.pem").exists()
    assert node.calls("set-instance-health") == [] and account.health() == "Healthy"
    assert CREDENTIALS["secretKey"] not in result.stderr + result.stdout


def boot_as_systemd(node, **kwargs):
    """rustfs-bootstrap.service started as at boot (every step); returns its run and its OnFailure= runs."""
    account_runs = node.systemd(**kwargs).start("rustfs-bootstrap.service")
    return account_runs[0], account_runs[1:]


def test_a_secret_value_that_never_appears_ends_with_the_node_unhealthy_within_the_bound(node, account):
    account.create_volumes(attached=True)
    boot, reports = boot_as_systemd(node, bound=TAKEOVER_BOUND)  # every step: the take-over first
    assert boot.result == "exit-code" and "write_credentials not ready" in boot.stderr, boot.stderr
    assert boot.elapsed < TAKEOVER_BOUND + 15, f"took {boot.elapsed:.0f}s for a bound of {TAKEOVER_BOUND}s"
    assert [(r.unit, r.result) for r in reports] == [("rustfs-report-unhealthy.service", "success")]
    [(_, _, opts)] = node.calls("set-instance-health")
    assert opts["--instance-id"] == account.instance, "only its own instance, from IMDSv2"
    assert opts["--health-status"] == "Unhealthy"
    assert opts.get("--no-should-respect-grace-period") is True, "AWS would wait out the group's grace period"
    assert account.health() == "Unhealthy"
    assert not (node.config / "credentials").exists()


def test_volumes_that_appear_later_are_taken_over_by_the_retried_takeover(node, account):
    created: list[str] = []
    maker = once_called(node, "describe-volumes", lambda: created.extend(account.create_volumes()))
    result, _ = node.boot("take_over_drives", bound=PATIENT_BOUND)
    maker.join()
    assert result.returncode == 0, result.stderr
    assert "expected drives 0..1, found []" in result.stderr, "the first take-over found no volumes"
    attached = {v["VolumeId"]: [a["InstanceId"] for a in v["Attachments"]]
                for v in account.ec2.describe_volumes(VolumeIds=created)["Volumes"]}
    assert attached == {v: [account.instance] for v in created}
    assert node.calls("set-instance-health") == [] and account.health() == "Healthy"


def test_a_volume_held_by_a_live_instance_ends_the_boot_within_the_bound(node, account):
    volumes = account.create_volumes()
    ami = account.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    holder = account.ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                       Placement={"AvailabilityZone": account.zone})["Instances"][0]["InstanceId"]
    account.ec2.attach_volume(VolumeId=volumes[0], InstanceId=holder, Device="/dev/sdf")
    boot, reports = boot_as_systemd(node, bound=TAKEOVER_BOUND)
    assert boot.result == "exit-code" and boot.elapsed < TAKEOVER_BOUND + 15, (boot.elapsed, boot.stderr)
    assert "still held by running instance" in boot.stderr
    assert [c for c in node.calls("detach-volume")] == [], "a live holder is never detached"
    assert [r.result for r in reports] == ["success"] and account.health() == "Unhealthy"


# --- every wait is bounded, and however the boot unit fails, the report follows ---------------------------------

def test_a_step_that_hangs_past_systemds_timeout_still_ends_with_the_unhealthy_report(node, account):
    """The script's own bound (5 min here) is not what ends this boot: systemd's TimeoutStartSec is (set to 5 s;
    rendered, it is the bound + 120 s). The unit fails with "timeout", and its OnFailure= unit reports."""
    account.create_volumes(attached=True)
    account.write_secret_values()
    units = rendered_units()
    assert unit_settings(units["rustfs-bootstrap.service"])["OnFailure"] == ["rustfs-report-unhealthy.service"]
    systemd = node.systemd(bound=300, start_timeouts={"rustfs-bootstrap.service": 5}, TEST_AWS_HANG="get-secret-value")
    boot, *reports = systemd.start("rustfs-bootstrap.service")
    assert boot.result == "timeout" and boot.elapsed < 5 + 5
    assert [(r.unit, r.result) for r in reports] == [("rustfs-report-unhealthy.service", "success")], reports
    assert account.health() == "Unhealthy"
    assert systemd.leftover_processes() == [], "systemd ends every process of a failed unit"


def test_a_hung_cli_call_ends_at_the_boot_bound_not_at_the_attempts_grace(node, account):
    result, elapsed = node.boot("write_credentials", TEST_AWS_HANG="get-secret-value")
    assert result.returncode == 1, result.stderr
    assert elapsed < BOUND + 10, f"{elapsed:.0f}s: the call outlived the bound (grace is 60 s)"
    [(_, _, opts)] = node.calls("get-secret-value")
    assert opts["--cli-connect-timeout"] == "10" and opts["--cli-read-timeout"] == "30"


def test_a_hung_call_of_the_take_over_ends_at_the_boot_bound(node, account):
    account.create_volumes()
    result, elapsed = node.boot("take_over_drives", bound=TAKEOVER_BOUND, TEST_AWS_HANG="describe-volumes")
    assert result.returncode == 1 and "did not finish within" in result.stderr, result.stderr
    assert elapsed < TAKEOVER_BOUND + 10, f"{elapsed:.0f}s for a bound of {TAKEOVER_BOUND}s"
    assert all(o["--cli-connect-timeout"] == "10" and o["--cli-read-timeout"] == "30" for _, _, o in node.calls())


def test_the_report_retries_imds_and_the_api_until_it_gets_through(node, account):
    FakeImdsV2.failures = 2
    result = node.run("report_unhealthy", TEST_AWS_FAIL="set-instance-health:2")
    assert result.returncode == 0, result.stderr
    assert "instance id: not read from IMDSv2" in result.stderr  # the IMDS outage was retried
    assert len(node.calls("set-instance-health")) == 3 and account.health() == "Unhealthy"


def test_the_report_gives_up_at_its_own_bound(node, account):
    started = time.monotonic()
    result = node.run("report_unhealthy", BOOT_REPORT_TIMEOUT_SECONDS="4",
                      AWS_ENDPOINT_URL_AUTO_SCALING=closed_port_url())
    assert result.returncode == 1 and "could not report" in result.stderr
    assert time.monotonic() - started < 4 + 15 and account.health() == "Healthy"


# --- permanent errors: neither retried nor reported ----------------------------------------------------------------

def test_a_permanent_error_is_not_retried_and_not_reported_unhealthy(node, account):
    """Volumes tagged for this node in another AZ: a replacement (same subnet, same AZ) would find the same."""
    [other_zone] = [z["ZoneName"] for z in account.ec2.describe_availability_zones()["AvailabilityZones"]
                    if z["ZoneName"] != account.zone][:1]
    for drive in range(2):
        account.ec2.create_volume(AvailabilityZone=other_zone, Size=10, TagSpecifications=[{
            "ResourceType": "volume", "Tags": [{"Key": "rustfs:cluster", "Value": CLUSTER},
                                               {"Key": "rustfs:node", "Value": "1"},
                                               {"Key": "rustfs:drive", "Value": str(drive)}]}])
    boot, reports = boot_as_systemd(node, bound=PATIENT_BOUND)
    assert boot.result == "exit-code" and boot.elapsed < 10, "not retried for the bound"
    assert "PERMANENT ERROR" in boot.stderr and f"is in {other_zone}" in boot.stderr
    assert boot.stderr.count("takeover: ERROR") == 1, "one attempt"
    assert [r.result for r in reports] == ["success"] and "NOT reporting Unhealthy" in reports[0].stderr
    assert node.calls("set-instance-health") == [] and account.health() == "Healthy"


# --- Secrets Manager down, files on disk -----------------------------------------------------------------------------

def test_a_restart_during_a_secrets_manager_outage_keeps_the_files_and_a_later_one_rotates(node, account):
    account.write_secret_values()
    [pre] = unit_settings(rendered_units()["rustfs.service"])["ExecStartPre"]
    argv = shlex.split(pre.lstrip("+"))
    assert argv[:3] == [f"{render.LIB_DIR}/node-bootstrap", "--env", "/etc/rustfs/bootstrap.env"]
    node.systemd()  # writes bootstrap.env
    env_file = str(node.config.parent / "bootstrap.env")
    assert node.run("--env", env_file, *argv[3:]).returncode == 0
    tls = node.config / "tls"
    files = [node.config / "credentials", tls / "rustfs_cert.pem", tls / "rustfs_key.pem"]
    before = {f: (f.read_text(), f.stat().st_mtime_ns) for f in files}
    outage = node.run("--env", env_file, *argv[3:], AWS_ENDPOINT_URL_SECRETS_MANAGER=closed_port_url())
    assert outage.returncode == 0, outage.stderr
    assert outage.stderr.count("WARNING: cannot read") == 2 and "KEEPING" in outage.stderr
    assert {f: (f.read_text(), f.stat().st_mtime_ns) for f in files} == before
    rotated = {**CREDENTIALS, "secretKey": "rotated-secret-key-0123456789"}
    account.sm.put_secret_value(SecretId=account.credentials_arn, SecretString=json.dumps(rotated))
    assert node.run("--env", env_file, *argv[3:]).returncode == 0
    assert "RUSTFS_SECRET_KEY=rotated-secret-key-0123456789\n" in (node.config / "credentials").read_text()


def test_a_secret_read_fails_without_files_so_the_first_boot_is_still_reported(node, account):
    account.create_volumes(attached=True)
    boot, reports = boot_as_systemd(node, bound=TAKEOVER_BOUND, AWS_ENDPOINT_URL_SECRETS_MANAGER=closed_port_url())
    assert boot.result == "exit-code" and "does not exist" in boot.stderr
    assert [r.result for r in reports] == ["success"] and account.health() == "Unhealthy"


def test_a_reboot_during_a_secrets_manager_outage_does_not_replace_a_node_that_has_its_files(node, account):
    account.create_volumes(attached=True)
    account.write_secret_values()
    first, reports = boot_as_systemd(node, bound=PATIENT_BOUND)
    assert first.result == "success" and reports == [], first.stderr
    # Reboot: the instance still holds its volumes and the files; Secrets Manager (or its KMS key) is down.
    again, reports = boot_as_systemd(node, bound=PATIENT_BOUND, AWS_ENDPOINT_URL_SECRETS_MANAGER=closed_port_url())
    assert again.result == "success", again.stderr
    assert "KEEPING" in again.stderr and reports == []
    assert node.calls("set-instance-health") == [] and account.health() == "Healthy"
