"""takeover.py against a moto server (EC2 + Route 53), driven through the AWS CLI like on a node.

A shim `aws` on PATH records every call, so the tests can prove which mutating API calls were (not)
made, e.g. that a second run is a no-op and that a live holder is never detached.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from fake_imds import FakeImdsV2, serving

TAKEOVER = Path(__file__).resolve().parent.parent / "components" / "cluster" / "bootstrap" / "takeover.py"
REGION, ZONE = "us-east-1", "us-east-1a"
CLUSTER = "c1"
MUTATING = ("attach-volume", "detach-volume", "change-resource-record-sets")


@pytest.fixture
def aws_env(moto_endpoint, tmp_path, monkeypatch):
    # Reset moto between tests so every test starts from an empty account.
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    calls = tmp_path / "aws-calls.log"
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir()
    real_aws = Path(sys.executable).parent / "aws"
    shim = shim_dir / "aws"
    shim.write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\n'
        'if [ -n "$AWS_SHIM_DENY" ]; then case "$*" in *"$AWS_SHIM_DENY"*)\n'
        '  echo "An error occurred (AccessDenied) when calling the operation" >&2; exit 254 ;; esac; fi\n'
        f'exec {real_aws} "$@"\n'
    )
    shim.chmod(0o755)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return dict(os.environ, PATH=f"{shim_dir}:{os.environ['PATH']}"), calls


class World:
    """Two nodes' volumes, a foreign cluster's volumes, instances and a private zone in moto."""

    def __init__(self, endpoint: str):
        self.ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
        self.r53 = boto3.client("route53", region_name=REGION, endpoint_url=endpoint)
        self.ami = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.me = self.instance()
        vpc = self.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        self.zone_id = self.r53.create_hosted_zone(
            Name="c1.internal",
            CallerReference=str(time.time()),
            VPC={"VPCRegion": REGION, "VPCId": vpc},
            HostedZoneConfig={"PrivateZone": True, "Comment": "test"},
        )["HostedZone"]["Id"].split("/")[-1]
        self.volumes = {
            (cluster, node, drive): self.volume(cluster, node, drive)
            for cluster in (CLUSTER, "c2")
            for node in (0, 1)
            for drive in (0, 1)
        }
        self.set_record("rustfs-0.c1.internal.", "10.0.9.9")
        self.set_record("rustfs-1.c1.internal.", "10.0.9.10")

    def instance(self, zone: str = ZONE) -> str:
        return self.ec2.run_instances(ImageId=self.ami, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": zone})[
            "Instances"
        ][0]["InstanceId"]

    def volume(self, cluster: str, node: int, drive: int, zone: str = ZONE) -> str:
        tags = {"rustfs:cluster": cluster, "rustfs:node": str(node), "rustfs:drive": str(drive)}
        return self.ec2.create_volume(
            AvailabilityZone=zone,
            Size=10,
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ],
        )["VolumeId"]

    def set_record(self, name: str, ip: str) -> None:
        self.r53.change_resource_record_sets(
            HostedZoneId=self.zone_id,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 30, "ResourceRecords": [{"Value": ip}]},
                    }
                ]
            },
        )

    def records(self) -> dict[str, list[str]]:
        sets = self.r53.list_resource_record_sets(HostedZoneId=self.zone_id)["ResourceRecordSets"]
        return {r["Name"]: [v["Value"] for v in r["ResourceRecords"]] for r in sets if r["Type"] == "A"}

    def attachment(self, volume_id: str) -> tuple[str, str] | None:
        volume = self.ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
        return next(((a["InstanceId"], a["Device"]) for a in volume["Attachments"]), None)


@pytest.fixture
def world(aws_env, moto_endpoint):
    return World(moto_endpoint)


def takeover(aws_env, world: World, *extra: str, node: int = 0, timeout: float = 15, deny: str = ""):
    env, _ = aws_env
    env = {**env, "AWS_SHIM_DENY": deny}
    args = [
        sys.executable, str(TAKEOVER),
        "--cluster-id", CLUSTER, "--node-index", str(node), "--drives", "2",
        "--hosted-zone-id", world.zone_id, "--record-name", f"rustfs-{node}.c1.internal",
        "--instance-id", world.me, "--availability-zone", ZONE,
        "--private-ip", "10.0.1.5", "--region", REGION,
        "--timeout", str(timeout), "--initial-delay", "0.2", "--max-delay", "1",
        *extra,
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)


def mutating_calls(aws_env) -> list[str]:
    _, calls = aws_env
    if not calls.exists():
        return []
    return [line for line in calls.read_text().splitlines() if any(m in line for m in MUTATING)]


def test_attaches_exactly_this_nodes_volumes(aws_env, world):
    result = takeover(aws_env, world)

    assert result.returncode == 0, result.stderr
    mine = {d: world.volumes[(CLUSTER, 0, d)] for d in (0, 1)}
    assert result.stdout.splitlines() == [f"0:{mine[0]}", f"1:{mine[1]}"]
    assert world.attachment(mine[0]) == (world.me, "/dev/sdf")
    assert world.attachment(mine[1]) == (world.me, "/dev/sdg")
    others = [v for key, v in world.volumes.items() if key[:2] != (CLUSTER, 0)]
    assert all(world.attachment(v) is None for v in others)


def test_changes_only_this_nodes_dns_record(aws_env, world):
    before = world.records()
    assert takeover(aws_env, world).returncode == 0
    after = world.records()
    assert after["rustfs-0.c1.internal."] == ["10.0.1.5"]
    assert {k: v for k, v in after.items() if k != "rustfs-0.c1.internal."} == {
        k: v for k, v in before.items() if k != "rustfs-0.c1.internal."
    }


def test_dns_is_still_upserted_when_the_record_cannot_be_read(aws_env, world):
    result = takeover(aws_env, world, deny="list-resource-record-sets")
    assert result.returncode == 0, result.stderr
    assert "upserting without comparing" in result.stderr
    assert world.records()["rustfs-0.c1.internal."] == ["10.0.1.5"]


def test_second_run_is_a_no_op(aws_env, world):
    first = takeover(aws_env, world)
    assert first.returncode == 0, first.stderr
    calls_after_first = len(mutating_calls(aws_env))
    assert calls_after_first == 3  # two attaches, one DNS upsert

    second = takeover(aws_env, world)

    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert len(mutating_calls(aws_env)) == calls_after_first
    assert "already points at 10.0.1.5" in second.stderr


def test_waits_for_a_dying_predecessor_to_release_its_volume(aws_env, world):
    predecessor = world.instance()
    held = world.volumes[(CLUSTER, 0, 1)]
    world.ec2.attach_volume(VolumeId=held, InstanceId=predecessor, Device="/dev/sdg")

    # The old node finishes terminating only after takeover has seen it holding the volume (its
    # describe-instances call); EC2 then detaches the volumes of a terminated instance.
    _, calls = aws_env

    def terminate_once_observed():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if calls.exists() and "describe-instances" in calls.read_text():
                break
            time.sleep(0.1)
        world.ec2.terminate_instances(InstanceIds=[predecessor])

    terminator = threading.Thread(target=terminate_once_observed)
    terminator.start()
    try:
        result = takeover(aws_env, world, timeout=60)
    finally:
        terminator.join()

    assert result.returncode == 0, result.stderr
    # Seen while running, or already terminated but not yet detached: either way it waited, never detached.
    assert re.search(rf"still held by (running|shutting-down|terminated) instance {predecessor}", result.stderr)
    assert world.attachment(held) == (world.me, "/dev/sdg")
    assert not [c for c in mutating_calls(aws_env) if "detach-volume" in c]


def test_live_holder_is_never_detached_and_takeover_gives_up(aws_env, world):
    holder = world.instance()
    held = world.volumes[(CLUSTER, 0, 0)]
    world.ec2.attach_volume(VolumeId=held, InstanceId=holder, Device="/dev/sdf")

    result = takeover(aws_env, world, "--force-detach-dead", timeout=2)

    assert result.returncode == 2
    assert "not attached" in result.stderr
    assert world.attachment(held) == (holder, "/dev/sdf")
    assert not [c for c in mutating_calls(aws_env) if "detach-volume" in c or "change-resource" in c]


def test_stopped_holder_is_force_detached_only_when_asked(aws_env, world):
    holder = world.instance()
    held = world.volumes[(CLUSTER, 0, 0)]
    world.ec2.attach_volume(VolumeId=held, InstanceId=holder, Device="/dev/sdf")
    world.ec2.stop_instances(InstanceIds=[holder])

    refused = takeover(aws_env, world, timeout=1.5)
    assert refused.returncode == 2
    assert world.attachment(held) == (holder, "/dev/sdf")

    forced = takeover(aws_env, world, "--force-detach-dead")
    assert forced.returncode == 0, forced.stderr
    assert "force-detaching" in forced.stderr
    assert world.attachment(held) == (world.me, "/dev/sdf")


def test_missing_drive_volume_fails_without_attaching_anything(aws_env, world):
    world.ec2.delete_volume(VolumeId=world.volumes[(CLUSTER, 1, 1)])

    result = takeover(aws_env, world, node=1)

    assert result.returncode == 2
    assert "expected drives 0..1, found [0]" in result.stderr
    assert mutating_calls(aws_env) == []


def test_volume_in_another_zone_is_reported(aws_env, world):
    stray = world.volume(CLUSTER, 0, 2, zone="us-east-1b")
    result = takeover(aws_env, world, "--drives", "3")
    assert result.returncode == 3, "permanent: a replacement in the same subnet would find the same"
    assert f"{stray} is in us-east-1b" in result.stderr
    assert mutating_calls(aws_env) == []


def test_identity_comes_from_imdsv2_when_not_given(aws_env, world):
    FakeImdsV2.values = {
        "instance-id": world.me,
        "placement/availability-zone": ZONE,
        "placement/region": REGION,
        "local-ipv4": "10.0.7.7",
    }
    env, _ = aws_env
    with serving() as url:
        result = subprocess.run(
            [sys.executable, str(TAKEOVER), "--cluster-id", CLUSTER, "--node-index", "0", "--drives", "2",
             "--hosted-zone-id", world.zone_id, "--record-name", "rustfs-0.c1.internal"],
            capture_output=True, text=True, timeout=120, env={**env, "AWS_EC2_METADATA_SERVICE_ENDPOINT": url},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert world.attachment(world.volumes[(CLUSTER, 0, 0)]) == (world.me, "/dev/sdf")
    assert world.records()["rustfs-0.c1.internal."] == ["10.0.7.7"]
