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

Rejected alternative: warning instead of failing. A warning scrolls past in a preview, and the first ``up``
would still create the network and half the volumes before EC2 refuses the instances.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.storage_nodes import ROOT_VOLUME_GIB
from rustfs_aws.config import StackConfig
from rustfs_aws.network.network import INTERFACE_ENDPOINT_SERVICES
from rustfs_aws.validation import ConfigError, full_key
from rustfs_model import catalogue
from rustfs_model.quotas import Need, StackShape, needs, vcpu_quota

READ_ACTIONS = ("servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota")
_SKIP = f"set {full_key('quotas.check')}: false to skip this check"


class QuotaError(pulumi.RunError):
    """Raised once with every quota the stack exceeds (a ``RunError``: printed without a traceback)."""

    def __init__(self, region: str, exceeded: list[tuple[Need, float]]):
        self.region = region
        self.exceeded = exceeded
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"service quotas of this account in {self.region} are below what the stack needs "
                 f"({len(self.exceeded)} quota{'s' if len(self.exceeded) != 1 else ''}); request the increases "
                 f"and run again, or {_SKIP}:"]
        for need, applied in self.exceeded:
            q = need.quota
            lines.append(f"  - {q.name} ({q.service} {q.code}): needs {need.shown()} ({need.basis}), applied "
                         f"quota {applied:,g}")
            lines.append(f"    {need.request_command(self.region)}")
        return "\n".join(lines)


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
        snapshots_per_volume=cfg.backup.snapshot_retain_count)


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
        if need.amount > applied:
            exceeded.append((need, applied))
    if exceeded:
        raise QuotaError(cfg.region, exceeded)


def _applied(need: Need, invoke: pulumi.InvokeOptions) -> float:
    q = need.quota
    return float(_read(lambda: aws.servicequotas.get_service_quota(
        service_code=q.service, quota_code=q.code, opts=invoke).value,
        f"service quota {q.name} ({q.service} {q.code}); the deploy role needs {' and '.join(READ_ACTIONS)}"))


def _read(call, what: str):
    try:
        return call()
    except pulumi.RunError:
        raise
    except Exception as exc:  # noqa: BLE001 - the provider's failure becomes one message naming what was read
        raise pulumi.RunError(f"could not read {what}, or {_SKIP}: {exc}") from None
