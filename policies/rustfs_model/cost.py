"""Monthly cost of a stack, computed from the resources preflight recorded (not from config alone).

``monthly_cost(resources, region, usage)`` takes the recorded resources (dicts with ``"type"`` - a Pulumi
type token such as ``aws:ebs/volume:Volume`` - and ``"inputs"`` in pulumi-aws v7 camelCase) and a ``usage``
dict (traffic and data the resources cannot tell; ``USAGE_DEFAULTS`` documents each default). Every line
says what it is based on; a price that was not sourced for the region makes an "unpriced" line, never a
free one. Prices come from ``catalogue`` (``data/prices.json``). Stdlib only, so the policy pack can
carry it.
"""

from __future__ import annotations

import json

from rustfs_model.catalogue import HOURS_PER_MONTH, PriceNotSourced, price, price_table
from rustfs_model.schedules import schedule_minutes

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's preview-time unknown value
_HIDDEN = {UNKNOWN, "[unknown]", "[secret]"}  # also preflight's plain-JSON markers (preflight/runner.py)
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GB_PER_TIB = 1024

# Usage assumptions. Rates are monthly averages of client traffic through the load balancer.
USAGE_DEFAULTS: dict = {
    "writeMBps": 1.0,  # average client writes, MB/s (about 2.6 TB a month)
    "readMBps": 2.0,  # average client reads, MB/s
    "storedTiB": 1.0,  # object data stored (before erasure coding)
    "growthTiBPerMonth": 0.0,  # added during the month; half of it is counted as stored on average
    "erasureOverhead": 2.0,  # (k+m)/k when the caller gives no layout; EC 4+4 (8-drive sets) is the worst
    "azs": None,  # AZ count; None = from the recorded volumes' (else subnets') availabilityZone, else 3
    "snapshotDailyChangeRate": 0.02,  # fraction of snapshotted data changed per day
    "snapshotRetentionDays": 7,
    "natGBPerMonth": 20.0,  # packages, images, AWS APIs without endpoints
    "logsGBPerMonth": 5.0,  # CloudWatch Logs ingested by the stack's groups, the node collector's aside (below)
    # What one node's collector (components/observability/collector.py) sends to CloudWatch Logs a month: its EMF
    # records (CloudWatch bills them as ingested logs, and extracts the custom metrics from them), RustFS's log records
    # at observability.logLevel and the RustFS units' journal. An assumption: a node at the default level writes a
    # few KB of EMF a minute (one record per metric group and label set every 60 s); measure the groups'
    # IncomingBytes after a week and set it.
    "telemetryLogsGBPerNodeMonth": 1.0,
    "logsRetentionMonthsIfUnset": 12,  # stored months for log groups without retentionInDays
    "kmsRequestsPerMonth": 100_000,
    "secretsApiCallsPerMonth": 10_000,
    # CloudFront (components/edge/): what viewers fetch a month, where they are (shares of the edge zones of the
    # CloudFront price list; a zone the price class leaves out is served, and billed, from its nearest included
    # one: EDGE_SERVED_FROM), how much the caches hit (misses go through Origin Shield to RustFS) and the share of
    # requests for paths that are no edge bucket's (answered 404 by the default behavior's function).
    "cloudfrontGBPerMonth": 100.0,
    "cloudfrontRequestsPerMonth": 1_000_000,
    "cloudfrontViewerShares": {"us": 0.6, "europe": 0.3, "asia": 0.05, "japan": 0.03, "south_america": 0.02},
    "cloudfrontCacheHitRatio": 0.9,
    "cloudfrontDefaultPathShare": 0.01,
    # Bytes each request adds to the edge's log groups in us-east-1 (estimates; set them from a day of your logs): a
    # WAF log record carries the request's headers, the web ACL's ARN and the three rule groups' results (the AWS WAF
    # Developer Guide's log examples, "Log examples for web ACL traffic", run 1-2 KB); a CloudFront standard-log
    # (v2) JSON record has the 31 fields of components/edge/documents.py STANDARD_LOG_FIELDS with their names.
    "wafLogBytesPerRequest": 1_500,
    "cloudfrontLogBytesPerRequest": 800,
    "s3StoredTiB": {},  # per storage class, e.g. {"STANDARD": 2, "GLACIER": 10}; buckets' data
    "replicationRegion": None,  # region that receives every write (site/bucket replication), or None
    # S3 requests per second through the load balancer (all nodes, health checks aside): X-Ray records the share of
    # them its sampling rule's fixedRate says (RustFS samples at the same ratio, RUSTFS_OBS_SAMPLE_RATIO).
    "s3RequestsPerSecond": 50.0,
    "xrayTracesRetrievedPerMonth": 100_000,  # traces retrieved or scanned by people and dashboards
    # CloudWatch's free tier (3 dashboards, 10 alarm metrics) is the whole account's: not assumed to be left.
    "freeDashboards": 0,
    # The node image pipeline (components/images/pipeline.py). Builds: None = one per scheduled run, an upper bound
    # (a run builds only when AL2023 or a component has an update); hours: the build and the test instance together.
    "imageBuildsPerMonth": None,
    "imageBuildHours": 1.0,
    "imagesKept": 4,  # distributed AMIs kept per Region: nothing deregisters old ones (README, Optimized AMI)
    # DataSync (components/migration/): TiB its tasks copy this month, every leg counted (a staged source is copied
    # twice: into S3, then into RustFS); preflight sets the initial copy from migration.sources[].sizeTiB.
    "datasyncTiBPerMonth": 0.0,
    # GB a month the stack sends to on-premises over its Site-to-Site VPN (components/hybrid/): None = every write
    # (usage.writeMBps), what bucket or site replication back to an on-premises RustFS sends; reads by on-premises
    # clients come on top. Traffic into AWS is free.
    "hybridGBOutPerMonth": None,
    # GB a month the DR primary replicates into this secondary over the peering connection (components/dr/): None =
    # every write (usage.writeMBps: on a secondary, the primary's writes it receives); dr.replicatedGBPerMonth sets it.
    "drReplicatedGBPerMonth": None,
    # The S3 remote tier (components/integrations/): its data by storage class, e.g. {"STANDARD_IA": 5,
    # "GLACIER_IR": 10, "DEEP_ARCHIVE": 40}; objects RustFS moves there a month (one PUT each, and in time one
    # lifecycle transition per colder class of the tier bucket's rules); the GB they hold (what replication copies to
    # the replica's Region); GB clients send through transfer acceleration. Like s3StoredTiB, nothing is assumed:
    # how much a stack tiers depends on its lifecycle rules and its data, which the program cannot know.
    "tierStoredTiB": {},
    "tierObjectsPerMonth": 0,
    "tierIngestGBPerMonth": 0.0,
    "acceleratedGBPerMonth": 0.0,
}

# The defaults of the stack config's ``usage`` section (components/config.py, README "Configuration"), here so
# that the policy pack, which cannot read the program's config model, assumes the same figures as preflight.
CONFIG_USAGE_DEFAULTS: dict = {"writeMBps": 10.0, "readMBps": 30.0, "storedTiB": 1.0, "growthTiBPerMonth": 0.1}

EC2_INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
VOLUME = "aws:ebs/volume:Volume"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
LB = "aws:lb/loadBalancer:LoadBalancer"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
SAMPLING_RULE = "aws:xray/samplingRule:SamplingRule"
CLOUDFRONT = "aws:cloudfront/distribution:Distribution"
SNAPSHOT_POLICIES = ("aws:dlm/lifecyclePolicy:LifecyclePolicy", "aws:backup/plan:Plan")
EKS_CLUSTER = "eks:index:Cluster"  # pulumi-eks (a remote component: priced from its inputs)
LATTICE_RESOURCE_CONFIGURATION = "aws:vpclattice/resourceConfiguration:ResourceConfiguration"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKET_ACCELERATE = "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration"
TIER_PURPOSE = ("rustfs:purpose", "remote-tier")  # the tag the tier bucket carries (integrations/tiering.py)
_S3_CLASS_TABLE = {"GLACIER_IR": "s3_glacier_ir"}  # classes priced from their own table
IMAGE_PIPELINE = "aws:imagebuilder/imagePipeline:ImagePipeline"
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
VPC_PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
DX_GATEWAY = "aws:directconnect/gateway:Gateway"
IMAGE_RECIPE = "aws:imagebuilder/imageRecipe:ImageRecipe"
IMAGE_INFRASTRUCTURE = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
IMAGE_DISTRIBUTION = "aws:imagebuilder/distributionConfiguration:DistributionConfiguration"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MAINTENANCE_WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
SSM_ASSOCIATION = "aws:ssm/association:Association"
SESSION_DOCUMENT_TYPE = "Session"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
_QUANTITY_GIB = {"Ki": 1 / 1024 ** 2, "Mi": 1 / 1024, "Gi": 1.0, "Ti": 1024.0, "K": 1e3 / 2 ** 30, "M": 1e6 / 2 ** 30,
                 "G": 1e9 / 2 ** 30, "T": 1e12 / 2 ** 30}


def _known(value):
    return None if isinstance(value, str) and value in _HIDDEN else value


def _inputs(resource: dict) -> dict:
    return resource.get("inputs") or resource.get("props") or {}


def _num(value, default=None):
    value = _known(value)
    if value is None or value == "":
        return default
    return float(value)


def _usd(x: float) -> float:
    return round(x, 2)


