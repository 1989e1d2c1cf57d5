"""A realistic fake of AWS for running the program offline under ``pulumi.runtime.set_mocks``.

Resource ids follow each type's real format (``vpc-0123…``, ``subnet-…``, ``i-…``, ``vol-…``), ARNs carry
the partition, region and a fixed account id, and the outputs components read (``arn``, ``id``, ``dnsName``,
``zoneId``…) are filled in. Ids are derived from the resource's name, so two runs give the same ids.
A resource type or an invoke this fake does not know fails loudly: add it here rather than let a
component read an output that would silently be missing.
"""

from __future__ import annotations

import hashlib
import string

import pulumi

from . import (
    fake_datasync,
    fake_delivery,
    fake_dynamodb,
    fake_edge,
    fake_eks,
    fake_hybrid,
    fake_imagebuilder,
    fake_integrations,
    fake_logs_kms,
    fake_monitoring,
    fake_peering,
    fake_ssm,
    fake_ssm_config,
)
from .fake_account import ACCOUNT_ID, SERVICE_LINKED_ROLES, FakeAccount, get_role, get_roles
from .fake_limits import check_max_session_duration, checked_user_data
from .fake_monitoring import recorded_alarm
from .fake_operations import checked_alarm, ssm_document
from .fake_quotas import QuotaWorld, instance_type
from .fake_stack_refs import STACK_REFERENCE, StackOutputs
from .fake_usage import get_eips, get_lbs, get_vpcs
from .fake_zones import REGION_AZS, UnknownToFake, ZoneWorld

PARTITION = "aws"

