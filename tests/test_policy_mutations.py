"""Mutation tests: realistic mistakes applied to the REAL recorded dev and prod stacks must be caught.

The hand-built cases of tests/policy_cases.py prove each policy on the shapes their author expected; these
tests prove the policies on the shapes the program and the engine really produce. Each stack is recorded
once (``preflight.runner.run_stack``), one policy-pack process per stack is configured exactly as preflight
configures it, and every mutation edits a copy of the recorded wire properties (secret and unknown
markers kept) the way a program change would, then sends the whole stack through Analyze and AnalyzeStack
(``preflight.analysis.analyze``). A mutation passes when the violations it adds to the unmutated stack's
are exactly the expected (policy, resource, enforcement level) triples.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.protobuf import json_format

from preflight.analysis import analyze, configured_pack, policy_config_for
from preflight.analyzer import SECRET_SIG, AnalyzedResource, PolicyPack, struct_from_python
from preflight.runner import RecordedResource, Recording, run_stack

MANDATORY, ADVISORY = "mandatory", "advisory"

PROVIDER = "pulumi:providers:aws"
VPC, SUBNET, FLOW_LOG = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/flowLog:FlowLog"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
INSTANCE, LT = "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"
ASG, VOLUME = "aws:autoscaling/group:Group", "aws:ebs/volume:Volume"
DLM = "aws:dlm/lifecyclePolicy:LifecyclePolicy"
LB, LISTENER, TG = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener", "aws:lb/targetGroup:TargetGroup"
KMS_KEY = "aws:kms/key:Key"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
BUCKET, BUCKET_POLICY = "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
TRAIL = "aws:cloudtrail/trail:Trail"


# ---- a copy of a recorded stack, edited the way a program change would edit it ----

class StackEdit:
    """Copy-on-write edits of a recording. Inputs and outputs (the state AnalyzeStack sees) change together."""

    def __init__(self, recording: Recording):
        self.recording = recording
        self.resources: list[RecordedResource] = list(recording.resources)

    def _index(self, type_: str, name: str) -> int:
        found = [i for i, r in enumerate(self.resources) if r.type == type_ and r.name == name]
        if len(found) != 1:
            raise LookupError(f"{self.recording.settings.stack}: expected one {type_} '{name}', found {len(found)}")
        return found[0]

    def get(self, type_: str, name: str) -> RecordedResource:
        return self.resources[self._index(type_, name)]

    def names(self, type_: str, where: Callable[[dict], bool] = lambda props: True) -> list[str]:
        return [r.name for r in self.resources if r.type == type_ and where(_python(r.wire_inputs))]

    def update(self, type_: str, name: str, change: Callable[[dict], object]) -> None:
        """Applies ``change`` (which edits the dict in place) to the resource's inputs and outputs."""
        index = self._index(type_, name)
        r = self.resources[index]
        inputs, outputs = _python(r.wire_inputs), _python(r.wire_outputs)
        change(inputs)
        change(outputs)
        self.resources[index] = dataclasses.replace(
            r, wire_inputs=struct_from_python(inputs), wire_outputs=struct_from_python(outputs))

    def protect(self, type_: str, name: str, value: bool) -> None:
        index = self._index(type_, name)
        self.resources[index] = dataclasses.replace(self.resources[index], protect=value)

    def use_default_provider(self, type_: str, name: str) -> None:
        """As if the program forgot ``opts=ResourceOptions(provider=...)`` for this resource."""
        index = self._index(type_, name)
        self.resources[index] = dataclasses.replace(self.resources[index], provider="")

    def remove(self, type_: str, name: str) -> None:
        del self.resources[self._index(type_, name)]

    def add(self, type_: str, name: str, inputs: dict, *, like: RecordedResource) -> None:
        """A new resource next to ``like`` (same parent and provider); outputs are its inputs plus an id."""
        settings = self.recording.settings
        outputs = {**inputs, "id": f"{type_.split(':')[-1].lower()}-{name}"}
        self.resources.append(RecordedResource(
            urn=f"urn:pulumi:{settings.stack}::{settings.project}::{type_}::{name}", type=type_, name=name,
            parent=like.parent, custom=True, protect=False, retain_on_delete=False, provider=like.provider,
            dependencies=[], property_dependencies={}, inputs=inputs, outputs=outputs,
            wire_inputs=struct_from_python(inputs), wire_outputs=struct_from_python(outputs)))

    def changed(self) -> bool:
        def state(r: RecordedResource) -> tuple:
            return r.wire_inputs, r.wire_outputs, r.protect, r.provider

        before = {r.urn: state(r) for r in self.recording.resources}
        return before != {r.urn: state(r) for r in self.resources}

    def build(self) -> Recording:
        return dataclasses.replace(self.recording, resources=list(self.resources))


def _python(struct) -> dict:
    return json_format.MessageToDict(struct)


# ---- mutations ----

@dataclass(frozen=True)
class Fired:
    policy: str
    type: str  # the resource reported on; "" (and name "") for a finding about the whole stack
    name: str
    level: str
    message: str = ""  # regex the violation's message must match


@dataclass
class Mutation:
    id: str
    stack: str
    apply: Callable[[StackEdit], None]
    expected: tuple[Fired, ...]  # empty: a change the pack must accept


MUTATIONS: list[Mutation] = []