class _Bill:
    def __init__(self, region: str):
        self.region = region
        self.items: list[dict] = []
        self.unpriced: list[str] = []
        self.dates: set[str] = set()
        self._raw: list[float | None] = []  # each item's unrounded amount, for add_to

    def price(self, table: str, key: str, region: str | None = None) -> float | None:
        try:
            value = price(region or self.region, table, key)
        except PriceNotSourced as err:
            self.unpriced.append(str(err))
            return None
        self.dates.add(price_table(table)["date"])
        return value

    def add(self, what: str, amount: float | None, basis: str) -> None:
        if amount is None:
            self.items.append({"what": what, "monthlyUSD": 0.0, "basis": "NOT PRICED (no sourced price): " + basis})
        else:
            self.items.append({"what": what, "monthlyUSD": _usd(amount), "basis": basis})
        self._raw.append(amount)

    def add_to(self, product: str, count: int, amount: float | None, basis: str) -> None:
        """One line per AWS product: add ``count`` units and ``amount`` to the line ``"<product> (<n>)"`` if one
        is already on the bill (its count grows, its basis gains this part), else start it. Two lines for one
        product would read as two charges and could not be checked against the product's price page."""
        index = next((i for i, item in enumerate(self.items) if item["what"].startswith(product + " (")), None)
        if index is None:
            self.add(f"{product} ({count})", amount, basis)
            return
        item, raw = self.items[index], self._raw[index]
        number, _, unit = item["what"][len(product) + 2:].split(")", 1)[0].partition(" ")  # "45 groups"
        total = int(number) + count
        item["what"] = f"{product} ({total}{' ' + unit if unit else ''})"
        if amount is None or raw is None:
            self._raw[index] = None
            item["monthlyUSD"] = 0.0
            if not item["basis"].startswith("NOT PRICED"):
                item["basis"] = "NOT PRICED (no sourced price): " + item["basis"]
        else:
            self._raw[index] = raw + amount
            item["monthlyUSD"] = _usd(raw + amount)
        item["basis"] += "; plus " + basis


# --- instances ----------------------------------------------------------------------------------------

def _template_keys(resource: dict) -> set:
    inputs = _inputs(resource)
    keys = {resource.get("id"), resource.get("name"), resource.get("urn"), inputs.get("name")}
    outputs = resource.get("outputs") or {}
    keys |= {outputs.get("id"), outputs.get("name")}
    return {k for k in keys if _known(k)}


def _asg_template(asg: dict, templates: list[dict]) -> dict | None:
    ref = _inputs(asg).get("launchTemplate") or {}
    wanted = {_known(ref.get("id")), _known(ref.get("name"))} - {None}
    for t in templates:
        if wanted & _template_keys(t):
            return t
    return templates[0] if len(templates) == 1 else None


def _instances(resources: list[dict]) -> tuple[list[tuple[str, int, list[dict]]], list[str]]:
    """(instance type, count, block-device volumes per instance) and names of groups we could not resolve."""
    templates = [r for r in resources if r.get("type") == LAUNCH_TEMPLATE]
    fleets, unresolved = [], []
    for r in resources:
        inputs = _inputs(r)
        if r.get("type") == ASG:
            count = _num(inputs.get("desiredCapacity"), _num(inputs.get("minSize"), 0))
            template = _asg_template(r, templates)
            itype = _known(_inputs(template).get("instanceType")) if template else None
            if not itype:
                unresolved.append(r.get("name") or "autoscaling group")
                continue
            volumes = [m.get("ebs") or {} for m in _inputs(template).get("blockDeviceMappings") or []]
            fleets.append((itype, int(count), volumes))
        elif r.get("type") == NODE_GROUP:
            # An EKS managed node group: EC2 instances at on-demand prices (EKS adds no per-node charge).
            scaling = inputs.get("scalingConfig") or {}
            count = _num(scaling.get("desiredSize"), _num(scaling.get("minSize"), 0))
            itype = _known((inputs.get("instanceTypes") or [None])[0])
            template = _asg_template(r, templates)
            if not itype:
                unresolved.append(r.get("name") or "node group")
                continue
            volumes = [m.get("ebs") or {} for m in _inputs(template).get("blockDeviceMappings") or []] if template \
                else [{"volumeSize": inputs.get("diskSize") or 20, "volumeType": "gp2"}]
            fleets.append((itype, int(count), volumes))
        elif r.get("type") == EC2_INSTANCE and _known(inputs.get("instanceType")):
            root = inputs.get("rootBlockDevice") or {}
            fleets.append((inputs["instanceType"], 1, [root] if root else []))
    return fleets, unresolved


def _add_instances(bill: _Bill, fleets, unresolved) -> None:
    per_type: dict[str, int] = {}
    for itype, count, _ in fleets:
        per_type[itype] = per_type.get(itype, 0) + count
    date = price_table("ec2")["date"]
    for itype, count in sorted(per_type.items()):
        hourly = bill.price("ec2", itype)
        amount = None if hourly is None else count * hourly * HOURS_PER_MONTH
        rate = "?" if hourly is None else f"${hourly}/h"
        bill.add(f"EC2 {count} x {itype}", amount,
                 f"{count} x {rate} x {HOURS_PER_MONTH} h, on-demand Linux {bill.region} ({date})")
    for name in unresolved:
        bill.add(f"EC2 instances of {name}", None, "launch template or instance type could not be resolved")


# --- EBS ----------------------------------------------------------------------------------------------

def _volume(size, kind, iops, throughput) -> dict:
    return {"size": _num(size, 0.0), "type": (_known(kind) or "gp2").lower(),
            "iops": _num(iops, 0.0), "throughput": _num(throughput, 0.0)}


def _volumes(resources: list[dict], fleets) -> list[dict]:
    vols = []
    for r in resources:
        if r.get("type") == VOLUME:
            i = _inputs(r)
            vols.append(_volume(i.get("size"), i.get("type"), i.get("iops"), i.get("throughput")))
    vols.extend(_claimed_volumes(resources))
    for _, count, devices in fleets:
        for d in devices:
            size = d.get("volumeSize")
            kind = d.get("volumeType")
            vols.extend([_volume(size, kind, d.get("iops"), d.get("throughput"))] * count)
    return vols


