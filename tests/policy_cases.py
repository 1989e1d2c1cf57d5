"""A violating and a compliant case for every policy of the pack, as resources the engine would send.

Each case is a list of resource specs; ``deps`` maps an input name to the names of resources it was
computed from (the engine's property dependencies). ``env="prod"`` puts Environment=prod in the
provider's defaultTags.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from preflight.analyzer import UNKNOWN as UNKNOWN_VALUE
from preflight.analyzer import secret

KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TAGS = {"Project": "rustfs", "Environment": "dev", "Owner": "platform", "CostCenter": "cc-42"}


@dataclass
class Spec:
    type: str
    name: str
    props: dict[str, Any] = field(default_factory=dict)
    deps: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False


@dataclass
class Case:
    policy: str
    label: str
    resources: list[Spec]
    violates: bool
    env: str = "dev"
    config: dict[str, Any] | None = None
    provider_tags: dict[str, str] | None = None  # None: TAGS with Environment=env

    @property
    def id(self) -> str:
        return f"{self.policy}:{'bad' if self.violates else 'good'}:{self.label}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: Any, resource: Any = "arn:aws:s3:::rustfs-tier/*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


CASES: list[Case] = []


def pair(policy: str, bad: list[Spec], good: list[Spec], *, env: str = "dev", label: str = "basic",
         config: dict[str, Any] | None = None) -> None:
    CASES.append(Case(policy, label, bad, True, env, config))
    CASES.append(Case(policy, label, good, False, env, config))


def one(policy: str, label: str, resources: list[Spec], violates: bool, *, env: str = "dev",
        config: dict[str, Any] | None = None, provider_tags: dict[str, str] | None = None) -> None:
    CASES.append(Case(policy, label, resources, violates, env, config, provider_tags))


VPC, SUBNET, FLOW_LOG = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/flowLog:FlowLog"
LOG_GROUP, ALARM = "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm"
INSTANCE, LT, ASG = "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group"
VOLUME, SNAP = "aws:ebs/volume:Volume", "aws:ebs/snapshotCopy:SnapshotCopy"
SG, DEFAULT_SG = "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LB, LISTENER, TG = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener", "aws:lb/targetGroup:TargetGroup"
KMS_KEY, KEY_POLICY = "aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"
S3 = {name: f"aws:s3/{name[0].lower() + name[1:]}:{name}" for name in (
    "BucketPublicAccessBlock", "BucketServerSideEncryptionConfiguration", "BucketVersioning", "BucketPolicy",
    "BucketOwnershipControls", "BucketLogging", "BucketLifecycleConfiguration", "BucketReplicationConfig",
    "BucketAcl")}

# ---- network ----
pair("rustfs-ec2-vpc-require-flow-logs", [Spec(VPC, "v")],
     [Spec(VPC, "v"), Spec(FLOW_LOG, "f", {"trafficType": "ALL"}, {"vpcId": ["v"]})])
pair("rustfs-ec2-subnet-disallow-public-ip-on-launch", [Spec(SUBNET, "s", {"mapPublicIpOnLaunch": True})],
     [Spec(SUBNET, "s", {"mapPublicIpOnLaunch": False})])

# ---- logs ----
pair("rustfs-cloudwatch-loggroup-require-kms", [Spec(LOG_GROUP, "lg")], [Spec(LOG_GROUP, "lg", {"kmsKeyId": KEY})])
pair("rustfs-cloudwatch-loggroup-require-retention", [Spec(LOG_GROUP, "lg", {"retentionInDays": 7})],
     [Spec(LOG_GROUP, "lg", {"retentionInDays": 400})])
one("rustfs-cloudwatch-loggroup-require-retention", "never-expires", [Spec(LOG_GROUP, "lg")], True)
one("rustfs-cloudwatch-loggroup-require-retention", "configured-bounds",
    [Spec(LOG_GROUP, "lg", {"retentionInDays": 14})], False,
    config={"rustfs-cloudwatch-loggroup-require-retention": {"minRetentionDays": 7}})
pair("rustfs-cloudwatch-alarm-require-actions", [Spec(ALARM, "a")],
     [Spec(ALARM, "a", {"alarmActions": ["arn:aws:sns:eu-west-1:111122223333:ops"]})])

# ---- ec2 / ebs ----
GOOD_IMDS = {"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"}
pair("rustfs-ec2-instance-require-imdsv2", [Spec(LT, "node", {"metadataOptions": {"httpTokens": "optional"}})],
     [Spec(LT, "node", {"metadataOptions": GOOD_IMDS})])
one("rustfs-ec2-instance-require-imdsv2", "hop-limit-2", [Spec(INSTANCE, "node", {
    "metadataOptions": {**GOOD_IMDS, "httpPutResponseHopLimit": 2}})], True)
one("rustfs-ec2-instance-require-imdsv2", "eks-node-hop-2", [Spec(LT, "eks-nodes", {
    "metadataOptions": {**GOOD_IMDS, "httpPutResponseHopLimit": 2}})], False)
pair("rustfs-ec2-instance-disallow-public-ip", [Spec(INSTANCE, "n", {"associatePublicIpAddress": True})],
     [Spec(INSTANCE, "n", {"associatePublicIpAddress": False})])
one("rustfs-ec2-instance-disallow-public-ip", "launch-template-nic", [Spec(LT, "n", {
    "networkInterfaces": [{"associatePublicIpAddress": "true"}]})], True)
pair("rustfs-ec2-launchtemplate-require-encrypted-block-devices",
     [Spec(LT, "n", {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]})],
     [Spec(LT, "n", {"blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                               "ebs": {"encrypted": "true", "kmsKeyId": KEY}}]})])
one("rustfs-ec2-launchtemplate-require-encrypted-block-devices", "aws-managed-key",
    [Spec(INSTANCE, "n", {"rootBlockDevice": {"encrypted": True}})], True)
pair("rustfs-ebs-volume-require-cmk-encryption", [Spec(VOLUME, "d", {"encrypted": True})],
     [Spec(VOLUME, "d", {"encrypted": True, "kmsKeyId": KEY})])
pair("rustfs-ebs-snapshotcopy-require-cmk-encryption", [Spec(SNAP, "c", {"encrypted": False})],
     [Spec(SNAP, "c", {"encrypted": True, "kmsKeyId": KEY})])
pair("rustfs-ebs-account-require-default-encryption",
     [Spec("aws:ebs/encryptionByDefault:EncryptionByDefault", "e", {"enabled": False})],
     [Spec("aws:ebs/encryptionByDefault:EncryptionByDefault", "e", {"enabled": True})])
pair("rustfs-ebs-volume-require-current-generation-type", [Spec(VOLUME, "d", {"type": "gp2"})],
     [Spec(VOLUME, "d", {"type": "gp3"})])
pair("rustfs-ebs-volume-disallow-multi-attach", [Spec(VOLUME, "d", {"multiAttachEnabled": True})],
     [Spec(VOLUME, "d", {"multiAttachEnabled": False})])
pair("rustfs-ec2-instance-disallow-secrets-in-user-data",
     [Spec(INSTANCE, "n", {"userData": "#!/bin/sh\nexport RUSTFS_SECRET_KEY=rustfsadmin\n"})],
     [Spec(INSTANCE, "n", {"userData": "#!/bin/sh\nRUSTFS_SECRET_KEY=$(aws secretsmanager get-secret-value)\n"})])
one("rustfs-ec2-instance-disallow-secrets-in-user-data", "base64-access-key", [Spec(LT, "n", {
    "userData": base64.b64encode(b"#!/bin/sh\nAWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n").decode()})], True)
pair("rustfs-ec2-instance-require-instance-profile", [Spec(INSTANCE, "n")],
     [Spec(INSTANCE, "n", {"iamInstanceProfile": "rustfs-node"})])
pair("rustfs-ec2-instance-require-detailed-monitoring", [Spec(LT, "n", {"monitoring": {"enabled": False}})],
     [Spec(LT, "n", {"monitoring": {"enabled": True}})])
pair("rustfs-ec2-instance-require-ebs-optimized", [Spec(LT, "n", {"ebsOptimized": "false"})],
     [Spec(LT, "n", {"ebsOptimized": "true"})])
pair("rustfs-ec2-instance-require-allowed-family", [Spec(INSTANCE, "n", {"instanceType": "t2.micro"})],
     [Spec(INSTANCE, "n", {"instanceType": "m7g.xlarge"})])
pair("rustfs-autoscaling-group-require-elb-health-check",
     [Spec(ASG, "g", {"targetGroupArns": ["arn:tg"], "healthCheckType": "EC2"})],
     [Spec(ASG, "g", {"targetGroupArns": ["arn:tg"], "healthCheckType": "ELB"})])
NODE_TAG = [{"key": "rustfs:node", "value": "1", "propagateAtLaunch": True}]
one("rustfs-autoscaling-group-require-elb-health-check", "storage-node-on-elb",
    [Spec(ASG, "g", {"targetGroupArns": ["arn:tg"], "healthCheckType": "ELB", "tags": NODE_TAG})], True)
one("rustfs-autoscaling-group-require-elb-health-check", "storage-node-on-ec2",
    [Spec(ASG, "g", {"targetGroupArns": ["arn:tg"], "healthCheckType": "EC2", "tags": NODE_TAG})], False)
pair("rustfs-ebs-volume-require-attachment", [Spec(VOLUME, "d")],
     [Spec(VOLUME, "d", {"tags": {"rustfs:node": "rustfs-1"}})])

# ---- security groups ----
WORLD_SSH = {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"], "description": "ssh"}
pair("rustfs-ec2-securitygroup-disallow-public-ingress", [Spec(SG, "sg", {"ingress": [WORLD_SSH]})],
     [Spec(SG, "sg", {"ingress": [{**WORLD_SSH, "cidrBlocks": ["10.0.0.0/16"]}]})])
one("rustfs-ec2-securitygroup-disallow-public-ingress", "ingress-rule-443",
    [Spec(INGRESS, "r", {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"})], True)
one("rustfs-ec2-securitygroup-disallow-public-ingress", "allowed-public-port",
    [Spec(INGRESS, "r", {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv6": "::/0"})], False,
    config={"rustfs-ec2-securitygroup-disallow-public-ingress": {"allowedPublicPorts": [443]}})
pair("rustfs-ec2-securitygroup-disallow-public-console",
     [Spec(SG_RULE, "r", {"type": "ingress", "protocol": "tcp", "fromPort": 9000, "toPort": 9001,
                          "cidrBlocks": ["0.0.0.0/0"]})],
     [Spec(SG_RULE, "r", {"type": "ingress", "protocol": "tcp", "fromPort": 9001, "toPort": 9001,
                          "cidrBlocks": ["10.20.0.0/24"]})])
pair("rustfs-ec2-securitygroup-disallow-unrestricted-egress",
     [Spec(EGRESS, "e", {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"})],
     [Spec(EGRESS, "e", {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"})])
pair("rustfs-ec2-securitygroup-require-rule-descriptions",
     [Spec(INGRESS, "r", {"ipProtocol": "tcp", "fromPort": 9000, "toPort": 9000, "cidrIpv4": "10.0.0.0/16"})],
     [Spec(INGRESS, "r", {"ipProtocol": "tcp", "fromPort": 9000, "toPort": 9000, "cidrIpv4": "10.0.0.0/16",
                          "description": "S3 API from the VPC"})])
pair("rustfs-ec2-defaultsecuritygroup-disallow-rules",
     [Spec(DEFAULT_SG, "d", {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]})],
     [Spec(DEFAULT_SG, "d", {"vpcId": "vpc-1"})])
pair("rustfs-ec2-securitygroup-disallow-mixed-rule-management",
     [Spec(SG, "sg", {"ingress": [{**WORLD_SSH, "cidrBlocks": ["10.0.0.0/8"]}]}),
      Spec(INGRESS, "r", {"ipProtocol": "tcp", "fromPort": 9000, "toPort": 9000}, {"securityGroupId": ["sg"]})],
     [Spec(SG, "sg"), Spec(INGRESS, "r", {"ipProtocol": "tcp"}, {"securityGroupId": ["sg"]})])
pair("rustfs-ec2-securitygroup-require-attachment", [Spec(SG, "sg")],
     [Spec(SG, "sg"), Spec(INSTANCE, "n", {}, {"vpcSecurityGroupIds": ["sg"]})])

# ---- load balancers ----
pair("rustfs-elb-loadbalancer-require-internal", [Spec(LB, "nlb", {"internal": False})],
     [Spec(LB, "nlb", {"internal": True})])
pair("rustfs-elb-loadbalancer-require-access-logs", [Spec(LB, "nlb")],
     [Spec(LB, "nlb", {"accessLogs": {"enabled": True, "bucket": "logs"}})])
pair("rustfs-elb-loadbalancer-require-deletion-protection", [Spec(LB, "nlb")],
     [Spec(LB, "nlb", {"enableDeletionProtection": True})], env="prod")
one("rustfs-elb-loadbalancer-require-deletion-protection", "dev-exempt", [Spec(LB, "nlb")], False)
pair("rustfs-elb-loadbalancer-require-cross-zone", [Spec(LB, "nlb", {"loadBalancerType": "network"})],
     [Spec(LB, "nlb", {"loadBalancerType": "network", "enableCrossZoneLoadBalancing": True})])
pair("rustfs-elb-loadbalancer-require-drop-invalid-headers", [Spec(LB, "alb", {"loadBalancerType": "application"})],
     [Spec(LB, "alb", {"loadBalancerType": "application", "dropInvalidHeaderFields": True})])
pair("rustfs-elb-listener-require-tls12",
     [Spec(LISTENER, "l", {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-2016-08"})],
     [Spec(LISTENER, "l", {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})])
one("rustfs-elb-listener-require-tls12", "plain-http", [Spec(LISTENER, "l", {"protocol": "HTTP", "defaultActions": [
    {"type": "forward"}]})], True)
pair("rustfs-elb-targetgroup-require-ready-health-check",
     [Spec(TG, "s3", {"port": 9000, "protocol": "TCP", "healthCheck": {"protocol": "TCP"}})],
     [Spec(TG, "s3", {"port": 9000, "protocol": "TCP", "healthCheck": {
         "protocol": "HTTPS", "path": "/health/ready", "unhealthyThreshold": 3}})])
one("rustfs-elb-targetgroup-require-ready-health-check", "liveness-path", [Spec(TG, "s3", {
    "port": 9000, "healthCheck": {"protocol": "HTTP", "path": "/health"}})], True)

# ---- kms ----
pair("rustfs-kms-key-require-rotation", [Spec(KMS_KEY, "k")], [Spec(KMS_KEY, "k", {"enableKeyRotation": True})])
pair("rustfs-kms-key-disallow-lockout-bypass", [Spec(KMS_KEY, "k", {"bypassPolicyLockoutSafetyCheck": True})],
     [Spec(KMS_KEY, "k", {"bypassPolicyLockoutSafetyCheck": False})])
pair("rustfs-kms-key-require-enabled", [Spec(KMS_KEY, "k", {"isEnabled": False})],
     [Spec(KMS_KEY, "k", {"isEnabled": True})])
pair("rustfs-kms-key-require-deletion-window", [Spec(KMS_KEY, "k", {"deletionWindowInDays": 7})],
     [Spec(KMS_KEY, "k", {"deletionWindowInDays": 30})])
pair("rustfs-kms-key-require-explicit-policy", [Spec(KMS_KEY, "k")],
     [Spec(KMS_KEY, "k"), Spec(KEY_POLICY, "kp", {"policy": doc()}, {"keyId": ["k"]})])

# ---- iam ----
GOOD = doc(allow(["s3:GetObject", "s3:PutObject"]))
pair("rustfs-iam-policy-require-valid-document", [Spec(ROLE_POLICY, "p", {"policy": "{not json"})],
     [Spec(ROLE_POLICY, "p", {"policy": GOOD})])
pair("rustfs-iam-policy-disallow-wildcard-actions", [Spec(ROLE_POLICY, "p", {"policy": doc(allow("s3:*"))})],
     [Spec(ROLE_POLICY, "p", {"policy": GOOD})])
one("rustfs-iam-policy-disallow-wildcard-actions", "role-inline-policy", [Spec(ROLE, "r", {
    "inlinePolicies": [{"name": "all", "policy": doc(allow("*", "*"))}]})], True)
pair("rustfs-iam-policy-disallow-allow-not-action",
     [Spec("aws:iam/policy:Policy", "p", {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})})],
     [Spec("aws:iam/policy:Policy", "p", {"policy": GOOD})])
pair("rustfs-iam-policy-disallow-wildcard-resource",
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["ec2:AttachVolume", "ec2:DescribeVolumes"], "*"))})],
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["ec2:AttachVolume"], "*", Condition={
         "StringEquals": {"aws:ResourceTag/rustfs:cluster": "main"}}), allow(["ec2:DescribeVolumes"], "*"))})])
pair("rustfs-iam-policy-disallow-privilege-escalation",
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["iam:CreateAccessKey"], "*"))})],
     [Spec(ROLE_POLICY, "p", {"policy": GOOD})])
pair("rustfs-iam-policy-disallow-credentials-exposure",
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["iam:CreateAccessKey"], "*"))})],
     [Spec(ROLE_POLICY, "p", {"policy": GOOD})])
pair("rustfs-iam-policy-disallow-data-exfiltration",
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["s3:GetObject"], "*"))})],
     [Spec(ROLE_POLICY, "p", {"policy": GOOD})])
pair("rustfs-iam-policy-disallow-unconstrained-permissions-management",
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["iam:PassRole"], "*"))})],
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["iam:PassRole"], "arn:aws:iam::111122223333:role/rustfs-node"))})])
pair("rustfs-iam-policy-disallow-decrypt-all-kms-keys",
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["kms:Decrypt"], "*"))})],
     [Spec(ROLE_POLICY, "p", {"policy": doc(allow(["kms:Decrypt"], KEY))})])
pair("rustfs-iam-policy-disallow-admin-managed-policies",
     [Spec("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a",
           {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})],
     [Spec("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a",
           {"policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"})])
pair("rustfs-iam-user-allow-only-tier-user", [Spec("aws:iam/user:User", "alice", {"name": "alice"})],
     [Spec("aws:iam/user:User", "tier", {"name": "rustfs-tier-dev"})])
one("rustfs-iam-user-allow-only-tier-user", "console-password",
    [Spec("aws:iam/userLoginProfile:UserLoginProfile", "tier-login", {"user": "rustfs-tier-dev"})], True)
pair("rustfs-iam-user-disallow-managed-policy-attachments",
     [Spec("aws:iam/userPolicyAttachment:UserPolicyAttachment", "a", {"user": "rustfs-tier", "policyArn": "arn:p"})],
     [Spec("aws:iam/userPolicy:UserPolicy", "p", {"user": "rustfs-tier", "policy": GOOD})])
EC2_TRUST = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
pair("rustfs-iam-role-restrict-trust-policy",
     [Spec(ROLE, "r", {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": "*"},
                                                "Action": "sts:AssumeRole"})})],
     [Spec(ROLE, "r", {"assumeRolePolicy": doc(EC2_TRUST)})])
one("rustfs-iam-role-restrict-trust-policy", "foreign-account", [Spec(ROLE, "r", {"assumeRolePolicy": doc(
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"})})], True)
one("rustfs-iam-role-restrict-trust-policy", "external-id", [Spec(ROLE, "r", {"assumeRolePolicy": doc(
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"sts:ExternalId": "x"}}})})], False)
WEAK_CONDITION = {"Bool": {"aws:SecureTransport": "true"}}  # says nothing about who calls
one("rustfs-iam-role-restrict-trust-policy", "any-principal-condition-not-on-caller", [Spec(ROLE, "r", {
    "assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                             "Condition": WEAK_CONDITION})})], True)
one("rustfs-iam-role-restrict-trust-policy", "any-principal-of-own-organisation", [Spec(ROLE, "r", {
    "assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})})], False)
pair("rustfs-iam-resourcepolicy-disallow-public-principal",
     [Spec(S3["BucketPolicy"], "bp", {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::b/*"})})],
     [Spec(S3["BucketPolicy"], "bp", {"policy": doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::b/*",
                                                      "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}})})])
one("rustfs-iam-resourcepolicy-disallow-public-principal", "key-policy", [Spec(KMS_KEY, "k", {"policy": doc(
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"})})], True)
one("rustfs-iam-resourcepolicy-disallow-public-principal", "condition-not-on-caller", [Spec(KMS_KEY, "k", {
    "policy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
                   "Condition": WEAK_CONDITION})})], True)
pair("rustfs-ec2-vpcendpoint-require-scoped-policy",
     [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"})],
     [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway", "policy": doc(
         {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
          "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}})})])

# ---- s3 (stack policies link sub-resources to their bucket through property dependencies) ----
B = [Spec(BUCKET, "tier", {"bucket": "rustfs-tier"})]


def sub(kind: str, name: str, props: dict[str, Any] | None = None) -> Spec:
    return Spec(S3[kind], name, {"bucket": "rustfs-tier", **(props or {})}, {"bucket": ["tier"]})


ALL_FLAGS = dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
SSE_KMS = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}}]}
TLS_ONLY = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
pair("rustfs-s3-bucket-require-public-access-block", B, [*B, sub("BucketPublicAccessBlock", "pab", ALL_FLAGS)])
pair("rustfs-s3-publicaccessblock-require-all-flags",
     [Spec(S3["BucketPublicAccessBlock"], "pab", {**ALL_FLAGS, "restrictPublicBuckets": False})],
     [Spec(S3["BucketPublicAccessBlock"], "pab", ALL_FLAGS)])
pair("rustfs-s3-encryption-require-kms", [Spec(S3["BucketServerSideEncryptionConfiguration"], "sse", {
    "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]})],
     [Spec(S3["BucketServerSideEncryptionConfiguration"], "sse", SSE_KMS)])
pair("rustfs-s3-bucket-require-kms-encryption", B, [*B, sub("BucketServerSideEncryptionConfiguration", "sse", SSE_KMS)])
pair("rustfs-s3-bucket-require-versioning", [*B, sub("BucketVersioning", "v", {
    "versioningConfiguration": {"status": "Suspended"}})],
     [*B, sub("BucketVersioning", "v", {"versioningConfiguration": {"status": "Enabled"}})])
one("rustfs-s3-bucket-require-versioning", "log-bucket-exempt", [
    Spec(BUCKET, "logs", {"bucket": "rustfs-logs"}), *B,
    Spec(S3["BucketLogging"], "lg", {"bucket": "rustfs-tier", "targetBucket": "rustfs-logs"},
         {"bucket": ["tier"], "targetBucket": ["logs"]}),
    sub("BucketVersioning", "v", {"versioningConfiguration": {"status": "Enabled"}})], False)
pair("rustfs-s3-bucket-require-tls-only-policy", [*B, sub("BucketPolicy", "p", {"policy": doc(allow("s3:GetObject"))})],
     [*B, sub("BucketPolicy", "p", {"policy": TLS_ONLY})])
TLS_DENY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Resource": ["arn:aws:s3:::rustfs-tier", "arn:aws:s3:::rustfs-tier/*"]}
one("rustfs-s3-bucket-require-tls-only-policy", "bucket-and-objects",
    [*B, sub("BucketPolicy", "p", {"policy": doc(TLS_DENY)})], False)
one("rustfs-s3-bucket-require-tls-only-policy", "bucket-arn-only",
    [*B, sub("BucketPolicy", "p", {"policy": doc({**TLS_DENY, "Resource": "arn:aws:s3:::rustfs-tier"})})], True)
one("rustfs-s3-bucket-require-tls-only-policy", "put-object-only",
    [*B, sub("BucketPolicy", "p", {"policy": doc({**TLS_DENY, "Action": "s3:PutObject"})})], True)
one("rustfs-s3-bucket-require-tls-only-policy", "one-role-only", [*B, sub("BucketPolicy", "p", {"policy": doc(
    {**TLS_DENY, "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}})})], True)
pair("rustfs-s3-bucket-require-owner-enforced", [*B, sub("BucketOwnershipControls", "o", {
    "rule": {"objectOwnership": "ObjectWriter"}})],
     [*B, sub("BucketOwnershipControls", "o", {"rule": {"objectOwnership": "BucketOwnerEnforced"}})])
pair("rustfs-s3-bucket-require-access-logging", B, [*B, sub("BucketLogging", "l", {"targetBucket": "rustfs-logs"})])
one("rustfs-s3-bucket-require-access-logging", "load-balancer-log-bucket-exempt", [
    Spec(BUCKET, "logs", {"bucket": "rustfs-logs"}),
    Spec(LB, "nlb", {"internal": True, "accessLogs": {"enabled": True, "bucket": "rustfs-logs"}},
         {"accessLogs": ["logs"]})], False)
pair("rustfs-s3-bucket-require-lifecycle", B, [*B, sub("BucketLifecycleConfiguration", "lc", {"rules": [{"id": "x"}]})])
pair("rustfs-s3-bucket-require-replication", B, [*B, sub("BucketReplicationConfig", "r", {"role": "arn:r"})],
     env="prod")
pair("rustfs-s3-bucket-disallow-public-acl", [Spec(S3["BucketAcl"], "acl", {"acl": "public-read"})],
     [Spec(S3["BucketAcl"], "acl", {"acl": "private"})])
one("rustfs-s3-bucket-disallow-public-acl", "grant-to-all-users", [Spec(S3["BucketAcl"], "acl", {
    "accessControlPolicy": {"grants": [{"permission": "READ", "grantee": {
        "type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}}]}})], True)

# ---- audit ----
TRAIL = "aws:cloudtrail/trail:Trail"
GOOD_TRAIL = {"isMultiRegionTrail": True, "enableLogFileValidation": True, "kmsKeyId": KEY,
              "cloudWatchLogsGroupArn": "arn:lg:*", "s3BucketName": "trail"}
pair("rustfs-cloudtrail-trail-require-secure-configuration", [Spec(TRAIL, "t", {"s3BucketName": "trail"})],
     [Spec(TRAIL, "t", GOOD_TRAIL)])
pair("rustfs-cloudtrail-trail-require-s3-data-events", [Spec(TRAIL, "t", GOOD_TRAIL)],
     [Spec(TRAIL, "t", {**GOOD_TRAIL, "snsTopicName": "trail", "eventSelectors": [{"dataResources": [
         {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::rustfs-tier/"]}]}]})])
RECORDER = "aws:cfg/recorder:Recorder"
pair("rustfs-config-recorder-require-all-resources", [Spec(RECORDER, "r", {"recordingGroup": {"allSupported": False}})],
     [Spec(RECORDER, "r", {"recordingGroup": {"allSupported": True}})])
pair("rustfs-config-recorder-require-enabled", [Spec(RECORDER, "r", {"name": "main"})],
     [Spec(RECORDER, "r", {"name": "main"}),
      Spec("aws:cfg/recorderStatus:RecorderStatus", "s", {"name": "main", "isEnabled": True}, {"name": ["r"]}),
      Spec("aws:cfg/deliveryChannel:DeliveryChannel", "c", {"s3BucketName": "cfg"})])
pair("rustfs-sns-topic-require-kms", [Spec("aws:sns/topic:Topic", "t")],
     [Spec("aws:sns/topic:Topic", "t", {"kmsMasterKeyId": KEY})])
SECRET = "aws:secretsmanager/secret:Secret"
pair("rustfs-secretsmanager-secret-require-kms", [Spec(SECRET, "s")], [Spec(SECRET, "s", {"kmsKeyId": KEY})])
pair("rustfs-backup-vault-require-kms", [Spec("aws:backup/vault:Vault", "v")],
     [Spec("aws:backup/vault:Vault", "v", {"kmsKeyArn": KEY})])
pair("rustfs-secretsmanager-secret-require-recovery-window", [Spec(SECRET, "s", {"recoveryWindowInDays": 0})],
     [Spec(SECRET, "s", {"recoveryWindowInDays": 7})])
pair("rustfs-secretsmanager-secret-require-rotation", [Spec(SECRET, "s")],
     [Spec(SECRET, "s"), Spec("aws:secretsmanager/secretRotation:SecretRotation", "rot", {
         "rotationRules": {"automaticallyAfterDays": 30}}, {"secretId": ["s"]})])

# ---- eks ----
EKS = "eks:index:Cluster"
pair("rustfs-eks-cluster-require-private-endpoint", [Spec(EKS, "c")], [Spec(EKS, "c", {"endpointPublicAccess": False})])
one("rustfs-eks-cluster-require-private-endpoint", "aws-cluster-world", [Spec("aws:eks/cluster:Cluster", "c", {
    "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}})], True)
one("rustfs-eks-cluster-require-private-endpoint", "restricted-cidrs", [Spec("aws:eks/cluster:Cluster", "c", {
    "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}})], False)
pair("rustfs-eks-cluster-require-secrets-encryption", [Spec(EKS, "c")],
     [Spec(EKS, "c", {"encryptionConfigKeyArn": KEY})])
one("rustfs-eks-cluster-require-secrets-encryption", "aws-cluster", [Spec("aws:eks/cluster:Cluster", "c", {
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}}})], False)
pair("rustfs-eks-cluster-require-control-plane-logs", [Spec(EKS, "c", {"enabledClusterLogTypes": ["api"]})],
     [Spec(EKS, "c", {"enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager",
                                                  "scheduler"]})])
pair("rustfs-eks-cluster-restrict-default-nodes", [Spec(EKS, "c", {"nodeAssociatePublicIpAddress": True})],
     [Spec(EKS, "c", {"nodeAssociatePublicIpAddress": False, "nodeRootVolumeEncrypted": True})])
pair("rustfs-eks-nodegroup-disallow-ssh", [Spec("eks:index:ManagedNodeGroup", "ng", {"remoteAccess": {
    "ec2SshKey": "ops"}})], [Spec("eks:index:ManagedNodeGroup", "ng", {"capacityType": "ON_DEMAND"})])
pair("rustfs-eks-managednodegroup-require-imdsv2", [Spec("eks:index:ManagedNodeGroup", "ng")],
     [Spec("eks:index:ManagedNodeGroup", "ng", {"enableIMDSv2": True})])

# ---- kubernetes ----
RESTRICTED = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
              "seccompProfile": {"type": "RuntimeDefault"}, "readOnlyRootFilesystem": True}


def statefulset(security_context: dict[str, Any] | None) -> Spec:
    container = {"name": "rustfs", "image": "rustfs/rustfs:1.0.0"}
    if security_context is not None:
        container["securityContext"] = security_context
    return Spec("kubernetes:apps/v1:StatefulSet", "rustfs", {"spec": {"template": {"spec": {
        "containers": [container]}}}})


pair("rustfs-kubernetes-pod-require-restricted-security-context", [statefulset(None)], [statefulset(RESTRICTED)])
one("rustfs-kubernetes-pod-require-restricted-security-context", "privileged",
    [statefulset({**RESTRICTED, "privileged": True})], True)
SVC = "kubernetes:core/v1:Service"
pair("rustfs-kubernetes-service-require-internal-load-balancer", [Spec(SVC, "s3", {"spec": {"type": "LoadBalancer"}})],
     [Spec(SVC, "s3", {"metadata": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
                       "spec": {"type": "LoadBalancer"}})])
SC = "kubernetes:storage.k8s.io/v1:StorageClass"
pair("rustfs-kubernetes-storageclass-require-encryption",
     [Spec(SC, "gp3", {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}})],
     [Spec(SC, "gp3", {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true",
                                                                        "kmsKeyId": KEY}})])
pair("rustfs-kubernetes-storageclass-require-retain",
     [Spec(SC, "gp3", {"provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Delete"})],
     [Spec(SC, "gp3", {"provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Retain",
                       "volumeBindingMode": "WaitForFirstConsumer"})])

# ---- cloudfront / waf ----
CF = "aws:cloudfront/distribution:Distribution"
GOOD_CF = {"defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https", "responseHeadersPolicyId": "p"},
           "viewerCertificate": {"acmCertificateArn": "arn:c", "minimumProtocolVersion": "TLSv1.2_2021"},
           "origins": [{"originId": "o", "customOriginConfig": {"originProtocolPolicy": "https-only",
                                                                "originSslProtocols": ["TLSv1.2"]},
                        "originShield": {"enabled": True, "originShieldRegion": "us-east-1"}}],
           "webAclId": "arn:waf", "loggingConfig": {"bucket": "logs.s3.amazonaws.com"}}
pair("rustfs-cloudfront-distribution-require-tls12", [Spec(CF, "cdn", {**GOOD_CF, "defaultCacheBehavior": {
    "viewerProtocolPolicy": "allow-all"}})], [Spec(CF, "cdn", GOOD_CF)])
one("rustfs-cloudfront-distribution-require-tls12", "tls12-2019", [Spec(CF, "cdn", {
    **GOOD_CF, "viewerCertificate": {"acmCertificateArn": "arn:c", "minimumProtocolVersion": "TLSv1.2_2019"}})], True)
one("rustfs-cloudfront-distribution-require-tls12", "tls13-2025", [Spec(CF, "cdn", {
    **GOOD_CF, "viewerCertificate": {"acmCertificateArn": "arn:c", "minimumProtocolVersion": "TLSv1.3_2025"}})], False)
pair("rustfs-cloudfront-distribution-require-custom-certificate", [Spec(CF, "cdn", {
    **GOOD_CF, "viewerCertificate": {"cloudfrontDefaultCertificate": True}})], [Spec(CF, "cdn", GOOD_CF)])
pair("rustfs-cloudfront-vpcorigin-require-https",
     [Spec("aws:cloudfront/vpcOrigin:VpcOrigin", "o",
           {"vpcOriginEndpointConfig": {"originProtocolPolicy": "http-only"}})],
     [Spec("aws:cloudfront/vpcOrigin:VpcOrigin", "o", {"vpcOriginEndpointConfig": {
         "originProtocolPolicy": "https-only", "originSslProtocols": [{"items": ["TLSv1.2"], "quantity": 1}]}})])
pair("rustfs-cloudfront-distribution-require-waf", [Spec(CF, "cdn", {**GOOD_CF, "webAclId": None})],
     [Spec(CF, "cdn", GOOD_CF)])
one("rustfs-cloudfront-distribution-require-waf", "waf-classic", [Spec(CF, "cdn", {**GOOD_CF, "webAclId": "a1b2"})],
    True)
LOG_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
UNLOGGED_CF = {k: v for k, v in GOOD_CF.items() if k != "loggingConfig"}
pair("rustfs-cloudfront-distribution-require-logging", [Spec(CF, "cdn", UNLOGGED_CF)], [Spec(CF, "cdn", GOOD_CF)])
one("rustfs-cloudfront-distribution-require-logging", "standard-logging-v2", [
    Spec(CF, "cdn", UNLOGGED_CF), Spec(LOG_SOURCE, "src", {"logType": "ACCESS_LOGS"}, {"resourceArn": ["cdn"]}),
    Spec(LOG_DELIVERY, "dlv", {}, {"deliverySourceName": ["src"]})], False)
one("rustfs-cloudfront-distribution-require-logging", "source-without-delivery", [
    Spec(CF, "cdn", UNLOGGED_CF), Spec(LOG_SOURCE, "src", {"logType": "ACCESS_LOGS"}, {"resourceArn": ["cdn"]})],
    True)
RHP = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
HEADERS = {"securityHeadersConfig": {"strictTransportSecurity": {"accessControlMaxAgeSec": 63_072_000},
                                     "contentTypeOptions": {"override": True}}}
pair("rustfs-cloudfront-distribution-require-security-headers",
     [Spec(CF, "cdn", {**GOOD_CF, "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"}})],
     [Spec(RHP, "headers", HEADERS), Spec(CF, "cdn", GOOD_CF, {"defaultCacheBehavior": ["headers"]})])
one("rustfs-cloudfront-distribution-require-security-headers", "short-hsts", [
    Spec(RHP, "headers", {"securityHeadersConfig": {"strictTransportSecurity": {"accessControlMaxAgeSec": 300},
                                                    "contentTypeOptions": {"override": True}}}),
    Spec(CF, "cdn", GOOD_CF, {"defaultCacheBehavior": ["headers"]})], True)
pair("rustfs-cloudfront-distribution-require-origin-shield",
     [Spec(CF, "cdn", {**GOOD_CF, "origins": [{"originId": "o", "vpcOriginConfig": {"vpcOriginId": "vo_1"}}]})],
     [Spec(CF, "cdn", GOOD_CF)])
CACHE = "aws:cloudfront/cachePolicy:CachePolicy"
NO_KEY = {"headersConfig": {"headerBehavior": "none"}, "cookiesConfig": {"cookieBehavior": "none"},
          "queryStringsConfig": {"queryStringBehavior": "none"}}
pair("rustfs-cloudfront-cachepolicy-disallow-authorization",
     [Spec(CACHE, "key", {"parametersInCacheKeyAndForwardedToOrigin": {**NO_KEY, "headersConfig": {
         "headerBehavior": "whitelist", "headers": {"items": ["Host", "authorization"]}}}})],
     [Spec(CACHE, "key", {"parametersInCacheKeyAndForwardedToOrigin": NO_KEY})])
one("rustfs-cloudfront-cachepolicy-disallow-authorization", "origin-request-policy", [
    Spec("aws:cloudfront/originRequestPolicy:OriginRequestPolicy", "orp", {"headersConfig": {
        "headerBehavior": "whitelist", "headers": {"items": ["Authorization"]}}})], True)
one("rustfs-cloudfront-cachepolicy-disallow-authorization", "forwarded-values-all-headers", [Spec(CF, "cdn", {
    **GOOD_CF, "defaultCacheBehavior": {**GOOD_CF["defaultCacheBehavior"], "forwardedValues": {
        "headers": ["*"], "queryString": False, "cookies": {"forward": "none"}}}})], True)
MONITORING = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
ENABLED = {"monitoringSubscription": {"realtimeMetricsSubscriptionConfig": {"realtimeMetricsSubscriptionStatus":
                                                                            "Enabled"}}}
pair("rustfs-cloudfront-distribution-require-realtime-metrics", [Spec(CF, "cdn", GOOD_CF)],
     [Spec(CF, "cdn", GOOD_CF), Spec(MONITORING, "metrics", ENABLED, {"distributionId": ["cdn"]})])
ACL = "aws:wafv2/webAcl:WebAcl"
WAF_GROUPS = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet",
              "AWSManagedRulesKnownBadInputsRuleSet")


def managed(name: str, override: str = "none") -> dict[str, Any]:
    return {"name": name, "overrideAction": {override: {}},
            "statement": {"managedRuleGroupStatement": {"name": name, "vendorName": "AWS"}}}


RATE = {"name": "rate", "action": {"block": {}}, "statement": {"rateBasedStatement": {"limit": 2000}}}
pair("rustfs-wafv2-webacl-require-managed-rules",
     [Spec(ACL, "acl", {"rules": [managed("AWSManagedRulesCommonRuleSet"),
                                  managed("AWSManagedRulesKnownBadInputsRuleSet")]})],
     [Spec(ACL, "acl", {"rules": [managed(g) for g in WAF_GROUPS]})])
one("rustfs-wafv2-webacl-require-managed-rules", "counted-only", [
    Spec(ACL, "acl", {"rules": [*[managed(g) for g in WAF_GROUPS[:2]], managed(WAF_GROUPS[2], "count")]})], True)
pair("rustfs-wafv2-webacl-require-rate-limit", [Spec(ACL, "acl", {"rules": [managed(g) for g in WAF_GROUPS]})],
     [Spec(ACL, "acl", {"rules": [*[managed(g) for g in WAF_GROUPS], RATE]})])
one("rustfs-wafv2-webacl-require-rate-limit", "counted-rate", [
    Spec(ACL, "acl", {"rules": [{**RATE, "action": {"count": {}}}]})], True)
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
pair("rustfs-wafv2-webacl-require-logging", [Spec(ACL, "acl")],
     [Spec(ACL, "acl"), Spec(WAF_LOGGING, "l", {}, {"resourceArn": ["acl"]})])
pair("rustfs-wafv2-loggingconfiguration-require-redacted-credentials",
     [Spec(WAF_LOGGING, "l", {"redactedFields": [{"singleHeader": {"name": "authorization"}}]})],
     [Spec(WAF_LOGGING, "l", {"redactedFields": [{"singleHeader": {"name": "authorization"}},
                                                 {"singleHeader": {"name": "cookie"}}]})])

# ---- tagging ----
one("rustfs-tagging-resource-require-tags", "no-tags-anywhere", [Spec(VPC, "v", {"tags": {"Name": "v"}})], True,
    provider_tags={})
one("rustfs-tagging-resource-require-tags", "provider-default-tags", [Spec(VPC, "v", {"tags": {"Name": "v"}})], False)
one("rustfs-tagging-resource-require-tags", "own-tags", [Spec(VPC, "v", {"tags": TAGS})], False, provider_tags={})
one("rustfs-tagging-resource-require-tags", "bad-environment", [Spec(VPC, "v", {"tags": {"Environment": "qa"}})], True)
pair("rustfs-tagging-resource-require-valid-tags", [Spec(VPC, "v", {"tags": {"aws:owner": "x"}})],
     [Spec(VPC, "v", {"tags": {"rustfs:tier": "private"}})])
ALL_SPECS = [{"resourceType": kind, "tags": TAGS} for kind in ("instance", "volume", "network-interface")]
pair("rustfs-ec2-launchtemplate-require-tag-specifications", [Spec(LT, "n", {"tagSpecifications": ALL_SPECS[:1]})],
     [Spec(LT, "n", {"tagSpecifications": ALL_SPECS})])
pair("rustfs-autoscaling-group-require-tag-propagation",
     [Spec(ASG, "g", {"tags": [{"key": k, "value": v, "propagateAtLaunch": False} for k, v in TAGS.items()]})],
     [Spec(ASG, "g", {"tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()]})])

# ---- resilience (prod) ----


def node_volumes(azs: str, drives: int = 2, size: int = 500, protect: bool = True, cluster: str = "main") -> list[Spec]:
    return [Spec(VOLUME, f"rustfs-{n + 1}-d{d}", {"availabilityZone": f"eu-west-1{az}", "size": size, "type": "gp3",
                                                   "tags": {"rustfs:cluster": cluster, "rustfs:node": f"rustfs-{n + 1}",
                                                            "rustfs:drive": str(d)}}, protect=protect)
            for n, az in enumerate(azs) for d in range(drives)]


TOPOLOGY = "rustfs-rustfs-cluster-require-resilient-topology"
pair(TOPOLOGY, node_volumes("abab ab".replace(" ", "")), node_volumes("abcabc"), env="prod")
one(TOPOLOGY, "three-azs-but-az-loss-breaks-quorum", node_volumes("abca", drives=4), True, env="prod")
one(TOPOLOGY, "uneven-drives-any-env", node_volumes("ab", drives=2) + [
    Spec(VOLUME, "extra", {"availabilityZone": "eu-west-1a", "size": 500, "tags": {
        "rustfs:cluster": "main", "rustfs:node": "rustfs-1", "rustfs:drive": "9"}})], True)
one(TOPOLOGY, "dev-two-azs-allowed", node_volumes("ab"), False)
pair("rustfs-rustfs-data-require-protect", node_volumes("abcabc", protect=False), node_volumes("abcabc"), env="prod")
DATA_KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def keyed(volumes: list[Spec], kms_key_id: Any, deps: dict[str, list[str]] | None = None) -> list[Spec]:
    return [Spec(v.type, v.name, {**v.props, "encrypted": True, "kmsKeyId": kms_key_id}, deps or {}, v.protect)
            for v in volumes]


one("rustfs-rustfs-data-require-protect", "unprotected-data-key",
    [Spec("aws:kms/key:Key", "data-key", {"arn": DATA_KEY_ARN}), *keyed(node_volumes("abcabc"), DATA_KEY_ARN)],
    True, env="prod")
one("rustfs-rustfs-data-require-protect", "protected-data-key",
    [Spec("aws:kms/key:Key", "data-key", {"arn": DATA_KEY_ARN}, protect=True),
     *keyed(node_volumes("abcabc"), DATA_KEY_ARN)], False, env="prod")
one("rustfs-rustfs-data-require-protect", "unprotected-data-key-before-first-deployment",
    [Spec("aws:kms/key:Key", "data-key"),
     *keyed(node_volumes("abcabc"), UNKNOWN_VALUE, {"kmsKeyId": ["data-key"]})], True, env="prod")
one("rustfs-rustfs-data-require-protect", "unrelated-unprotected-key",
    [Spec("aws:kms/key:Key", "other-key", {"arn": DATA_KEY_ARN.replace("1234abcd", "99999999")}),
     *keyed(node_volumes("abcabc"), DATA_KEY_ARN)], False, env="prod")
PROD_DLM = Spec("aws:dlm/lifecyclePolicy:LifecyclePolicy", "snap", {"state": "ENABLED", "policyDetails": {
    "resourceTypes": ["VOLUME"], "targetTags": {"rustfs:cluster": "main"},
    "schedules": [{"createRule": {"interval": 24, "intervalUnit": "HOURS"}, "retainRule": {"count": 14}}]}})


def final_snapshot(volumes: list[Spec]) -> list[Spec]:
    return [Spec(v.type, v.name, {**v.props, "finalSnapshot": True}, v.deps, v.protect) for v in volumes]


one("rustfs-rustfs-volume-require-snapshots", "prod-keeps-14-days-with-final-snapshots",
    [*final_snapshot(node_volumes("abcabc")), PROD_DLM], False, env="prod")
one("rustfs-rustfs-volume-require-snapshots", "prod-without-final-snapshot",
    [*node_volumes("abcabc"), PROD_DLM], True, env="prod")
one("rustfs-rustfs-volume-require-snapshots", "prod-keeps-3-days",
    [*final_snapshot(node_volumes("abcabc")), Spec(PROD_DLM.type, "snap", {**PROD_DLM.props, "policyDetails": {
        **PROD_DLM.props["policyDetails"],
        "schedules": [{"createRule": {"interval": 24, "intervalUnit": "HOURS"}, "retainRule": {"count": 3}}]}})],
    True, env="prod")
pair("rustfs-rustfs-volume-require-snapshots", node_volumes("abc"),
     [*node_volumes("abc"), Spec("aws:dlm/lifecyclePolicy:LifecyclePolicy", "snap", {
         "state": "ENABLED",
         "policyDetails": {"resourceTypes": ["VOLUME"], "targetTags": {"rustfs:cluster": "main"}}})])
SPOT_LT = {"tagSpecifications": [{"resourceType": "instance", "tags": {"rustfs:cluster": "main"}}]}
pair("rustfs-rustfs-node-disallow-spot",
     [Spec(LT, "node", {**SPOT_LT, "instanceMarketOptions": {"marketType": "spot"}})],
     [Spec(LT, "node", SPOT_LT)], env="prod")

# ---- operations ----
DLM = "aws:dlm/lifecyclePolicy:LifecyclePolicy"


def dlm(copy_rule: dict[str, Any]) -> Spec:
    return Spec(DLM, "snap", {"state": "ENABLED", "policyDetails": {"schedules": [{
        "retainRule": {"count": 14}, "crossRegionCopyRules": [{"target": "eu-central-1", **copy_rule}]}]}})


pair("rustfs-dlm-lifecyclepolicy-require-encrypted-copies", [dlm({"encrypted": False})],
     [dlm({"encrypted": True, "cmkArn": KEY})])
ZONE = "aws:route53/zone:Zone"
pair("rustfs-route53-zone-require-query-logging-and-dnssec", [Spec(ZONE, "public", {"name": "example.com"})],
     [Spec(ZONE, "private", {"name": "rustfs.internal", "vpcs": [{"vpcId": "vpc-1"}]})])
BUDGET = "aws:budgets/budget:Budget"
pair("rustfs-budgets-budget-require-notifications", [Spec(BUDGET, "b")],
     [Spec(BUDGET, "b", {"notifications": [{"threshold": 80, "subscriberEmailAddresses": ["ops@example.com"]}]})])
pair("rustfs-budgets-stack-require-budget", [Spec(VPC, f"v{i}") for i in range(10)],
     [*(Spec(VPC, f"v{i}") for i in range(10)), Spec(BUDGET, "b")])
one("rustfs-budgets-stack-require-budget", "iam-only-costs-nothing", [Spec(ROLE, f"r{i}", {
    "assumeRolePolicy": doc(EC2_TRUST)}) for i in range(12)], False)
# 2 x m6i.large in us-east-1 ($140.16) plus the default usage's cross-AZ traffic ($1,752): about $2,000 a month
# (tests/test_policy_cost.py has the detailed cases)
_NODES = [Spec("aws:ec2/instance:Instance", f"n{i}", {"instanceType": "m6i.large"}) for i in range(2)]
pair("rustfs-budgets-stack-require-estimate-within-budget",
     [*_NODES, Spec(BUDGET, "b", {"budgetType": "COST", "timeUnit": "MONTHLY", "limitAmount": "100"})],
     [*_NODES, Spec(BUDGET, "b", {"budgetType": "COST", "timeUnit": "MONTHLY", "limitAmount": "5000"})],
     config={"rustfs-budgets-stack-require-estimate-within-budget": {"region": "us-east-1"}})

# ---- permissions boundaries (a ceiling, not a grant) ----
DENY_IAM = {"Effect": "Deny", "Action": ["iam:*"], "Resource": "*"}


def bounded(document: str, *, also_attached: bool = False) -> list[Spec]:
    specs = [Spec("aws:iam/policy:Policy", "boundary", {"name": "rustfs-boundary", "policy": document}),
             Spec(ROLE, "node", {"assumeRolePolicy": doc(EC2_TRUST),
                                 "permissionsBoundary": "arn:aws:iam::111122223333:policy/rustfs-boundary"},
                  {"permissionsBoundary": ["boundary"]})]
    if also_attached:
        specs.append(Spec("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "grant",
                          {"role": "node", "policyArn": "arn:aws:iam::111122223333:policy/rustfs-boundary"},
                          {"policyArn": ["boundary"]}))
    return specs


pair("rustfs-iam-boundary-require-escalation-denies", bounded(doc(allow("*", "*"))),
     bounded(doc(allow("*", "*"), DENY_IAM)))
one("rustfs-iam-policy-disallow-wildcard-actions", "boundary-is-a-ceiling", bounded(doc(allow("*", "*"), DENY_IAM)),
    False)
one("rustfs-iam-policy-disallow-wildcard-actions", "boundary-also-attached-as-grant",
    bounded(doc(allow("*", "*"), DENY_IAM), also_attached=True), True)
pair("rustfs-iam-role-disallow-mixed-policy-management",
     [Spec(ROLE, "r", {"inlinePolicies": [{"name": "a", "policy": GOOD}]}),
      Spec(ROLE_POLICY, "p", {"role": "r", "policy": GOOD}, {"role": ["r"]})],
     [Spec(ROLE, "r", {"assumeRolePolicy": doc(EC2_TRUST)}), Spec(ROLE_POLICY, "p", {"role": "r", "policy": GOOD},
                                                                 {"role": ["r"]})])

# ---- issue 9 §1: the S3 gateway endpoint lets unsigned repository reads through (dnf, SSM Agent) ----
_S3_GW = {"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.eu-west-1.s3", "routeTableIds": ["rtb-1"]}
_OWN = {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333", "aws:ResourceAccount": "111122223333"}}}
_REPOS = ["arn:aws:s3:::al2023-repos-eu-west-1-de612dc2/*", "arn:aws:s3:::amazon-ssm-eu-west-1/*"]
_SIGNED_REPOS = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": _REPOS,
                 "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}
_UNSIGNED_REPOS = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": _REPOS}
pair("rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads",
     [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {**_S3_GW, "policy": doc(_OWN, _SIGNED_REPOS)})],
     [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {**_S3_GW, "policy": doc(_OWN, _UNSIGNED_REPOS)})],
     label="principal-condition-on-aws-buckets")
one("rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads", "own-buckets-only",
    [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {**_S3_GW, "policy": doc(_OWN)})], True)
one("rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads", "perimeter-deny-of-outside-principals",
    [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {**_S3_GW, "policy": doc(_OWN, _UNSIGNED_REPOS, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}})})], True)
one("rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads", "separate-endpoint-policy",
    [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", _S3_GW),
     Spec("aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy", "s3-policy", {"vpcEndpointId": "vpce-1",
                                                                       "policy": doc(_OWN, _SIGNED_REPOS)},
          {"vpcEndpointId": ["s3"]})], True)
one("rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads", "aws-default-full-access",
    [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", _S3_GW)], False)
one("rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads", "no-route-tables",
    [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {**_S3_GW, "routeTableIds": [], "policy": doc(_OWN)})], False)
one("rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads", "condition-on-the-endpoint-itself",
    [Spec("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {**_S3_GW, "policy": doc(_OWN, {
        **_UNSIGNED_REPOS, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}})})], False)

# ---- account-level singletons: declared only by the stack that owns the account (issue 9 §3, §9) ----
# The pack's cases run as stack "dev" of project rustfs-aws (tests/policy_harness.urn).
_OWNER = "rustfs-account-singleton-require-owner-stack"
_RECORDER = [Spec("aws:cfg/recorder:Recorder", "recorder", {"name": "rustfs-dev-recorder", "roleArn": "arn:aws:iam::"
                  "111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"})]
_CONFIG_ROLE = [Spec("aws:iam/serviceLinkedRole:ServiceLinkedRole", "config-role",
                     {"awsServiceName": "config.amazonaws.com"})]
_EBS = [Spec("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs", {"enabled": True}),
        Spec("aws:ebs/defaultKmsKey:DefaultKmsKey", "ebs-key", {"keyArn": KEY})]
one(_OWNER, "recorder-without-owner-config", _RECORDER, True)
one(_OWNER, "service-linked-role-of-another-stacks-account", _CONFIG_ROLE, True,
    config={_OWNER: {"accountOwners": ["rustfs-aws/prod"]}})
one(_OWNER, "ebs-default-of-another-stacks-account", _EBS, True, config={_OWNER: {"accountOwners": ["prod"]}})
one(_OWNER, "recorder-of-the-owner", _RECORDER + _CONFIG_ROLE, False,
    config={_OWNER: {"accountOwners": ["rustfs-aws/dev"]}})
one(_OWNER, "ebs-default-of-the-owner-by-stack-name", _EBS, False, config={_OWNER: {"accountOwners": ["dev"]}})
one(_OWNER, "no-singleton-no-owner-needed", [Spec("aws:cfg/rule:Rule", "rule", {"name": "rustfs-dev-rule"})], False)

# ---- issue 9 §8/§9 (destroy/re-create, trusts, boundaries, user data size): every role under the stack's
# boundary; trust conditions the service sends; fixed-name secrets and buckets outside prod; 16 KB user data ----
_BOUNDARY_ARN = "arn:aws:iam::111122223333:policy/rustfs-dev-permissions-boundary"
_STACK_BOUNDARY = Spec("aws:iam/policy:Policy", "boundary", {"name": "rustfs-dev-permissions-boundary",
                                                             "policy": doc(allow("*", "*"), DENY_IAM)})


def _role(name: str, boundary: Any = None, deps: bool = True, trust: dict[str, Any] | None = None) -> Spec:
    props = {"assumeRolePolicy": doc(trust or EC2_TRUST), "permissionsBoundary": boundary}
    return Spec(ROLE, name, props, {"permissionsBoundary": ["boundary"]} if boundary and deps else {})


_BOUNDED = "rustfs-iam-role-require-permissions-boundary"
pair(_BOUNDED, [_STACK_BOUNDARY, _role("node", _BOUNDARY_ARN), _role("dlm")],
     [_STACK_BOUNDARY, _role("node", _BOUNDARY_ARN), _role("dlm", _BOUNDARY_ARN)])
one(_BOUNDED, "another-boundary", [_STACK_BOUNDARY, _role(
    "dlm", "arn:aws:iam::111122223333:policy/other-stack-permissions", deps=False)], True)
one(_BOUNDED, "stack-boundary-by-arn-without-dependency",
    [_STACK_BOUNDARY, _role("dlm", _BOUNDARY_ARN, deps=False)], False)
one(_BOUNDED, "service-linked-path", [_STACK_BOUNDARY, Spec(ROLE, "slr", {
    "assumeRolePolicy": doc(EC2_TRUST), "path": "/aws-service-role/autoscaling.amazonaws.com/"})], False)
one(_BOUNDED, "unknown-boundary-from-the-stack-policy", [_STACK_BOUNDARY, _role("dlm", UNKNOWN_VALUE)], False)

_UNSENT = "rustfs-iam-role-disallow-unsent-trust-conditions"


def _service_trust(service: str, condition: dict[str, Any] | None) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
            **({"Condition": condition} if condition else {})}


_ACCOUNT_CONDITION = {"StringEquals": {"aws:SourceAccount": "111122223333"}}
pair(_UNSENT, [_role("trail-logs", trust=_service_trust("cloudtrail.amazonaws.com", _ACCOUNT_CONDITION))],
     [_role("trail-logs", trust=_service_trust("cloudtrail.amazonaws.com", None))], label="cloudtrail-logs-role")
pair(_UNSENT, [_role("node", trust=_service_trust("ec2.amazonaws.com", {
    "ArnLike": {"aws:SourceArn": "arn:aws:ec2:eu-west-1:111122223333:instance/*"}}))],
     [_role("dlm", trust=_service_trust("dlm.amazonaws.com", {
         **_ACCOUNT_CONDITION, "ArnLike": {"aws:SourceArn": "arn:aws:dlm:eu-west-1:111122223333:policy/*"}}))],
     label="ec2-none-dlm-both")
one(_UNSENT, "if-exists-tolerates-absence", [_role("trail-logs", trust=_service_trust(
    "cloudtrail.amazonaws.com", {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}))], False)

_FORCE_DELETE = "rustfs-secretsmanager-secret-require-force-delete-outside-prod"
pair(_FORCE_DELETE, [Spec(SECRET, "s", {"name": "rustfs/dev/root-credentials", "recoveryWindowInDays": 7})],
     [Spec(SECRET, "s", {"name": "rustfs/dev/root-credentials", "recoveryWindowInDays": 0})])
one(_FORCE_DELETE, "aws-default-window", [Spec(SECRET, "s", {"name": "rustfs/dev/root-credentials"})], True)
one(_FORCE_DELETE, "name-prefix", [Spec(SECRET, "s", {"namePrefix": "rustfs/dev/", "recoveryWindowInDays": 7})],
    False)
one(_FORCE_DELETE, "prod-keeps-its-window", [Spec(SECRET, "s", {"name": "rustfs/prod/root-credentials",
                                                                "recoveryWindowInDays": 30})], False, env="prod")

_FORCE_DESTROY = "rustfs-s3-bucket-require-force-destroy-outside-prod"
pair(_FORCE_DESTROY, [Spec(BUCKET, "logs", {"bucket": "rustfs-dev-logs"})],
     [Spec(BUCKET, "logs", {"bucket": "rustfs-dev-logs", "forceDestroy": True})])
one(_FORCE_DESTROY, "prod-keeps-its-data", [Spec(BUCKET, "logs", {"bucket": "rustfs-prod-logs"})], False, env="prod")

_USER_DATA_SIZE = "rustfs-ec2-launchtemplate-disallow-oversized-user-data"
_LT = "aws:ec2/launchTemplate:LaunchTemplate"
pair(_USER_DATA_SIZE, [Spec(_LT, "node", {"userData": base64.b64encode(b"#" * 16_385).decode()})],
     [Spec(_LT, "node", {"userData": base64.b64encode(b"#" * 16_384).decode()})], label="at-the-limit")
pair(_USER_DATA_SIZE, [Spec("aws:ec2/instance:Instance", "i", {"userData": "#" * 16_385})],
     [Spec("aws:ec2/instance:Instance", "i", {"userData": "#" * 16_384})], label="instance-text")

# ---- Run Command documents (issue 9 §6: restart documents; components/operations/restart_documents.py) ----
SSM_DOCUMENT = "aws:ssm/document:Document"


def command_document(parameter: dict[str, Any], **props: Any) -> Spec:
    content = {"schemaVersion": "2.2", "description": "restart", "parameters": {"Phase": parameter},
               "mainSteps": [{"action": "aws:runShellScript", "name": "restart",
                              "inputs": {"runCommand": ["#!/bin/bash", 'phase="{{ Phase }}"']}}]}
    return Spec(SSM_DOCUMENT, "restart", {"documentType": "Command", "documentFormat": "JSON",
                                          "content": json.dumps(content), **props})


CONSTRAINED = {"type": "String", "allowedValues": ["stop", "start"]}
pair("rustfs-ssm-document-disallow-public-sharing",
     [command_document(CONSTRAINED, permissions={"type": "Share", "account_ids": "All"})],
     [command_document(CONSTRAINED, permissions={"type": "Share", "account_ids": "111122223333"})])
one("rustfs-ssm-document-disallow-public-sharing", "among-named-accounts",
    [command_document(CONSTRAINED, permissions={"type": "Share", "account_ids": "111122223333, all"})], True)
one("rustfs-ssm-document-disallow-public-sharing", "not-shared", [command_document(CONSTRAINED)], False)
pair("rustfs-ssm-document-require-constrained-parameters", [command_document({"type": "String"})],
     [command_document(CONSTRAINED)])
one("rustfs-ssm-document-require-constrained-parameters", "digits-only-pattern",
    [command_document({"type": "String", "allowedPattern": "^[0-9]{1,4}$"})], False)

# ---- issue 12: patching one node at a time, Session Manager the only shell (components/operations/) ----
_MW_TASK, _MW_TARGET = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", \
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
_NODES_TARGET = Spec(_MW_TARGET, "nodes", {"resourceType": "INSTANCE", "windowId": "mw-0123456789abcdef0",
                                           "targets": [{"key": "tag:rustfs:cluster", "values": ["rustfs-dev"]}]})


def _window_task(concurrency: str, errors: str) -> Spec:
    return Spec(_MW_TASK, "patch", {"taskType": "RUN_COMMAND", "taskArn": "rustfs-dev-patch-node",
                                    "windowId": "mw-0123456789abcdef0", "maxConcurrency": concurrency,
                                    "maxErrors": errors, "targets": [{"key": "WindowTargetIds", "values": ["t"]}]},
                deps={"targets": ["nodes"]})


_ONE_NODE = "rustfs-ssm-maintenancewindowtask-require-one-node-at-a-time"
pair(_ONE_NODE, [_NODES_TARGET, _window_task("2", "0")], [_NODES_TARGET, _window_task("1", "0")])
one(_ONE_NODE, "goes-on-after-a-failure", [_NODES_TARGET, _window_task("1", "1")], True)
one(_ONE_NODE, "percent-of-the-nodes", [_NODES_TARGET, _window_task("50%", "0")], True)
one(_ONE_NODE, "not-storage-nodes", [Spec(_MW_TARGET, "nodes", {"resourceType": "INSTANCE", "targets": [
    {"key": "tag:role", "values": ["web"]}]}), _window_task("10", "5")], False)
pair("rustfs-ssm-maintenancewindow-disallow-unassociated-targets",
     [Spec("aws:ssm/maintenanceWindow:MaintenanceWindow", "w", {"allowUnassociatedTargets": True, "duration": 4,
                                                               "cutoff": 1, "schedule": "cron(0 4 ? * SUN *)"})],
     [Spec("aws:ssm/maintenanceWindow:MaintenanceWindow", "w", {"allowUnassociatedTargets": False, "duration": 4,
                                                               "cutoff": 1, "schedule": "cron(0 4 ? * SUN *)"})])


def _baseline(*rules: dict) -> Spec:
    return Spec("aws:ssm/patchBaseline:PatchBaseline", "al2023", {"operatingSystem": "AMAZON_LINUX_2023",
                                                                  "approvalRules": list(rules)})


_SECURITY = [{"key": "CLASSIFICATION", "values": ["Security"]}]
_DELAY = "rustfs-ssm-patchbaseline-require-approval-delay"
pair(_DELAY, [_baseline({"patchFilters": _SECURITY})], [_baseline({"approveAfterDays": 0, "patchFilters": _SECURITY})])
one(_DELAY, "shorter-than-the-stacks-minimum", [_baseline({"approveAfterDays": 3, "patchFilters": _SECURITY})], True,
    config={_DELAY: {"minApproveAfterDays": 7}})
one(_DELAY, "a-week-in-prod", [_baseline({"approveAfterDays": 7, "patchFilters": _SECURITY})], False,
    config={_DELAY: {"minApproveAfterDays": 7}})


def _session_document(name: str = "rustfs-dev-session-shell", **inputs: Any) -> Spec:
    content = {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {
        "cloudWatchLogGroupName": "/rustfs/rustfs-dev/sessions", "cloudWatchEncryptionEnabled": True,
        "cloudWatchStreamingEnabled": True, "kmsKeyId": KEY, "s3BucketName": "", "s3EncryptionEnabled": True,
        **inputs}}
    return Spec(SSM_DOCUMENT, name, {"name": name, "documentType": "Session", "documentFormat": "JSON",
                                     "content": json.dumps(content)})


_SESSIONS = "rustfs-ssm-document-require-encrypted-session-logging"
pair(_SESSIONS, [_session_document(cloudWatchEncryptionEnabled=False)], [_session_document()])
one(_SESSIONS, "not-logged", [_session_document(cloudWatchLogGroupName="")], True)
one(_SESSIONS, "stream-not-encrypted", [_session_document(kmsKeyId="")], True)
one(_SESSIONS, "s3-unencrypted", [_session_document(s3BucketName="rustfs-dev-logs", s3EncryptionEnabled=False)], True)
one(_SESSIONS, "a-command-document", [command_document(CONSTRAINED)], False)
one(_OWNER, "session-preferences-without-owner", [_session_document("SSM-SessionManagerRunShell")], True,
    config={_OWNER: {"accountOwners": ["rustfs-aws/prod"]}})
one(_OWNER, "the-stacks-own-session-document", [_session_document()], False,
    config={_OWNER: {"accountOwners": ["rustfs-aws/prod"]}})
one(_OWNER, "session-preferences-of-the-owner", [_session_document("SSM-SessionManagerRunShell")], False,
    config={_OWNER: {"accountOwners": ["rustfs-aws/dev"]}})

_SSH_KEY = "rustfs-ec2-instance-disallow-ssh-key-pair"
pair(_SSH_KEY, [Spec(LT, "node", {"keyName": "ops"})], [Spec(LT, "node", {"instanceType": "m6i.large"})])
one(_SSH_KEY, "instance-with-key", [Spec(INSTANCE, "i", {"keyName": "ops"})], True)
one(_SSH_KEY, "key-pair", [Spec("aws:ec2/keyPair:KeyPair", "ops", {"publicKey": "ssh-ed25519 AAAA"})], True)
_SSH_PORT = "rustfs-ec2-securitygroup-disallow-ssh-port"
pair(_SSH_PORT, [Spec(INGRESS, "ssh", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                                       "cidrIpv4": "10.0.0.0/8"})],
     [Spec(INGRESS, "s3", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 9000, "toPort": 9000,
                           "cidrIpv4": "10.0.0.0/8"})])
one(_SSH_PORT, "range-with-22-from-a-group", [Spec(SG, "sg", {"ingress": [
    {"protocol": "tcp", "fromPort": 20, "toPort": 25, "securityGroups": ["sg-2"], "description": "x"}]})], True)
one(_SSH_PORT, "all-traffic-between-nodes", [Spec(SG_RULE, "self", {"type": "ingress", "protocol": "-1",
                                                                   "fromPort": 0, "toPort": 0, "self": True})], False)
one(_SSH_PORT, "egress-22", [Spec(EGRESS, "out", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 22,
                                                  "toPort": 22, "cidrIpv4": "10.0.0.0/8"})], False)

# ---- issue 9 §9: a storage-node group never runs two instances (two would claim the same volumes) ----
SINGLE_NODE = "rustfs-autoscaling-group-require-single-storage-node-instance"
NODE_GROUP = {"minSize": 1, "maxSize": 1, "desiredCapacity": 1, "tags": NODE_TAG,
              "instanceMaintenancePolicy": {"minHealthyPercentage": 0, "maxHealthyPercentage": 100}}
pair(SINGLE_NODE, [Spec(ASG, "node", {**NODE_GROUP, "maxSize": 2})], [Spec(ASG, "node", NODE_GROUP)])
one(SINGLE_NODE, "launch-before-terminate",
    [Spec(ASG, "node", {**NODE_GROUP, "instanceMaintenancePolicy": {"minHealthyPercentage": 100,
                                                                    "maxHealthyPercentage": 200}})], True)
one(SINGLE_NODE, "warm-pool", [Spec(ASG, "node", {**NODE_GROUP, "warmPool": {"poolState": "Stopped"}})], True)
one(SINGLE_NODE, "capacity-rebalance", [Spec(ASG, "node", {**NODE_GROUP, "capacityRebalance": True})], True)
one(SINGLE_NODE, "not-a-storage-node", [Spec(ASG, "web", {**NODE_GROUP, "maxSize": 4, "tags": []})], False)
one(SINGLE_NODE, "size-unknown-at-preview", [Spec(ASG, "node", {**NODE_GROUP, "maxSize": UNKNOWN_VALUE})], False)

# ---- issue 9 §8: SSM document ARNs of their owner's shape (an account document's ARN names the account) ----
_DOCUMENT_ARN = "rustfs-iam-policy-require-ssm-document-arn-owner"
pair(_DOCUMENT_ARN, [Spec(ROLE_POLICY, "operator", {"role": "r", "policy": doc(allow(
    "ssm:StartSession", "arn:aws:ssm:eu-west-1::document/SSM-SessionManagerRunShell"))})],
     [Spec(ROLE_POLICY, "operator", {"role": "r", "policy": doc(allow("ssm:StartSession", [
         "arn:aws:ssm:eu-west-1:111122223333:document/SSM-SessionManagerRunShell",
         "arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSession"]))})])
one(_DOCUMENT_ARN, "aws-document-with-account", [Spec(ROLE_POLICY, "operator", {"role": "r", "policy": doc(allow(
    "ssm:SendCommand", "arn:aws:ssm:eu-west-1:111122223333:document/AWS-RunShellScript"))})], True)

# ---- issue 11: the EKS workload's Kubernetes policies (components/eks/workload.py) ----
_NS = "kubernetes:core/v1:Namespace"
_STS = "kubernetes:apps/v1:StatefulSet"
_PDB = "kubernetes:policy/v1:PodDisruptionBudget"
_POD_LABELS = {"app.kubernetes.io/name": "rustfs"}
_ZONE_SPREAD = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                 "labelSelector": {"matchLabels": _POD_LABELS}}]
_ONE_PER_HOST = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
    {"labelSelector": {"matchLabels": _POD_LABELS}, "topologyKey": "kubernetes.io/hostname"}]}}


def rustfs_statefulset(replicas: int = 4, env: list[dict[str, Any]] | None = None, **pod: Any) -> Spec:
    container = {"name": "rustfs", "image": "rustfs/rustfs:1.0.1", "env": env or []}
    return Spec(_STS, "rustfs", {"metadata": {"name": "rustfs", "namespace": "rustfs"}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": _POD_LABELS},
        "template": {"metadata": {"labels": _POD_LABELS}, "spec": {"containers": [container], **pod}}}})


def budget(namespace: str = "rustfs", max_unavailable: int = 1, labels: dict | None = None) -> Spec:
    return Spec(_PDB, "rustfs-pdb", {"metadata": {"name": "rustfs", "namespace": namespace}, "spec": {
        "maxUnavailable": max_unavailable, "selector": {"matchLabels": labels or _POD_LABELS}}})


_NS_POLICY = "rustfs-kubernetes-namespace-require-restricted-pod-security"
pair(_NS_POLICY, [Spec(_NS, "rustfs", {"metadata": {"name": "rustfs"}})],
     [Spec(_NS, "rustfs", {"metadata": {"name": "rustfs", "labels": {
         "pod-security.kubernetes.io/enforce": "restricted"}}})])
one(_NS_POLICY, "baseline-only", [Spec(_NS, "rustfs", {"metadata": {"name": "rustfs", "labels": {
    "pod-security.kubernetes.io/enforce": "baseline"}}})], True)

_PDB_POLICY = "rustfs-kubernetes-statefulset-require-disruption-budget"
pair(_PDB_POLICY, [rustfs_statefulset()], [rustfs_statefulset(), budget()])
one(_PDB_POLICY, "budget-in-another-namespace", [rustfs_statefulset(), budget(namespace="other")], True)
one(_PDB_POLICY, "budget-selects-other-pods", [rustfs_statefulset(), budget(labels={"app": "web"})], True)
one(_PDB_POLICY, "two-down-at-once", [rustfs_statefulset(), budget(max_unavailable=2)], True)
one(_PDB_POLICY, "single-pod", [rustfs_statefulset(replicas=1)], False)

_SPREAD_POLICY = "rustfs-kubernetes-statefulset-require-zone-spread"
pair(_SPREAD_POLICY, [rustfs_statefulset(affinity=_ONE_PER_HOST)],
     [rustfs_statefulset(topologySpreadConstraints=_ZONE_SPREAD, affinity=_ONE_PER_HOST)])
one(_SPREAD_POLICY, "schedule-anyway", [rustfs_statefulset(topologySpreadConstraints=[
    {**_ZONE_SPREAD[0], "whenUnsatisfiable": "ScheduleAnyway"}], affinity=_ONE_PER_HOST)], True)
one(_SPREAD_POLICY, "two-pods-per-host", [rustfs_statefulset(topologySpreadConstraints=_ZONE_SPREAD)], True)

_ENV_POLICY = "rustfs-kubernetes-pod-disallow-plaintext-secret-env"
pair(_ENV_POLICY, [rustfs_statefulset(env=[{"name": "RUSTFS_SECRET_KEY", "value": "s3cr3t"}])],
     [rustfs_statefulset(env=[{"name": "RUSTFS_SECRET_KEY", "valueFrom": {"secretKeyRef": {
         "name": "rustfs-root-credentials", "key": "RUSTFS_SECRET_KEY"}}}, {"name": "RUSTFS_REGION",
                                                                           "value": "us-east-1"}])])
one(_ENV_POLICY, "access-key", [rustfs_statefulset(env=[{"name": "RUSTFS_ACCESS_KEY", "value": "AKIA"}])], True)

# ---- issue 11: the EKS cluster's node groups (components/eks/platform.py) ----
_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
_STORAGE_LABELS = {"rustfs.io/storage": "true"}


def eks_node_group(template: str | None = "eks-nodes", subnets: int = 1, labels: dict | None = None,
                   deps: bool = True) -> Spec:
    props: dict[str, Any] = {"clusterName": "rustfs-eks", "subnetIds": [f"subnet-{i}" for i in range(subnets)],
                             "labels": _STORAGE_LABELS if labels is None else labels,
                             "scalingConfig": {"desiredSize": 2, "minSize": 2, "maxSize": 2}}
    if template is not None:
        props["launchTemplate"] = {"id": template, "version": "1"}
    return Spec(_NODE_GROUP, "nodes-1", props, {"launchTemplate": [template]} if template and deps else {})


_EKS_TEMPLATE = Spec(LT, "eks-nodes", {"metadataOptions": GOOD_IMDS})
_NG_TEMPLATE = "rustfs-eks-nodegroup-require-stack-launch-template"
pair(_NG_TEMPLATE, [eks_node_group(template=None)], [_EKS_TEMPLATE, eks_node_group()])
one(_NG_TEMPLATE, "template-of-another-stack", [_EKS_TEMPLATE, eks_node_group(template="lt-0other", deps=False)],
    True)

_NG_ZONE = "rustfs-eks-nodegroup-require-single-az-storage-nodes"
pair(_NG_ZONE, [_EKS_TEMPLATE, eks_node_group(subnets=3)], [_EKS_TEMPLATE, eks_node_group(subnets=1)])
one(_NG_ZONE, "system-nodes-may-span-azs", [_EKS_TEMPLATE, eks_node_group(subnets=3, labels={})], False)

# ---- issue 11: an EKS node group's launch template carries no instance profile (EKS refuses one) ----
_PROFILE = "rustfs-ec2-instance-require-instance-profile"
one(_PROFILE, "ec2-launch-template-without-profile", [Spec(LT, "n", {"metadataOptions": GOOD_IMDS})], True)
one(_PROFILE, "eks-node-group-template-without-profile", [_EKS_TEMPLATE, eks_node_group()], False)
one(_PROFILE, "eks-node-group-by-known-id", [_EKS_TEMPLATE, eks_node_group(deps=False)], False)
one(_PROFILE, "other-template-next-to-eks-one", [_EKS_TEMPLATE, eks_node_group(), Spec(LT, "other")], True)

# ---- EKS mode: the StorageClass's volumes are snapshotted by the stack's DLM policy ----
_SC_SNAPSHOTS = "rustfs-kubernetes-storageclass-require-snapshots"


def _ebs_class(*tags: str) -> Spec:
    params = {"type": "gp3", **{f"tagSpecification_{i}": t for i, t in enumerate(tags, start=1)}}
    return Spec("kubernetes:storage.k8s.io/v1:StorageClass", "data", {"provisioner": "ebs.csi.aws.com",
                                                                       "parameters": params})


_CLUSTER_DLM = Spec("aws:dlm/lifecyclePolicy:LifecyclePolicy", "snap", {"state": "ENABLED", "policyDetails": {
    "resourceTypes": ["VOLUME"], "targetTags": {"rustfs:cluster": "rustfs-eks"}}})
pair(_SC_SNAPSHOTS, [_ebs_class("rustfs:stack=eks"), _CLUSTER_DLM],
     [_ebs_class("rustfs:stack=eks", "rustfs:cluster=rustfs-eks"), _CLUSTER_DLM])
one(_SC_SNAPSHOTS, "no-lifecycle-policy", [_ebs_class("rustfs:cluster=rustfs-eks")], True)
one(_SC_SNAPSHOTS, "disabled-policy", [_ebs_class("rustfs:cluster=rustfs-eks"), Spec(
    _CLUSTER_DLM.type, "snap", {**_CLUSTER_DLM.props, "state": "DISABLED"})], True)
one(_SC_SNAPSHOTS, "other-clusters-value", [_ebs_class("rustfs:cluster=rustfs-prod"), _CLUSTER_DLM], True)
one(_SC_SNAPSHOTS, "backup-selection", [_ebs_class("backup=daily"), Spec(
    "aws:backup/selection:Selection", "sel", {"selectionTags": [
        {"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]})], False)
one(_SC_SNAPSHOTS, "not-ebs", [Spec("kubernetes:storage.k8s.io/v1:StorageClass", "efs", {
    "provisioner": "efs.csi.aws.com", "parameters": {}})], False)

# ---- EKS mode: the RustFS image pinned by digest (advisory; policies/config/prod.json makes it mandatory) ----
_DIGEST_POLICY = "rustfs-kubernetes-pod-require-image-digest"


def _sts_image(image: str) -> Spec:
    return Spec("kubernetes:apps/v1:StatefulSet", "rustfs", {"spec": {"template": {"spec": {
        "containers": [{"name": "rustfs", "image": image}]}}}})


pair(_DIGEST_POLICY, [_sts_image("rustfs/rustfs:1.0.1")], [_sts_image("rustfs/rustfs:1.0.1@sha256:" + "0" * 64)])
one(_DIGEST_POLICY, "short-digest", [_sts_image("rustfs/rustfs:1.0.1@sha256:abc")], True)
one(_DIGEST_POLICY, "latest", [_sts_image("rustfs/rustfs")], True)
one(_DIGEST_POLICY, "allowed-by-config", [_sts_image("registry.local/tools:dev")], False,
    config={_DIGEST_POLICY: {"allowedUnpinned": ["^registry\\.local/"]}})

# ---- EKS mode: the S3 endpoint shared through VPC Lattice (eks.lattice) ----
_SN_AUTH = "rustfs-vpclattice-servicenetwork-require-iam-auth"
_SN = "aws:vpclattice/serviceNetwork:ServiceNetwork"
pair(_SN_AUTH, [Spec(_SN, "s3", {"name": "rustfs-eks-s3", "authType": "NONE"})],
     [Spec(_SN, "s3", {"name": "rustfs-eks-s3", "authType": "AWS_IAM"})])
one(_SN_AUTH, "auth-type-left-to-the-default", [Spec(_SN, "s3", {"name": "rustfs-eks-s3"})], True)
one(_SN_AUTH, "unknown-at-preview", [Spec(_SN, "s3", {"name": "rustfs-eks-s3", "authType": UNKNOWN_VALUE})], False)

# ---- composite alarms, dashboards, X-Ray (policies/rustfs_guardrails/observability.py) ----
_COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
_OPS = "arn:aws:sns:eu-west-1:111122223333:ops"
pair("rustfs-cloudwatch-compositealarm-require-actions",
     [Spec(_COMPOSITE, "degraded", {"alarmName": "rustfs-dev-cluster-degraded", "alarmRule": 'ALARM("a")'})],
     [Spec(_COMPOSITE, "degraded", {"alarmName": "rustfs-dev-cluster-degraded", "alarmRule": 'ALARM("a")',
                                    "alarmActions": [_OPS], "okActions": [_OPS]})])
one("rustfs-cloudwatch-compositealarm-require-actions", "actions-disabled", [Spec(_COMPOSITE, "degraded", {
    "alarmRule": 'ALARM("a")', "alarmActions": [_OPS], "actionsEnabled": False})], True)

_DASH = "aws:cloudwatch/dashboard:Dashboard"
_WIDGET = {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
    "region": "eu-west-1", "metrics": [["AWS/NetworkELB", "HealthyHostCount", "LoadBalancer", "net/lb/1"]]}}


def _dashboard(*widgets: dict) -> Spec:
    return Spec(_DASH, "cluster", {"dashboardName": "rustfs-dev-cluster", "dashboardBody": json.dumps(
        {"widgets": list(widgets)})})


pair("rustfs-cloudwatch-dashboard-restrict-size", [_dashboard(*[_WIDGET] * 501)], [_dashboard(_WIDGET)])
one("rustfs-cloudwatch-dashboard-restrict-size", "metric-widget-without-region", [_dashboard(
    {**_WIDGET, "properties": {"metrics": _WIDGET["properties"]["metrics"]}})], True)
one("rustfs-cloudwatch-dashboard-restrict-size", "too-many-metrics", [_dashboard(*[{**_WIDGET, "properties": {
    "region": "eu-west-1", "metrics": [["RustFS/dev", f"m{i}"] for i in range(400)]}}] * 7)], True)
one("rustfs-cloudwatch-dashboard-restrict-size", "body-unknown-at-preview", [Spec(_DASH, "cluster", {
    "dashboardName": "rustfs-dev-cluster", "dashboardBody": UNKNOWN_VALUE})], False)

_RULE = "aws:xray/samplingRule:SamplingRule"
_RULE_PROPS = {"ruleName": "rustfs-dev", "priority": 1000, "version": 1, "serviceName": "RustFS", "serviceType": "*",
               "host": "*", "httpMethod": "*", "urlPath": "*", "resourceArn": "*"}
pair("rustfs-xray-samplingrule-restrict-rate", [Spec(_RULE, "rule", {**_RULE_PROPS, "fixedRate": 1.0,
                                                                     "reservoirSize": 1})],
     [Spec(_RULE, "rule", {**_RULE_PROPS, "fixedRate": 0.01, "reservoirSize": 1})])
one("rustfs-xray-samplingrule-restrict-rate", "big-reservoir", [Spec(_RULE, "rule", {
    **_RULE_PROPS, "fixedRate": 0.01, "reservoirSize": 500})], True)
one("rustfs-xray-samplingrule-restrict-rate", "configured-bound", [Spec(_RULE, "rule", {
    **_RULE_PROPS, "fixedRate": 0.5, "reservoirSize": 1})], False,
    config={"rustfs-xray-samplingrule-restrict-rate": {"maxFixedRate": 0.5}})

_GROUP = "aws:xray/group:Group"
pair("rustfs-xray-group-require-filter", [Spec(_GROUP, "g", {"groupName": "rustfs-dev", "filterExpression": " "})],
     [Spec(_GROUP, "g", {"groupName": "rustfs-dev", "filterExpression": 'service("RustFS")',
                         "insightsConfiguration": {"insightsEnabled": False}})])
one("rustfs-xray-group-require-filter", "paid-insights", [Spec(_GROUP, "g", {
    "groupName": "rustfs-dev", "filterExpression": 'service("RustFS")',
    "insightsConfiguration": {"insightsEnabled": True}})], True)

_XRAY_KEY = "aws:xray/encryptionConfig:EncryptionConfig"
pair("rustfs-xray-encryptionconfig-require-kms", [Spec(_XRAY_KEY, "xray", {"type": "NONE"})],
     [Spec(_XRAY_KEY, "xray", {"type": "KMS", "keyId": KEY})])
one("rustfs-xray-encryptionconfig-require-kms", "kms-without-key", [Spec(_XRAY_KEY, "xray", {"type": "KMS"})], True)

# ---- EC2 Image Builder: the node image pipeline (policies/rustfs_guardrails/images.py) ----
_IB_DIST = "aws:imagebuilder/distributionConfiguration:DistributionConfiguration"
_IB_RECIPE = "aws:imagebuilder/imageRecipe:ImageRecipe"
_IB_INFRA = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
_IB_COMPONENT = "aws:imagebuilder/component:Component"
_IB_PIPELINE = "aws:imagebuilder/imagePipeline:ImagePipeline"


def _ib_distribution(*amis: dict[str, Any]) -> Spec:
    return Spec(_IB_DIST, "node", {"name": "rustfs-dev-node", "distributions": [
        {"region": region, "amiDistributionConfiguration": ami} for region, ami in
        zip(["eu-west-1", "eu-central-1"], amis, strict=False)]})


_IB_AMI = {"name": "rustfs-dev-node-{{ imagebuilder:buildDate }}"}
pair("rustfs-imagebuilder-distributionconfiguration-require-cmk", [_ib_distribution(_IB_AMI)],
     [_ib_distribution({**_IB_AMI, "kmsKeyId": KEY})])
one("rustfs-imagebuilder-distributionconfiguration-require-cmk", "copy-without-key",
    [_ib_distribution({**_IB_AMI, "kmsKeyId": KEY}, _IB_AMI)], True)
one("rustfs-imagebuilder-distributionconfiguration-require-cmk", "aws-managed-key",
    [_ib_distribution({**_IB_AMI, "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs"})], True)
one("rustfs-imagebuilder-distributionconfiguration-require-cmk", "key-unknown-at-preview",
    [_ib_distribution({**_IB_AMI, "kmsKeyId": UNKNOWN_VALUE})], False)


def _ib_recipe(*ebs: dict[str, Any]) -> Spec:
    return Spec(_IB_RECIPE, "node", {"name": "rustfs-dev-node", "version": "1.0.1", "parentImage": "arn:aws:"
                                     "imagebuilder:eu-west-1:aws:image/amazon-linux-2023-x86/x.x.x",
                                     "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": e} for e in ebs]})


_IB_VOLUMES = "rustfs-imagebuilder-imagerecipe-require-encrypted-volumes"
pair(_IB_VOLUMES, [_ib_recipe({"volumeSize": 30, "encrypted": "false"})],
     [_ib_recipe({"volumeSize": 30, "encrypted": "true", "kmsKeyId": KEY})])
one(_IB_VOLUMES, "inherits-the-parents-volumes", [_ib_recipe()], True)
one(_IB_VOLUMES, "default-key",
    [_ib_recipe({"volumeSize": 30, "encrypted": "true"})], True)


def _ib_infra(metadata: dict[str, Any] | None, terminate: Any = True, **props: Any) -> Spec:
    base = {"name": "rustfs-dev-node-build", "instanceProfileName": "rustfs-dev-image-build",
            "terminateInstanceOnFailure": terminate, **props}
    return Spec(_IB_INFRA, "build", {**base, **({"instanceMetadataOptions": metadata} if metadata else {})})


_IB_IMDS = "rustfs-imagebuilder-infrastructureconfiguration-require-imdsv2"
pair(_IB_IMDS, [_ib_infra({"httpTokens": "optional", "httpPutResponseHopLimit": 1})],
     [_ib_infra({"httpTokens": "required", "httpPutResponseHopLimit": 1})])
one(_IB_IMDS, "tokens-left-to-the-default", [_ib_infra(None)], True)
one(_IB_IMDS, "two-hops", [_ib_infra({"httpTokens": "required", "httpPutResponseHopLimit": 2})], True)
one(_IB_IMDS, "two-hops-for-containers", [_ib_infra({"httpTokens": "required", "httpPutResponseHopLimit": 2})], False,
    config={_IB_IMDS: {"maxHopLimit": 2}})
one(_IB_IMDS, "failed-builds-kept", [_ib_infra({"httpTokens": "required", "httpPutResponseHopLimit": 1}, None)], True)


def _ib_network(route: dict[str, list[str]], *, ingress: bool = False, subnet: bool = True) -> list[Spec]:
    """A subnet routed by ``route`` (its route's property dependencies), a group, and the build infrastructure."""
    specs = [
        Spec("aws:ec2/internetGateway:InternetGateway", "igw"),
        Spec("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": "subnet-0public"}),
        Spec("aws:ec2/subnet:Subnet", "build-subnet", {"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24"}),
        Spec("aws:ec2/routeTable:RouteTable", "build-routes", {"vpcId": "vpc-1"}),
        Spec("aws:ec2/routeTableAssociation:RouteTableAssociation", "build-association", {},
             {"subnetId": ["build-subnet"], "routeTableId": ["build-routes"]}),
        Spec("aws:ec2/route:Route", "build-default", {"destinationCidrBlock": "0.0.0.0/0"},
             {"routeTableId": ["build-routes"], **route}),
        Spec("aws:ec2/securityGroup:SecurityGroup", "build-group", {"vpcId": "vpc-1", "description": "builds"}),
        _ib_infra({"httpTokens": "required"}, **({"subnetId": "subnet-0build"} if subnet else {}),
                  securityGroupIds=["sg-0build"]),
    ]
    specs[-1].deps = {"securityGroupIds": ["build-group"], **({"subnetId": ["build-subnet"]} if subnet else {})}
    if ingress:
        specs.append(Spec("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "build-ssh",
                          {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "10.0.0.0/8"},
                          {"securityGroupId": ["build-group"]}))
    return specs