# The public SSM parameters for Amazon Linux 2023 (AL2023 User Guide, "Finding the AL2023 AMI").
AL2023_PARAMETERS = {
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "x86_64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64": "arm64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64": "x86_64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64": "arm64",
}


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _fake_secret(name: str, length: int, alphabet: str) -> str:
    """A recognisable, deterministic stand-in for a generated secret."""
    digest = hashlib.sha256(f"secret/{name}".encode()).digest() * (length // 32 + 2)
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


class FakeAws(pulumi.runtime.Mocks):
    def __init__(self, region: str, account_id: str = ACCOUNT_ID, partition: str = PARTITION,
                 new_stack: bool = False, *, account: FakeAccount | None = None,
                 impaired_zone_ids: frozenset[str] = frozenset(),
                 endpoint_gaps: dict[str, set[str]] | None = None, absent_services: frozenset[str] = frozenset(),
                 quotas: dict[str, float] | None = None, quotas_readable: bool = True,
                 region_quotas: dict[str, dict[str, float]] | None = None):
        """``impaired_zone_ids``: zones in state ``unavailable``; ``endpoint_gaps``: endpoint service -> zone IDs
        that do not offer it; ``absent_services``: endpoint services the region lacks (preflight/fake_zones.py).
        ``quotas``: the account's applied service quotas by code (others answer AWS's default);
        ``quotas_readable``: False when the caller may not read them; ``region_quotas``: another Region's applied
        quotas, read with the data source's ``region`` (preflight/fake_quotas.py)."""
        if region not in REGION_AZS:
            raise UnknownToFake(f"the fake AWS knows regions {', '.join(REGION_AZS)}, not {region!r}; "
                                "add its AZ names and IDs to preflight/fake_zones.py")
        self.region = region
        self.zones = ZoneWorld(region, account_id, impaired_zone_ids=frozenset(impaired_zone_ids),
                               endpoint_gaps=endpoint_gaps, absent_services=frozenset(absent_services),
                               default_account=ACCOUNT_ID)
        self.account_id = account_id
        # The account's singletons, shared between program runs that deploy into one account
        # (preflight/fake_account.py); default: a fresh account that takes the stack's `existing` on trust.
        self.account = account if account is not None else FakeAccount(account_id, trust_existing=True)
        if self.account.account_id != account_id:
            raise ValueError(f"FakeAws account_id {account_id} differs from its FakeAccount's "
                             f"{self.account.account_id}")
        self.partition = partition
        self.quotas = QuotaWorld(region, account_id, partition, quotas, quotas_readable, region_quotas)
        self._provider_regions: dict[str, str] = {}  # provider id -> its region (e.g. a backup-copy region)
        # A preview of a stack that does not exist yet: providers answer with the inputs only, so ids, ARNs
        # and every other computed output are unknown to the program and to the policy pack.
        self.new_stack = new_stack
        # What a pulumi.StackReference reads (preflight/fake_stack_refs.py); the runner sets the run's own.
        self.stack_outputs = StackOutputs()

    def _in_region_of(self, provider_ref: str | None) -> FakeAws:
        """The fake seen through a resource's provider: ARNs and AZs of that provider's region."""
        region = self._provider_regions.get((provider_ref or "").rsplit("::", 1)[-1])
        if not region or region == self.region:
            return self
        return FakeAws(region, self.account_id, self.partition, self.new_stack, account=self.account)

    # --- resources -----------------------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        if typ == STACK_REFERENCE:  # a read, not a registration: known outputs, also for a new stack
            physical, state = self.stack_outputs.read(args.resource_id or inputs.get("name"))
            fake_peering.adopt_stack_outputs(self, state["outputs"])  # its VPC, route tables, groups exist there
            return physical, state
        if not args.custom:  # components (including remote ones) have no physical id
            if typ == "eks:index:Cluster":  # pulumi-eks: the outputs its provider returns (fake_eks.py)
                return "", fake_eks.eks_cluster_outputs(self, name, inputs)
            return "", inputs
        if typ.startswith("pulumi:providers:"):
            physical = _hex("provider", name, length=32)
            if typ == "pulumi:providers:aws" and isinstance(inputs.get("region"), str):
                FakeAws(inputs["region"])  # fails loudly for a region the fake does not know
                self._provider_regions[physical] = inputs["region"]
            if typ == "pulumi:providers:kubernetes":
                fake_eks.kubernetes_provider(inputs)
            return physical, inputs
        handler = _RESOURCES.get(typ)
        if handler is None:
            raise UnknownToFake(f"the fake AWS does not know resource type {typ!r} (resource {name!r}); "
                                "add it to preflight/fake_aws.py")
        fake_eks.explicit_kubernetes_provider(typ, args.provider)
        in_region = self._in_region_of(args.provider)
        in_region.account.declare(in_region.region, typ, pulumi.get_stack(), name, inputs)
        physical, extra = handler(in_region, name, inputs)
        if self.new_stack:
            return "", inputs
        return physical, {**inputs, "id": physical, **extra}

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account_id if account else ''}:{resource}")

    # --- invokes -------------------------------------------------------------------------------

    def call(self, args: pulumi.runtime.MockCallArgs):
        handler = _INVOKES.get(args.token)
        if handler is None:
            raise UnknownToFake(f"the fake AWS does not know invoke {args.token!r}; add it to "
                                "preflight/fake_aws.py")
        return handler(self._in_region_of(args.provider), dict(args.args))


def _autoname(name: str, inputs: dict, key: str = "name") -> str:
    given = inputs.get(key)
    return given if isinstance(given, str) and given else f"{name}-{_hex('autoname', name, length=7)}"


def _ec2(prefix: str, arn_type: str | None = None):
    def handler(fake: FakeAws, name: str, inputs: dict):
        physical = f"{prefix}-{_hex(prefix, name)}"
        extra = {"tagsAll": inputs.get("tags", {}), "ownerId": fake.account_id}
        if arn_type:
            extra["arn"] = fake.arn("ec2", f"{arn_type}/{physical}")
        return physical, extra
    return handler


def _vpc(fake: FakeAws, name: str, inputs: dict):
    physical, extra = _ec2("vpc", "vpc")(fake, name, inputs)
    return physical, {**extra, "defaultSecurityGroupId": f"sg-{_hex('default-sg', name)}",
                      "mainRouteTableId": f"rtb-{_hex('main-rt', name)}",
                      "defaultNetworkAclId": f"acl-{_hex('acl', name)}"}


def _eip(fake: FakeAws, name: str, inputs: dict):
    physical = f"eipalloc-{_hex('eip', name)}"
    n = int(_hex("ip", name, length=4), 16)
    return physical, {"allocationId": physical, "publicIp": f"198.51.100.{n % 254 + 1}",
                      "arn": fake.arn("ec2", f"elastic-ip/{physical}"), "tagsAll": inputs.get("tags", {})}


