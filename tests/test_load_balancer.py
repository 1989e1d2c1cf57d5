"""The S3 endpoint: internal NLB across the cluster's AZs, TLS passthrough or ACM, flap-tolerant checks."""

from __future__ import annotations

import json
from functools import cache

import pytest

from preflight.runner import PROJECT_DIR, run_stack
from preflight.stackfiles import read_stack
from rustfs_aws.cluster.load_balancer import TLS_POLICY

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
SUBNET = "aws:ec2/subnet:Subnet"
ACM_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
STACKS = ["dev", "prod"]


@cache
def rec(stack: str, variant: str = ""):
    overrides = None
    if variant == "acm":
        overrides = {"rustfs-aws:tls": {"mode": "acm", "certificateArn": ACM_ARN}}
    elif variant == "internet":
        overrides = {"rustfs-aws:cluster": {**cluster(stack), "internetFacing": True}}
    return run_stack(stack, overrides)


def cluster(stack: str) -> dict:
    return json.loads(read_stack(PROJECT_DIR, stack).config["rustfs-aws:cluster"])


def subnet_ids(r, tier: str) -> set[str]:
    return {s.outputs["id"] for s in r.of_type(SUBNET) if s.inputs["tags"]["rustfs:tier"] == tier}


@pytest.mark.parametrize("stack", STACKS)
def test_internal_nlb_across_every_cluster_az_with_cross_zone(stack):
    r = rec(stack)
    lb = r.one(LB)
    assert lb.inputs["loadBalancerType"] == "network" and lb.inputs["internal"] is True
    assert set(lb.inputs["subnets"]) == subnet_ids(r, "private")
    assert lb.inputs["enableCrossZoneLoadBalancing"] is True
    assert lb.inputs["securityGroups"]


def test_deletion_protection_in_prod_only():
    assert rec("prod").one(LB).inputs["enableDeletionProtection"] is True
    assert rec("dev").one(LB).inputs["enableDeletionProtection"] is False


@pytest.mark.parametrize("stack", STACKS)
def test_s3_listener_passes_tls_through_to_healthy_ready_nodes(stack):
    r = rec(stack)
    [listener] = [x for x in r.of_type(LISTENER) if x.inputs["port"] == 9000]
    assert listener.inputs["protocol"] == "TCP" and "certificateArn" not in listener.inputs
    tg = next(t for t in r.of_type(TG) if t.outputs["arn"] == listener.inputs["defaultActions"][0]["targetGroupArn"])
    assert (tg.inputs["port"], tg.inputs["protocol"], tg.inputs["targetType"]) == (9000, "TCP", "instance")
    hc = tg.inputs["healthCheck"]
    assert (hc["protocol"], hc["path"], hc["matcher"], hc["port"]) == ("HTTPS", "/health/ready", "200", "traffic-port")
    # A brief /health/ready flap (rustfs/rustfs#7950) must not take a node out: >= 30 s of failures needed.
    assert hc["unhealthyThreshold"] >= 3 and hc["unhealthyThreshold"] * hc["interval"] >= 30
    assert hc["timeout"] < hc["interval"]
    groups = r.of_type("aws:autoscaling/group:Group")
    assert groups and all(tg.outputs["arn"] in g.inputs["targetGroupArns"] for g in groups)


def test_console_listener_only_when_enabled():
    assert sorted(x.inputs["port"] for x in rec("dev").of_type(LISTENER)) == [9000, 9001]
    assert [x.inputs["port"] for x in rec("prod").of_type(LISTENER)] == [9000]
    console_tg = next(t for t in rec("dev").of_type(TG) if t.inputs["port"] == 9001)
    assert console_tg.inputs["healthCheck"]["path"] == "/rustfs/console/health"


def test_acm_mode_terminates_tls_with_the_certificate_and_a_tls12_plus_policy():
    r = rec("prod", "acm")
    [listener] = r.of_type(LISTENER)
    assert listener.inputs["protocol"] == "TLS" and listener.inputs["certificateArn"] == ACM_ARN
    assert listener.inputs["sslPolicy"] == TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert r.one(TG).inputs["protocol"] == "TLS"  # re-encrypted to the nodes


def test_internet_facing_only_by_explicit_config():
    r = rec("dev", "internet")
    lb = r.one(LB)
    assert lb.inputs["internal"] is False and set(lb.inputs["subnets"]) == subnet_ids(r, "public")


@pytest.mark.parametrize("stack", STACKS)
def test_load_balancer_security_group_admits_clients_and_reaches_only_the_nodes(stack):
    r = rec(stack)
    sg_id = r.one(LB).inputs["securityGroups"][0]
    ingress = [x.inputs for x in r.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if x.inputs["securityGroupId"] == sg_id]
    egress = [x.inputs for x in r.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
              if x.inputs["securityGroupId"] == sg_id]
    assert {i["fromPort"] for i in ingress} == ({9000, 9001} if stack == "dev" else {9000})
    assert all(i.get("cidrIpv4") != "0.0.0.0/0" for i in ingress)
    node_sg = next(s.outputs["id"] for s in r.of_type("aws:ec2/securityGroup:SecurityGroup")
                   if s.name.endswith("-cluster-nodes"))
    assert egress and all(e["referencedSecurityGroupId"] == node_sg for e in egress)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_access_logs_to_the_logs_bucket(stack):
    r = rec(stack)
    logs = r.one(LB).inputs["accessLogs"]
    buckets = {b.outputs["bucket"] for b in r.of_type("aws:s3/bucket:Bucket") + r.of_type("aws:s3/bucketV2:BucketV2")}
    assert logs["enabled"] is True and logs["bucket"] in buckets and "logs" in logs["bucket"]
