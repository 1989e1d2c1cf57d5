"""The account's service quotas against what the stack needs, checked before any AWS resource is declared.

``stack_shape`` turns the validated configuration into the counts ``rustfs_model.quotas`` needs; the
composition root calls ``check_quotas`` right after the provider, so a quota too low for the stack fails
the preview with one message naming each quota, the need and the applied value, instead of failing an
``up`` halfway (node groups without their volumes). ``quotas.check: false`` skips it; preflight, which
cannot know an account's applied values, runs the program with it off and reports the need against AWS's
defaults instead (``preflight/quota_report.py``).

Reading a quota: ``aws.servicequotas.get_service_quota`` calls GetAWSDefaultServiceQuota, then
GetServiceQuota, and returns the default when the account has no applied value of its own (NoSuchResource);
the deploy role needs ``servicequotas:GetAWSDefaultServiceQuota`` and ``servicequotas:GetServiceQuota``
(terraform-provider-aws, internal/service/servicequotas/service_quota_data_source.go).

Need against headroom. A quota is the account's, shared by every workload of the account and Region, and
pulumi-aws has no data source for the CloudWatch ``AWS/Usage`` metrics that report a quota's current usage. So
where one describe call counts the usage exactly, the check subtracts what is in use outside this stack:
Elastic IPs (``get_eips``), VPCs (``get_vpcs``, the default VPC included) and Network Load Balancers
(``get_lbs``); the stack's own resources, which exist from its second ``up`` on, are recognised by their
``Name`` tags (``own_names``) and not counted twice. The interface endpoints' quota is per VPC, and the VPC is
the stack's own. For every other quota (vCPUs, EBS TiB and IOPS, snapshots, NAT gateways per AZ, internet
gateways, gateway endpoints) the check compares the stack's need with the whole quota, not with the headroom
left: other workloads' usage is not subtracted, and the message says so. Snapshots copied to
``backup.copyRegion`` count against that Region's snapshot quota, read there (the data source's ``region``).

Rejected alternative: warning instead of failing. A warning scrolls past in a preview, and the first ``up``
would still create the network and half the volumes before EC2 refuses the instances. Rejected: counting
volumes or instances with ``get_ebs_volumes`` / ``get_instances`` (ids only, no sizes or types: one call per
resource to size them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.snapshots import copy_retention_days
from rustfs_aws.cluster.storage_nodes import ROOT_VOLUME_GIB
from rustfs_aws.config import StackConfig
from rustfs_aws.network.network import INTERFACE_ENDPOINT_SERVICES
from rustfs_aws.validation import ConfigError, full_key
from rustfs_model import catalogue
from rustfs_model.quotas import (
    ELASTIC_IPS,
    NLBS,
    OWN_VPC_ONLY,
    USAGE_SUBTRACTED,
    VPCS,
    Need,
    StackShape,
    needs,
    vcpu_quota,
)

READ_ACTIONS = ("servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota")
USAGE_ACTIONS = ("ec2:DescribeAddresses", "ec2:DescribeVpcs", "elasticloadbalancing:DescribeLoadBalancers",
                 "elasticloadbalancing:DescribeTags")
_SKIP = f"set {full_key('quotas.check')}: false to skip this check"
NOT_SUBTRACTED = ("need against the whole quota: what other workloads of the account use in this Region is not "
                  "subtracted (see its usage in the Service Quotas console)")


@dataclass(frozen=True)
class Shortfall:
    need: Need
    applied: float
    outside: int | None  # in use outside this stack; None: not counted (need against the whole quota)


class QuotaError(pulumi.RunError):
    """Raised once with every quota the stack exceeds (a ``RunError``: printed without a traceback)."""

    def __init__(self, region: str, exceeded: list[Shortfall]):
        self.region = region
        self.exceeded = exceeded
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"service quotas of this account are below what the stack needs ({len(self.exceeded)} "
                 f"quota{'s' if len(self.exceeded) != 1 else ''}); request the increases and run again, or {_SKIP}:"]
        for short in self.exceeded:
            need, q = short.need, short.need.quota
            where = need.where(self.region)
            if short.outside is None:
                rest = f"applied quota {short.applied:,g} in {where} ({NOT_SUBTRACTED})"
            else:
                rest = (f"{short.outside:,} in use outside this stack, applied quota {short.applied:,g} in {where}: "
                        f"{max(short.applied - short.outside, 0):,g} left")
            lines.append(f"  - {q.name} ({q.service} {q.code}): needs {need.shown()} ({need.basis}), {rest}")
            lines.append(f"    {_request(need, short.outside, self.region)}")
        return "\n".join(lines)


def _request(need: Need, outside: int | None, region: str) -> str:
    if not outside:
        return need.request_command(region)
    return Need(need.quota, need.amount + outside, need.basis, need.region).request_command(region)


def own_names(cfg: StackConfig) -> dict[str, str]:
    """``Name`` tag (EC2 filter value, ``*`` a wildcard) of the stack's own resources of each counted quota:
    __main__.py names the Network ``<name>-net`` and the load balancer ``<name>-lb`` (components/network,
    components/cluster/load_balancer.py). tests/test_quotas.py deploys a stack twice into one fake account: a
    name that drifts counts the stack's own resources as another workload's."""
    return {VPCS: f"{cfg.name}-net-vpc", ELASTIC_IPS: f"{cfg.name}-net-nat-*", NLBS: f"{cfg.name}-s3"}


def stack_shape(cfg: StackConfig, vcpus_per_node: int | None) -> StackShape:
    c, n = cfg.cluster, cfg.network
    return StackShape(
        nodes=c.nodes, instance_type=c.instance_type, vcpus_per_node=vcpus_per_node,
        drives_per_node=c.drives_per_node, volume_type=c.volume.type, volume_size_gib=c.volume.size_gib,
        volume_iops=c.volume.iops, root_volume_gib=ROOT_VOLUME_GIB,
        nat_gateways={"none": 0, "single": 1, "perAz": n.az_count}[n.nat_gateways],
        # components/network/network.py: public subnets (and their internet gateway) for NAT or an internet-facing NLB
        internet_gateway=n.nat_gateways != "none" or c.internet_facing,
        interface_endpoints=len(INTERFACE_ENDPOINT_SERVICES), gateway_endpoints=1, load_balancers=1,
        snapshots_per_volume=cfg.backup.snapshot_retain_count, copy_region=cfg.backup.copy_region,
        copies_per_volume=copies_per_volume(cfg.backup.snapshot_interval_hours, cfg.backup.snapshot_retain_count)
        if cfg.backup.copy_region else 0)


def copies_per_volume(interval_hours: int, retain_count: int) -> int:
    """Copies of one volume kept at once: one per snapshot run, each kept ``copy_retention_days``."""
    return math.ceil(copy_retention_days(interval_hours, retain_count) * 24 / interval_hours)


def catalogue_vcpus(instance_type: str) -> int | None:
    known = catalogue.instance_type(instance_type)
    return known.vcpu if known else None


def stack_needs(cfg: StackConfig, vcpus_per_node: int | None = None) -> list[Need]:
    """The stack's needs; vCPUs from the catalogue unless given (None for an uncatalogued type)."""
    return needs(stack_shape(cfg, vcpus_per_node or catalogue_vcpus(cfg.cluster.instance_type)))


