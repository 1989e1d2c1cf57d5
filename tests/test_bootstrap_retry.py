"""node-bootstrap --boot against a moto server: what can become ready is retried, a node that cannot says so.

The real script runs with the real AWS CLI (a recording shim in front of it) against moto (Secrets Manager,
EC2, Auto Scaling, Route 53) and a fake IMDSv2, with a bound of a few seconds instead of 20 minutes:
- a secret whose value (its SecretVersion) appears only after a delay: the node comes up;
- a secret value that never appears: the node reports its own instance Unhealthy to its group, within the bound;
- volumes that are created only after a delay: the real take-over step is retried until it attaches them;
- a volume held by a live instance: the take-over waits only as long as the bound, then the node reports.

Where moto is kinder than AWS the test is stricter: moto ignores SetInstanceHealth's ShouldRespectGracePeriod
(moto/autoscaling/models.py set_instance_health), but AWS honours the group's grace period by default (Auto
Scaling API reference, SetInstanceHealth), which is longer than the bound: the call must opt out of it.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import boto3
import pytest
from aws_cli_scan import split_aws_argv
from moto.server import ThreadedMotoServer

BOOTSTRAP = Path(__file__).resolve().parent.parent / "components" / "cluster" / "bootstrap"
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class _Imds(BaseHTTPRequestHandler):
    """IMDSv2 only (the launch templates set HttpTokens=required): GETs without the session token get 401."""

    token = "test-session-token"
    values: dict[str, str] = {}

    def do_PUT(self):  # noqa: N802 (http.server naming)
        ok = self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self._reply(200 if ok else 400, self.token if ok else "")

    def do_GET(self):  # noqa: N802
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            return self._reply(401, "")
        value = self.values.get(self.path.removeprefix("/latest/meta-data/"))
        self._reply(200 if value else 404, value or "")

    def _reply(self, status: int, body: str) -> None:
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def imds():
    server = HTTPServer(("127.0.0.1", 0), _Imds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


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

    def create_volumes(self) -> list[str]:
        tags = lambda d: [{"Key": k, "Value": v} for k, v in  # noqa: E731
                          {"rustfs:cluster": CLUSTER, "rustfs:node": "1", "rustfs:drive": str(d)}.items()]
        return [self.ec2.create_volume(AvailabilityZone=self.zone, Size=10, TagSpecifications=[
            {"ResourceType": "volume", "Tags": tags(d)}])["VolumeId"] for d in range(2)]

    def health(self) -> str:
        [me] = self.asg.describe_auto_scaling_instances(InstanceIds=[self.instance])["AutoScalingInstances"]
        return me["HealthStatus"]


@pytest.fixture
def account(moto_endpoint, imds):
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    a = Account(moto_endpoint)
    _Imds.values = {"instance-id": a.instance, "placement/availability-zone": a.zone,
                    "placement/region": REGION, "local-ipv4": "10.0.1.5"}
    return a


@pytest.fixture
def node(account, moto_endpoint, imds, tmp_path):
    """Runs the real node-bootstrap with a recording `aws` shim in front of the real AWS CLI."""
    log = tmp_path / "aws-calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real_aws = Path(sys.executable).parent / "aws"
    (bin_dir / "aws").write_text(
        "#!/bin/sh\n"
        f"for a in \"$@\"; do printf '%s\\037' \"$a\"; done >> {log}\nprintf '\\036' >> {log}\n"
        f'{real_aws} "$@"\nrc=$?\necho "$*" >> {log}.done\nexit $rc\n')
    (bin_dir / "systemctl").write_text("#!/bin/sh\nexit 0\n")  # take_over_drives reloads systemd
    # A python3 that leaves PATH alone (a pyenv shim puts its own bin, and its own aws, first).
    (bin_dir / "python3").symlink_to(sys.executable)
    for shim in ("aws", "systemctl"):
        (bin_dir / shim).chmod(0o755)
    # The take-over runs for real (takeover.py against moto); only the device steps are stand-ins.
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "takeover.py").write_text((BOOTSTRAP / "takeover.py").read_text())
    (lib / "map-volumes").write_text("#!/bin/sh\nfor p in \"$@\"; do echo \"${p%%:*}:/dev/fake${p%%:*}\"; done\n")
    (lib / "prepare-disks").write_text("#!/bin/sh\nexit 0\n")
    for f in lib.iterdir():
        f.chmod(0o755)
    etc = tmp_path / "etc"
    etc.mkdir()
    env = {
        **os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
        "BOOT_CLUSTER_ID": CLUSTER, "BOOT_NODE_INDEX": "1", "BOOT_NODE_NAME": NODE,
        "BOOT_HOSTED_ZONE_ID": account.zone_id, "BOOT_DRIVES": "2", "BOOT_REGION": REGION,
        "BOOT_RUSTFS_VERSION": "1.0.1", "BOOT_ASSET_URL": "https://example.invalid/rustfs.zip",
        "BOOT_ASSET_SHA256": "0" * 64, "BOOT_CREDENTIALS_SECRET_ARN": account.credentials_arn,
        "BOOT_TLS_SECRET_ARN": account.tls_arn, "BOOT_TLS_DIR": str(etc / "tls"), "BOOT_CONFIG_DIR": str(etc),
        "BOOT_SERVICE_USER": OWNER, "BOOT_LIB_DIR": str(lib), "RUSTFS_MOUNT_ROOT": str(tmp_path / "data"),
        "BOOT_READY_TIMEOUT_SECONDS": str(BOUND), "BOOT_RETRY_INITIAL_SECONDS": "1", "BOOT_RETRY_MAX_SECONDS": "2",
    }

    class Node:
        config = etc

        def boot(self, *steps: str, bound: int = BOUND) -> tuple[subprocess.CompletedProcess, float]:
            started = time.monotonic()
            result = subprocess.run([str(BOOTSTRAP / "node-bootstrap"), "--boot", *steps],
                                    env={**env, "BOOT_READY_TIMEOUT_SECONDS": str(bound)},
                                    capture_output=True, text=True, timeout=bound + 60)
            return result, time.monotonic() - started

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


def test_a_secret_value_that_never_appears_ends_with_the_node_unhealthy_within_the_bound(node, account):
    result, elapsed = node.boot("write_credentials", "write_tls")
    assert result.returncode == 1
    assert elapsed < BOUND + 15, f"took {elapsed:.0f}s for a bound of {BOUND}s"
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
    result, elapsed = node.boot("take_over_drives", bound=TAKEOVER_BOUND)
    assert result.returncode == 1 and elapsed < TAKEOVER_BOUND + 15, (elapsed, result.stderr)
    assert "still held by running instance" in result.stderr
    assert [c for c in node.calls("detach-volume")] == [], "a live holder is never detached"
    assert account.health() == "Unhealthy"