def _private_ip(name: str) -> str:
    n = int(_hex("private-ip", name, length=4), 16)
    return f"10.{n % 200}.{(n >> 8) % 250}.{n % 250 + 4}"


def _instance(fake: FakeAws, name: str, inputs: dict):
    physical, extra = _ec2("i", "instance")(fake, name, inputs)
    return physical, {**extra, "privateIp": _private_ip(name), "instanceState": "running"}


def _eni(fake: FakeAws, name: str, inputs: dict):
    physical, extra = _ec2("eni", "network-interface")(fake, name, inputs)
    return physical, {**extra, "privateIp": inputs.get("privateIp") or _private_ip(name),
                      "privateIps": [inputs.get("privateIp") or _private_ip(name)]}


def _launch_template(fake: FakeAws, name: str, inputs: dict):
    fake_imagebuilder.check_launch_image(fake, name, inputs, AL2023_PARAMETERS)  # resolve:ssm: of a parameter
    physical, extra = _ec2("lt", "launch-template")(fake, name, inputs)
    return physical, {**extra, "name": _autoname(name, inputs), "latestVersion": 1, "defaultVersion": 1}


def _placement_group(fake: FakeAws, name: str, inputs: dict):
    pg_name = _autoname(name, inputs)
    return pg_name, {"name": pg_name, "placementGroupId": f"pg-{_hex('pg', name)}",
                     "arn": fake.arn("ec2", f"placement-group/{pg_name}"), "tagsAll": inputs.get("tags", {})}


def _subnet(fake: FakeAws, name: str, inputs: dict):
    """A subnet lives in one zone, given by name or by ID; EC2 reports both."""
    physical, extra = _ec2("subnet", "subnet")(fake, name, inputs)
    if inputs.get("availabilityZoneId") is not None:
        zone_id = inputs["availabilityZoneId"]
        zone_name = fake.zones.check_zone_id(f"subnet {name}", zone_id)
    else:
        zone_name = inputs.get("availabilityZone")
        zone_id = fake.zones.check_zone_name(f"subnet {name}", zone_name)
    return physical, {**extra, "availabilityZone": zone_name, "availabilityZoneId": zone_id}


def _volume(fake: FakeAws, name: str, inputs: dict):
    """An EBS volume takes a zone name only (it has no AZ-ID argument)."""
    fake.zones.check_zone_name(f"volume {name}", inputs.get("availabilityZone"))
    return _ec2("vol", "volume")(fake, name, inputs)


def _named(service: str, arn_resource: str, *, region: bool = True, account: bool = True,
           name_key: str = "name", id_is: str = "name"):
    """Resources identified by a (possibly auto-generated) name, e.g. IAM roles, log groups, ASGs."""
    def handler(fake: FakeAws, name: str, inputs: dict):
        resource_name = _autoname(name, inputs, name_key)
        arn = fake.arn(service, arn_resource.format(name=resource_name), region=region, account=account)
        physical = arn if id_is == "arn" else resource_name
        return physical, {name_key: resource_name, "arn": arn, "tagsAll": inputs.get("tags", {})}
    return handler


def _role(fake: FakeAws, name: str, inputs: dict):
    check_max_session_duration(name, inputs)
    physical, extra = _named("iam", "role/{name}", region=False)(fake, name, inputs)
    return physical, {**extra, "uniqueId": f"AROA{_hex('role', name, length=17).upper()}"}


def _service_linked_role(fake: FakeAws, name: str, inputs: dict):
    """IAM names the role after its service, under /aws-service-role/<service>/ (IAM User Guide,
    "Using service-linked roles"); FakeAccount has already refused a second one in the account."""
    service = inputs["awsServiceName"]
    role = SERVICE_LINKED_ROLES[service]
    path = f"/aws-service-role/{service}/"
    return role, {"name": role, "path": path, "arn": fake.arn("iam", f"role{path}{role}", region=False),
                  "uniqueId": f"AROA{_hex('slr', service, length=17).upper()}", "tagsAll": inputs.get("tags", {})}