_IB_NET = "rustfs-imagebuilder-infrastructureconfiguration-require-private-network"
pair(_IB_NET, _ib_network({"gatewayId": ["igw"]}), _ib_network({"natGatewayId": ["nat"]}))
one(_IB_NET, "group-admits-inbound", _ib_network({"natGatewayId": ["nat"]}, ingress=True), True)
one(_IB_NET, "default-vpc", _ib_network({"natGatewayId": ["nat"]}, subnet=False), True)


def _ib_component(*downloads: dict[str, Any]) -> Spec:
    document = {"schemaVersion": 1.0, "phases": [{"name": "build", "steps": [
        {"name": "DownloadRustfs", "action": "WebDownload", "inputs": list(downloads)}]}]}
    return Spec(_IB_COMPONENT, "node", {"name": "rustfs-dev-node", "version": "1.0.1", "platform": "Linux",
                                        "data": json.dumps(document)})


_IB_ZIP = {"source": "https://github.com/rustfs/rustfs/releases/download/1.0.1/rustfs.zip",
           "destination": "/tmp/rustfs.zip"}
pair("rustfs-imagebuilder-component-require-verified-downloads", [_ib_component(_IB_ZIP)],
     [_ib_component({**_IB_ZIP, "algorithm": "SHA256", "checksum": "ab" * 32})])
