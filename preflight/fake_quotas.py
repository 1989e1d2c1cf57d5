"""The fake AWS's Service Quotas: AWS's default values unless the test world gives the account applied ones.

What real AWS does and this fake models:
- ``aws.servicequotas.get_service_quota`` reads GetAWSDefaultServiceQuota and then GetServiceQuota, and answers
  the default when the account has no applied value (terraform-provider-aws, service_quota_data_source.go).
  ``applied`` holds the account's applied values by quota code; the rest answer AWS's default from
  ``rustfs_model/data/service_quotas.json``. A quota whose default AWS does not publish (the non-Standard vCPU
  classes) must be given, or the fake fails loudly rather than invent one.
- A quota code that does not exist, or exists under another service code, is NoSuchResourceException.
- Quotas are per Region: the data source's ``region`` argument reads another Region's (pulumi-aws v7's
  per-resource Region), whose applied values are ``region_quotas[region]``; a read is recorded as its code, or
  ``<region>/<code>`` for another Region.
- Without ``servicequotas:GetAWSDefaultServiceQuota`` the call is refused (AccessDeniedException), as for a
  deploy role that lacks the permission (``readable=False``).
- DescribeInstanceTypes (``aws.ec2.get_instance_type``) answers the types of the instance catalogue and refuses
  others (InvalidInstanceType), so a program can only read the vCPUs of a type the fake really knows.
"""

from __future__ import annotations

from rustfs_model import catalogue
from rustfs_model.quotas import QUOTAS


def _unknown(message: str) -> Exception:
    from .fake_aws import UnknownToFake  # imported late: fake_aws imports this module

    return UnknownToFake(message)


class QuotaWorld:
    def __init__(self, region: str, account_id: str, partition: str, applied: dict[str, float] | None = None,
                 readable: bool = True, region_quotas: dict[str, dict[str, float]] | None = None):
        unknown = set(applied or {}).union(*(region_quotas or {}).values()) - set(QUOTAS)
        if unknown:
            raise _unknown(f"the fake AWS knows the quotas of rustfs_model/data/service_quotas.json, not "
                                f"{sorted(unknown)}")
        self.region, self.account_id, self.partition = region, account_id, partition
        # None: an account whose applied values nobody knows (preflight offline); {}: a known account at AWS's
        # defaults. Only a known account is checked by the program (preflight/runner.py).
        self.known = applied is not None
        self.applied = dict(applied or {})
        self.region_quotas = {r: dict(v) for r, v in (region_quotas or {}).items()}
        self.readable = readable
        self.reads: list[str] = []  # quota codes read, in order

    def service_quota(self, args: dict):
        service, code = args.get("serviceCode"), args.get("quotaCode")
        if not self.readable:
            return {}, [("serviceCode", f"AccessDeniedException: User: arn:{self.partition}:iam::{self.account_id}:"
                                        "role/deploy is not authorized to perform: "
                                        "servicequotas:GetAWSDefaultServiceQuota")]
        quota = QUOTAS.get(code or "")
        if quota is None or quota.service != service:
            return {}, [("quotaCode", f"getting Default Service Quota for ({service}/{code}): "
                                      "NoSuchResourceException: The request failed because the specified service "
                                      "does not exist.")]
        region = args.get("region") or self.region
        applied = self.applied if region == self.region else self.region_quotas.get(region, {})
        if code not in applied and quota.default is None:
            raise _unknown(f"AWS publishes no default for {quota.name} ({code}); give the fake its applied "
                                "value (FakeAws(..., quotas={code: value}))")
        self.reads.append(code if region == self.region else f"{region}/{code}")
        arn = f"arn:{self.partition}:servicequotas:{region}:{self.account_id}:{service}/{code}"
        default = float(quota.default) if quota.default is not None else float(applied[code])
        return {"id": arn, "arn": arn, "adjustable": True, "defaultValue": default, "globalQuota": False,
                "quotaCode": code, "quotaName": quota.name, "region": region, "serviceCode": service,
                "serviceName": service, "usageMetrics": [], "value": float(applied.get(code, default))}


def instance_type(args: dict):
    name = args.get("instanceType") or ""
    known = catalogue.instance_type(name)
    if known is None:
        return {}, [("instanceType", f"InvalidInstanceType: The following supplied instance types do not exist: "
                                     f"[{name}]")]
    return {"id": name, "instanceType": name, "defaultVcpus": known.vcpu,
            "memorySize": int(known.memory_gib * 1024), "supportedArchitectures": [known.arch]}