def _log_group(fake: FakeAws, name: str, inputs: dict):
    group = _autoname(name, inputs)
    arn = fake.arn("logs", f"log-group:{group}")
    fake_logs_kms.check_log_group_key(fake, group, arn, inputs)  # a key of its Region that admits its logs service
    # The provider reports the ARN without the trailing ":*" since v5.
    return group, {"name": group, "arn": arn, "tagsAll": inputs.get("tags", {})}


def _kms_key(fake: FakeAws, name: str, inputs: dict):
    key_id = "-".join(_hex("kms", name, length=32)[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20),
                                                                      (20, 32)))
    arn = fake.arn("kms", f"key/{key_id}")
    fake_logs_kms.remember_key(fake, arn, inputs)
    return key_id, {"keyId": key_id, "arn": arn, "tagsAll": inputs.get("tags", {})}


def _kms_alias(fake: FakeAws, name: str, inputs: dict):
    alias = _autoname(name, inputs)
    return alias, {"name": alias, "arn": fake.arn("kms", alias), "targetKeyArn": fake.arn(
        "kms", f"key/{inputs.get('targetKeyId', '')}")}


def _secret(fake: FakeAws, name: str, inputs: dict):
    secret_name = _autoname(name, inputs)
    arn = fake.arn("secretsmanager", f"secret:{secret_name}-{_hex('sm', name, length=6)}")
    return arn, {"name": secret_name, "arn": arn, "tagsAll": inputs.get("tags", {})}


def _secret_version(fake: FakeAws, name: str, inputs: dict):
    version = _hex("version", name, length=32)
    return f"{inputs.get('secretId')}|{version}", {"versionId": version, "arn": inputs.get("secretId")}


def _bucket(fake: FakeAws, name: str, inputs: dict):
    bucket = _autoname(name, inputs, "bucket")
    return bucket, {"bucket": bucket, "arn": f"arn:{fake.partition}:s3:::{bucket}",
                    "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                    "bucketRegionalDomainName": f"{bucket}.s3.{fake.region}.amazonaws.com",
                    "region": fake.region, "hostedZoneId": "Z3AQBSTGFYJSTF", "tagsAll": inputs.get("tags", {})}


def _bucket_part(kind: str):
    def handler(fake: FakeAws, name: str, inputs: dict):
        return f"{inputs.get('bucket', name)}", {}
    return handler


def _load_balancer(fake: FakeAws, name: str, inputs: dict):
    lb_name = _autoname(name, inputs)[:32]
    kind = "net" if inputs.get("loadBalancerType") == "network" else "app"
    suffix = f"{kind}/{lb_name}/{_hex('lb', name, length=16)}"
    arn = fake.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    scheme = "internal-" if inputs.get("internal") else ""
    return arn, {"name": lb_name, "arn": arn, "arnSuffix": suffix, "zoneId": "Z26RNL4JYFTOTI",
                 "dnsName": f"{scheme}{lb_name}-{_hex('dns', name, length=16)}.elb.{fake.region}.amazonaws.com",
                 "tagsAll": inputs.get("tags", {})}


def _target_group(fake: FakeAws, name: str, inputs: dict):
    tg_name = _autoname(name, inputs)[:32]
    suffix = f"targetgroup/{tg_name}/{_hex('tg', name, length=16)}"
    arn = fake.arn("elasticloadbalancing", suffix)
    return arn, {"name": tg_name, "arn": arn, "arnSuffix": suffix, "tagsAll": inputs.get("tags", {})}


def _listener(fake: FakeAws, name: str, inputs: dict):
    arn = fake.arn("elasticloadbalancing", f"listener/net/{name}/{_hex('lsn', name, length=16)}")
    return arn, {"arn": arn, "tagsAll": inputs.get("tags", {})}


def _zone(fake: FakeAws, name: str, inputs: dict):
    zone_id = "Z" + _hex("zone", name, length=20).upper()
    return zone_id, {"zoneId": zone_id, "arn": f"arn:{fake.partition}:route53:::hostedzone/{zone_id}",
                     "nameServers": [], "tagsAll": inputs.get("tags", {})}


def _record(fake: FakeAws, name: str, inputs: dict):
    return f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}", {
        "fqdn": inputs.get("name")}


