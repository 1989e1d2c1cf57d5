"""The ``diagram`` report section: a Mermaid architecture diagram drawn from the recorded resources.

It shows what the program declared, not what the config says: the VPC and its CIDR, one box per AZ (from
the subnets and the nodes' volumes) holding its RustFS nodes (instance type, drives) and NAT gateways, the
load balancers, VPC endpoints, the internet gateway, Route 53 zones, S3 buckets and, at the edge, each CloudFront
distribution with its WAF web ACL and its VPC origin, drawn into the load balancer it reaches (components/edge/):
internet viewers reach RustFS only that way, the S3 clients through the S3 endpoint.
Node and AZ identifiers are generated (``n1``, ``az1``...); every label is escaped for Mermaid.
"""

from __future__ import annotations

from collections import defaultdict

from .cluster_nodes import RecordedNode, known, recorded_nodes
from .runner import RecordedResource, Recording
from .sections import SECTIONS, Section

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_CLUSTER = "eks:index:Cluster"
IGW = "aws:ec2/internetGateway:InternetGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
ZONE = "aws:route53/zone:Zone"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
CLOUDFRONT = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
MAX_LISTED_BUCKETS = 6


def label(*parts: object) -> str:
    """A quoted Mermaid label: each part escaped, parts on separate lines."""
    def escape(text: object) -> str:
        return (str(text).replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
                .replace("\n", " "))
    return '"' + "<br/>".join(escape(p) for p in parts if p not in (None, "")) + '"'


def _id(prefix: str, index: int) -> str:
    return f"{prefix}{index}"


def _subnet_azs(recording: Recording) -> dict[str, str]:
    """Subnet id (and URN) -> AZ."""
    azs = {}
    for s in recording.of_type(SUBNET):
        az = known(s.inputs.get("availabilityZone"))
        if az:
            azs[s.urn] = az
            if known(s.outputs.get("id")):
                azs[s.outputs["id"]] = az
    return azs


def _az_of(resource: RecordedResource, prop: str, subnet_azs: dict[str, str]) -> str | None:
    for urn in resource.property_dependencies.get(prop, []):
        if urn in subnet_azs:
            return subnet_azs[urn]
    return subnet_azs.get(known(resource.inputs.get(prop)) or "")


def _node_label(node: RecordedNode) -> str:
    sizes = sorted({(v.size_gib, v.type) for v in node.volumes})
    drives = ", ".join(f"{len(node.volumes)} x {size} GiB {kind}" for size, kind in sizes)
    return label(node.short, node.instance_type or "instance type unknown", drives)


def _port(value) -> str:
    value = known(value)
    return str(int(value)) if isinstance(value, int | float) else "?"


def _lb_label(lb: RecordedResource, listeners: list[RecordedResource]) -> str:
    kind = {"network": "NLB", "application": "ALB", "gateway": "GWLB"}.get(
        known(lb.inputs.get("loadBalancerType")) or "application", "load balancer")
    scope = "internal" if lb.inputs.get("internal") is True else "internet-facing"
    mine = [li for li in listeners if lb.urn in li.property_dependencies.get("loadBalancerArn", [])]
    ports = sorted({f"{known(li.inputs.get('protocol')) or '?'} {_port(li.inputs.get('port'))}" for li in mine})
    return label(f"{kind} {lb.inputs.get('name') or lb.name}", scope, ", ".join(ports))


class _Mermaid:
    def __init__(self) -> None:
        self.lines = ["flowchart TB"]
        self.depth = 1

    def add(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)

    def open(self, ident: str, title: str) -> None:
        self.add(f"subgraph {ident}[{title}]")
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.add("end")


