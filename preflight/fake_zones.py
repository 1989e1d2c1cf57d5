"""The fake AWS's zones: per-account AZ name↔ID mapping, zone states, instance type offerings and VPC endpoint
services, as strict as EC2 is about them.

What real AWS does and this fake models:
- In the oldest regions AZ *names* are mapped to physical zones independently per account: ``us-east-1a`` of one
  account is not ``us-east-1a`` of another; AZ IDs (``use1-az1``) are the same physical zone in every account. All
  regions introduced after November 2012 map names uniformly (AWS "AZ IDs",
  docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html). The default account's us-east-1 mapping is
  deliberately shuffled (a→az4, b→az6, c→az1, …), so code that confuses names and IDs, or sorts the two lists
  separately, puts a subnet or a volume in the wrong zone and a test sees it.
- DescribeAvailabilityZones returns every zone with its state (available | unavailable | constrained) unless a
  ``state`` filter drops the others (EC2 API reference, DescribeAvailabilityZones). ``impaired_zone_ids`` turns
  zones ``unavailable``: a program that picks its AZs from ``state=available`` sees the list shift.
- Local Zones are zones too (zone-type ``local-zone``, named ``us-east-1-bos-1a``, which sorts *before*
  ``us-east-1a``); an opted-in one is listed even without ``all_availability_zones``. The default account has
  opted in to Boston's, so code without a ``zone-type`` filter picks it up.
- Not every AZ offers every instance type: use1-az3 is an older zone without the Nitro system
  (wolfman.dev/posts/exclude-use1-az3, "AWS AZs: Not all are Equal"), so the fake offers no type of the 5th
  generation or later (all Nitro: m5, c6in, m6i, m7g …) there. DescribeInstanceTypeOfferings answers per Region
  unless ``location_type`` is ``availability-zone`` or ``availability-zone-id`` (EC2 API reference).
- Not every interface endpoint service is offered in every AZ: CreateVpcEndpoint fails with "The VPC endpoint
  service … does not support the availability zone of the subnet" (AWS re:Post knowledge center
  "interface-endpoint-availability-zone"; terraform-aws-modules/terraform-aws-vpc#462). DescribeVpcEndpointServices
  lists the AZ *names* (of the calling account) where a service is offered; ``endpoint_gaps`` removes zones,
  ``absent_services`` whole services.
- EC2 refuses a subnet or volume in a zone name the account does not have ("Value (us-east-1g) for parameter
  availabilityZone is invalid. Subnets can currently only be created in the following availability zones: …").
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass

from rustfs_model import catalogue

# Real AZ names and IDs per region (EC2 DescribeAvailabilityZones).
REGION_AZS: dict[str, list[str]] = {
    "us-east-1": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
    "us-east-2": ["us-east-2a", "us-east-2b", "us-east-2c"],
    "us-west-2": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
    "eu-west-1": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    "eu-central-1": ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
    "eu-north-1": ["eu-north-1a", "eu-north-1b", "eu-north-1c"],
    "ap-southeast-1": ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"],
    "ap-northeast-1": ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"],
}
REGION_ZONE_IDS: dict[str, list[str]] = {
    "us-east-1": [f"use1-az{n}" for n in range(1, 7)],
    "us-east-2": [f"use2-az{n}" for n in range(1, 4)],
    "us-west-2": [f"usw2-az{n}" for n in range(1, 5)],
    "eu-west-1": [f"euw1-az{n}" for n in range(1, 4)],
    "eu-central-1": [f"euc1-az{n}" for n in range(1, 4)],
    "eu-north-1": [f"eun1-az{n}" for n in range(1, 4)],
    "ap-southeast-1": [f"apse1-az{n}" for n in range(1, 4)],
    "ap-northeast-1": ["apne1-az1", "apne1-az2", "apne1-az4"],
}
# Regions older than November 2012 map names to zones independently per account (AWS "AZ IDs").
INDEPENDENTLY_MAPPED = {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-northeast-1"}
# One account's real-looking us-east-1 mapping: nothing like a→az1.
DEFAULT_ACCOUNT_US_EAST_1 = {"us-east-1a": "use1-az4", "us-east-1b": "use1-az6", "us-east-1c": "use1-az1",
                             "us-east-1d": "use1-az2", "us-east-1e": "use1-az3", "us-east-1f": "use1-az5"}
# Opted-in Local Zones of the default account (AWS Local Zones User Guide: zone type local-zone, opt-in per group).
LOCAL_ZONES = {"us-east-1": [("us-east-1-bos-1a", "use1-bos1-az1", "us-east-1-bos-1")]}
# Zones without the Nitro system, so without any type of generation >= 5 (wolfman.dev/posts/exclude-use1-az3).
NON_NITRO_ZONE_IDS = {"use1-az3"}
# Endpoint services the fake knows, with their types (AWS PrivateLink "AWS services that integrate with AWS
# PrivateLink": S3 and DynamoDB have a gateway and an interface endpoint service).
ENDPOINT_SERVICES = {
    "s3": ("Gateway", "Interface"), "dynamodb": ("Gateway", "Interface"),
    **{s: ("Interface",) for s in ("ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs", "monitoring",
                                   "secretsmanager", "sts", "xray", "ecr.api", "ecr.dkr", "elasticloadbalancing",
                                   "autoscaling", "sns", "sqs", "datasync")},
}


class UnknownToFake(Exception):
    pass


class InvalidParameterValue(Exception):
    """What EC2 answers for a zone the account does not have."""


@dataclass(frozen=True)
class FakeZone:
    name: str
    id: str
    type: str = "availability-zone"  # | local-zone
    group: str = ""
    opt_in: str = "opt-in-not-required"  # | opted-in | not-opted-in
    state: str = "available"


def generation(instance_type: str) -> int | None:
    """The generation digit of an instance type name (m6i.large -> 6, c6in.4xlarge -> 6, t3.micro -> 3)."""
    family = instance_type.split(".")[0]
    digits = [c for c in family if c.isdigit()]
    return int(digits[0]) if digits else None


class ZoneWorld:
    """One account's view of one region's zones."""

    def __init__(self, region: str, account_id: str, *, impaired_zone_ids: frozenset[str] = frozenset(),
                 endpoint_gaps: dict[str, set[str]] | None = None, absent_services: frozenset[str] = frozenset(),
                 default_account: str = ""):
        self.region = region
        mapping = _mapping(region, account_id, default_account)
        self.zones = [FakeZone(name, zone_id, group=region,
                               state="unavailable" if zone_id in impaired_zone_ids else "available")
                      for name, zone_id in sorted(mapping.items())]
        if account_id == default_account:
            self.zones += [FakeZone(n, i, "local-zone", g, "opted-in") for n, i, g in LOCAL_ZONES.get(region, [])]
        self.endpoint_gaps = {k: set(v) for k, v in (endpoint_gaps or {}).items()}  # service -> zone IDs without it
        self.absent_services = set(absent_services)  # services this region does not offer at all

    @property
    def name_to_id(self) -> dict[str, str]:
        return {z.name: z.id for z in self.zones}

    def availability_zone_ids(self) -> list[str]:
        return [z.id for z in self.zones if z.type == "availability-zone"]

    # --- resource checks ------------------------------------------------------------------------

    def check_zone_name(self, what: str, name) -> str | None:
        """The zone ID of a subnet's or volume's zone name; EC2's refusal for a name the account lacks."""
        if not isinstance(name, str):
            return None
        if name not in self.name_to_id:
            valid = ", ".join(z.name for z in self.zones if z.type == "availability-zone")
            raise InvalidParameterValue(f"{what}: Value ({name}) for parameter availabilityZone is invalid. "
                                        f"{what} can currently only be created in the following availability "
                                        f"zones: {valid}.")
        return self.name_to_id[name]

    def check_zone_id(self, what: str, zone_id) -> str | None:
        """The zone name of an ``availability_zone_id``."""
        if not isinstance(zone_id, str):
            return None
        names = {z.id: z.name for z in self.zones}
        if zone_id not in names:
            raise InvalidParameterValue(f"{what}: Value ({zone_id}) for parameter availabilityZoneId is invalid; "
                                        f"zone IDs of {self.region}: {', '.join(self.availability_zone_ids())}.")
        return names[zone_id]

    # --- invokes --------------------------------------------------------------------------------

    def describe_zones(self, args: dict) -> dict:
        """aws:index/getAvailabilityZones: the data source sorts by name and keeps names and IDs parallel
        (terraform-provider-aws, data_source_availability_zones.go)."""
        zones = [z for z in self.zones if args.get("allAvailabilityZones") or z.opt_in != "not-opted-in"]
        filters = [{"name": "state", "values": [args["state"]]}] if args.get("state") else []
        filters += list(args.get("filters") or [])
        for f in filters:
            field = _ZONE_FILTERS.get(f.get("name"))
            if field is None:
                raise UnknownToFake(f"the fake AWS knows the zone filters {', '.join(_ZONE_FILTERS)}, not "
                                    f"{f.get('name')!r}")
            zones = [z for z in zones if getattr(z, field) in f.get("values", [])]
        zones = [z for z in zones if z.name not in (args.get("excludeNames") or [])
                 and z.id not in (args.get("excludeZoneIds") or [])]
        zones.sort(key=lambda z: z.name)
        return {"id": self.region, "names": [z.name for z in zones], "zoneIds": [z.id for z in zones],
                "groupNames": sorted({z.group for z in zones}), "state": args.get("state"),
                "allAvailabilityZones": args.get("allAvailabilityZones"), "filters": args.get("filters")}

    def offered(self, instance_type: str, zone: FakeZone) -> bool:
        gen = generation(instance_type)
        return zone.type == "availability-zone" and not (zone.id in NON_NITRO_ZONE_IDS and (gen or 0) >= 5)

    def instance_type_offerings(self, args: dict) -> dict:
        """aws:ec2/getInstanceTypeOfferings: without a zone location type the answer is per Region."""
        location_type = args.get("locationType") or "region"
        filters = {f.get("name"): f.get("values", []) for f in args.get("filters") or []}
        unknown = set(filters) - {"instance-type", "location"}
        if unknown or location_type not in ("region", "availability-zone", "availability-zone-id"):
            raise UnknownToFake(f"the fake AWS knows offerings by instance-type/location filters and region/"
                                f"availability-zone(-id) locations, not {sorted(unknown) or location_type}")
        patterns = filters.get("instance-type", ["*"])
        # Exact names are answered for any type; wildcards match the catalogue's types.
        types = sorted({t for t in patterns if "*" not in t and "?" not in t}) or sorted(catalogue.INSTANCE_TYPES)
        rows = []
        for t in types:
            if not any(fnmatch.fnmatchcase(t, p) for p in patterns):
                continue
            if location_type == "region":
                rows.append((t, self.region))
                continue
            for z in self.zones:
                if self.offered(t, z):
                    rows.append((t, z.id if location_type == "availability-zone-id" else z.name))
        if "location" in filters:
            rows = [r for r in rows if r[1] in filters["location"]]
        return {"id": self.region, "instanceTypes": [r[0] for r in rows], "locations": [r[1] for r in rows],
                "locationTypes": [location_type] * len(rows), "locationType": args.get("locationType"),
                "filters": args.get("filters")}

    def endpoint_service(self, args: dict) -> dict | tuple[dict, list[tuple[str, str]]]:
        """aws:ec2/getVpcEndpointService: one service by name (or short ``service``) and optional type; its
        ``availabilityZones`` are the account's zone NAMES. No match or several matches are the provider's
        errors, returned as invoke failures as the real provider does."""
        name = args.get("serviceName") or (f"com.amazonaws.{self.region}.{args['service']}" if args.get("service")
                                           else "")
        wanted = args.get("serviceType")
        for f in args.get("filters") or []:
            if f.get("name") == "service-type":
                wanted = (f.get("values") or [None])[0]
            else:
                raise UnknownToFake(f"the fake AWS knows the service-type endpoint service filter, not {f}")
        prefix = f"com.amazonaws.{self.region}."
        short = name[len(prefix):] if name.startswith(prefix) else None
        if short not in ENDPOINT_SERVICES:
            raise UnknownToFake(f"the fake AWS knows the endpoint services {', '.join(sorted(ENDPOINT_SERVICES))} "
                                f"of {self.region}, not {name!r}")
        types = [t for t in ENDPOINT_SERVICES[short] if wanted in (None, t) and short not in self.absent_services]
        if len(types) != 1:
            reason = ("no matching EC2 VPC Endpoint Service found" if not types else "multiple EC2 VPC Endpoint "
                      "Services matched; use additional constraints to reduce matches to a single EC2 VPC "
                      "Endpoint Service")
            return {}, [("serviceName", reason)]
        missing = self.endpoint_gaps.get(short, set())
        names = sorted(z.name for z in self.zones if z.type == "availability-zone" and z.id not in missing)
        return {"id": f"{name}-{types[0].lower()}", "serviceName": name, "service": short, "serviceType": types[0],
                "availabilityZones": names, "owner": "amazon", "acceptanceRequired": False,
                "vpcEndpointPolicySupported": True, "serviceId": f"vpce-svc-{_digest(name, 17)}",
                "baseEndpointDnsNames": [f"{short}.{self.region}.amazonaws.com"],
                "privateDnsName": f"{short}.{self.region}.amazonaws.com", "region": self.region,
                "managesVpcEndpoints": False, "supportedIpAddressTypes": ["ipv4"], "tags": {}}


_ZONE_FILTERS = {"state": "state", "zone-type": "type", "zone-name": "name", "zone-id": "id",
                 "opt-in-status": "opt_in", "group-name": "group"}


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _mapping(region: str, account_id: str, default_account: str) -> dict[str, str]:
    """Zone name -> zone ID for one account: uniform in newer regions, per account in the oldest ones."""
    names, ids = REGION_AZS[region], REGION_ZONE_IDS[region]
    if region not in INDEPENDENTLY_MAPPED:
        return dict(zip(names, ids, strict=True))
    if region == "us-east-1" and account_id == default_account:
        return dict(DEFAULT_ACCOUNT_US_EAST_1)
    # Any other account: a permutation of its own, never the identity.
    shuffled = sorted(ids, key=lambda i: _digest(f"{account_id}/{region}/{i}", 16))
    if shuffled == ids:
        shuffled = ids[1:] + ids[:1]
    return dict(zip(names, shuffled, strict=True))