def mutation(stack: str, *expected: Fired):
    def register(apply: Callable[[StackEdit], None]):
        MUTATIONS.append(Mutation(apply.__name__, stack, apply, expected))
        return apply
    return register


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """Sets a dotted path ('a.b.0.c'); a value of _DELETE removes the key, which must exist."""
    *parents, last = path.split(".")

    def change(props: dict) -> None:
        target: Any = props
        for step in parents:
            target = target[int(step)] if isinstance(target, list) else target[step]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = copy.deepcopy(value)
        else:
            target[last] = copy.deepcopy(value)
    return change


_DELETE = object()


def _edit_document(prop: str, change: Callable[[dict], None]) -> Callable[[dict], None]:
    """Edits a JSON policy document held as a string input (as pulumi-aws v7 takes them)."""
    def apply(props: dict) -> None:
        document = json.loads(props[prop])
        change(document)
        props[prop] = json.dumps(document)
    return apply


# IMDS, instances, launch templates

@mutation("dev", Fired("rustfs-ec2-instance-require-imdsv2", LT, "rustfs-dev-cluster-rustfs-1", MANDATORY,
                       "httpTokens='required'"))
def launch_template_allows_imdsv1(stack: StackEdit) -> None:
    stack.update(LT, "rustfs-dev-cluster-rustfs-1", _set("metadataOptions.httpTokens", "optional"))


@mutation("dev", Fired("rustfs-ec2-instance-require-imdsv2", LT, "rustfs-dev-cluster-rustfs-4", MANDATORY,
                       "httpPutResponseHopLimit=2 exceeds 1"))
def launch_template_hop_limit_two(stack: StackEdit) -> None:
    stack.update(LT, "rustfs-dev-cluster-rustfs-4", _set("metadataOptions.httpPutResponseHopLimit", 2))


@mutation("dev", Fired("rustfs-ec2-instance-require-imdsv2", INSTANCE, "rustfs-dev-debug", MANDATORY,
                       "httpTokens='required'"))
def debug_instance_with_imdsv1(stack: StackEdit) -> None:
    template = stack.get(LT, "rustfs-dev-cluster-rustfs-1")
    lt = _python(template.wire_inputs)
    stack.add(INSTANCE, "rustfs-dev-debug", {
        "ami": lt["imageId"], "instanceType": "m6i.large", "subnetId": "subnet-e8c5ec62355b22bea",
        "iamInstanceProfile": "rustfs-dev-node", "monitoring": True, "ebsOptimized": True,
        "vpcSecurityGroupIds": lt["networkInterfaces"][0]["securityGroups"],
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "optional", "httpPutResponseHopLimit": 1},
        "rootBlockDevice": {"encrypted": True, "kmsKeyId": lt["blockDeviceMappings"][0]["ebs"]["kmsKeyId"],
                            "volumeType": "gp3", "volumeSize": 30},
        "tags": {**lt["tags"], "Name": "rustfs-dev-debug"}}, like=template)


@mutation("dev", Fired("rustfs-ec2-instance-disallow-public-ip", LT, "rustfs-dev-cluster-rustfs-2", MANDATORY))
def launch_template_public_ip(stack: StackEdit) -> None:
    stack.update(LT, "rustfs-dev-cluster-rustfs-2", _set("networkInterfaces.0.associatePublicIpAddress", "true"))


@mutation("dev", Fired("rustfs-ec2-launchtemplate-require-encrypted-block-devices", LT, "rustfs-dev-cluster-rustfs-3",
                       MANDATORY, "not encrypted"))
def launch_template_root_volume_unencrypted(stack: StackEdit) -> None:
    def change(props: dict) -> None:
        ebs = props["blockDeviceMappings"][0]["ebs"]
        ebs["encrypted"] = "false"
        ebs.pop("kmsKeyId")
    stack.update(LT, "rustfs-dev-cluster-rustfs-3", change)


def _add_to_node_environment(line: str) -> Callable[[dict], None]:
    """Adds a line to the rendered /etc/default/rustfs inside the gzip+base64 cloud-config user data."""
    def change(props: dict) -> None:
        script = gzip.decompress(base64.b64decode(props["userData"])).decode()
        anchor = re.search(r"^( *)RUSTFS_ADDRESS=.*$", script, re.M)
        assert anchor, "the rendered environment file moved; update this mutation"
        script = f"{script[:anchor.end()]}\n{anchor.group(1)}{line}{script[anchor.end():]}"
        props["userData"] = base64.b64encode(gzip.compress(script.encode())).decode()
    return change


@mutation("dev", Fired("rustfs-ec2-instance-disallow-secrets-in-user-data", LT, "rustfs-dev-cluster-rustfs-1",
                       MANDATORY, "default credentials 'rustfsadmin'"))
def user_data_default_credentials(stack: StackEdit) -> None:
    stack.update(LT, "rustfs-dev-cluster-rustfs-1", _add_to_node_environment("RUSTFS_ACCESS_KEY=rustfsadmin"))


@mutation("dev")  # a placeholder filled at boot is not a credential
def user_data_credentials_placeholder(stack: StackEdit) -> None:
    stack.update(LT, "rustfs-dev-cluster-rustfs-1", _add_to_node_environment('RUSTFS_ACCESS_KEY="${ACCESS_KEY}"'))