def mermaid(recording: Recording) -> str:
    m = _Mermaid()
    subnet_azs = _subnet_azs(recording)
    nodes = recorded_nodes(recording)
    node_azs = {n.az for n in nodes}
    azs = sorted(set(subnet_azs.values()) | node_azs)
    az_ids = {az: _id("az", i + 1) for i, az in enumerate(azs)}
    nats_by_az: dict[str | None, list[RecordedResource]] = defaultdict(list)
    for nat in recording.of_type(NAT):
        nats_by_az[_az_of(nat, "subnetId", subnet_azs)].append(nat)
    lbs = recording.of_type(LB)
    listeners = recording.of_type(LISTENER)
    internet_facing = any(lb.inputs.get("internal") is not True for lb in lbs)
    distributions = recording.of_type(CLOUDFRONT)
    igws = recording.of_type(IGW)
    endpoints = recording.of_type(ENDPOINT)
    zones = recording.of_type(ZONE)

    m.add(f"clients([{label('S3 clients', 'internet' if internet_facing else 'in the VPC or peered networks')}])")
    vpc_origins, acls = recording.of_type(VPC_ORIGIN), recording.of_type(WEB_ACL)
    if distributions:
        m.add(f"viewers([{label('Viewers', 'internet')}])")
        m.open("edge", label("Edge (CloudFront, global)"))
        for i, d in enumerate(distributions, 1):
            names = ", ".join(d.inputs.get("aliases") or []) or "*.cloudfront.net"
            shield = [known((o.get("originShield") or {}).get("originShieldRegion")) for o in
                      d.inputs.get("origins") or [] if (o.get("originShield") or {}).get("enabled") is True]
            title = label("CloudFront", names, d.inputs.get("priceClass") or "PriceClass_All",
                          f"Origin Shield {shield[0]}" if shield else None)
            m.add(f"cf{i}[{title}]")
        for i, acl in enumerate(acls, 1):
            rules = len(acl.inputs.get("rules") or [])
            m.add(f"waf{i}[{label('WAF web ACL', acl.inputs.get('name') or acl.name, f'{rules} rules')}]")
        for i, _ in enumerate(vpc_origins, 1):
            m.add(f"vo{i}[{label('VPC origin', 'HTTPS, TLS 1.2')}]")
        m.close()
    for i, zone in enumerate(zones, 1):
        scope = "private" if zone.inputs.get("vpcs") else "public"
        m.add(f"zone{i}[{label(f'Route 53 {scope} zone', zone.inputs.get('name'))}]")

    m.open("region", label(f"AWS {recording.settings.region}"))
    vpcs = recording.of_type(VPC)
    vpc = vpcs[0] if vpcs else None  # one VPC per stack
    if vpc is not None:
        m.open("vpc1", label("VPC", known(vpc.inputs.get("cidrBlock"))))
    for i, lb in enumerate(lbs, 1):
        m.add(f"lb{i}{{{{{_lb_label(lb, listeners)}}}}}")
    # EKS mode: the control plane, the S3 Service's NLB (built by the AWS Load Balancer Controller) and one
    # managed node group per AZ, whose pods the scheduler spreads over the zones.
    groups_by_az: dict[str, list[RecordedResource]] = defaultdict(list)
    for g in recording.of_type(NODE_GROUP):
        for subnet in g.inputs.get("subnetIds") or []:
            groups_by_az[subnet_azs.get(subnet, "?")].append(g)
    eks_clusters = recording.of_type(EKS_CLUSTER)
    for i, c in enumerate(eks_clusters, 1):
        access = "public API endpoint" if c.inputs.get("endpointPublicAccess") is True else "private API endpoint"
        title = label("EKS control plane", c.inputs.get("name"), f"Kubernetes {c.inputs.get('version')}", access)
        m.add(f"eks{i}[{title}]")
    if eks_clusters and groups_by_az:
        m.add(f"s3svc{{{{{label('S3 Service', 'internal NLB (AWS Load Balancer Controller)')}}}}}")
    for az in azs:
        m.open(az_ids[az], label(az))
        for n in (n for n in nodes if n.az == az):
            m.add(f"{_id('n', n.index)}[{_node_label(n)}]")
        for k, g in enumerate(groups_by_az.get(az, []), 1):
            size = int(known((g.inputs.get("scalingConfig") or {}).get("desiredSize")) or 0)
            types = ", ".join(g.inputs.get("instanceTypes") or [])
            m.add(f"{az_ids[az]}_ng{k}[{label('EKS node group', f'{size} x {types}', 'RustFS pods')}]")
        for k in range(1, len(nats_by_az.get(az, [])) + 1):
            m.add(f"{az_ids[az]}_nat{k}[{label('NAT gateway')}]")
        m.close()
    for k, _ in enumerate(nats_by_az.get(None, []), 1):
        m.add(f"nat{k}[{label('NAT gateway')}]")
    if endpoints:
        services = sorted({str(known(e.inputs.get("serviceName")) or e.name).rsplit(".", 1)[-1] for e in endpoints})
        m.add(f"vpce[{label(f'VPC endpoints ({len(endpoints)})', ', '.join(services))}]")
    if igws:
        m.add(f"igw[{label('Internet gateway')}]")
    if vpc is not None:
        m.close()
    buckets = [b for t in BUCKETS for b in recording.of_type(t)]
    if buckets:
        m.open("s3", label("S3"))
        for i, b in enumerate(buckets[:MAX_LISTED_BUCKETS], 1):
            m.add(f"bucket{i}[({label(known(b.inputs.get('bucket')) or b.name)})]")
        if len(buckets) > MAX_LISTED_BUCKETS:
            m.add(f"bucket_more[({label(f'and {len(buckets) - MAX_LISTED_BUCKETS} more buckets')})]")
        m.close()
    m.close()

    entry = ["clients"]
    origin_of = {}  # load balancer index -> VPC origin index
    for i, d in enumerate(distributions, 1):
        m.add(f"viewers --> cf{i}")
        for k, acl in enumerate(acls, 1):
            if acl.urn in d.property_dependencies.get("webAclId", []):
                m.add(f"waf{k} -.->|filters| cf{i}")
        for k, vo in enumerate(vpc_origins, 1):
            if vo.urn in d.property_dependencies.get("origins", []):
                m.add(f"cf{i} -->|GET, HEAD| vo{k}")
    for k, vo in enumerate(vpc_origins, 1):
        for i, lb in enumerate(lbs, 1):
            if lb.urn in vo.property_dependencies.get("vpcOriginEndpointConfig", []):
                origin_of[i] = k
    for i, _ in enumerate(lbs, 1):
        if i in origin_of:
            m.add(f"vo{origin_of[i]} -->|HTTPS 443| lb{i}")
        else:
            m.add(" & ".join(entry) + f" -->|S3 API| lb{i}")
        for az in sorted(node_azs):
            m.add(f"lb{i} --> {az_ids[az]}")
    if eks_clusters and groups_by_az:
        m.add(" & ".join(entry) + " -->|S3 API| s3svc")
        m.add("s3svc --> " + " & ".join(az_ids[az] for az in azs if az in groups_by_az))
        m.add(" & ".join(f"eks{i}" for i in range(1, len(eks_clusters) + 1)) + " -.->|schedules| "
              + " & ".join(az_ids[az] for az in azs if az in groups_by_az))
    if not lbs and nodes:
        m.add(" & ".join(entry) + " --> " + " & ".join(az_ids[az] for az in sorted(node_azs)))
    for i, _ in enumerate(zones, 1):
        named = [f"lb{k}" for k in range(1, len(lbs) + 1) if k not in origin_of]  # CloudFront reaches the origins
        m.add(f"zone{i} -.->|names| " + (" & ".join(named) or "region"))
    if igws:
        nat_ids = [f"{az_ids[az]}_nat{k}" for az in azs for k in range(1, len(nats_by_az.get(az, [])) + 1)]
        nat_ids += [f"nat{k}" for k in range(1, len(nats_by_az.get(None, [])) + 1)]
        if nat_ids:
            m.add(" & ".join(nat_ids) + " --> igw")
        m.add("igw --> internet((Internet))")
    if buckets and endpoints:
        m.add("vpce -.-> s3")
    return "\n".join(m.lines) + "\n"


def compute(recording: Recording) -> dict:
    return {"mermaid": mermaid(recording)}


def markdown(value: dict) -> list[str]:
    return ["### Architecture", "", "```mermaid", value["mermaid"].rstrip("\n"), "```", ""]


SECTION = Section(key="diagram", compute=compute, human=lambda value: [], markdown=markdown)
SECTIONS.insert(0, SECTION)  # the report opens with the picture