one("rustfs-imagebuilder-component-require-verified-downloads", "md5",
    [_ib_component({**_IB_ZIP, "algorithm": "MD5", "checksum": "ab" * 16})], True)

pair("rustfs-imagebuilder-imagepipeline-require-image-tests",
     [Spec(_IB_PIPELINE, "node", {"name": "rustfs-dev-node", "imageTestsConfiguration": {"imageTestsEnabled": False}})],
     [Spec(_IB_PIPELINE, "node", {"name": "rustfs-dev-node", "imageTestsConfiguration": {"imageTestsEnabled": True,
                                                                                         "timeoutMinutes": 60}})])

# ---- issue 12: the node collector's parameter and association (components/observability/collector.py) ----
_SSM_PARAMETER, _SSM_ASSOCIATION = "aws:ssm/parameter:Parameter", "aws:ssm/association:Association"
_COLLECTOR_CONFIG = json.dumps({"exporters": {"awsemf/rustfs": {"region": "us-east-1", "namespace": "RustFS/dev",
                                                                "log_stream_name": "${env:RUSTFS_NODE_DIMENSION}"}}})


def _parameter(value: str, ptype: str = "String", tier: str = "Standard") -> Spec:
    # aws.ssm.Parameter's value is always a secret input: the engine sends it wrapped.
    return Spec(_SSM_PARAMETER, "collector-config", {"name": "/rustfs/rustfs-dev/collector/config", "type": ptype,
                                                     "tier": tier, "value": secret(value), "dataType": "text"})