def check_quotas(cfg: StackConfig, invoke: pulumi.InvokeOptions) -> None:
    """Fail with one ``QuotaError`` if any applied quota of the provider's account and Region is below the
    stack's need; ``ConfigError`` if the instance type has no known vCPU quota class."""
    if not cfg.quotas.check:
        return
    itype = cfg.cluster.instance_type
    if vcpu_quota(itype) is None:
        raise ConfigError([f"{full_key('cluster.instanceType')}: got {itype!r}; no On-Demand vCPU quota class is "
                           f"known for this instance family, so its quota cannot be checked ({_SKIP})"])
    vcpus = catalogue_vcpus(itype) or int(_read(lambda: aws.ec2.get_instance_type(
        instance_type=itype, opts=invoke).default_vcpus, f"the vCPUs of instance type {itype}"))
    exceeded = []
    for need in stack_needs(cfg, vcpus):
        applied = _applied(need, invoke)
        code = need.quota.code
        outside = None  # not counted: the need is compared with the whole quota
        if code in USAGE_SUBTRACTED and not need.region:
            outside = usage_outside(cfg, code, invoke)
        elif code in OWN_VPC_ONLY:
            outside = 0  # a quota per VPC, and the VPC is the stack's own
        if need.amount + (outside or 0) > applied:
            exceeded.append(Shortfall(need, applied, outside))
    if exceeded:
        raise QuotaError(cfg.region, exceeded)


def usage_outside(cfg: StackConfig, code: str, invoke: pulumi.InvokeOptions) -> int:
    """How much of quota ``code`` the account uses in the stack's Region outside this stack: everything the
    describe call lists, less the stack's own (by ``Name`` tag)."""
    mine = own_names(cfg)[code]
    by_name = [{"name": "tag:Name", "values": [mine]}]
    what = f"the account's current usage for quota {code}; the deploy role needs {', '.join(USAGE_ACTIONS)}"
    if code == ELASTIC_IPS:
        count = lambda **kw: len(aws.ec2.get_eips(opts=invoke, **kw).allocation_ids)  # noqa: E731
        return _read(lambda: count() - count(filters=by_name), what)
    if code == VPCS:
        count = lambda **kw: len(aws.ec2.get_vpcs(opts=invoke, **kw).ids)  # noqa: E731
        return _read(lambda: count() - count(filters=by_name), what)
    # Network Load Balancers: DescribeLoadBalancers lists every type; an NLB's ARN has loadbalancer/net/.
    count = lambda **kw: sum(":loadbalancer/net/" in arn for arn in aws.lb.get_lbs(opts=invoke, **kw).arns)  # noqa: E731
    return _read(lambda: count() - count(tags={"Name": mine}), what)


def _applied(need: Need, invoke: pulumi.InvokeOptions) -> float:
    q = need.quota
    return float(_read(lambda: aws.servicequotas.get_service_quota(
        service_code=q.service, quota_code=q.code, region=need.region, opts=invoke).value,
        f"service quota {q.name} ({q.service} {q.code}){f' in {need.region}' if need.region else ''}; the deploy "
        f"role needs {' and '.join(READ_ACTIONS)}"))


def _read(call, what: str):
    try:
        return call()
    except pulumi.RunError:
        raise
    except Exception as exc:  # noqa: BLE001 - the provider's failure becomes one message naming what was read
        raise pulumi.RunError(f"could not read {what}, or {_SKIP}: {exc}") from None