def _gib(quantity) -> float:
    """A Kubernetes quantity ("500Gi", "1Ti", "100G") in GiB."""
    text = str(_known(quantity) or "0")
    for suffix in sorted(_QUANTITY_GIB, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * _QUANTITY_GIB[suffix]
    return float(text) / 2 ** 30


def _claimed_volumes(resources: list[dict]) -> list[dict]:
    """EBS volumes the CSI driver will create for StatefulSets' claims, typed by their StorageClass."""
    classes = {(_inputs(r).get("metadata") or {}).get("name"): _inputs(r).get("parameters") or {}
               for r in resources if r.get("type") == STORAGE_CLASS}
    vols = []
    for r in resources:
        if r.get("type") != STATEFUL_SET:
            continue
        spec = _inputs(r).get("spec") or {}
        for claim in spec.get("volumeClaimTemplates") or []:
            cs = claim.get("spec") or {}
            p = classes.get(cs.get("storageClassName"), {})
            size = _gib(((cs.get("resources") or {}).get("requests") or {}).get("storage"))
            vols.extend([_volume(size, p.get("type", "gp3"), p.get("iops"), p.get("throughput"))]
                        * int(_num(spec.get("replicas"), 1)))
    return vols


def _add_eks(bill: _Bill, resources: list[dict]) -> None:
    clusters = _count(resources, EKS_CLUSTER)
    if clusters:
        hourly = bill.price("eks", "cluster_standard_hour")
        bill.add(f"EKS control plane ({clusters})", None if hourly is None else clusters * hourly * HOURS_PER_MONTH,
                 f"{clusters} x ${hourly}/cluster-hour x {HOURS_PER_MONTH} h (standard support; a version in "
                 f"extended support costs ${bill.price('eks', 'cluster_extended_hour')}/h)")


def _add_ebs(bill: _Bill, vols: list[dict]) -> None:
    by_type: dict[str, list[dict]] = {}
    for v in vols:
        by_type.setdefault(v["type"], []).append(v)
    for kind, group in sorted(by_type.items()):
        gib = sum(v["size"] for v in group)
        unit = bill.price("ebs", f"{kind}_gb_month")
        bill.add(f"EBS {kind} storage", None if unit is None else gib * unit,
                 f"{len(group)} volumes, {gib:.0f} GiB x ${unit}/GB-month")
        if kind == "gp3":
            extra_iops = sum(max(0.0, (v["iops"] or 3000) - 3000) for v in group)
            extra_tput = sum(max(0.0, (v["throughput"] or 125) - 125) for v in group)
            if extra_iops:
                unit = bill.price("ebs", "gp3_iops_month")
                bill.add("EBS gp3 IOPS above 3,000", None if unit is None else extra_iops * unit,
                         f"{extra_iops:.0f} IOPS above the free 3,000 per volume x ${unit}/IOPS-month")
            if extra_tput:
                unit = bill.price("ebs", "gp3_mibps_month")
                bill.add("EBS gp3 throughput above 125 MiB/s", None if unit is None else extra_tput * unit,
                         f"{extra_tput:.0f} MiB/s above the free 125 per volume x ${unit}/MiB/s-month")
        elif kind in ("io1", "io2"):
            iops = sum(v["iops"] for v in group)
            key = "io2_iops_month_first_32000" if kind == "io2" else "io1_iops_month"
            unit = bill.price("ebs", key)
            note = " (first-tier rate; IOPS above 32,000 per volume are cheaper, so this is an upper bound)"
            bill.add(f"EBS {kind} provisioned IOPS", None if unit is None else iops * unit,
                     f"{iops:.0f} IOPS x ${unit}/IOPS-month" + (note if kind == "io2" else ""))


_DAYS_PER_UNIT = {"HOURS": 1 / 24, "DAYS": 1, "WEEKS": 7, "MONTHS": 30, "YEARS": 365}


def snapshot_retention_days(policy: dict) -> float | None:
    """Days a snapshot is kept under a DLM policy: retain count x schedule interval, or a retain interval."""
    details = _inputs(policy).get("policyDetails")
    schedules = details.get("schedules") if isinstance(details, dict) else None
    days = []
    for schedule in schedules if isinstance(schedules, list) else []:
        retain, create = schedule.get("retainRule") or {}, schedule.get("createRule") or {}
        count, interval = _known(retain.get("count")), _known(create.get("interval"))
        unit = _DAYS_PER_UNIT.get(_known(create.get("intervalUnit")) or "HOURS")
        if isinstance(count, (int, float)) and isinstance(interval, (int, float)) and unit:
            days.append(count * interval * unit)
        elif isinstance(_known(retain.get("interval")), (int, float)):
            days.append(retain["interval"] * _DAYS_PER_UNIT.get(_known(retain.get("intervalUnit")) or "DAYS", 1))
    return max(days) if days else None


def _add_snapshots(bill: _Bill, resources, usage, stored_on_drives_gb: float) -> None:
    policies = [r for r in resources if r.get("type") in SNAPSHOT_POLICIES]
    if not policies:
        return
    declared = [d for d in (snapshot_retention_days(p) for p in policies) if d is not None]
    rate = usage["snapshotDailyChangeRate"]
    days = max(declared) if declared else usage["snapshotRetentionDays"]
    gb = stored_on_drives_gb * (1 + rate * days)
    unit = bill.price("ebs", "snapshot_gb_month")
    bill.add("EBS snapshots", None if unit is None else gb * unit,
             f"{stored_on_drives_gb:.0f} GB on the drives + {rate:.0%}/day changed x {days} days retained "
             f"= {gb:.0f} GB x ${unit}/GB-month (usage.snapshotDailyChangeRate; retention "
             f"{'from the snapshot policy' if declared else 'usage.snapshotRetentionDays'})")
    copies = [p for p in policies if "crossRegionCopy" in repr(_inputs(p))]
    if copies:
        changed = stored_on_drives_gb * rate * 30
        unit = bill.price("transfer", "inter_region_gb")
        bill.add("Snapshot copies to another region", None if unit is None else changed * unit,
                 f"{changed:.0f} GB changed per month copied x ${unit}/GB inter-region")


# --- network ------------------------------------------------------------------------------------------

def _az_count(resources, usage) -> int:
    if usage.get("azs"):
        return int(usage["azs"])
    for kind in (VOLUME, SUBNET):
        zones = {_known(_inputs(r).get("availabilityZone")) for r in resources if r.get("type") == kind}
        zones.discard(None)
        if zones:
            return len(zones)
    return 3


def _add_network(bill: _Bill, resources, usage, e: float, has_cluster: bool) -> None:
    write_gb = usage["writeMBps"] * SECONDS_PER_MONTH / 1000
    read_gb = usage["readMBps"] * SECONDS_PER_MONTH / 1000
    nats = [r for r in resources if r.get("type") == NAT]
    if nats:
        hour, gb = bill.price("nat", "hour"), bill.price("nat", "gb_processed")
        amount = None if None in (hour, gb) else len(nats) * hour * HOURS_PER_MONTH + usage["natGBPerMonth"] * gb
        bill.add(f"NAT gateways ({len(nats)})", amount,
                 f"{len(nats)} x ${hour}/h x {HOURS_PER_MONTH} h + {usage['natGBPerMonth']:.0f} GB x ${gb}/GB "
                 "processed (usage.natGBPerMonth)")
    for lb in (r for r in resources if r.get("type") == LB):
        kind = _known(_inputs(lb).get("loadBalancerType")) or "application"
        name = lb.get("name") or "load balancer"
        if kind == "application":
            # The edge's origin (components/edge/origin.py): it carries CloudFront's misses. An LCU is charged on its
            # busiest dimension; processed bytes (1 GB per LCU-hour) dominate for objects.
            hour, lcu = bill.price("alb", "hour"), bill.price("alb", "lcu_hour")
            edge = _count(resources, CLOUDFRONT) > 0
            gb_per_hour = usage["cloudfrontGBPerMonth"] * (1 - usage["cloudfrontCacheHitRatio"]) / HOURS_PER_MONTH \
                if edge else 0.0
            bill.add(f"ALB {name}", None if None in (hour, lcu) else (hour + gb_per_hour * lcu) * HOURS_PER_MONTH,
                     f"${hour}/h + {gb_per_hour:.2f} LCU (1 LCU ~ 1 GB/h processed: CloudFront's misses, "
                     f"usage.cloudfrontGBPerMonth x (1 - cloudfrontCacheHitRatio)) x ${lcu}/LCU-h, x "
                     f"{HOURS_PER_MONTH} h")
            continue
        if kind != "network":
            bill.add(f"Load balancer {name} ({kind})", None, f"only NLB and ALB prices are sourced, not {kind}")
            continue
        hour, nlcu = bill.price("nlb", "hour"), bill.price("nlb", "nlcu_hour")
        gb_per_hour = (usage["writeMBps"] + usage["readMBps"]) * 3600 / 1000
        amount = None if None in (hour, nlcu) else (hour + gb_per_hour * nlcu) * HOURS_PER_MONTH
        bill.add(f"NLB {name}", amount,
                 f"${hour}/h + {gb_per_hour:.1f} NLCU (1 NLCU ~ 1 GB/h of TCP bytes) x ${nlcu}/NLCU-h, "
                 f"x {HOURS_PER_MONTH} h (usage.writeMBps + readMBps)")
    azs = _az_count(resources, usage)
    if has_cluster and azs > 1:
        remote = (azs - 1) / azs
        gb = write_gb * e * remote + read_gb * remote
        unit = bill.price("transfer", "inter_az_gb_each_direction")
        bill.add("Cross-AZ erasure traffic", None if unit is None else gb * unit * 2,
                 f"writes {write_gb:.0f} GB x {e:.3g} shards x {azs - 1}/{azs} in other AZs + reads "
                 f"{read_gb:.0f} GB x {azs - 1}/{azs} = {gb:.0f} GB x ${unit}/GB each direction x 2")
    target = usage.get("replicationRegion")
    if has_cluster and target:
        unit = bill.price("transfer", "inter_region_gb")
        bill.add(f"Replication to {target}", None if unit is None else write_gb * unit,
                 f"{write_gb:.0f} GB written x ${unit}/GB inter-region (usage.replicationRegion)")


# --- managed services ---------------------------------------------------------------------------------

def alarm_metrics(alarm: dict) -> int:
    """The metrics an alarm is billed for: its one metric, or each metric its metric math retrieves."""
    queries = _inputs(alarm).get("metricQueries") or []
    return sum(1 for q in queries if isinstance(q, dict) and q.get("metric")) or 1


def _count(resources, types) -> int:
    types = (types,) if isinstance(types, str) else types
    return sum(1 for r in resources if r.get("type") in types)


def _add_lattice(bill: _Bill, resources) -> None:
    """VPC Lattice bills VPC resources by the GB its clients move through the service network (AWS, "Amazon VPC
    Lattice pricing", aws.amazon.com/vpc/lattice/pricing/, tab "VPC resources", tiered per Region). That price is
    not in prices.json (not sourced), so the line says so instead of counting it as free."""
    configs = _count(resources, LATTICE_RESOURCE_CONFIGURATION)
    if configs:
        # Recorded under "unpriced" while there is no table; a sourced price would also need a usage key for
        # the GB the clients move, so the amount stays unpriced either way until both exist.
        bill.price("vpclattice", "resource_data_gb")
        bill.add(f"VPC Lattice ({configs} resource configuration{'s' if configs != 1 else ''})", None,
                 "GB that clients move through the service network x the VPC resources price per GB (Amazon VPC "
                 "Lattice pricing, tiered per Region); the clients' share of the S3 traffic is not modelled")


def _add_services(bill: _Bill, resources, usage) -> None:
    buckets = _count(resources, BUCKETS)
    if buckets:
        classes = usage.get("s3StoredTiB") or {}
        if not classes:
            bill.add(f"S3 storage ({buckets} buckets)", 0.0, "usage.s3StoredTiB not set: no bucket data assumed")
        for cls, tib in sorted(classes.items()):
            unit = bill.price("s3", f"{cls}_gb_month")
            gb = float(tib) * GB_PER_TIB
            bill.add(f"S3 {cls}", None if unit is None else gb * unit,
                     f"{gb:.0f} GB x ${unit}/GB-month (usage.s3StoredTiB.{cls})")
    logs = [r for r in resources if r.get("type") == LOG_GROUP]
    if logs:
        ingest, store = bill.price("cloudwatch", "logs_ingested_gb"), bill.price("cloudwatch", "logs_stored_gb_month")
        days = [_num(_inputs(g).get("retentionInDays")) for g in logs]
        months = max((d / 30 if d else usage["logsRetentionMonthsIfUnset"]) for d in days)
        gb = usage["logsGBPerMonth"]
        amount = None if None in (ingest, store) else gb * ingest + gb * months * store
        bill.add(f"CloudWatch Logs ({len(logs)} groups)", amount,
                 f"{gb:.0f} GB ingested x ${ingest}/GB + {gb * months:.0f} GB kept ({months:.1f} months) x "
                 f"${store}/GB-month (usage.logsGBPerMonth)")
    windows = _count(resources, MAINTENANCE_WINDOW)
    sessions = sum(1 for r in resources if r.get("type") == "aws:ssm/document:Document"
                   and _inputs(r).get("documentType") == SESSION_DOCUMENT_TYPE)
    if windows or sessions:
        # Patch Manager, Maintenance Windows, Run Command and Session Manager on EC2 instances carry no charge
        # (aws.amazon.com/systems-manager/pricing); what they cause is priced where it lands: the session and
        # command logs in CloudWatch Logs (usage.logsGBPerMonth), the session data keys in KMS requests
        # (usage.kmsRequestsPerMonth), the transcripts in the logs bucket.
        parts = [f"{windows} maintenance window{'s' if windows != 1 else ''}"] if windows else []
        bill.add(f"Systems Manager ({', '.join([*parts, *(['Session Manager'] if sessions else [])])})", 0.0,
                 "no charge for EC2 instances: patching, maintenance windows, Run Command, Session Manager")
    alarms = [r for r in resources if r.get("type") == ALARM]
    if alarms:
        unit = bill.price("cloudwatch", "alarm_standard_month")
        metrics = sum(alarm_metrics(a) for a in alarms)
        bill.add(f"CloudWatch alarms ({len(alarms)})", None if unit is None else metrics * unit,
                 f"{metrics} alarm metrics x ${unit}/alarm metric-month (standard resolution; a metric math "
                 "alarm is billed for each metric it retrieves, CloudWatch pricing)")
    keys = _count(resources, KMS_KEY)
    if keys:
        key, req = bill.price("kms", "key_month"), bill.price("kms", "requests_per_10k")
        n = usage["kmsRequestsPerMonth"] / 10_000
        bill.add(f"KMS keys ({keys})", None if None in (key, req) else keys * key + n * req,
                 f"{keys} x ${key}/key-month + {n:.0f} x 10k requests x ${req} (usage.kmsRequestsPerMonth)")
    secrets = _count(resources, SECRET)
    if secrets:
        sec, api = bill.price("secretsmanager", "secret_month"), bill.price("secretsmanager", "api_per_10k")
        n = usage["secretsApiCallsPerMonth"] / 10_000
        bill.add(f"Secrets Manager ({secrets})", None if None in (sec, api) else secrets * sec + n * api,
                 f"{secrets} x ${sec}/secret-month + {n:.0f} x 10k calls x ${api}")
    _add_edge(bill, resources, usage)


# --- the edge: CloudFront, Origin Shield, WAF, real-time metrics and logs ----------------------------------------

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
MONITORING_SUBSCRIPTION = "aws:cloudfront/monitoringSubscription:MonitoringSubscription"
REALTIME_LOG_CONFIG = "aws:cloudfront/realtimeLogConfig:RealtimeLogConfig"
KINESIS_STREAM = "aws:kinesis/stream:Stream"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
CLOUDFRONT_FUNCTION = "aws:cloudfront/function:Function"
# CloudFront's price list is by viewer zone, not by the stack's Region (data/prices.json cloudfront); every zone's
# figures live under us-east-1 there. The zones each price class serves from (AWS CDK aws_cloudfront.PriceClass).
EDGE_ZONES = ("us", "europe", "middle_east", "south_america", "japan", "australia", "asia", "india")
PRICE_CLASS_ZONES = {"PriceClass_100": ("us", "europe"),
                     "PriceClass_200": ("us", "europe", "middle_east", "japan", "asia", "india"),
                     "PriceClass_All": EDGE_ZONES}
# Outside its price class a viewer is served "from the CloudFront edge location that has the lowest latency among
# the edge locations in your price class" (CloudFront API Reference, DistributionConfig PriceClass): our guess of
# that zone, in order of preference, for the billing.
EDGE_SERVED_FROM = {"middle_east": ("europe",), "south_america": ("us",), "japan": ("asia", "us"),
                    "australia": ("asia", "us"), "asia": ("japan", "us"), "india": ("asia", "europe")}
# Origin Shield's price zone of each Origin Shield Region, and the zone whose regional edge caches sit in it: requests
# from there reach Origin Shield as no extra layer ("Estimating Origin Shield costs").
ORIGIN_SHIELD_ZONE = {"us-east-1": "us", "us-east-2": "us", "us-west-2": "us", "eu-central-1": "europe",
                      "eu-west-1": "europe", "eu-west-2": "europe", "sa-east-1": "south_america",
                      "ap-northeast-1": "japan", "ap-southeast-2": "australia", "ap-southeast-1": "singapore",
                      "ap-northeast-2": "south_korea", "ap-south-1": "india"}
_VIEWER_SHIELD_ZONE = {"us": "us", "europe": "europe", "middle_east": "europe", "south_america": "south_america",
                       "japan": "japan", "australia": "australia", "asia": "singapore", "india": "india"}
REALTIME_METRICS_PER_DISTRIBUTION = 8  # "CloudFront sends up to 8 metrics to CloudWatch in us-east-1" (monitoring)
GB_PER_TB = 1024


def served_zone(zone: str, price_class: str) -> str:
    """The zone a viewer of ``zone`` is served (and billed) from under ``price_class``."""
    included = PRICE_CLASS_ZONES.get(price_class, EDGE_ZONES)
    if zone in included:
        return zone
    return next((z for z in EDGE_SERVED_FROM.get(zone, ()) if z in included), "us")


def _shares(usage) -> dict[str, float]:
    shares = usage["cloudfrontViewerShares"]
    unknown = set(shares) - set(EDGE_ZONES)
    if unknown or abs(sum(shares.values()) - 1) > 1e-6:
        raise ValueError(f"usage.cloudfrontViewerShares: zones of {', '.join(EDGE_ZONES)} whose shares add up to 1, "
                         f"got {shares}")
    return shares


def edge_rates(bill: _Bill, price_class: str, shares: dict[str, float]) -> tuple[float | None, float | None]:
    """(USD per GB out, USD per 10k HTTPS requests), averaged over the viewers' served zones."""
    gb = https = 0.0
    for zone, share in shares.items():
        served = served_zone(zone, price_class)
        g = bill.price("cloudfront", f"internet_first_10tb_gb_{served}", "us-east-1")
        h = bill.price("cloudfront", f"https_per_10k_{served}", "us-east-1")
        if None in (g, h):
            return None, None
        gb, https = gb + share * g, https + share * h
    return gb, https


def _origin_shields(dist: dict) -> list[str]:
    return [str(_known((o.get("originShield") or {}).get("originShieldRegion"))) for o in _inputs(dist).get("origins")
            or [] if isinstance(o, dict) and (o.get("originShield") or {}).get("enabled") is True]


def origin_shield_share(shares: dict[str, float], price_class: str, region: str) -> float:
    """Share of cache misses that reach Origin Shield from a regional edge cache of another zone (an extra layer,
    billed); misses of the Origin Shield's own zone are not ("Estimating Origin Shield costs")."""
    zone = ORIGIN_SHIELD_ZONE.get(region)
    return sum(share for z, share in shares.items() if _VIEWER_SHIELD_ZONE[served_zone(z, price_class)] != zone)


def _add_edge(bill: _Bill, resources, usage) -> None:
    """CloudFront data out and requests by the price class's zones, Origin Shield's extra requests, the 404 function,
    real-time metrics and logs, WAF (web ACL, rules, requests); the origin ALB is a load balancer line."""
    dists = [r for r in resources if r.get("type") == CLOUDFRONT]
    req, gb = usage["cloudfrontRequestsPerMonth"], usage["cloudfrontGBPerMonth"]
    hit, shares = usage["cloudfrontCacheHitRatio"], _shares(usage) if dists else {}
    for dist in dists:
        inputs = _inputs(dist)
        price_class = _known(inputs.get("priceClass")) or "PriceClass_All"  # CloudFront's default
        label = dist.get("name") or "distribution"
        gb_rate, req_rate = edge_rates(bill, price_class, shares)
        zones = ", ".join(f"{z} {s:.0%}->{served_zone(z, price_class)}" for z, s in shares.items())
        bill.add(f"CloudFront {label} data out ({price_class})", None if gb_rate is None else gb * gb_rate,
                 f"{gb:,.0f} GB x ${gb_rate or 0:.4f}/GB (first-10-TB rates of the viewers' served zones: {zones}; "
                 "usage.cloudfrontGBPerMonth, cloudfrontViewerShares)")
        bill.add(f"CloudFront {label} HTTPS requests", None if req_rate is None else req / 10_000 * req_rate,
                 f"{req / 10_000:,.0f} x 10k requests x ${req_rate or 0:.5f} (usage.cloudfrontRequestsPerMonth)")
        for region in _origin_shields(dist):
            zone = ORIGIN_SHIELD_ZONE.get(region)
            unit = bill.price("cloudfront", f"origin_shield_per_10k_{zone}", "us-east-1") if zone else None
            extra = req * (1 - hit) * origin_shield_share(shares, price_class, region)
            bill.add(f"CloudFront {label} Origin Shield ({region})", None if unit is None else extra / 10_000 * unit,
                     f"{req:,.0f} requests x {1 - hit:.0%} misses (usage.cloudfrontCacheHitRatio) x "
                     f"{origin_shield_share(shares, price_class, region):.0%} from regional caches of other zones = "
                     f"{extra:,.0f} x ${unit}/10k")
        behaviors = [inputs.get("defaultCacheBehavior") or {}, *(inputs.get("orderedCacheBehaviors") or [])]
        if any((b or {}).get("functionAssociations") for b in behaviors[1:]):
            invocations = req
        elif (behaviors[0] or {}).get("functionAssociations"):
            invocations = req * usage["cloudfrontDefaultPathShare"]
        else:
            invocations = 0
        if invocations:
            unit = bill.price("cloudfront", "function_invocations_per_million", "us-east-1")
            bill.add(f"CloudFront Functions ({label})", None if unit is None else invocations / 1e6 * unit,
                     f"{invocations:,.0f} invocations (default behavior: usage.cloudfrontDefaultPathShare of the "
                     f"requests) x ${unit}/million")
    subscriptions = [s for s in resources if s.get("type") == MONITORING_SUBSCRIPTION and (
        ((_inputs(s).get("monitoringSubscription") or {}).get("realtimeMetricsSubscriptionConfig") or {})
        .get("realtimeMetricsSubscriptionStatus") == "Enabled")]
    if subscriptions:
        unit = bill.price("cloudwatch", "metric_month", "us-east-1")
        metrics = REALTIME_METRICS_PER_DISTRIBUTION * len(subscriptions)
        bill.add(f"CloudFront real-time metrics ({len(subscriptions)} distributions)",
                 None if unit is None else metrics * unit,
                 f"{metrics} CloudWatch metrics in us-east-1 (up to 8 per distribution) x ${unit}/metric-month")
    for config in (r for r in resources if r.get("type") == REALTIME_LOG_CONFIG):
        rate = (_num(_inputs(config).get("samplingRate"), 100.0) or 0) / 100
        lines = req * rate
        shards = sum(_num(_inputs(k).get("shardCount"), 1.0) for k in resources if k.get("type") == KINESIS_STREAM)
        line, shard, put = (bill.price("cloudfront", "realtime_log_lines_per_million", "us-east-1"),
                            bill.price("kinesis", "shard_hour", "us-east-1"),
                            bill.price("kinesis", "put_units_per_million", "us-east-1"))
        bill.add("CloudFront real-time logs (Kinesis)",
                 None if None in (line, shard, put) else lines / 1e6 * (line + put) + shards * shard * HOURS_PER_MONTH,
                 f"{lines:,.0f} log lines ({rate:.0%} sampled) x (${line} + ${put} PUT units)/million + {shards:.0f} "
                 f"shard(s) x ${shard}/h x {HOURS_PER_MONTH} h")
    if any(r.get("type") == LOG_DELIVERY for r in resources) and not _edge_log_groups(resources)[1]:
        bill.add("CloudWatch vended-log deliveries (CloudFront standard logs v2)", None,
                 "CloudWatch's vended-log delivery rate to S3 is not in the price data (the delivered logs' storage "
                 "is priced where they land: the logs bucket)")
    groups_gb = edge_log_gb_per_request(resources, usage) * req
    if groups_gb:
        ingest, store = bill.price("cloudwatch", "logs_ingested_gb", "us-east-1"), bill.price(
            "cloudwatch", "logs_stored_gb_month", "us-east-1")
        months = _edge_log_months(resources, usage)
        waf, access = _edge_log_groups(resources)
        what = "WAF and CloudFront" if access else "WAF"
        # The groups are already counted on the line; their traffic-driven volume is added to it.
        bill.add_to("CloudWatch Logs", 0, None if None in (ingest, store) else groups_gb * (ingest + months * store),
                    f"the edge's {len(waf) + len(access)} groups in us-east-1 ({what} logs, delivered to CloudWatch "
                    f"Logs at its ingestion rate): {req:,.0f} requests x "
                    f"{edge_log_gb_per_request(resources, usage) * 1e9:,.0f} bytes (usage.wafLogBytesPerRequest"
                    f"{', cloudfrontLogBytesPerRequest' if access else ''}) = {groups_gb:,.1f} GB x ${ingest}/GB + "
                    f"kept {months:.1f} months x ${store}/GB-month")
    for acl in (r for r in resources if r.get("type") == WEB_ACL):
        rules = [r for r in _inputs(acl).get("rules") or [] if isinstance(r, dict)]
        groups = sum(1 for r in rules if (r.get("statement") or {}).get("managedRuleGroupStatement"))
        month, rule, group, per_million = (bill.price("wafv2", "web_acl_month", "us-east-1"),
                                           bill.price("wafv2", "rule_month", "us-east-1"),
                                           bill.price("wafv2", "rule_group_month", "us-east-1"),
                                           bill.price("wafv2", "requests_per_million", "us-east-1"))
        inspected = req if _known(_inputs(acl).get("scope")) == "CLOUDFRONT" else 0.0
        bill.add(f"WAF web ACL {acl.get('name') or 'web ACL'}",
                 None if None in (month, rule, group, per_million) else
                 month + (len(rules) - groups) * rule + groups * group + inspected / 1e6 * per_million,
                 f"${month}/month + {len(rules) - groups} rules x ${rule} + {groups} managed rule groups x ${group} + "
                 f"{inspected:,.0f} requests (every CloudFront request) x ${per_million}/million")


def _edge_log_groups(resources) -> tuple[list, list]:
    """The edge's log groups: WAF's (aws-waf-logs-*) and CloudFront's standard logs when they go to CloudWatch
    (components/edge/documents.py waf_log_group_name, access_log_group_name)."""
    groups = [r for r in resources if r.get("type") == LOG_GROUP and isinstance(_inputs(r).get("name"), str)]
    waf = [g for g in groups if _inputs(g)["name"].startswith("aws-waf-logs-")]
    access = [g for g in groups if _inputs(g)["name"].endswith("-cloudfront-access")]
    return waf, access


def edge_log_gb_per_request(resources, usage) -> float:
    """GB one CloudFront request adds to the edge's log groups (0 without a web ACL logging to one)."""
    waf, access = _edge_log_groups(resources)
    return ((usage["wafLogBytesPerRequest"] if waf else 0) + (usage["cloudfrontLogBytesPerRequest"] if access else 0)) \
        / 1e9


def _edge_log_months(resources, usage) -> float:
    waf, access = _edge_log_groups(resources)
    days = [_num(_inputs(g).get("retentionInDays")) for g in (*waf, *access)]
    return max((d / 30 if d else usage["logsRetentionMonthsIfUnset"]) for d in days) if days else 0.0


def edge_cost_per_tb(bill: _Bill, resources, usage) -> dict | None:
    """The marginal cost of one more TB delivered through the stack's first distribution at the usage's object size,
    viewer shares and hit ratio: data out, requests, Origin Shield, WAF requests, the origin ALB's LCUs for the
    misses and the WAF (and CloudWatch-bound CloudFront) log records in us-east-1, ingested and kept (fixed monthly
    charges aside). None without a distribution."""
    dist = next((r for r in resources if r.get("type") == CLOUDFRONT), None)
    if dist is None:
        return None
    shares, hit = _shares(usage), usage["cloudfrontCacheHitRatio"]
    price_class = _known(_inputs(dist).get("priceClass")) or "PriceClass_All"
    requests = usage["cloudfrontRequestsPerMonth"] / usage["cloudfrontGBPerMonth"] * GB_PER_TB
    gb_rate, req_rate = edge_rates(bill, price_class, shares)
    waf = bill.price("wafv2", "requests_per_million", "us-east-1") if any(
        r.get("type") == WEB_ACL for r in resources) else 0.0
    lcu = bill.price("alb", "lcu_hour", bill.region)
    shield = 0.0
    for region in _origin_shields(dist):
        unit = bill.price("cloudfront", f"origin_shield_per_10k_{ORIGIN_SHIELD_ZONE.get(region)}", "us-east-1")
        shield += 0.0 if unit is None else requests * (1 - hit) * origin_shield_share(shares, price_class, region) \
            / 10_000 * unit
    ingest, store = bill.price("cloudwatch", "logs_ingested_gb", "us-east-1"), bill.price(
        "cloudwatch", "logs_stored_gb_month", "us-east-1")
    if None in (gb_rate, req_rate, waf, lcu, ingest, store):
        return None
    logs = requests * edge_log_gb_per_request(resources, usage) * (ingest + _edge_log_months(resources, usage) * store)
    parts = {"data out": GB_PER_TB * gb_rate, "requests": requests / 10_000 * req_rate, "origin shield": shield,
             "waf": requests / 1e6 * waf, "origin load balancer": GB_PER_TB * (1 - hit) * lcu, "logs": logs}
    return {"usdPerTB": _usd(sum(parts.values())), "parts": {k: _usd(v) for k, v in parts.items()},
            "priceClass": price_class, "requestsPerTB": round(requests),
            "basis": f"{price_class}, {requests:,.0f} requests per TB (usage.cloudfrontRequestsPerMonth / "
                     f"cloudfrontGBPerMonth), {hit:.0%} cache hits, first-10-TB rates; fixed monthly charges aside"}


def _add_monitoring(bill: _Bill, resources, usage) -> None:
    """Composite alarms, dashboards and X-Ray traces (metric alarms, standard and metric math: _add_services)."""
    composites = _count(resources, COMPOSITE_ALARM)
    if composites:
        unit = bill.price("cloudwatch_alarms_dashboards", "alarm_composite_month")
        bill.add(f"CloudWatch composite alarms ({composites})", None if unit is None else composites * unit,
                 f"{composites} x ${unit}/alarm-month (their children are billed as metric alarms)")
    dashboards = _count(resources, DASHBOARD)
    if dashboards:
        unit = bill.price("cloudwatch_alarms_dashboards", "dashboard_month")
        billed = max(0, dashboards - int(usage["freeDashboards"]))
        bill.add(f"CloudWatch dashboards ({dashboards})", None if unit is None else billed * unit,
                 f"{billed} x ${unit}/dashboard-month (the account's 3 free dashboards are not assumed left: "
                 "usage.freeDashboards)")
    rules = [r for r in resources if r.get("type") == SAMPLING_RULE]
    if rules:
        recorded, retrieved = (bill.price("xray", "traces_recorded_per_million"),
                               bill.price("xray", "traces_retrieved_per_million"))
        rate = max((_num(_inputs(r).get("fixedRate"), 0.0) for r in rules), default=0.0)
        traces = usage["s3RequestsPerSecond"] * rate * SECONDS_PER_MONTH
        read = usage["xrayTracesRetrievedPerMonth"]
        amount = None if None in (recorded, retrieved) else traces / 1e6 * recorded + read / 1e6 * retrieved
        bill.add("X-Ray traces", amount,
                 f"{traces / 1e6:.1f}M traces recorded ({usage['s3RequestsPerSecond']:g} requests/s x {rate:g}, "
                 f"usage.s3RequestsPerSecond; RustFS records request traces only at log level info) x ${recorded}/M "
                 f"+ {read / 1e6:.1f}M retrieved or scanned x ${retrieved}/M (usage.xrayTracesRetrievedPerMonth); "
                 "free tiers are the account's, not assumed")


_WEEKDAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", *(str(d) for d in range(1, 8))}


def scheduled_runs_per_month(expression) -> float | None:
    """Runs a month of an Image Builder cron expression (``cron(min hour dom month dow year)``) that fires on one
    weekday (52/12) or every day (365/12) at fixed times; None for any other shape (the caller's usage decides)."""
    text = _known(expression)
    match = isinstance(text, str) and text.startswith("cron(") and text.endswith(")") and text[5:-1].split()
    if not match or len(match) != 6:
        return None
    minute, hour, dom, month, dow, year = match
    if not (minute.isdigit() and hour.isdigit() and month == "*" and year == "*"):
        return None
    if dom == "?" and dow.upper() in _WEEKDAYS:
        return 52 / 12
    if (dom, dow) in (("*", "?"), ("?", "*")):
        return 365 / 12
    return None


def _add_images(bill: _Bill, resources, usage) -> None:
    """The node image pipeline. EC2 Image Builder charges nothing itself, only the resources it uses ("There is no
    cost to use EC2 Image Builder", aws.amazon.com/image-builder/pricing): the build and test instances, the AMIs'
    EBS snapshots, and the copy to another Region."""
    pipelines = [r for r in resources if r.get("type") == IMAGE_PIPELINE]
    if not pipelines:
        return
    infra = next((r for r in resources if r.get("type") == IMAGE_INFRASTRUCTURE), None)
    itype = _known((_inputs(infra).get("instanceTypes") or [None])[0]) if infra else None
    runs = usage["imageBuildsPerMonth"]
    if runs is None:
        runs = sum(scheduled_runs_per_month((_inputs(p).get("schedule") or {}).get("scheduleExpression")) or 0
                   for p in pipelines)
    hours = runs * usage["imageBuildHours"]
    bill.add("EC2 Image Builder", 0.0, "no charge for the service itself (aws.amazon.com/image-builder/pricing); its "
             "instances, snapshots and copies are the lines below")
    hourly = bill.price("ec2", itype) if itype else None
    bill.add(f"Image builds ({runs:.1f}/month)", None if hourly is None else hours * hourly,
             f"{runs:.1f} builds x {usage['imageBuildHours']:g} h (build + test instance, usage.imageBuildHours) x "
             f"${hourly}/h {itype or '(instance type unknown)'}; builds: at most one per scheduled run "
             "(usage.imageBuildsPerMonth), fewer when nothing was updated")
    recipe = next((r for r in resources if r.get("type") == IMAGE_RECIPE), None)
    size = sum(_num((m.get("ebs") or {}).get("volumeSize"), 0.0)
               for m in (_inputs(recipe).get("blockDeviceMappings") or [])) if recipe else 0.0
    regions = sum(len(_inputs(d).get("distributions") or []) for d in resources
                  if d.get("type") == IMAGE_DISTRIBUTION) or 1
    kept = usage["imagesKept"]
    unit = bill.price("ebs", "snapshot_gb_month")
    bill.add(f"Node AMI snapshots ({kept} kept x {regions} Regions)", None if unit is None else
             kept * regions * size * unit,
             f"{kept} AMIs (usage.imagesKept) x {regions} Regions x {size:.0f} GB root volume x ${unit}/GB-month: an "
             "upper bound (a snapshot stores only the blocks written, a few GB of the volume)")
    if regions > 1:
        transfer = bill.price("transfer", "inter_region_gb")
        gb = runs * size * (regions - 1)
        bill.add("Node AMI copies to other Regions", None if transfer is None else gb * transfer,
                 f"{runs:.1f} builds x {size:.0f} GB x {regions - 1} Region(s) x ${transfer}/GB inter-region (upper "
                 "bound, as above)")


# --- the node collector: custom metrics, its log groups, its configuration parameter ------------------------------

_NODE_DIMENSION, _MOUNT_DIMENSION, _CLUSTER_DIMENSION = "NodeName", "MountPath", "ClusterId"


def _parameter_value(parameter: dict):
    inputs = _inputs(parameter)
    for key in ("insecureValue", "value"):
        value = _known(inputs.get(key))
        if isinstance(value, str):
            return value
    return None


def collector_configs(resources: list[dict]) -> list[tuple[dict, dict]]:
    """(parameter, configuration) of each SSM parameter holding an OpenTelemetry collector configuration (JSON, as
    collector.py stores it) with an awsemf exporter."""
    import json

    found = []
    for r in resources:
        if r.get("type") != SSM_PARAMETER:
            continue
        text = _parameter_value(r)
        try:
            config = json.loads(text) if text else None
        except ValueError:
            continue
        exporters = config.get("exporters") if isinstance(config, dict) else None
        if isinstance(exporters, dict) and any(k.split("/")[0] == "awsemf" for k in exporters):
            found.append((r, config))
    return found


def _applying_association(resources, parameter: dict) -> dict | None:
    """The State Manager association that applies the parameter (its ConfigParameter names it)."""
    name = _known(_inputs(parameter).get("name"))
    return next((a for a in resources if a.get("type") == SSM_ASSOCIATION
                 and (_inputs(a).get("parameters") or {}).get("ConfigParameter") == name), None)


def _tag_targets(association: dict) -> list[tuple[str, set]]:
    return [(t["key"][len("tag:"):], set(t.get("values") or [])) for t in _inputs(association).get("targets") or []
            if isinstance(t, dict) and isinstance(t.get("key"), str) and t["key"].startswith("tag:")]


def _matches(tags: dict, targets: list[tuple[str, set]]) -> bool:
    return bool(targets) and all(tags.get(key) in values for key, values in targets)


def targeted_nodes(resources, association: dict) -> int:
    """Instances the association's tag targets reach: the Auto Scaling groups' desired capacity whose launch
    template (or propagated group tags) tag their instances so, and single instances with the tags."""
    targets = _tag_targets(association)
    templates = [r for r in resources if r.get("type") == LAUNCH_TEMPLATE]
    count = 0
    for r in resources:
        inputs = _inputs(r)
        if r.get("type") == ASG:
            template = _asg_template(r, templates)
            tags = {t.get("key"): t.get("value") for t in inputs.get("tags") or []
                    if isinstance(t, dict) and t.get("propagateAtLaunch")}
            for spec in (_inputs(template).get("tagSpecifications") or []) if template else []:
                if isinstance(spec, dict) and spec.get("resourceType") == "instance":
                    tags.update(spec.get("tags") or {})
            if _matches(tags, targets):
                count += int(_num(inputs.get("desiredCapacity"), _num(inputs.get("minSize"), 0)))
        elif r.get("type") == EC2_INSTANCE and _matches(inputs.get("tags") or {}, targets):
            count += 1
    return count


def _label_values() -> dict[str, int]:
    """RustFS's metric labels with a known value set (data/rustfs_metrics.json label_values): dimension -> values."""
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).parent / "data" / "rustfs_metrics.json").read_text())
    counts: dict[str, int] = {}
    for metric in data["metrics"]:
        for label, values in (metric.get("label_values") or {}).items():
            counts[label] = max(counts.get(label, 0), len(values))
    return counts