def _asg(fake: FakeAws, name: str, inputs: dict):
    asg_name = _autoname(name, inputs)
    return asg_name, {"name": asg_name, "arn": fake.arn(
        "autoscaling", f"autoScalingGroup:{_hex('asg', name, length=36)}:autoScalingGroupName/{asg_name}")}


def _plain(prefix: str, arn: str | None = None, service: str = ""):
    def handler(fake: FakeAws, name: str, inputs: dict):
        physical = f"{prefix}{_hex(prefix, name, length=20)}" if prefix else name
        extra = {"tagsAll": inputs.get("tags", {})}
        if arn:
            extra["arn"] = fake.arn(service, arn.format(id=physical, name=_autoname(name, inputs)))
        return physical, extra
    return handler


def _random_password(fake: FakeAws, name: str, inputs: dict):
    alphabet = ""
    if inputs.get("upper", True):
        alphabet += string.ascii_uppercase
    if inputs.get("lower", True):
        alphabet += string.ascii_lowercase
    if inputs.get("numeric", True):
        alphabet += string.digits
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    value = _fake_secret(name, int(inputs.get("length", 16)), alphabet)
    return f"none-{name}", {"result": value, "bcryptHash": "$2a$10$" + _hex("bcrypt", name, length=53)}


def _tls_private_key(fake: FakeAws, name: str, inputs: dict):
    body = _fake_secret(f"tls/{name}", 64, string.ascii_letters + string.digits)
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    pub = f"-----BEGIN PUBLIC KEY-----\n{_hex('pub', name, length=64)}\n-----END PUBLIC KEY-----\n"
    return _hex("tlskey", name, length=40), {"privateKeyPem": pem, "publicKeyPem": pub,
                                              "privateKeyPemPkcs8": pem, "publicKeyFingerprintSha256": _hex(
                                                  "fp", name, length=64)}


def _tls_cert(fake: FakeAws, name: str, inputs: dict):
    serial = str(int(_hex("serial", name, length=24), 16))
    pem = f"-----BEGIN CERTIFICATE-----\n{_hex('cert', name, length=64)}\n-----END CERTIFICATE-----\n"
    return serial, {"certPem": pem, "validityStartTime": "2026-01-01T00:00:00Z",
                    "validityEndTime": "2027-01-01T00:00:00Z"}


def _tls_cert_request(fake: FakeAws, name: str, inputs: dict):
    pem = f"-----BEGIN CERTIFICATE REQUEST-----\n{_hex('csr', name, length=64)}\n-----END CERTIFICATE REQUEST-----\n"
    return _hex("csr", name, length=40), {"certRequestPem": pem}