_PARAMETER_SECRETS = "rustfs-ssm-parameter-disallow-plaintext-secrets"
pair(_PARAMETER_SECRETS,
     [_parameter(json.dumps({"extensions": {"sigv4auth": {"secret_key": "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY"}}}))],
     [_parameter(_COLLECTOR_CONFIG)])
one(_PARAMETER_SECRETS, "access-key-in-text", [_parameter("aws_access_key_id=AKIAIOSFODNN7EXAMPLE")], True)
one(_PARAMETER_SECRETS, "private-key-in-a-stringlist",
    [_parameter("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----", ptype="StringList")], True)
one(_PARAMETER_SECRETS, "a-reference-is-no-secret",
    [_parameter(json.dumps({"auth": {"token": "${env:TOKEN}", "secret_arn": "arn:aws:secretsmanager:us-east-1:"
                                                                            "111122223333:secret:x-AbCdEf"}}))], False)
one(_PARAMETER_SECRETS, "securestring", [_parameter(json.dumps({"password": "hunter2hunter2"}), "SecureString")],
    False)

_PARAMETER_TIER = "rustfs-ssm-parameter-disallow-needless-advanced-tier"
pair(_PARAMETER_TIER, [_parameter(_COLLECTOR_CONFIG, tier="Advanced")], [_parameter(_COLLECTOR_CONFIG)])
one(_PARAMETER_TIER, "over-4-kb", [_parameter(json.dumps({"k": "x" * 4100}), tier="Advanced")], False)