def custom_metrics(config: dict, nodes: int, mounts: int) -> tuple[int, list[str]]:
    """CloudWatch custom metrics the EMF exporters' declarations publish: a metric is a name with one set of
    dimension values, so each declared dimension set counts once for ClusterId, per node for NodeName, per data
    mount for MountPath, per value for a RustFS label (rustfs_metrics.json label_values; an upper bound: a value
    that never occurs publishes nothing). Also the dimensions it could not count (then counted once)."""
    labels = _label_values()
    total, uncounted = 0, set()
    for cid, exporter in (config.get("exporters") or {}).items():
        if cid.split("/")[0] != "awsemf" or not isinstance(exporter, dict):
            continue
        for declaration in exporter.get("metric_declarations") or []:
            names = len(declaration.get("metric_name_selectors") or [])
            for dimensions in declaration.get("dimensions") or []:
                series = 1
                if _MOUNT_DIMENSION in dimensions:
                    series *= mounts
                elif _NODE_DIMENSION in dimensions:
                    series *= nodes
                for d in dimensions:
                    if d in labels:
                        series *= labels[d]
                    elif d not in (_CLUSTER_DIMENSION, _NODE_DIMENSION, _MOUNT_DIMENSION):
                        uncounted.add(d)
                total += names * series
    return total, sorted(uncounted)