_RESOURCES = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _ec2("nat", "natgateway"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/route:Route": lambda f, n, i: (f"r-{i.get('routeTableId')}1080289494", {}),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2("vpce", "vpc-endpoint"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg", "security-group"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": _ec2("sgrule"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2("sgr", "security-group-rule"),
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
    "aws:ec2/instance:Instance": checked_user_data("aws:ec2/instance:Instance", _instance),
    "aws:ec2/networkInterface:NetworkInterface": _eni,
    "aws:ec2/launchTemplate:LaunchTemplate": checked_user_data("aws:ec2/launchTemplate:LaunchTemplate",
                                                               _launch_template),
    "aws:ec2/placementGroup:PlacementGroup": _placement_group,
    "aws:ec2/ebsEncryptionByDefault:EbsEncryptionByDefault": lambda f, n, i: ("ebs-encryption-default", {}),
    "aws:ebs/encryptionByDefault:EncryptionByDefault": lambda f, n, i: ("ebs-encryption-default", {}),
    "aws:ebs/defaultKmsKey:DefaultKmsKey": lambda f, n, i: (i.get("keyArn", n), {}),
    "aws:ebs/volume:Volume": _volume,
    "aws:ec2/volumeAttachment:VolumeAttachment": _ec2("vai"),
    "aws:autoscaling/group:Group": _asg,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": fake_delivery.check_policy_size("RolePolicySize", fake_delivery.TRUST_POLICY_MAX,
                                                         "assumeRolePolicy")(_role),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _service_linked_role,
    "aws:iam/rolePolicy:RolePolicy": fake_delivery.check_inline_total(fake_delivery.check_policy_size(
        "PolicySize", fake_delivery.INLINE_ROLE_POLICY_MAX)(lambda f, n, i: (f"{i.get('role')}:{_autoname(n, i)}", {
            "name": _autoname(n, i)}))),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": fake_delivery.check_attachment_count(lambda f, n, i: (
        f"{i.get('role')}-{_hex('rpa', n, length=20)}", {})),
    "aws:iam/policy:Policy": fake_delivery.check_policy_size("PolicySize", fake_delivery.MANAGED_POLICY_MAX)(
        _named("iam", "policy/{name}", region=False, id_is="arn")),
    "aws:iam/instanceProfile:InstanceProfile": _named("iam", "instance-profile/{name}", region=False),
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": recorded_alarm(checked_alarm(_named("cloudwatch", "alarm:{name}"))),
    "aws:ssm/document:Document": fake_ssm.checked_session_document(ssm_document),
    **fake_monitoring.RESOURCES,  # composite alarms, dashboards, X-Ray sampling rules and groups
    **fake_imagebuilder.RESOURCES,  # the node image pipeline (components/images/pipeline.py)
    "aws:sns/topic:Topic": _named("sns", "{name}", id_is="arn"),
    "aws:sns/topicPolicy:TopicPolicy": lambda f, n, i: (i.get("arn", n), {}),
    "aws:sns/topicSubscription:TopicSubscription": lambda f, n, i: (
        f"{i.get('topic')}:{_hex('sub', n, length=36)}", {"arn": f"{i.get('topic')}:{_hex('sub', n, length=36)}"}),
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_part("pab"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_part("ownership"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        _bucket_part("sse"),
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_part("versioning"),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_part("policy"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_part("lifecycle"),
    "aws:s3/bucketLogging:BucketLogging": _bucket_part("logging"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _bucket_part("replication"),
    "aws:cloudtrail/trail:Trail": _named("cloudtrail", "trail/{name}", id_is="arn"),
    "aws:cfg/recorder:Recorder": lambda f, n, i: (_autoname(n, i), {"name": _autoname(n, i)}),
    "aws:cfg/deliveryChannel:DeliveryChannel": lambda f, n, i: (_autoname(n, i), {"name": _autoname(n, i)}),
    "aws:cfg/recorderStatus:RecorderStatus": lambda f, n, i: (i.get("name", n), {}),
    "aws:cfg/rule:Rule": _named("config", "config-rule/{name}"),
    "aws:route53/zone:Zone": _zone,
    "aws:route53/record:Record": _record,
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": _plain("policy-", "policy/{id}", "dlm"),
    "aws:budgets/budget:Budget": lambda f, n, i: (f"{f.account_id}:{_autoname(n, i)}", {
        "name": _autoname(n, i), "arn": f"arn:{f.partition}:budgets::{f.account_id}:budget/{_autoname(n, i)}"}),
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomId:RandomId": lambda f, n, i: ("none", {"hex": _hex("rid", n, length=2 * int(
        i.get("byteLength", 8))), "b64Url": _hex("rid64", n, length=11)}),
    "tls:index/privateKey:PrivateKey": _tls_private_key,
    "tls:index/selfSignedCert:SelfSignedCert": _tls_cert,
    "tls:index/certRequest:CertRequest": _tls_cert_request,
    "tls:index/locallySignedCert:LocallySignedCert": _tls_cert,
    **fake_eks.RESOURCES,
    **fake_ssm.RESOURCES,
    **fake_ssm_config.RESOURCES,  # parameters (tier limits) and State Manager associations
    **fake_dynamodb.RESOURCES,  # the state reconciler's lease table (components/state/state.py)
    **fake_datasync.RESOURCES,  # DataSync agents, locations, tasks; the Logs resource policy (fake_datasync.py)
    **fake_delivery.RESOURCES,  # the OIDC provider of the delivery roles (bootstrap/, fake_delivery.py)
    **fake_hybrid.RESOURCES,  # Site-to-Site VPN and Direct Connect gateways (fake_hybrid.py)
    **fake_integrations.RESOURCES,  # the tier user and its keys, Intelligent-Tiering, acceleration
}
_RESOURCES = fake_eks.with_launch_template_registry(_RESOURCES)  # node groups check their template (fake_eks.py)
# CloudFront, WAF, ACM, vended log deliveries (components/edge/); load balancers remembered for the VPC origins.
_RESOURCES = fake_edge.with_load_balancer_registry({**_RESOURCES, **fake_edge.RESOURCES})
# Replication checks both buckets' Region and versioning, lifecycle its transitions (fake_integrations.py).
_RESOURCES = fake_integrations.with_bucket_checks(_RESOURCES)
# VPC peering across Regions: VPCs, route tables and groups remembered per Region (fake_peering.py).
_RESOURCES = fake_peering.with_peering_checks(_RESOURCES)