def _association(**props: Any) -> Spec:
    return Spec(_SSM_ASSOCIATION, "collector-apply", {
        "associationName": "rustfs-dev-collector", "name": "rustfs-dev-collector",
        "targets": [{"key": "tag:rustfs:cluster", "values": ["rustfs-dev"]}], "complianceSeverity": "HIGH",
        "scheduleExpression": "rate(30 minutes)", "maxConcurrency": "25%", "maxErrors": "1", **props})


_ASSOCIATION_TARGETS = "rustfs-ssm-association-require-scoped-targets"
pair(_ASSOCIATION_TARGETS, [_association(targets=[{"key": "InstanceIds", "values": ["*"]}])], [_association()])
one(_ASSOCIATION_TARGETS, "tag-key-of-every-cluster", [_association(targets=[
    {"key": "tag-key", "values": ["rustfs:cluster"]}])], True)
one(_ASSOCIATION_TARGETS, "wildcard-tag-value", [_association(targets=[
    {"key": "tag:rustfs:cluster", "values": ["rustfs-*"]}])], True)
one(_ASSOCIATION_TARGETS, "no-targets", [_association(targets=[])], True)
one(_ASSOCIATION_TARGETS, "named-instances", [_association(targets=[
    {"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}])], False)

_ASSOCIATION_SEVERITY = "rustfs-ssm-association-require-compliance-severity"
pair(_ASSOCIATION_SEVERITY, [_association(complianceSeverity="UNSPECIFIED")], [_association()])
one(_ASSOCIATION_SEVERITY, "not-set", [_association(complianceSeverity=None)], True)

_ASSOCIATION_SCHEDULE = "rustfs-ssm-association-disallow-frequent-schedule"
pair(_ASSOCIATION_SCHEDULE, [_association(scheduleExpression="cron(0/15 * * * ? *)")], [_association()])
one(_ASSOCIATION_SCHEDULE, "hourly-cron", [_association(scheduleExpression="cron(0 * * * ? *)")], False)
one(_ASSOCIATION_SCHEDULE, "slower-minimum-of-the-stack", [_association()], True,
    config={_ASSOCIATION_SCHEDULE: {"minMinutes": 60}})
one(_ASSOCIATION_SCHEDULE, "daily-meets-it", [_association(scheduleExpression="rate(1 day)")], False,
    config={_ASSOCIATION_SCHEDULE: {"minMinutes": 60}})

# ---- hybrid connectivity and CI federation (policies/rustfs_guardrails/hybrid.py) ----

VPN_CONNECTION, CUSTOMER_GATEWAY = "aws:ec2/vpnConnection:VpnConnection", "aws:ec2/customerGateway:CustomerGateway"
DX_GATEWAY = "aws:directconnect/gateway:Gateway"
DX_ASSOCIATION = "aws:directconnect/gatewayAssociation:GatewayAssociation"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def _vpn(**overrides: Any) -> Spec:
    """A VPN connection as components/hybrid/connectivity.py declares it, with ``overrides`` on top."""
    from rustfs_model.vpn import MODERN, TUNNELS, tunnel_key

    props: dict[str, Any] = {"type": "ipsec.1", "customerGatewayId": "cgw-0123456789abcdef0",
                             "vpnGatewayId": "vgw-0123456789abcdef0", "staticRoutesOnly": False,
                             "tunnel1PresharedKey": secret("k" + "a" * 40),
                             "tunnel2PresharedKey": secret("k" + "b" * 40)}
    for tunnel in TUNNELS:
        props.update({tunnel_key(tunnel, option): list(values) for option, values in MODERN.items()})
    props.update(overrides)
    return Spec(VPN_CONNECTION, "vpn", props)


_VPN_OPTIONS = "rustfs-ec2-vpnconnection-require-modern-tunnel-options"
pair(_VPN_OPTIONS, [_vpn(tunnel2IkeVersions=["ikev1", "ikev2"])], [_vpn()], label="ikev1-allowed")
one(_VPN_OPTIONS, "sha1-phase1", [_vpn(tunnel1Phase1IntegrityAlgorithms=["SHA1", "SHA2-256"])], True)
one(_VPN_OPTIONS, "aes-cbc-phase2", [_vpn(tunnel2Phase2EncryptionAlgorithms=["AES256"])], True)
one(_VPN_OPTIONS, "dh-group-2", [_vpn(tunnel1Phase1DhGroupNumbers=[2, 19])], True)
one(_VPN_OPTIONS, "rfc5114-group-24", [_vpn(tunnel2Phase2DhGroupNumbers=[24])], True)
one(_VPN_OPTIONS, "unset-means-every-value", [_vpn(tunnel2Phase2DhGroupNumbers=None)], True)
one(_VPN_OPTIONS, "unknown-in-preview", [_vpn(tunnel1Phase1DhGroupNumbers=UNKNOWN_VALUE)], False)
one(_VPN_OPTIONS, "a-subset-of-modern", [_vpn(tunnel1Phase1EncryptionAlgorithms=["AES256-GCM-16"],
                                              tunnel1Phase1DhGroupNumbers=[20])], False)

_CUSTOMER_GATEWAY = "rustfs-ec2-customergateway-require-routable-address"
pair(_CUSTOMER_GATEWAY, [Spec(CUSTOMER_GATEWAY, "cgw", {"type": "ipsec.1", "ipAddress": "10.1.2.3",
                                                       "bgpAsn": "65010"})],
     [Spec(CUSTOMER_GATEWAY, "cgw", {"type": "ipsec.1", "ipAddress": "100.20.30.40", "bgpAsn": "65010"})])
one(_CUSTOMER_GATEWAY, "documentation-range", [Spec(CUSTOMER_GATEWAY, "cgw", {
    "type": "ipsec.1", "ipAddress": "203.0.113.10", "bgpAsn": "65010"})], True)
one(_CUSTOMER_GATEWAY, "asn-reserved-in-eu-west-1", [Spec(CUSTOMER_GATEWAY, "cgw", {
    "type": "ipsec.1", "ipAddress": "100.20.30.40", "bgpAsn": "9059"})], True)
one(_CUSTOMER_GATEWAY, "private-vpn-over-direct-connect", [Spec(CUSTOMER_GATEWAY, "cgw", {
    "type": "ipsec.1", "ipAddress": "10.1.2.3", "bgpAsn": "65010"})], False,
    config={_CUSTOMER_GATEWAY: {"allowPrivateAddresses": True}})

_DX = "rustfs-directconnect-gateway-require-scoped-association"
_DX_GW = Spec(DX_GATEWAY, "dx", {"name": "rustfs-dev-dx", "amazonSideAsn": "64600"})


def _dx_association(prefixes: Any) -> Spec:
    return Spec(DX_ASSOCIATION, "dx-vgw", {"dxGatewayId": "dxgw-id", "associatedGatewayId": "vgw-0123456789abcdef0",
                                           "allowedPrefixes": prefixes}, {"dxGatewayId": ["dx"]})


pair(_DX, [_DX_GW, _dx_association(["0.0.0.0/0"])], [_DX_GW, _dx_association(["10.40.0.0/16"])],
     label="default-route")
one(_DX, "no-allowed-prefixes", [_DX_GW, _dx_association(None)], True)
one(_DX, "gateway-without-association", [_DX_GW], True)
one(_DX, "prefixes-unknown-in-preview", [_DX_GW, _dx_association(UNKNOWN_VALUE)], False)

_TGW = "rustfs-ec2transitgateway-transitgateway-disallow-implicit-attachments"
TRANSIT_GATEWAY = "aws:ec2transitgateway/transitGateway:TransitGateway"
_TGW_EXPLICIT = {"amazonSideAsn": 64512, "autoAcceptSharedAttachments": "disable",
                 "defaultRouteTableAssociation": "disable", "defaultRouteTablePropagation": "disable"}
pair(_TGW, [Spec(TRANSIT_GATEWAY, "tgw", {**_TGW_EXPLICIT, "autoAcceptSharedAttachments": "enable"})],
     [Spec(TRANSIT_GATEWAY, "tgw", _TGW_EXPLICIT)], label="auto-accept")
one(_TGW, "api-defaults-one-route-table", [Spec(TRANSIT_GATEWAY, "tgw", {"amazonSideAsn": 64512})], True)
one(_TGW, "propagation-left-on", [Spec(TRANSIT_GATEWAY, "tgw", {
    **_TGW_EXPLICIT, "defaultRouteTablePropagation": "enable"})], True)

_OIDC = "rustfs-iam-oidcprovider-require-sts-audience"
_GITHUB = "https://token.actions.githubusercontent.com"
pair(_OIDC, [Spec(OIDC_PROVIDER, "github", {"url": _GITHUB, "clientIdLists": ["sts.amazonaws.com", "api://other"]})],
     [Spec(OIDC_PROVIDER, "github", {"url": _GITHUB, "clientIdLists": ["sts.amazonaws.com"]})])
one(_OIDC, "no-audience", [Spec(OIDC_PROVIDER, "github", {"url": _GITHUB, "clientIdLists": []})], True)
one(_OIDC, "plain-http", [Spec(OIDC_PROVIDER, "idp", {"url": "http://idp.example.com", "clientIdLists": ["x"]})], True)
one(_OIDC, "another-provider-its-own-audience", [Spec(OIDC_PROVIDER, "idp", {
    "url": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "clientIdLists": ["sts.amazonaws.com", "x"]})], False)

_OIDC_TRUST = "rustfs-iam-role-require-oidc-subject-condition"
_GITHUB_PROVIDER_ARN = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"


def _github_trust(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"Federated": _GITHUB_PROVIDER_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}


_AUD = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
pair(_OIDC_TRUST, [_role("deploy", trust=_github_trust({"StringEquals": _AUD}))],
     [_role("deploy", trust=_github_trust({"StringEquals": {
         **_AUD, "token.actions.githubusercontent.com:sub": "repo:acme/rustfs-aws:environment:prod"}}))],
     label="audience-only")
one(_OIDC_TRUST, "any-repository", [_role("deploy", trust=_github_trust({
    "StringEquals": _AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}))], True)
one(_OIDC_TRUST, "any-repository-of-the-owner", [_role("deploy", trust=_github_trust({
    "StringEquals": _AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}))], True)
one(_OIDC_TRUST, "every-context-of-the-repository", [_role("deploy", trust=_github_trust({
    "StringEquals": _AUD, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/rustfs-aws:*"}}))],
    True)
one(_OIDC_TRUST, "no-audience", [_role("preview", trust=_github_trust({"StringEquals": {
    "token.actions.githubusercontent.com:sub": "repo:acme/rustfs-aws:pull_request"}}))], True)
one(_OIDC_TRUST, "pull-requests-of-the-repository", [_role("preview", trust=_github_trust({"StringEquals": {
    **_AUD, "token.actions.githubusercontent.com:sub": "repo:acme/rustfs-aws:pull_request"}}))], False)
one(_OIDC_TRUST, "a-service-role-is-no-oidc-role", [_role("node")], False)

# ---- issue 13: DataSync migration (components/migration/datasync.py) ----
_DS_TASK, _DS_STORE = "aws:datasync/task:Task", "aws:datasync/locationObjectStorage:LocationObjectStorage"
_DS_SMB, _DS_VERSION = "aws:datasync/locationSmb:LocationSmb", "aws:secretsmanager/secretVersion:SecretVersion"
_DS_GROUP = "arn:aws:logs:eu-west-1:111122223333:log-group:/rustfs/rustfs-dev/datasync"
_DS_AGENT = "arn:aws:datasync:eu-west-1:111122223333:agent/agent-0123456789abcdef0"


def _ds_task(**options: Any) -> Spec:
    props: dict[str, Any] = {"name": "rustfs-dev-photos", "taskMode": "BASIC", "cloudwatchLogGroupArn": _DS_GROUP,
                             "options": {"verifyMode": "POINT_IN_TIME_CONSISTENT", "logLevel": "BASIC", **options}}
    return Spec(_DS_TASK, "photos", props)


def _ds_store(**props: Any) -> Spec:
    return Spec(_DS_STORE, "rustfs", {"serverHostname": "s3.dev.rustfs.internal", "serverPort": 9000,
                                      "bucketName": "photos", "agentArns": [_DS_AGENT], **props})


_DS_LOGGING = "rustfs-datasync-task-require-logging"
pair(_DS_LOGGING, [_ds_task(logLevel="OFF")], [_ds_task()])
one(_DS_LOGGING, "no-log-group", [Spec(_DS_TASK, "photos", {"name": "rustfs-dev-photos", "options": {
    "logLevel": "BASIC"}})], True)
one(_DS_LOGGING, "level-left-at-default-off", [Spec(_DS_TASK, "photos", {
    "name": "rustfs-dev-photos", "cloudwatchLogGroupArn": _DS_GROUP})], True)
one(_DS_LOGGING, "transfer-level", [_ds_task(logLevel="TRANSFER")], False)

_DS_VERIFY = "rustfs-datasync-task-require-verification"
pair(_DS_VERIFY, [_ds_task(verifyMode="NONE")], [_ds_task()])
one(_DS_VERIFY, "only-files-transferred", [_ds_task(verifyMode="ONLY_FILES_TRANSFERRED")], False)
one(_DS_VERIFY, "default-is-point-in-time", [Spec(_DS_TASK, "photos", {"name": "rustfs-dev-photos"})], False)

_DS_HTTPS = "rustfs-datasync-locationobjectstorage-require-https"
pair(_DS_HTTPS, [_ds_store(serverProtocol="HTTP")], [_ds_store(serverProtocol="HTTPS")])
one(_DS_HTTPS, "provider-default-https", [_ds_store()], False)

_DS_CREDENTIALS = "rustfs-datasync-location-require-secrets-manager-credentials"
_ds_version = Spec(_DS_VERSION, "service-account-version", {"secretId": "rustfs/dev/migration/service-account",
                                                          "secretString": secret('{"secretKey": "x"}')})
pair(_DS_CREDENTIALS, [_ds_store(accessKey="AKIAEXAMPLEKEY", secretKey=secret("literal-secret-key"))],
     [_ds_version, Spec(_DS_STORE, "rustfs", {**_ds_store().props, "accessKey": "AKIAEXAMPLEKEY",
                                               "secretKey": secret("from-the-version")},
                        deps={"secretKey": ["service-account-version"], "accessKey": ["service-account-version"]})])
one(_DS_CREDENTIALS, "smb-password-literal", [Spec(_DS_SMB, "share", {
    "serverHostname": "10.1.2.3", "subdirectory": "/share", "user": "svc", "password": secret("hunter22"),
    "agentArns": [_DS_AGENT]})], True)
one(_DS_CREDENTIALS, "anonymous-store-has-no-secret", [_ds_store()], False)

# ---- integrations: the S3 tier's user and keys, replication, acceleration (policies/rustfs_guardrails/integrations.py)
_USER = "aws:iam/user:User"
_ACCESS_KEY = "aws:iam/accessKey:AccessKey"
_BOUNDARY_ARN = "arn:aws:iam::111122223333:policy/rustfs-dev-permissions-boundary"
pair("rustfs-iam-user-require-permissions-boundary", [Spec(_USER, "tier", {"name": "rustfs-dev-tier"})],
     [Spec(_USER, "tier", {"name": "rustfs-dev-tier", "permissionsBoundary": _BOUNDARY_ARN})])

_TIER_KEY = Spec(_ACCESS_KEY, "tier-key", {"user": "rustfs-dev-tier"})
_KEY_VERSION = Spec("aws:secretsmanager/secretVersion:SecretVersion", "tier-credentials",
                    {"secretId": "rustfs/dev/tier-credentials", "secretString": secret('{"secretKey": "x"}')},
                    {"secretString": ["tier-key"]})
pair("rustfs-iam-accesskey-require-secret-in-secrets-manager",
     [_TIER_KEY, _KEY_VERSION, Spec("aws:ssm/parameter:Parameter", "tier-key-copy", {
         "name": "/rustfs/dev/tier-key", "type": "String", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
         {"value": ["tier-key"]})],
     [_TIER_KEY, _KEY_VERSION])
one("rustfs-iam-accesskey-require-secret-in-secrets-manager", "kept-nowhere", [_TIER_KEY], True)

_REPLICA_KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ac"


def _replication_rule(**overrides: Any) -> dict[str, Any]:
    return {"id": "tier-to-replica", "status": "Enabled", "priority": 1, "filter": {"prefix": ""},
            "deleteMarkerReplication": {"status": "Enabled"},
            "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
            "destination": {"bucket": "arn:aws:s3:::rustfs-dev-replica",
                            "encryptionConfiguration": {"replicaKmsKeyId": _REPLICA_KEY}}, **overrides}


_RULES = "rustfs-s3-replication-require-delete-markers-and-kms"
pair(_RULES, [*B, sub("BucketReplicationConfig", "r", {"role": "arn:r", "rules": [_replication_rule(
    sourceSelectionCriteria={}, destination={"bucket": "arn:aws:s3:::rustfs-dev-replica"})]})],
     [*B, sub("BucketReplicationConfig", "r", {"role": "arn:r", "rules": [_replication_rule()]})])
one(_RULES, "delete-markers-not-replicated", [*B, sub("BucketReplicationConfig", "r", {"role": "arn:r", "rules": [
    _replication_rule(deleteMarkerReplication={"status": "Disabled"})]})], True)
one(_RULES, "delete-markers-kept-on-purpose", [*B, sub("BucketReplicationConfig", "r", {"role": "arn:r", "rules": [
    _replication_rule(deleteMarkerReplication={"status": "Disabled"})]})], False,
    config={_RULES: {"requireDeleteMarkers": False}})

_REPLICATION_ROLE_ARN = "arn:aws:iam::111122223333:role/rustfs-dev-replication"


def _replication(policy: str) -> list[Spec]:
    return [Spec(ROLE, "replication", {"name": "rustfs-dev-replication", "arn": _REPLICATION_ROLE_ARN,
                                       "assumeRolePolicy": doc({"Effect": "Allow", "Principal": {
                                           "Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"})}),
            Spec(ROLE_POLICY, "replication-policy", {"role": "rustfs-dev-replication", "policy": policy},
                 {"role": ["replication"]}),
            Spec(S3["BucketReplicationConfig"], "r", {"bucket": "rustfs-tier", "role": _REPLICATION_ROLE_ARN,
                                                      "rules": [_replication_rule()]}, {"role": ["replication"]})]


pair("rustfs-s3-replication-require-scoped-role",
     _replication(doc(allow(["s3:GetObjectVersionForReplication", "s3:ReplicateObject"], "*"),
                      allow("kms:Decrypt", "*"))),
     _replication(doc(allow(["s3:GetObjectVersionForReplication"], "arn:aws:s3:::rustfs-tier/*"),
                      allow(["s3:ReplicateObject", "s3:ReplicateDelete"], "arn:aws:s3:::rustfs-dev-replica/*"),
                      allow("kms:Encrypt", _REPLICA_KEY))))
one("rustfs-s3-replication-require-scoped-role", "every-bucket-of-the-account",
    _replication(doc(allow("s3:ReplicateObject", "arn:aws:s3:::*/*"))), True)

_ACCELERATE = "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration"


def _only_through(principal: Any) -> str:
    return doc({"Sid": "OnlyThroughTheGatewayEndpoint", "Effect": "Deny", "Principal": principal, "Action": "s3:*",
                "Resource": ["arn:aws:s3:::rustfs-tier", "arn:aws:s3:::rustfs-tier/*"],
                "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}})


pair("rustfs-s3-accelerate-disallow-on-endpoint-only-bucket",
     [Spec(S3["BucketPolicy"], "p", {"bucket": "rustfs-tier", "policy": _only_through("*")}),
      Spec(_ACCELERATE, "a", {"bucket": "rustfs-tier", "status": "Enabled"})],
     [Spec(S3["BucketPolicy"], "p", {"bucket": "rustfs-tier", "policy": _only_through(
         {"AWS": "arn:aws:iam::111122223333:user/rustfs/rustfs-dev-tier"})}),
      Spec(_ACCELERATE, "a", {"bucket": "rustfs-tier", "status": "Enabled"})])

# ---- dynamodb and the RustFS state (components/state/) ----
_TABLE = "aws:dynamodb/table:Table"
_CMK_PITR = {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}, "pointInTimeRecovery": {"enabled": True}}
pair("rustfs-dynamodb-table-require-cmk-and-pitr", [Spec(_TABLE, "t", {"pointInTimeRecovery": {"enabled": True}})],
     [Spec(_TABLE, "t", _CMK_PITR)])
one("rustfs-dynamodb-table-require-cmk-and-pitr", "aws-managed-key", [Spec(_TABLE, "t", {
    **_CMK_PITR, "serverSideEncryption": {"enabled": True, "kmsKeyArn": "alias/aws/dynamodb"}})], True)
one("rustfs-dynamodb-table-require-cmk-and-pitr", "no-pitr", [Spec(_TABLE, "t", {
    "serverSideEncryption": _CMK_PITR["serverSideEncryption"]})], True)
pair("rustfs-dynamodb-table-require-cmk-and-pitr", [Spec(_TABLE, "t", _CMK_PITR)],
     [Spec(_TABLE, "t", {**_CMK_PITR, "deletionProtectionEnabled": True})], env="prod", label="prod-deletion")


def _rustfs_state(policy_actions: list[str], **account: Any) -> str:
    """A desired-state document as components/state publishes it (rustfs_model.rustfs_state)."""
    from rustfs_model import rustfs_state
    statement = {"Effect": "Allow", "Action": policy_actions}
    if any(a.startswith("s3:") for a in policy_actions):
        statement["Resource"] = ["arn:aws:s3:::orders/*"]
    return rustfs_state.document_text(rustfs_state.document({
        "cluster": "rustfs-dev", "buckets": [{"name": "orders", "delete": False}],
        "policies": [{"name": "app", "document": {"Version": "2012-10-17", "Statement": [statement]},
                      "delete": False}],
        "serviceAccounts": [{"name": "app", "policy": "app", "delete": False, **account}]}))


_PARAMETER = "aws:ssm/parameter:Parameter"
_SA_SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rustfs/dev/service-accounts/app-AbCdEf"
_STATE_NAME = "/rustfs/rustfs-dev/state/desired"
pair("rustfs-ssm-parameter-require-safe-rustfs-state",
     [Spec(_PARAMETER, "p", {"name": _STATE_NAME, "type": "String", "insecureValue": _rustfs_state(
         ["admin:CreateServiceAccount"], secretArn=_SA_SECRET)})],
     [Spec(_PARAMETER, "p", {"name": _STATE_NAME, "type": "String", "insecureValue": _rustfs_state(
         ["s3:GetObject"], secretArn=_SA_SECRET)})])
one("rustfs-ssm-parameter-require-safe-rustfs-state", "secret-key-in-the-state", [Spec(_PARAMETER, "p", {
    "name": _STATE_NAME, "type": "String", "insecureValue": _rustfs_state(
        ["s3:GetObject"], secretArn=_SA_SECRET, secretKey="wJalrXUtnFEMI7K7MDENGbPxRfiCYEXAMPLEKEY1")})], True)
one("rustfs-ssm-parameter-require-safe-rustfs-state", "edited-by-hand", [Spec(_PARAMETER, "p", {
    "name": _STATE_NAME, "type": "String",
    "insecureValue": _rustfs_state(["s3:GetObject"], secretArn=_SA_SECRET).replace('"orders"', '"payroll"')})], True)
one("rustfs-ssm-parameter-require-safe-rustfs-state", "hidden-as-secret", [Spec(_PARAMETER, "p", {
    "name": _STATE_NAME, "type": "String", "value": _rustfs_state(["s3:GetObject"], secretArn=_SA_SECRET)})], True)


# --- VPC peering: the DR link (policies/rustfs_guardrails/peering.py) ---------------------------------------------
_PCX, _ACCEPTER = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection", \
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
_ROUTE, _RTB = "aws:ec2/route:Route", "aws:ec2/routeTable:RouteTable"
_PEER_REQUEST = {"id": "pcx-0123456789abcdef0", "vpcId": "vpc-own", "peerVpcId": "vpc-primary",
                 "peerRegion": "us-east-1"}
_ACCEPT = Spec(_ACCEPTER, "accept", {"vpcPeeringConnectionId": "pcx-0123456789abcdef0", "autoAccept": True},
               deps={"vpcPeeringConnectionId": ["pcx"]})
_ACCEPTER_POLICY = "rustfs-ec2-vpcpeeringconnection-require-accepter"
pair(_ACCEPTER_POLICY, [Spec(_PCX, "pcx", {**_PEER_REQUEST, "autoAccept": True})],
     [Spec(_PCX, "pcx", {**_PEER_REQUEST, "autoAccept": False}), _ACCEPT])
one(_ACCEPTER_POLICY, "never-accepted", [Spec(_PCX, "pcx", {**_PEER_REQUEST, "autoAccept": False})], True)
one(_ACCEPTER_POLICY, "accepter-without-auto-accept", [Spec(_PCX, "pcx", _PEER_REQUEST), Spec(
    _ACCEPTER, "accept", {"vpcPeeringConnectionId": "pcx-0123456789abcdef0"},
    deps={"vpcPeeringConnectionId": ["pcx"]})], True)
one(_ACCEPTER_POLICY, "same-region-auto-accept", [Spec(_PCX, "pcx", {
    "id": "pcx-1", "vpcId": "vpc-own", "peerVpcId": "vpc-other", "autoAccept": True})], False)


def _peered(*routes: Spec, extra: list[Spec] | None = None) -> list[Spec]:
    """The DR VPC (10.60.0.0/16), its private route table and a connection, plus the routes and rules given."""
    return [Spec(VPC, "vpc", {"id": "vpc-own", "cidrBlock": "10.60.0.0/16"}),
            Spec(_RTB, "private", {"id": "rtb-own", "vpcId": "vpc-own"}, deps={"vpcId": ["vpc"]}),
            Spec(_PCX, "pcx", {**_PEER_REQUEST, "autoAccept": False}, deps={"vpcId": ["vpc"]}), _ACCEPT,
            *routes, *(extra or [])]


def _peer_route(name: str, table: str, destination: str, *, own: bool) -> Spec:
    return Spec(_ROUTE, name, {"routeTableId": table, "destinationCidrBlock": destination,
                               "vpcPeeringConnectionId": "pcx-0123456789abcdef0"},
                deps={"routeTableId": ["private"] if own else [], "vpcPeeringConnectionId": ["accept"]})


_TO_PRIMARY = _peer_route("to-primary", "rtb-own", "10.50.0.0/16", own=True)
_FROM_PRIMARY = _peer_route("from-primary", "rtb-primary", "10.60.0.0/16", own=False)
_ROUTES_POLICY = "rustfs-ec2-route-restrict-peering-destination"
pair(_ROUTES_POLICY, _peered(_peer_route("default", "rtb-own", "0.0.0.0/0", own=True)),
     _peered(_TO_PRIMARY, _FROM_PRIMARY))
one(_ROUTES_POLICY, "own-vpc-range", _peered(_peer_route("shadow", "rtb-own", "10.60.8.0/24", own=True)), True)
one(_ROUTES_POLICY, "peer-table-sends-another-range", _peered(
    _TO_PRIMARY, _peer_route("back", "rtb-primary", "10.70.0.0/16", own=False)), True)


def _rule(kind: str, name: str, group: str, cidr: str, protocol: str = "tcp", port: int = 9000, *,
          own: bool) -> Spec:
    return Spec(kind, name, {"securityGroupId": group, "ipProtocol": protocol, "fromPort": port, "toPort": port,
                             "cidrIpv4": cidr}, deps={"securityGroupId": ["nodes"] if own else []})


_NODES_SG = Spec(SG, "nodes", {"id": "sg-own", "vpcId": "vpc-own"}, deps={"vpcId": ["vpc"]})
_RULES_POLICY = "rustfs-vpc-securitygrouprule-restrict-peer-traffic"
pair(_RULES_POLICY,
     _peered(_TO_PRIMARY, extra=[_NODES_SG, _rule(INGRESS, "all-from-primary", "sg-own", "10.50.0.0/19", "-1", -1,
                                                  own=True)]),
     _peered(_TO_PRIMARY, _FROM_PRIMARY, extra=[
         _NODES_SG, _rule(INGRESS, "s3-from-primary", "sg-own", "10.50.0.0/19", own=True),
         _rule(EGRESS, "s3-to-primary", "sg-own", "10.50.0.0/19", own=True),
         _rule(EGRESS, "https-nat", "sg-own", "0.0.0.0/0", port=443, own=True),  # wider than the peer: not its rule
         _rule(INGRESS, "primary-nodes-from-dr", "sg-primary", "10.60.0.0/19", own=False)]))
one(_RULES_POLICY, "peer-group-ssh", _peered(_TO_PRIMARY, extra=[
    _NODES_SG, _rule(INGRESS, "ssh-on-primary", "sg-primary", "10.60.0.0/19", port=22, own=False)]), True)
one(_RULES_POLICY, "peer-group-wider-range", _peered(_TO_PRIMARY, extra=[
    _NODES_SG, _rule(INGRESS, "primary-from-anywhere", "sg-primary", "10.0.0.0/8", own=False)]), True)