def _config_log_groups(config: dict) -> set:
    return {e.get("log_group_name") for e in (config.get("exporters") or {}).values()
            if isinstance(e, dict) and e.get("log_group_name")}


def _add_collector(bill: _Bill, resources, usage) -> None:
    """The node collector (components/observability/collector.py): the custom metrics its EMF declarations publish,
    the log data it sends (EMF records, RustFS's logs, the journal) and keeps, its Advanced-tier parameter and the
    parameter reads of its association. X-Ray traces are the sampling rule's line (_add_monitoring)."""
    for parameter, config in collector_configs(resources):
        association = _applying_association(resources, parameter)
        nodes = targeted_nodes(resources, association) if association else 0
        targets = _tag_targets(association) if association else []
        mounts = sum(1 for v in resources if v.get("type") == VOLUME
                     and _matches(_inputs(v).get("tags") or {}, targets))
        label = _known(_inputs(parameter).get("name")) or parameter.get("name")
        if not nodes:
            bill.add(f"Node collector {label}", None, "no instance its association targets could be counted")
            continue
        metrics, uncounted = custom_metrics(config, nodes, mounts)
        unit = bill.price("cloudwatch", "metric_month")
        bill.add(f"CloudWatch custom metrics ({metrics})", None if unit is None else metrics * unit,
                 f"{metrics} metrics (the EMF declarations' dimension sets over {nodes} nodes, {mounts} data mounts "
                 f"and RustFS's label values{'; not counted: ' + ', '.join(uncounted) if uncounted else ''}) x "
                 f"${unit}/metric-month (the first 10,000 of the account; free tier not assumed)")
        groups = _config_log_groups(config)
        kept = [_num(_inputs(g).get("retentionInDays")) for g in resources
                if g.get("type") == LOG_GROUP and _inputs(g).get("name") in groups]
        months = max((d / 30 if d else usage["logsRetentionMonthsIfUnset"]) for d in kept) if kept else \
            usage["logsRetentionMonthsIfUnset"]
        gb = usage["telemetryLogsGBPerNodeMonth"] * nodes
        ingest, store = bill.price("cloudwatch", "logs_ingested_gb"), bill.price("cloudwatch", "logs_stored_gb_month")
        bill.add(f"Node telemetry logs ({len(groups)} groups, EMF included)",
                 None if None in (ingest, store) else gb * ingest + gb * months * store,
                 f"{gb:g} GB ingested ({nodes} nodes x {usage['telemetryLogsGBPerNodeMonth']:g} GB, "
                 f"usage.telemetryLogsGBPerNodeMonth) x ${ingest}/GB + {gb * months:g} GB kept ({months:.1f} months) "
                 f"x ${store}/GB-month")
        if _known(_inputs(parameter).get("tier")) == "Advanced":
            month, api = bill.price("ssm", "advanced_parameter_month"), bill.price("ssm", "advanced_api_per_10k")
            schedule = _known(_inputs(association).get("scheduleExpression")) or ""
            minutes = schedule_minutes(schedule.strip())
            reads = nodes * (HOURS_PER_MONTH * 60 / minutes) if minutes else 0.0
            bill.add("SSM Advanced parameter (collector configuration)",
                     None if None in (month, api) else month + reads / 10_000 * api,
                     f"1 x ${month}/parameter-month + {reads:,.0f} GetParameter calls ({nodes} nodes every "
                     f"{minutes or '?'} minutes, {schedule or 'no schedule'}; more when the configuration changes) x "
                     f"${api}/10k")