def _ssm_parameter(fake: FakeAws, args: dict):
    name = args.get("name", "")
    if name == fake_datasync.AMI_PARAMETER:  # the DataSync agent's AMI (public parameter)
        return fake_datasync.ami_parameter(fake)
    arch = AL2023_PARAMETERS.get(name)
    if arch is None:  # the account's own (an image pipeline's output), or a public one the fake does not know
        return fake_imagebuilder.get_parameter(fake, name)
    ami = f"ami-{_hex('ami', fake.region, arch)}"
    return {"id": name, "name": name, "value": ami, "insecureValue": ami, "type": "String", "version": 1,
            "arn": fake.arn("ssm", f"parameter{name}", account=False)}


def _ami(fake: FakeAws, args: dict):
    arch = "arm64" if any("arm64" in str(f) for f in args.get("filters", [])) else "x86_64"
    ami = f"ami-{_hex('ami', fake.region, arch)}"
    return {"id": ami, "imageId": ami, "architecture": arch, "name": f"al2023-ami-2023.6-kernel-6.1-{arch}",
            "rootDeviceName": "/dev/xvda", "ownerId": "137112412989", "state": "available"}


def _prefix_list(fake: FakeAws, args: dict):
    """AWS-managed prefix lists of gateway endpoint services (com.amazonaws.<region>.s3 / .dynamodb)."""
    name = args.get("name") or ""
    if not name.startswith(f"com.amazonaws.{fake.region}.") or name.rsplit(".", 1)[-1] not in ("s3", "dynamodb"):
        raise UnknownToFake(f"the fake AWS knows the s3/dynamodb prefix lists of {fake.region}, not {name!r}")
    return {"id": f"pl-{_hex('pl', name, length=8)}", "name": name, "cidrBlocks": ["52.216.0.0/15"]}


_INVOKES = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda f, a: f.zones.describe_zones(a),
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": lambda f, a: f.zones.instance_type_offerings(a),
    "aws:ec2/getVpcEndpointService:getVpcEndpointService": lambda f, a: f.zones.endpoint_service(a),
    "aws:index/getCallerIdentity:getCallerIdentity": lambda f, a: {
        "accountId": f.account_id, "id": f.account_id, "userId": "AIDAPREFLIGHTOFFLINE",
        "arn": f"arn:{f.partition}:iam::{f.account_id}:user/preflight"},
    "aws:index/getRegion:getRegion": lambda f, a: {
        "id": f.region, "name": f.region, "region": f.region, "endpoint": f"ec2.{f.region}.amazonaws.com",
        "description": f.region},
    "aws:index/getPartition:getPartition": lambda f, a: {
        "id": f.partition, "partition": f.partition, "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws"},
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:ec2/getAmi:getAmi": _ami,
    "aws:ec2/getPrefixList:getPrefixList": _prefix_list,
    "aws:servicequotas/getServiceQuota:getServiceQuota": lambda f, a: f.quotas.service_quota(a),
    "aws:ec2/getInstanceType:getInstanceType": lambda f, a: instance_type(a),
    "aws:iam/getRoles:getRoles": get_roles,
    "aws:ec2/getEips:getEips": get_eips,
    "aws:ec2/getVpcs:getVpcs": get_vpcs,
    "aws:lb/getLbs:getLbs": get_lbs,
    "aws:iam/getRole:getRole": get_role,
    **fake_edge.INVOKES,  # CloudFront's origin-facing managed prefix list (components/edge/origin.py)
}