@mutation("dev", Fired("rustfs-budgets-stack-require-estimate-within-budget", "", "", ADVISORY,
                       "exceeds 100% of the \\$1,000.00 budget"))
def nodes_upsized_beyond_budget(stack: StackEdit) -> None:
    for name in stack.names(LT):
        stack.update(LT, name, _set("instanceType", "m6i.4xlarge"))


# EBS data volumes and their protection

def _node_volumes(stack: StackEdit, node: str) -> list[str]:
    return stack.names(VOLUME, lambda props: props.get("tags", {}).get("rustfs:node") == node)


@mutation("dev", Fired("rustfs-ebs-volume-require-cmk-encryption", VOLUME, "rustfs-dev-cluster-rustfs-1-drive0",
                       MANDATORY, "not encrypted"))
def data_volume_unencrypted(stack: StackEdit) -> None:
    def change(props: dict) -> None:
        props["encrypted"] = False
        props.pop("kmsKeyId")
    stack.update(VOLUME, "rustfs-dev-cluster-rustfs-1-drive0", change)


@mutation("dev", Fired("rustfs-ebs-volume-require-cmk-encryption", VOLUME, "rustfs-dev-cluster-rustfs-2-drive1",
                       MANDATORY, "AWS-managed key"))
def data_volume_aws_managed_key(stack: StackEdit) -> None:
    stack.update(VOLUME, "rustfs-dev-cluster-rustfs-2-drive1", _set("kmsKeyId", _DELETE))


@mutation("dev", Fired("rustfs-ebs-volume-require-current-generation-type", VOLUME,
                       "rustfs-dev-cluster-rustfs-3-drive0", ADVISORY, "gp2"))
def data_volume_gp2(stack: StackEdit) -> None:
    def change(props: dict) -> None:
        props["type"] = "gp2"
        props.pop("iops")
        props.pop("throughput")
    stack.update(VOLUME, "rustfs-dev-cluster-rustfs-3-drive0", change)


@mutation("prod", Fired("rustfs-rustfs-data-require-protect", VOLUME, "rustfs-prod-cluster-rustfs-2-drive7",
                        MANDATORY, "not protected"))
def prod_data_volume_unprotected(stack: StackEdit) -> None:
    stack.protect(VOLUME, "rustfs-prod-cluster-rustfs-2-drive7", False)


@mutation("prod", Fired("rustfs-rustfs-data-require-protect", KMS_KEY, "rustfs-prod-keys-data",
                        MANDATORY, "encrypts RustFS data volumes"))
def prod_data_key_unprotected(stack: StackEdit) -> None:
    stack.protect("aws:kms/key:Key", "rustfs-prod-keys-data", False)


# Snapshots

def _every_data_volume(stack_name: str, nodes: int, drives: int, policy: str, level: str,
                       *message: str) -> tuple[Fired, ...]:
    return tuple(Fired(policy, VOLUME, f"rustfs-{stack_name}-cluster-rustfs-{n}-drive{d}", level, *message)
                 for n in range(1, nodes + 1) for d in range(drives))


@mutation("dev", *_every_data_volume("dev", 4, 2, "rustfs-rustfs-volume-require-snapshots", MANDATORY))
def snapshot_policy_removed(stack: StackEdit) -> None:
    stack.remove(DLM, "rustfs-dev-snapshots-policy")


@mutation("prod", *_every_data_volume("prod", 6, 16, "rustfs-rustfs-volume-require-snapshots", MANDATORY,
                                      "keeps snapshots for 3 days"))
def prod_snapshots_kept_three_days(stack: StackEdit) -> None:
    stack.update(DLM, "rustfs-prod-snapshots-policy", _set("policyDetails.schedules.0.retainRule.count", 3))


@mutation("prod", Fired("rustfs-rustfs-volume-require-snapshots", VOLUME, "rustfs-prod-cluster-rustfs-3-drive5",
                        MANDATORY, "takes no final snapshot"))
def prod_volume_without_final_snapshot(stack: StackEdit) -> None:
    stack.update(VOLUME, "rustfs-prod-cluster-rustfs-3-drive5", _set("finalSnapshot", False))


@mutation("prod", Fired("rustfs-dlm-lifecyclepolicy-require-encrypted-copies", DLM, "rustfs-prod-snapshots-policy",
                        MANDATORY, "without a customer-managed key"))
def snapshot_copies_without_cmk(stack: StackEdit) -> None:
    stack.update(DLM, "rustfs-prod-snapshots-policy",
                 _set("policyDetails.schedules.0.crossRegionCopyRules.0.cmkArn", _DELETE))


# Topology, recomputed from the volumes

@mutation("prod", Fired("rustfs-rustfs-cluster-require-resilient-topology", VOLUME,
                        "rustfs-prod-cluster-rustfs-1-drive0", MANDATORY, "loses quorum if AZ us-east-1d fails"))
def prod_node_volumes_moved_to_another_az(stack: StackEdit) -> None:
    # Node 1 (use1-az1, us-east-1c in the fake account) joins node 2's zone: us-east-1d then holds 3 of 6 nodes.
    for name in _node_volumes(stack, "1"):
        stack.update(VOLUME, name, _set("availabilityZone", "us-east-1d"))


@mutation("prod", Fired("rustfs-rustfs-cluster-require-resilient-topology", VOLUME,
                        "rustfs-prod-cluster-rustfs-1-drive0", MANDATORY, "span 2 AZ"))