STATE_TABLE = "aws:dynamodb/table:Table"
# The reconciler's metrics (components/state/reconciler/rustfs_reconcile.py put_metrics), one ClusterId dimension.
STATE_METRICS = ("StateReconcilerActed", "StateDrift", "StateChanges", "StateErrors")


def _add_state(bill: _Bill, resources, usage) -> None:
    """RustFS state as code (components/state/state.py): every node's timer tries the lease (one conditional
    UpdateItem, billed whether it succeeds or not), reads the desired state and the root credentials; the holder
    also reads the service accounts' secrets, releases the lease and writes the ledger when it creates or deletes.
    Its secret calls and metrics join the Secrets Manager and custom metrics lines (one line per product); DynamoDB
    on-demand bills write request units (an item under 1 KB is one); the table, a few KB, keeps PITR and storage
    under a cent."""
    for association in (a for a in resources if a.get("type") == SSM_ASSOCIATION
                        and "IntervalMinutes" in (_inputs(a).get("parameters") or {})
                        and "StateParameter" in (_inputs(a).get("parameters") or {})):
        params = _inputs(association)["parameters"]
        minutes = _num(params.get("IntervalMinutes"))
        nodes = targeted_nodes(resources, association)
        if not minutes or not nodes:
            bill.add("RustFS state reconciler", None, "no interval or no instance its association targets")
            continue
        runs = HOURS_PER_MONTH * 60 / minutes
        parameter = next((p for p in resources if p.get("type") == SSM_PARAMETER
                          and _inputs(p).get("name") == params.get("StateParameter")), None)
        text = _known(_inputs(parameter).get("insecureValue")) if parameter else None
        try:
            accounts = [a for a in json.loads(text).get("serviceAccounts") or [] if not a.get("delete")] if text else []
        except ValueError:
            accounts = []
        writes = nodes * runs + runs  # every node's attempt, the holder's release
        wru, pitr = bill.price("dynamodb", "write_request_per_million"), bill.price("dynamodb", "pitr_gb_month")
        bill.add(f"DynamoDB on-demand (state lease, {_count(resources, STATE_TABLE)} table)",
                 None if None in (wru, pitr) else writes / 1e6 * wru + 0.001 * pitr,
                 f"{writes:,.0f} write request units ({nodes} nodes every {minutes:g} minutes + the holder's "
                 f"release) x ${wru}/million + PITR of under 1 MB x ${pitr}/GB-month")
        calls = nodes * runs + runs * len(accounts)  # root credentials on every node, the accounts' keys by the holder
        api = bill.price("secretsmanager", "api_per_10k")
        # No secret of its own (its secrets are already counted), only calls: the line's count stays.
        bill.add_to("Secrets Manager", 0, None if api is None else calls / 10_000 * api,
                    f"the state reconciler's {calls:,.0f} GetSecretValue calls ({len(accounts)} service accounts) "
                    f"x ${api}/10k")
        unit = bill.price("cloudwatch", "metric_month")
        metrics = len(STATE_METRICS)
        bill.add_to("CloudWatch custom metrics", metrics, None if unit is None else metrics * unit,
                    f"the state reconciler's {len(STATE_METRICS)} metrics (ClusterId) x ${unit}/metric-month; its "
                    f"PutMetricData requests ({nodes * runs:,.0f}) are not priced (no sourced price)")
        if parameter is not None and _known(_inputs(parameter).get("tier")) == "Advanced":
            month, per = bill.price("ssm", "advanced_parameter_month"), bill.price("ssm", "advanced_api_per_10k")
            reads = nodes * runs
            bill.add("SSM Advanced parameter (RustFS desired state)",
                     None if None in (month, per) else month + reads / 10_000 * per,
                     f"1 x ${month}/parameter-month + {reads:,.0f} GetParameter calls x ${per}/10k")


