#!/usr/bin/env python3
"""Take over this RustFS node's EBS volumes and DNS name (runs on every boot, idempotent).

Finds the volumes tagged rustfs:cluster=<cluster>, rustfs:node=<index>, one per rustfs:drive, waits
(bounded, exponential backoff) while a previous holder still has them, attaches each at a device
name derived from its drive index, UPSERTs the node's A record in the private hosted zone, and
prints "DRIVE:VOLUME_ID" lines for map-volumes.

Runs on the instance with python3 + AWS CLI v2, both preinstalled on Amazon Linux 2023; boto3 is
not, so the AWS API is reached through `aws ... --output json`. AWS_ENDPOINT_URL (or
--endpoint-url) redirects every call, which is how the tests drive it against moto.
A live holder (pending/running/stopping/shutting-down) is never detached: the only forced detach
is opt-in (--force-detach-dead) and only from a stopped or terminated holder.

Bounded: every CLI call has connect/read timeouts and a process timeout (--call-timeout), none past the
deadline --timeout sets for the whole run (node-bootstrap passes what is left of the boot bound).
Exit 2: not (yet) possible, worth a retry; exit 3: permanent (volumes in another AZ, two volumes for one
drive, a volume without a drive number): a replacement instance would find the same.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from subprocess import TimeoutExpired

DEVICE_LETTERS = "fghijklmnopqrstuvwxyz"  # /dev/sd[f-z]: the names AWS recommends for EBS data volumes
DEAD_STATES = {"stopped", "terminated"}
MIN_CALL_SECONDS = 5.0  # a call made at the deadline still gets this long (node-bootstrap's grace covers it)
PERMANENT_EXIT = 3
# AWS_EC2_METADATA_SERVICE_ENDPOINT: the AWS SDKs' own override of the IMDS address (used by the tests).
IMDS = os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254").rstrip("/") + "/latest"


class TakeoverError(RuntimeError):
    pass


class PermanentTakeoverError(TakeoverError):
    """The tagged volumes can never belong to this instance as they are: no retry or replacement helps."""


def log(message: str) -> None:
    print(f"takeover: {message}", file=sys.stderr, flush=True)


def imds(path: str, token: str) -> str:
    request = urllib.request.Request(f"{IMDS}/{path}", headers={"X-aws-ec2-metadata-token": token})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def imds_token() -> str:
    request = urllib.request.Request(
        f"{IMDS}/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def device_name(drive: int) -> str:
    if not 0 <= drive < len(DEVICE_LETTERS):
        raise PermanentTakeoverError(f"drive index {drive} has no device name (max {len(DEVICE_LETTERS)} drives)")
    return f"/dev/sd{DEVICE_LETTERS[drive]}"


class Aws:
    def __init__(self, region: str, endpoint_url: str | None, deadline: float, call_timeout: float):
        self.base = ["aws", "--region", region, "--output", "json", "--cli-connect-timeout", "10",
                     "--cli-read-timeout", "30"]
        if endpoint_url:
            self.base += ["--endpoint-url", endpoint_url]
        self.deadline, self.call_timeout = deadline, call_timeout

    def __call__(self, *args: str) -> dict:
        budget = max(MIN_CALL_SECONDS, min(self.call_timeout, self.deadline - time.monotonic()))
        try:
            result = subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=budget)
        except TimeoutExpired as error:
            raise TakeoverError(f"aws {' '.join(args[:2])} did not finish within {budget:.0f}s") from error
        if result.returncode != 0:
            raise TakeoverError(f"aws {' '.join(args[:2])} failed: {result.stderr.strip()}")
        return json.loads(result.stdout) if result.stdout.strip() else {}


def node_volumes(aws: Aws, cluster: str, node: int, drives: int, zone: str) -> dict[int, dict]:
    found = aws(
        "ec2",
        "describe-volumes",
        "--filters",
        f"Name=tag:rustfs:cluster,Values={cluster}",
        f"Name=tag:rustfs:node,Values={node}",
    )["Volumes"]
    by_drive: dict[int, dict] = {}
    for volume in found:
        tags = {t["Key"]: t["Value"] for t in volume.get("Tags", [])}
        drive_tag = tags.get("rustfs:drive", "")
        if not drive_tag.isdigit():
            raise PermanentTakeoverError(f"{volume['VolumeId']} has no numeric rustfs:drive tag")
        drive = int(drive_tag)
        if drive in by_drive:
            raise PermanentTakeoverError(
                f"drive {drive} of node {node} is tagged on two volumes: "
                f"{by_drive[drive]['VolumeId']} and {volume['VolumeId']}"
            )
        if volume["AvailabilityZone"] != zone:
            raise PermanentTakeoverError(
                f"{volume['VolumeId']} is in {volume['AvailabilityZone']}, this instance in {zone}"
            )
        by_drive[drive] = volume
    if sorted(by_drive) != list(range(drives)):
        raise TakeoverError(
            f"node {node} of {cluster}: expected drives 0..{drives - 1}, found {sorted(by_drive)}"
        )
    return by_drive


def holder_state(aws: Aws, instance_id: str) -> str:
    reservations = aws("ec2", "describe-instances", "--instance-ids", instance_id)["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    return instances[0]["State"]["Name"] if instances else "terminated"


def step(aws: Aws, drive: int, volume: dict, me: str, force_dead: bool) -> bool:
    """Advance one volume towards 'attached to me'; True once it is."""
    volume_id = volume["VolumeId"]
    attachments = [
        a for a in volume.get("Attachments", []) if a["State"] in ("attaching", "attached", "busy")
    ]
    mine = [a for a in attachments if a["InstanceId"] == me]
    if mine:
        return mine[0]["State"] == "attached"
    if volume["State"] == "available" and not volume.get("Attachments"):
        log(f"drive {drive}: attaching {volume_id} at {device_name(drive)}")
        aws(
            "ec2",
            "attach-volume",
            "--volume-id",
            volume_id,
            "--instance-id",
            me,
            "--device",
            device_name(drive),
        )
        return False
    for attachment in volume.get("Attachments", []):
        holder = attachment["InstanceId"]
        if attachment["State"] not in ("attaching", "attached", "busy"):
            log(f"drive {drive}: {volume_id} is {attachment['State']} from {holder}; waiting")
            continue
        state = holder_state(aws, holder)
        if state in DEAD_STATES and force_dead:
            log(f"drive {drive}: force-detaching {volume_id} from {state} instance {holder}")
            aws("ec2", "detach-volume", "--volume-id", volume_id, "--instance-id", holder, "--force")
        else:
            log(f"drive {drive}: {volume_id} still held by {state} instance {holder}; waiting")
    return False


def attach_all(aws: Aws, args: argparse.Namespace, me: str, zone: str) -> dict[int, str]:
    deadline = aws.deadline
    delay = args.initial_delay
    while True:
        volumes = node_volumes(aws, args.cluster_id, args.node_index, args.drives, zone)
        pending = [d for d, v in sorted(volumes.items()) if not step(aws, d, v, me, args.force_detach_dead)]
        if not pending:
            return {d: v["VolumeId"] for d, v in sorted(volumes.items())}
        if time.monotonic() + delay > deadline:
            raise TakeoverError(f"drives {pending} not attached to {me} within {args.timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, args.max_delay)


def upsert_dns(aws: Aws, zone_id: str, name: str, ip: str, ttl: int) -> None:
    fqdn = name.rstrip(".") + "."
    # Reading first makes a re-run write nothing. Without route53:ListResourceRecordSets the UPSERT
    # alone is still correct (same record, same value), so a refused read is not fatal.
    try:
        current = aws(
            "route53", "list-resource-record-sets", "--hosted-zone-id", zone_id,
            "--start-record-name", fqdn, "--start-record-type", "A", "--max-items", "1",
        )  # fmt: skip
    except TakeoverError as error:
        log(f"dns: cannot read {fqdn} ({error}); upserting without comparing")
        current = {}
    for record in current.get("ResourceRecordSets", []):
        values = [r["Value"] for r in record.get("ResourceRecords", [])]
        if record["Name"] == fqdn and record["Type"] == "A" and values == [ip]:
            log(f"dns: {fqdn} already points at {ip}")
            return
    batch = {
        "Comment": "rustfs node takeover",
        "Changes": [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": fqdn,
                    "Type": "A",
                    "TTL": ttl,
                    "ResourceRecords": [{"Value": ip}],
                },
            }
        ],
    }
    aws(
        "route53",
        "change-resource-record-sets",
        "--hosted-zone-id",
        zone_id,
        "--change-batch",
        json.dumps(batch),
    )
    log(f"dns: {fqdn} -> {ip}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cluster-id", required=True)
    p.add_argument("--node-index", type=int, required=True)
    p.add_argument("--drives", type=int, required=True, help="drives per node (volumes expected)")
    p.add_argument("--hosted-zone-id", required=True)
    p.add_argument("--record-name", required=True, help="this node's DNS name, e.g. rustfs-1.internal")
    p.add_argument("--record-ttl", type=int, default=30)
    p.add_argument("--instance-id", help="default: from IMDSv2")
    p.add_argument("--availability-zone", help="default: from IMDSv2")
    p.add_argument("--private-ip", help="default: from IMDSv2")
    p.add_argument("--region", help="default: from IMDSv2")
    p.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    p.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole run (volumes, DNS)")
    p.add_argument("--call-timeout", type=float, default=45.0, help="seconds for one AWS CLI call")
    p.add_argument("--initial-delay", type=float, default=2.0)
    p.add_argument("--max-delay", type=float, default=30.0)
    p.add_argument(
        "--force-detach-dead",
        action="store_true",
        help="force-detach volumes still attached to a stopped/terminated predecessor",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    deadline = time.monotonic() + args.timeout
    if not (args.instance_id and args.availability_zone and args.private_ip and args.region):
        token = imds_token()
        args.instance_id = args.instance_id or imds("meta-data/instance-id", token)
        args.availability_zone = args.availability_zone or imds(
            "meta-data/placement/availability-zone", token
        )
        args.private_ip = args.private_ip or imds("meta-data/local-ipv4", token)
        args.region = args.region or imds("meta-data/placement/region", token)
    aws = Aws(args.region, args.endpoint_url, deadline, args.call_timeout)
    try:
        mapping = attach_all(aws, args, args.instance_id, args.availability_zone)
        upsert_dns(aws, args.hosted_zone_id, args.record_name, args.private_ip, args.record_ttl)
    except PermanentTakeoverError as error:
        log(f"ERROR (permanent): {error}")
        return PERMANENT_EXIT
    except TakeoverError as error:
        log(f"ERROR: {error}")
        return 2
    for drive, volume_id in mapping.items():
        print(f"{drive}:{volume_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