def prod_nodes_in_two_azs(stack: StackEdit) -> None:
    volumes = {name: _python(stack.get(VOLUME, name).wire_inputs)["availabilityZone"] for name in stack.names(VOLUME)}
    zones = sorted(set(volumes.values()))
    assert len(zones) == 3
    for name, zone in volumes.items():
        if zone == zones[2]:
            stack.update(VOLUME, name, _set("availabilityZone", zones[0]))


@mutation("dev", Fired("rustfs-rustfs-cluster-require-resilient-topology", VOLUME,
                       "rustfs-dev-cluster-rustfs-1-drive0", MANDATORY, "node 3 has drives in several AZs"))
def dev_drive_in_wrong_az(stack: StackEdit) -> None:
    stack.update(VOLUME, "rustfs-dev-cluster-rustfs-3-drive1", _set("availabilityZone", "us-east-1b"))


# Spot capacity and node health

@mutation("prod", Fired("rustfs-rustfs-node-disallow-spot", ASG, "rustfs-prod-cluster-rustfs-3", MANDATORY,
                        "onDemandPercentageAboveBaseCapacity=0"))
def prod_node_group_on_spot(stack: StackEdit) -> None:
    def change(props: dict) -> None:
        template = props.pop("launchTemplate")
        props["mixedInstancesPolicy"] = {
            "instancesDistribution": {"onDemandBaseCapacity": 0, "onDemandPercentageAboveBaseCapacity": 0,
                                      "spotAllocationStrategy": "price-capacity-optimized"},
            "launchTemplate": {"launchTemplateSpecification": {"launchTemplateName": template["name"],
                                                               "version": template["version"]},
                               "overrides": [{"instanceType": "c6in.4xlarge"}, {"instanceType": "c6i.4xlarge"}]}}
    stack.update(ASG, "rustfs-prod-cluster-rustfs-3", change)


@mutation("prod", Fired("rustfs-rustfs-node-disallow-spot", LT, "rustfs-prod-cluster-rustfs-2", MANDATORY,
                        "marketType=spot"))
def prod_launch_template_requests_spot(stack: StackEdit) -> None:
    stack.update(LT, "rustfs-prod-cluster-rustfs-2",
                 _set("instanceMarketOptions", {"marketType": "spot", "spotOptions": {"spotInstanceType": "one-time"}}))


@mutation("dev", Fired("rustfs-autoscaling-group-require-elb-health-check", ASG, "rustfs-dev-cluster-rustfs-4",
                       ADVISORY, "storage node"))
def storage_node_group_uses_elb_health(stack: StackEdit) -> None:
    stack.update(ASG, "rustfs-dev-cluster-rustfs-4", _set("healthCheckType", "ELB"))


# Network

@mutation("dev", Fired("rustfs-ec2-vpc-require-flow-logs", VPC, "rustfs-dev-net-vpc", MANDATORY, "no flow log"))
def flow_log_removed(stack: StackEdit) -> None:
    stack.remove(FLOW_LOG, "rustfs-dev-net-flow-log")


@mutation("dev",
          Fired("rustfs-ec2-securitygroup-disallow-public-ingress", INGRESS, "rustfs-dev-cluster-in-console-admins-0",
                MANDATORY, "port 9001"),
          Fired("rustfs-ec2-securitygroup-disallow-public-console", INGRESS,
                "rustfs-dev-cluster-in-console-admins-0", MANDATORY))
def console_open_to_the_world(stack: StackEdit) -> None:
    stack.update(INGRESS, "rustfs-dev-cluster-in-console-admins-0", _set("cidrIpv4", "0.0.0.0/0"))


@mutation("dev",
          Fired("rustfs-ec2-securitygroup-disallow-public-ingress", INGRESS, "rustfs-dev-cluster-in-s3-clients-0",
                MANDATORY, "all ports from the internet \\(::/0\\)"),
          Fired("rustfs-ec2-securitygroup-disallow-public-console", INGRESS, "rustfs-dev-cluster-in-s3-clients-0",
                MANDATORY))
def every_protocol_from_any_ipv6(stack: StackEdit) -> None:
    def change(props: dict) -> None:
        del props["cidrIpv4"], props["fromPort"], props["toPort"]
        props.update(cidrIpv6="::/0", ipProtocol="-1")
    stack.update(INGRESS, "rustfs-dev-cluster-in-s3-clients-0", change)


@mutation("dev",
          Fired("rustfs-ec2-securitygroup-disallow-public-ingress", SG, "rustfs-dev-cluster-nodes", MANDATORY,
                "ingress\\[0\\] allows port 22"),
          # Session Manager is the only shell: port 22 is refused from anywhere, not only from the internet.
          Fired("rustfs-ec2-securitygroup-disallow-ssh-port", SG, "rustfs-dev-cluster-nodes", MANDATORY,
                "ingress\\[0\\] opens TCP 22-22"),
          Fired("rustfs-ec2-securitygroup-disallow-mixed-rule-management", SG, "rustfs-dev-cluster-nodes", ADVISORY))