DATASYNC_TASK = "aws:datasync/task:Task"


def _add_datasync(bill: _Bill, resources, usage) -> None:
    """DataSync bills the bytes each task execution copies (Basic mode, prices.json ``datasync``); its agent is the EC2
    instance priced with the other instances, and its interface endpoint is not priced (no endpoint is)."""
    tasks = _count(resources, DATASYNC_TASK)
    if not tasks:
        return
    tib = float(usage["datasyncTiBPerMonth"])
    unit = bill.price("datasync", "basic_gb")
    bill.add(f"DataSync copies ({tasks} tasks)", None if unit is None else tib * GB_PER_TIB * unit,
             f"{tib:g} TiB copied this month x {GB_PER_TIB} GB x ${unit}/GB (Basic mode; usage.datasyncTiBPerMonth: "
             "the initial copy of migration.sources[].sizeTiB, a staged source twice); the agent is an EC2 line")


def _add_hybrid(bill: _Bill, resources, usage) -> None:
    """Site-to-Site VPN connections by the hour, what they send out at the internet data-transfer rate, and the Direct
    Connect gateway at no charge (sources in prices.json's ``vpn`` table)."""
    connections = [r for r in resources if r.get("type") == VPN_CONNECTION]
    if connections:
        hour = bill.price("vpn", "connection_hour")
        on_tgw = [c for c in connections if _known(_inputs(c).get("transitGatewayId"))]
        bill.add(f"Site-to-Site VPN ({len(connections)} connection{'s' if len(connections) != 1 else ''})",
                 None if hour is None else len(connections) * hour * HOURS_PER_MONTH,
                 f"{len(connections)} x ${hour}/connection-hour x {HOURS_PER_MONTH} h (two tunnels each); the virtual "
                 "private gateway, customer gateway and route propagation have no charge")
        if on_tgw:
            attach = bill.price("vpn", "transit_gateway_attachment_hour")
            bill.add(f"Transit gateway VPN attachments ({len(on_tgw)})",
                     None if attach is None else len(on_tgw) * attach * HOURS_PER_MONTH,
                     f"{len(on_tgw)} x ${attach}/attachment-hour x {HOURS_PER_MONTH} h (data processed not modelled)")
        gb = usage["hybridGBOutPerMonth"]
        basis = "usage.hybridGBOutPerMonth"
        if gb is None:
            gb, basis = usage["writeMBps"] * SECONDS_PER_MONTH / 1000, "every write replicated to on-premises " \
                "(usage.writeMBps; set usage.hybridGBOutPerMonth)"
        unit = bill.price("transfer", "internet_first_10tb_gb")
        bill.add("Data transfer out over the VPN", None if unit is None else gb * unit,
                 f"{gb:.0f} GB x ${unit}/GB, the EC2 data-transfer-out rate (first 10 TB) VPN traffic is billed at; "
                 f"{basis}; traffic into AWS is free")
    gateways = _count(resources, DX_GATEWAY)
    if gateways:
        bill.add(f"Direct Connect gateway ({gateways})", 0.0,
                 "no charge for the gateway; the connection's port hours and its data transfer out are billed with the "
                 "connection ordered outside the stack, not estimated here")


def _add_peering(bill: _Bill, resources, usage) -> None:
    """VPC peering connections at no hourly charge, and what a DR secondary's primary replicates across them, at the
    inter-region rate of the sending Region (the connection's peerRegion; sources in prices.json's ``vpc_peering`` and
    ``transfer`` tables). The secondary's own cluster is priced by the other lines, like any cluster."""
    connections = [r for r in resources if r.get("type") == VPC_PEERING]
    if not connections:
        return
    hour = bill.price("vpc_peering", "connection_hour")
    n = len(connections)
    bill.add(f"VPC peering ({n} connection{'s' if n != 1 else ''})",
             None if hour is None else n * hour * HOURS_PER_MONTH,
             f"{n} x ${hour}/connection-hour: a peering connection, its accepter and options have no charge; the "
             "bytes it carries are the line below")
    for c in connections:
        sender = _known(_inputs(c).get("peerRegion"))
        if not sender or sender == bill.region:
            continue  # same Region: between AZs, already in the cross-AZ line's model of the traffic
        gb, basis = usage.get("drReplicatedGBPerMonth"), "dr.replicatedGBPerMonth"
        if gb is None:
            gb, basis = usage["writeMBps"] * SECONDS_PER_MONTH / 1000, "every write the primary replicates here " \
                "(usage.writeMBps; set dr.replicatedGBPerMonth)"
        unit = bill.price("transfer", "inter_region_gb", sender)
        bill.add(f"Replication from {sender} over peering", None if unit is None else gb * unit,
                 f"{gb:.0f} GB x ${unit}/GB inter-region, billed in the sending Region {sender}; {basis}; peering adds "
                 "no processing charge (transit gateway peering would add $0.02/GB and attachment-hours: "
                 "components/dr/link.py)")


def _tier_buckets(resources) -> set[str]:
    return {_inputs(b).get("bucket") for b in resources if b.get("type") in BUCKETS
            and (_inputs(b).get("tags") or {}).get(TIER_PURPOSE[0]) == TIER_PURPOSE[1]} - {None}


def _add_tiering(bill: _Bill, resources, usage) -> None:
    """The S3 tier: storage by class, RustFS's writes, the bucket's lifecycle transitions, its replication and
    acceleration. Replication copies every tiered GB to the replica's Region (inter-region transfer from this one);
    the replica's own storage and requests are billed there, and no S3 price is sourced for another Region."""
    tiers = _tier_buckets(resources)
    if not tiers:
        return
    stored = usage.get("tierStoredTiB") or {}
    if not stored:
        bill.add("S3 tier storage", 0.0, "usage.tierStoredTiB not set: no tiered data assumed")
    for cls, tib in sorted(stored.items()):
        unit = bill.price(_S3_CLASS_TABLE.get(cls, "s3"), f"{cls}_gb_month")
        gb = float(tib) * GB_PER_TIB
        bill.add(f"S3 tier {cls}", None if unit is None else gb * unit,
                 f"{gb:.0f} GB x ${unit}/GB-month (usage.tierStoredTiB.{cls})")
    objects = float(usage["tierObjectsPerMonth"])
    put = bill.price("s3", "STANDARD_put_per_1k") if objects else 0.0
    bill.add("S3 tier writes (RustFS transitions)", None if put is None else objects / 1000 * put,
             f"{objects:,.0f} objects x ${put}/1k PUT (usage.tierObjectsPerMonth)")
    classes = []
    for life in (r for r in resources if r.get("type") == BUCKET_LIFECYCLE and _inputs(r).get("bucket") in tiers):
        for rule in _inputs(life).get("rules") or []:
            classes += [t.get("storageClass") for t in (rule or {}).get("transitions") or [] if t.get("storageClass")]
    for cls in dict.fromkeys(classes):
        if not objects:
            bill.add(f"S3 lifecycle transitions to {cls}", 0.0, "usage.tierObjectsPerMonth not set: no tiered objects "
                     "assumed")
            continue
        unit = bill.price(_S3_CLASS_TABLE.get(cls, "s3"), f"{cls}_transition_per_1k")
        bill.add(f"S3 lifecycle transitions to {cls}", None if unit is None else objects / 1000 * unit,
                 f"{objects:,.0f} objects a month x ${unit}/1k transition requests (usage.tierObjectsPerMonth, "
                 "steady state: each object once per class)")
    gb = float(usage["tierIngestGBPerMonth"])
    for config in (r for r in resources if r.get("type") == BUCKET_REPLICATION and _inputs(r).get("bucket") in tiers):
        rules = [x for x in _inputs(config).get("rules") or [] if isinstance(x, dict)]
        unit = bill.price("transfer", "inter_region_gb")
        bill.add("S3 replication of the tier (inter-region transfer)", None if unit is None else gb * unit,
                 f"{gb:.0f} GB replicated x ${unit}/GB to another Region (usage.tierIngestGBPerMonth)")
        destination = [(x.get("destination") or {}) for x in rules]
        if any((d.get("replicationTime") or {}).get("status") == "Enabled" for d in destination):
            bill.price("s3", "replication_time_control_gb")
            bill.add("S3 Replication Time Control", None, f"{gb:.0f} GB x the RTC price per GB replicated")
        replica = sorted({d.get("storageClass") or "STANDARD" for d in destination})
        bill.add(f"S3 replica storage and requests ({', '.join(replica)})", None,
                 f"at least the tier's data again (usage.tierStoredTiB; the replica also keeps what RustFS deleted "
                 f"from the tier, versioned deletes are not replicated) at the replica Region's {', '.join(replica)} "
                 "prices, "
                 f"and {objects:,.0f} replicated PUTs a month there: no S3 price of that Region is sourced")
    accelerated = [r for r in resources if r.get("type") == BUCKET_ACCELERATE and _inputs(r).get("status") == "Enabled"]
    if accelerated:
        bill.price("s3", "transfer_acceleration_gb")
        bill.add("S3 Transfer Acceleration", None, f"{float(usage['acceleratedGBPerMonth']):.0f} GB x the "
                 "acceleration price per GB (usage.acceleratedGBPerMonth; the tier's own traffic, through the gateway "
                 "endpoint, is never accelerated)")


def monthly_cost(resources: list[dict], region: str, usage: dict | None = None, *,
                 data_shards: int | None = None, parity: int | None = None) -> dict:
    """The ``"cost"`` section: ``{"monthlyUSD", "priceDate", "region", "items", "unpriced", "usage"}``.

    ``data_shards``/``parity`` (from the layout) set the erasure overhead; otherwise
    ``usage["erasureOverhead"]``.
    """
    merged = {**USAGE_DEFAULTS, **(usage or {})}
    unknown = sorted(set(usage or {}) - set(USAGE_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown usage keys {unknown}; known: {sorted(USAGE_DEFAULTS)}")
    e = (data_shards + parity) / data_shards if data_shards else float(merged["erasureOverhead"])
    bill = _Bill(region)
    fleets, unresolved = _instances(resources)
    _add_eks(bill, resources)
    _add_instances(bill, fleets, unresolved)
    vols = _volumes(resources, fleets)
    _add_ebs(bill, vols)
    stored_gb = (merged["storedTiB"] + merged["growthTiBPerMonth"] / 2) * GB_PER_TIB
    # Snapshots cover the data volumes (aws.ebs.Volume, or in EKS mode the StatefulSets' claims), not the
    # instances' root volumes.
    data_volume_gb = sum(_num(_inputs(r).get("size"), 0.0) for r in resources if r.get("type") == VOLUME) + \
        sum(v["size"] for v in _claimed_volumes(resources))
    _add_snapshots(bill, resources, merged, min(stored_gb * e, data_volume_gb))
    _add_network(bill, resources, merged, e, has_cluster=bool(fleets or vols))
    _add_services(bill, resources, merged)
    _add_tiering(bill, resources, merged)
    _add_monitoring(bill, resources, merged)
    _add_collector(bill, resources, merged)
    _add_state(bill, resources, merged)
    _add_lattice(bill, resources)
    _add_images(bill, resources, merged)
    _add_datasync(bill, resources, merged)
    _add_hybrid(bill, resources, merged)
    _add_peering(bill, resources, merged)
    per_tb = edge_cost_per_tb(bill, resources, merged)
    return {
        **({"edgePerTB": per_tb} if per_tb else {}),
        "monthlyUSD": _usd(sum(i["monthlyUSD"] for i in bill.items)),
        "priceDate": min(bill.dates) if bill.dates else None,
        "region": region,
        "items": bill.items,
        "unpriced": sorted(set(bill.unpriced)),
        "usage": merged,
    }