def inline_ssh_rule_on_node_group(stack: StackEdit) -> None:
    stack.update(SG, "rustfs-dev-cluster-nodes", _set("ingress", [
        {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"], "description": "SSH"}]))


@mutation("dev", Fired("rustfs-cloudwatch-loggroup-require-kms", LOG_GROUP, "rustfs-dev-obs-node-logs", MANDATORY))
def log_group_without_kms(stack: StackEdit) -> None:
    stack.update(LOG_GROUP, "rustfs-dev-obs-node-logs", _set("kmsKeyId", _DELETE))


@mutation("prod", Fired("rustfs-cloudwatch-loggroup-require-retention", LOG_GROUP, "rustfs-prod-net-flow-logs",
                        ADVISORY, "retentionInDays=30 is outside \\[365, 3653\\]"))
def prod_log_group_dev_retention(stack: StackEdit) -> None:
    stack.update(LOG_GROUP, "rustfs-prod-net-flow-logs", _set("retentionInDays", 30))


# Load balancing

@mutation("dev", Fired("rustfs-elb-loadbalancer-require-internal", LB, "rustfs-dev-lb-nlb", MANDATORY))
def load_balancer_internet_facing(stack: StackEdit) -> None:
    stack.update(LB, "rustfs-dev-lb-nlb", _set("internal", False))


@mutation("prod", Fired("rustfs-elb-loadbalancer-require-deletion-protection", LB, "rustfs-prod-lb-nlb", MANDATORY))
def prod_load_balancer_unprotected(stack: StackEdit) -> None:
    stack.update(LB, "rustfs-prod-lb-nlb", _set("enableDeletionProtection", False))


@mutation("dev", Fired("rustfs-elb-targetgroup-require-ready-health-check", TG, "rustfs-dev-lb-s3", MANDATORY,
                       "path is '/'"))
def target_group_checks_root_path(stack: StackEdit) -> None:
    stack.update(TG, "rustfs-dev-lb-s3", _set("healthCheck.path", "/"))


@mutation("dev", Fired("rustfs-elb-listener-require-tls12", LISTENER, "rustfs-dev-lb-s3", MANDATORY, "no sslPolicy"))
def listener_terminates_tls_without_policy(stack: StackEdit) -> None:
    def change(props: dict) -> None:
        props["protocol"] = "TLS"
        props["certificateArn"] = "arn:aws:acm:us-east-1:123456789012:certificate/0b8f0a5e-1111-2222-3333-444455556666"
    stack.update(LISTENER, "rustfs-dev-lb-s3", change)


# KMS

@mutation("dev", Fired("rustfs-kms-key-require-rotation", KMS_KEY, "rustfs-dev-keys-logs", MANDATORY))
def key_rotation_off(stack: StackEdit) -> None:
    stack.update(KMS_KEY, "rustfs-dev-keys-logs", _set("enableKeyRotation", False))


def _key_policy_statement(sid: str, change: Callable[[dict], None]) -> Callable[[dict], None]:
    return _edit_document("policy", lambda document: change(
        next(s for s in document["Statement"] if s.get("Sid") == sid)))


@mutation("dev", Fired("rustfs-iam-resourcepolicy-disallow-public-principal", KMS_KEY, "rustfs-dev-keys-data",
                       MANDATORY, "Principal '\\*' without a condition on the caller"))
def key_policy_statement_loses_condition(stack: StackEdit) -> None:
    stack.update(KMS_KEY, "rustfs-dev-keys-data",
                 _key_policy_statement("AutoScalingUsesKeyForVolumes", lambda s: s.pop("Condition")))


@mutation("dev", Fired("rustfs-iam-resourcepolicy-disallow-public-principal", KMS_KEY, "rustfs-dev-keys-data",
                       MANDATORY, "Principal '\\*' without a condition on the caller"))
def key_policy_condition_not_on_the_caller(stack: StackEdit) -> None:
    stack.update(KMS_KEY, "rustfs-dev-keys-data", _key_policy_statement(
        "AutoScalingUsesKeyForVolumes",
        lambda s: s.update(Condition={"Bool": {"aws:SecureTransport": "true"}})))


# IAM

def _add_statement(statement: dict) -> Callable[[dict], None]:
    return lambda document: document["Statement"].append(statement)


@mutation("dev", Fired("rustfs-iam-policy-disallow-wildcard-resource", ROLE_POLICY, "rustfs-dev-iam-node", MANDATORY,
                       "iam:PassRole"),
          # PassRole alone completes no escalation path cloudsplaining knows (no ec2:RunInstances, no
          # lambda:CreateFunction); it is unconstrained permissions management.
          Fired("rustfs-iam-policy-disallow-unconstrained-permissions-management", ROLE_POLICY, "rustfs-dev-iam-node",
                MANDATORY, "iam:PassRole"))
def node_role_may_pass_any_role(stack: StackEdit) -> None:
    stack.update(ROLE_POLICY, "rustfs-dev-iam-node", _edit_document("policy", _add_statement(
        {"Sid": "LaunchHelpers", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "*"})))


@mutation("dev", Fired("rustfs-iam-policy-disallow-wildcard-actions", ROLE_POLICY, "rustfs-dev-iam-node", MANDATORY,
                       "s3:\\*"),
          Fired("rustfs-iam-policy-disallow-wildcard-resource", ROLE_POLICY, "rustfs-dev-iam-node", MANDATORY),
          Fired("rustfs-iam-policy-disallow-data-exfiltration", ROLE_POLICY, "rustfs-dev-iam-node", MANDATORY,
                "s3:GetObject"),
          Fired("rustfs-iam-policy-disallow-unconstrained-permissions-management", ROLE_POLICY,
                "rustfs-dev-iam-node", MANDATORY, "s3:PutBucketPolicy"))
def node_role_gets_all_of_s3(stack: StackEdit) -> None:
    stack.update(ROLE_POLICY, "rustfs-dev-iam-node", _edit_document("policy", _add_statement(
        {"Sid": "Tiering", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})))


@mutation("dev", Fired("rustfs-iam-role-restrict-trust-policy", ROLE, "rustfs-dev-snapshots-dlm", MANDATORY,
                       "any AWS principal"))
def role_trusts_any_principal(stack: StackEdit) -> None:
    def change(document: dict) -> None:
        document["Statement"][0]["Principal"] = {"AWS": "*"}
        document["Statement"][0].pop("Condition", None)
    stack.update(ROLE, "rustfs-dev-snapshots-dlm", _edit_document("assumeRolePolicy", change))


# S3

def _tls_deny(change: Callable[[dict], None]) -> Callable[[dict], None]:
    return _edit_document("policy", lambda document: change(
        next(s for s in document["Statement"] if s.get("Sid") == "DenyInsecureTransport")))


@mutation("dev", Fired("rustfs-s3-bucket-require-tls-only-policy", BUCKET, "rustfs-dev-audit-audit", MANDATORY))
def bucket_policy_loses_tls_deny(stack: StackEdit) -> None:
    def change(document: dict) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    stack.update(BUCKET_POLICY, "rustfs-dev-audit-audit-policy", _edit_document("policy", change))


@mutation("dev", Fired("rustfs-s3-bucket-require-tls-only-policy", BUCKET, "rustfs-dev-audit-logs", MANDATORY))
def tls_deny_on_the_bucket_but_not_its_objects(stack: StackEdit) -> None:
    stack.update(BUCKET_POLICY, "rustfs-dev-audit-logs-policy", _tls_deny(
        lambda s: s.update(Resource=[r for r in s["Resource"] if not r.endswith("/*")])))


@mutation("dev")  # a JSON boolean false in the condition still denies plain HTTP
def tls_deny_condition_as_json_boolean(stack: StackEdit) -> None:
    stack.update(BUCKET_POLICY, "rustfs-dev-audit-audit-policy", _tls_deny(
        lambda s: s.update(Condition={"Bool": {"aws:SecureTransport": False}})))


@mutation("dev", Fired("rustfs-s3-publicaccessblock-require-all-flags", PAB, "rustfs-dev-audit-logs-public-access",
                       MANDATORY, "restrictPublicBuckets"))
def public_access_block_flag_off(stack: StackEdit) -> None:
    stack.update(PAB, "rustfs-dev-audit-logs-public-access", _set("restrictPublicBuckets", False))


@mutation("dev", Fired("rustfs-s3-bucket-require-kms-encryption", BUCKET, "rustfs-dev-audit-logs", MANDATORY))
def bucket_encryption_configuration_removed(stack: StackEdit) -> None:
    stack.remove(SSE, "rustfs-dev-audit-logs-encryption")


# The logs bucket stays an access-log target (of the NLB) and keeps its exemption.
@mutation("dev", Fired("rustfs-s3-bucket-require-access-logging", BUCKET, "rustfs-dev-audit-audit", ADVISORY))
def audit_bucket_stops_access_logging(stack: StackEdit) -> None:
    stack.remove(BUCKET_LOGGING, "rustfs-dev-audit-audit-access-logs")


# Audit

@mutation("dev", Fired("rustfs-cloudtrail-trail-require-secure-configuration", TRAIL, "rustfs-dev-audit-trail",
                       MANDATORY, "not multi-region"))
def trail_single_region(stack: StackEdit) -> None:
    stack.update(TRAIL, "rustfs-dev-audit-trail", _set("isMultiRegionTrail", False))


# Tagging, through the provider's defaultTags as the engine sends them (a JSON string)

def _provider_default_tags(change: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(props: dict) -> None:
        default = json.loads(props["defaultTags"])
        change(default["tags"])
        props["defaultTags"] = json.dumps(default)
    return apply


@mutation("dev")
def own_owner_tag_removed_but_provider_supplies_it(stack: StackEdit) -> None:
    stack.update(VPC, "rustfs-dev-net-vpc", lambda props: props["tags"].pop("Owner"))


@mutation("dev", Fired("rustfs-tagging-resource-require-tags", VPC, "rustfs-dev-net-vpc", ADVISORY, "Owner"))
def owner_tag_removed_from_provider_and_resource(stack: StackEdit) -> None:
    stack.update(PROVIDER, "aws", _provider_default_tags(lambda tags: tags.pop("Owner")))
    stack.update(VPC, "rustfs-dev-net-vpc", lambda props: props["tags"].pop("Owner"))


@mutation("dev", Fired("rustfs-tagging-resource-require-valid-tags", SUBNET, "rustfs-dev-net-private-1", ADVISORY,
                       "reserved aws: prefix"))
def reserved_tag_prefix(stack: StackEdit) -> None:
    stack.update(SUBNET, "rustfs-dev-net-private-1", _set("tags.aws:foo", "bar"))


# The aws provider applies defaultTags neither to Auto Scaling groups nor to what they launch.
@mutation("dev", Fired("rustfs-tagging-resource-require-tags", ASG, "rustfs-dev-cluster-rustfs-1", ADVISORY,
                       "lacks required tag\\(s\\) Project, Environment, Owner, CostCenter"),
          Fired("rustfs-autoscaling-group-require-tag-propagation", ASG, "rustfs-dev-cluster-rustfs-1", ADVISORY))
def node_group_relies_on_provider_default_tags(stack: StackEdit) -> None:
    required = {"Project", "Environment", "Owner", "CostCenter"}
    stack.update(ASG, "rustfs-dev-cluster-rustfs-1",
                 lambda props: props.update(tags=[t for t in props["tags"] if t["key"] not in required]))


# The default provider is configured from the stack's aws:* config, which sets no defaultTags.
@mutation("dev", Fired("rustfs-tagging-resource-require-tags", LB, "rustfs-dev-lb-nlb", ADVISORY, "Owner"))
def load_balancer_on_the_default_provider(stack: StackEdit) -> None:
    stack.use_default_provider(LB, "rustfs-dev-lb-nlb")
    stack.update(LB, "rustfs-dev-lb-nlb", lambda props: props["tags"].pop("Owner"))


# Image Builder: the node image pipeline (prod sets images.enabled)
IB_DIST = "aws:imagebuilder/distributionConfiguration:DistributionConfiguration"
IB_RECIPE, IB_PIPELINE = "aws:imagebuilder/imageRecipe:ImageRecipe", "aws:imagebuilder/imagePipeline:ImagePipeline"
IB_INFRA = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
IB_COMPONENT = "aws:imagebuilder/component:Component"


@mutation("prod", Fired("rustfs-imagebuilder-distributionconfiguration-require-cmk", IB_DIST,
                        "rustfs-prod-images-distribution", MANDATORY, "us-west-2 without a customer managed key"))
def image_copy_without_its_key(stack: StackEdit) -> None:
    stack.update(IB_DIST, "rustfs-prod-images-distribution",
                 _set("distributions.1.amiDistributionConfiguration.kmsKeyId", _DELETE))


@mutation("prod", Fired("rustfs-imagebuilder-imagerecipe-require-encrypted-volumes", IB_RECIPE,
                        "rustfs-prod-images-recipe", MANDATORY, "unencrypted /dev/xvda"))
def image_build_volume_unencrypted(stack: StackEdit) -> None:
    stack.update(IB_RECIPE, "rustfs-prod-images-recipe", _set("blockDeviceMappings.0.ebs.encrypted", "false"))


@mutation("prod", Fired("rustfs-imagebuilder-infrastructureconfiguration-require-imdsv2", IB_INFRA,
                        "rustfs-prod-images-infrastructure", MANDATORY, "travel 2 hops"))
def image_build_metadata_two_hops(stack: StackEdit) -> None:
    stack.update(IB_INFRA, "rustfs-prod-images-infrastructure",
                 _set("instanceMetadataOptions.httpPutResponseHopLimit", 2))


@mutation("prod", Fired("rustfs-imagebuilder-infrastructureconfiguration-require-private-network", IB_INFRA,
                        "rustfs-prod-images-infrastructure", MANDATORY, "public subnet 'rustfs-prod-net-public-0'"))
def image_build_in_a_public_subnet(stack: StackEdit) -> None:
    public = stack.get(SUBNET, "rustfs-prod-net-public-0")
    stack.update(IB_INFRA, "rustfs-prod-images-infrastructure", _set("subnetId", public.outputs["id"]))
    index = stack._index(IB_INFRA, "rustfs-prod-images-infrastructure")
    r = stack.resources[index]
    stack.resources[index] = dataclasses.replace(
        r, property_dependencies={**r.property_dependencies, "subnetId": [public.urn]})


def _unverified_download(props: dict) -> None:
    import yaml

    document = yaml.safe_load(props["data"])
    [download] = [s for s in document["phases"][0]["steps"] if s["action"] == "WebDownload"][:1]
    del download["inputs"][0]["checksum"]
    props["data"] = yaml.safe_dump(document, sort_keys=False)


@mutation("prod", Fired("rustfs-imagebuilder-component-require-verified-downloads", IB_COMPONENT,
                        "rustfs-prod-images-component", MANDATORY, "build/DownloadRustfs downloads https://github"))
def image_release_download_unverified(stack: StackEdit) -> None:
    stack.update(IB_COMPONENT, "rustfs-prod-images-component", _unverified_download)


@mutation("prod", Fired("rustfs-imagebuilder-imagepipeline-require-image-tests", IB_PIPELINE,
                        "rustfs-prod-images-pipeline", ADVISORY, "without running their test phase"))
def image_tests_off(stack: StackEdit) -> None:
    stack.update(IB_PIPELINE, "rustfs-prod-images-pipeline",
                 _set("imageTestsConfiguration.imageTestsEnabled", False))


# ---- running them ----

class RememberingPack:
    """The running pack, asked once per distinct Analyze request.

    A resource policy sees nothing but its Analyze request (resource, options, provider), so the pack's
    answer to a byte-identical request is the one it already gave: only the resources a mutation changed
    (all of a provider's resources when the provider changed) are sent again. AnalyzeStack always goes to
    the pack with the whole mutated stack. This keeps the module within its time budget.
    """

    def __init__(self, pack: PolicyPack):
        self.pack = pack
        self.answers: dict[tuple, list[dict]] = {}

    def analyze(self, r: AnalyzedResource) -> list[dict]:
        provider = r.provider
        key = (r.type, r.urn, r.name, r.protect, r.parent, r.properties.SerializeToString(deterministic=True),
               provider and (provider.urn, provider.properties.SerializeToString(deterministic=True)))
        if key not in self.answers:
            self.answers[key] = self.pack.analyze(r)
        return copy.deepcopy(self.answers[key])

    def analyze_stack(self, resources: list[AnalyzedResource]) -> list[dict]:
        return self.pack.analyze_stack(resources)


@dataclass
class RecordedStack:
    recording: Recording
    pack: RememberingPack
    baseline: list[dict] = field(default_factory=list)


def _recorded(stack: str) -> Iterator[RecordedStack]:
    recording = run_stack(stack)
    policy_config, _ = policy_config_for(stack, None)
    with configured_pack(recording.settings, policy_config) as pack:
        recorded = RecordedStack(recording, RememberingPack(pack))
        recorded.baseline = analyze(recorded.pack, recording)
        yield recorded


@pytest.fixture(scope="module")
def dev() -> Iterator[RecordedStack]:
    yield from _recorded("dev")


@pytest.fixture(scope="module")
def prod() -> Iterator[RecordedStack]:
    yield from _recorded("prod")


def _key(v: dict) -> tuple[str, str, str, str]:
    return v["policy"], v["urn"], v["enforcementLevel"], v["message"]


def _new_violations(violations: list[dict], baseline: list[dict]) -> list[dict]:
    """The violations beyond the unmutated stack's (compared as a multiset)."""
    remaining = Counter(map(_key, baseline))
    new = []
    for v in violations:
        if remaining[_key(v)] > 0:
            remaining[_key(v)] -= 1
        else:
            new.append(v)
    return new


def _urn(edit: StackEdit, fired: Fired) -> str:
    """The resource a finding is reported on; "" for a finding about the whole stack."""
    return edit.get(fired.type, fired.name).urn if fired.type else ""


def _describe(violations: list[dict]) -> str:
    return "\n".join(f"  {v['enforcementLevel']} {v['policy']} {v['urn'].rsplit('::', 1)[-1]}: {v['message'][:160]}"
                     for v in violations) or "  (none)"


def _params() -> list:
    return [pytest.param(m, id=f"{m.stack}-{m.id}") for m in MUTATIONS]


@pytest.mark.parametrize("case", _params())
def test_mutation_is_caught_exactly(request, case: Mutation):
    stack: RecordedStack = request.getfixturevalue(case.stack)
    edit = StackEdit(stack.recording)
    case.apply(edit)
    assert edit.changed(), "the mutation changed nothing"
    new = _new_violations(analyze(stack.pack, edit.build()), stack.baseline)

    expected = {(f.policy, _urn(edit, f), f.level) for f in case.expected}
    found = {(v["policy"], v["urn"], v["enforcementLevel"]) for v in new}
    assert found == expected, f"violations the mutation added:\n{_describe(new)}"
    for f in case.expected:
        urn = _urn(edit, f)
        messages = [v["message"] for v in new if (v["policy"], v["urn"]) == (f.policy, urn)]
        assert any(re.search(f.message, m) for m in messages), f"{f.policy}: no message matches {f.message!r}: " \
            f"{messages}"


@pytest.mark.parametrize("case", _params())
def test_unmutated_stack_does_not_already_report_it(request, case: Mutation):
    stack: RecordedStack = request.getfixturevalue(case.stack)
    edit = StackEdit(stack.recording)
    case.apply(edit)  # to name the resources the mutation adds
    already = [v for v in stack.baseline for f in case.expected
               if (v["policy"], v["urn"]) == (f.policy, _urn(edit, f))]
    assert not already, _describe(already)


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_unmutated_stacks_have_no_mandatory_violation(request, name: str):
    stack: RecordedStack = request.getfixturevalue(name)
    mandatory = [v for v in stack.baseline if v["enforcementLevel"] == MANDATORY]
    assert not mandatory, _describe(mandatory)
    assert len(stack.recording.resources) > 100  # the real stack, not an empty recording


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_editing_keeps_the_wire_properties_intact(request, name: str):
    """An edit that changes nothing re-encodes every resource to the same Struct, secrets included."""
    stack: RecordedStack = request.getfixturevalue(name)
    edit = StackEdit(stack.recording)
    for r in stack.recording.resources:
        edit.update(r.type, r.name, lambda props: None)
    assert not edit.changed()
    for before, after in zip(stack.recording.resources, edit.build().resources, strict=True):
        assert after.wire_inputs is not before.wire_inputs
        assert (after.wire_inputs, after.wire_outputs) == (before.wire_inputs, before.wire_outputs), before.urn
    secrets = [r for r in edit.resources if SECRET_SIG in json.dumps(_python(r.wire_inputs))]
    assert secrets, "the recording has secret inputs (e.g. SecretVersion.secretString) to carry through"


def test_mutations_cover_both_stacks_and_many_policies():
    assert {m.stack for m in MUTATIONS} == {"dev", "prod"}
    assert len({f.policy for m in MUTATIONS for f in m.expected}) >= 30
