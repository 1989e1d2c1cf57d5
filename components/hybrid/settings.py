"""The ``hybrid`` section of the stack configuration: the on-premises networks and how they reach the VPC.

```yaml
rustfs-aws:hybrid:
  onPremCidrs: [10.0.0.0/16]        # the on-premises networks (RustFS there, its clients)
  amazonSideAsn: 64512              # the virtual private gateway's ASN (optional)
  vpn:                              # AWS Site-to-Site VPN over the internet
    customerGatewayIp: 203.0.113.10 # the public IPv4 of your VPN device's outside interface
    bgpAsn: 65010                   # your device's ASN (dynamic routing)
    staticRoutes: [10.0.0.0/16]     # optional: static routing instead of BGP, to these on-premises CIDRs
  directConnect:                    # an AWS Direct Connect gateway (the connection is ordered outside the stack)
    amazonSideAsn: 64513
```

Parsed by ``components/config.py`` (``parse`` calls ``parse_hybrid``) with the same ``Problems`` collector as every
other section; absent: no hybrid resources at all. Every limit is AWS's own (sources next to each constant), so a
value AWS would refuse fails the preview naming its key, and an overlap between two networks names both CIDRs and
both keys: routes to overlapping networks are ambiguous, and the VPC's own CIDR always wins in its route tables
(VPC User Guide, "Route priority": the local route is the most specific the VPC knows for its own range).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from rustfs_aws.validation import full_key

# CreateCustomerGateway (EC2 API Reference): BgpAsn 1-2,147,483,647, larger ASNs go in BgpAsnExtended up to
# 4,294,967,295; the API reference of the 2-byte era names the ASNs AWS reserves per Region: 7224 in us-east-1,
# 9059 in eu-west-1 (the customer side may not use them: they are the Amazon side's there).
BGP_ASN_RANGE = (1, 4_294_967_295)
BGP_ASN_EXTENDED_FROM = 2_147_483_648
RESERVED_CUSTOMER_ASNS = {"us-east-1": 7224, "eu-west-1": 9059}
# The Amazon side of a virtual private gateway and of a Direct Connect gateway: a private ASN, 64,512-65,534 or
# 4,200,000,000-4,294,967,294 (EC2 API Reference CreateVpnGateway AmazonSideAsn; Direct Connect API Reference
# CreateDirectConnectGateway amazonSideAsn). 64512 is the VGW's default.
AMAZON_SIDE_ASN_RANGES = ((64_512, 65_534), (4_200_000_000, 4_294_967_294))
DEFAULT_VGW_ASN = 64_512
DEFAULT_DX_ASN = 64_513
# Site-to-Site VPN quotas (Site-to-Site VPN User Guide, "Quotas"): 100 dynamic routes a VPN connection advertises
# into a VPC route table through route propagation, 100 static routes per VPN connection.
MAX_STATIC_ROUTES = 100
MAX_ON_PREM_CIDRS = 50  # ours: each CIDR is two security-group rules on the nodes and one on the load balancer
# The tunnels' inside addresses are link-local 169.254.0.0/16 (VpnTunnelOptionsSpecification TunnelInsideCidr): an
# on-premises network there would collide with them and with the instance metadata service.
_LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")


@dataclass(frozen=True)
class VpnConfig:
    """``hybrid.vpn``: one Site-to-Site VPN connection (two tunnels) to one customer gateway device."""
    customer_gateway_ip: str
    bgp_asn: int = 65_000  # CreateCustomerGateway's default
    static_routes: list[str] = field(default_factory=list)  # non-empty: static routing to exactly these CIDRs

    @property
    def static(self) -> bool:
        return bool(self.static_routes)


@dataclass(frozen=True)
class DirectConnectConfig:
    """``hybrid.directConnect``: a Direct Connect gateway associated with the stack's virtual private gateway."""
    amazon_side_asn: int = DEFAULT_DX_ASN


@dataclass(frozen=True)
class HybridConfig:
    on_prem_cidrs: list[str]
    amazon_side_asn: int = DEFAULT_VGW_ASN
    vpn: VpnConfig | None = None
    direct_connect: DirectConnectConfig | None = None


def _amazon_asn(p, obj: dict, key: str, path: str, default: int) -> int:
    value = p.integer(obj, key, path, default, 0, BGP_ASN_RANGE[1])  # integer-ness; the ranges below
    if isinstance(value, int) and 0 <= value <= BGP_ASN_RANGE[1] and \
            not any(lo <= value <= hi for lo, hi in AMAZON_SIDE_ASN_RANGES):
        p.add(path, value, "a private ASN: 64512-65534 or 4200000000-4294967294 (the Amazon side's range)")
    return value


def _public_ipv4(p, obj: dict, key: str, path: str) -> str:
    value = p.string(obj, key, path, pattern=" public IPv4 address (your VPN device's outside interface)")
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        if value:
            p.add(path, value, "expected an IPv4 address such as 203.0.113.10")
        return value
    # CreateCustomerGateway: "the Internet-routable IP address ... must be static"; a private (RFC 1918/6598) outside
    # address is only for private-IP VPNs over Direct Connect, which this stack does not build.
    if not address.is_global:
        p.add(path, value, "must be a public, internet-routable IPv4 address (private, shared, loopback, link-local "
              "and documentation ranges are refused by AWS for an internet VPN)")
    return value


def _overlaps(p, cidrs: list[tuple[str, str]], vpc: tuple[str, str]) -> None:
    """Each on-premises CIDR against the VPC's and against the ones before it; both CIDRs and keys named."""
    vpc_key, vpc_cidr = vpc
    vpc_net = ipaddress.IPv4Network(vpc_cidr) if vpc_cidr else None
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for key, cidr in cidrs:
        net = ipaddress.IPv4Network(cidr)
        if vpc_net is not None and net.overlaps(vpc_net):
            p.add(key, cidr, f"overlaps {full_key(vpc_key)} ({vpc_cidr}): the VPC's local route would win and "
                  "on-premises hosts in the overlap would be unreachable; keep on-premises and VPC networks apart")
        if net.overlaps(_LINK_LOCAL):
            p.add(key, cidr, "overlaps 169.254.0.0/16, the link-local range of the VPN tunnels' inside addresses and "
                  "the instance metadata service")
        for other_key, other in seen:
            if net.overlaps(other):
                p.add(key, cidr, f"overlaps {full_key(other_key)} ({other}): list each on-premises network once, "
                      "without overlaps (the routes would be ambiguous)")
        seen.append((key, net))


def parse_hybrid(p, raw: dict, *, vpc_cidr: str, region: str, platform: str) -> HybridConfig | None:
    """``hybrid`` or None when absent. ``vpc_cidr``: ``network.cidr`` (already validated)."""
    if "hybrid" not in raw:
        return None
    h = p.section(raw, "hybrid", "hybrid", {"onPremCidrs", "amazonSideAsn", "vpn", "directConnect"})
    cidrs = p.cidr_list(h, "onPremCidrs", "hybrid.onPremCidrs", [])
    if not cidrs:
        p.add("hybrid.onPremCidrs", h.get("onPremCidrs", []), "list the on-premises IPv4 networks (at least one CIDR) "
              "that reach the cluster")
    if len(cidrs) > MAX_ON_PREM_CIDRS:
        p.add("hybrid.onPremCidrs", f"{len(cidrs)} CIDRs", f"at most {MAX_ON_PREM_CIDRS}: summarise them")
    for i, cidr in enumerate(cidrs):
        if cidr == "0.0.0.0/0":
            p.add(f"hybrid.onPremCidrs[{i}]", cidr, "the whole internet is not an on-premises network")
    _overlaps(p, [(f"hybrid.onPremCidrs[{i}]", c) for i, c in enumerate(cidrs)], ("network.cidr", vpc_cidr))
    if platform == "eks":
        p.add("hybrid", "{...}", "not yet supported with cluster.platform: eks (the AWS Load Balancer Controller owns "
              "the NLB's security group there); use cluster.platform: ec2")
    vgw_asn = _amazon_asn(p, h, "amazonSideAsn", "hybrid.amazonSideAsn", DEFAULT_VGW_ASN)
    vpn = _vpn(p, h, cidrs, region, vgw_asn) if "vpn" in h else None
    dx = None
    if "directConnect" in h:
        d = p.section(h, "directConnect", "hybrid.directConnect", {"amazonSideAsn"})
        dx = DirectConnectConfig(_amazon_asn(p, d, "amazonSideAsn", "hybrid.directConnect.amazonSideAsn",
                                             DEFAULT_DX_ASN))
    if vpn is None and dx is None:
        p.add("hybrid", "{...}", "set hybrid.vpn (Site-to-Site VPN) and/or hybrid.directConnect (a Direct Connect "
              "gateway): the on-premises networks need a way in")
    return HybridConfig(on_prem_cidrs=cidrs, amazon_side_asn=vgw_asn, vpn=vpn, direct_connect=dx)


def _vpn(p, h: dict, on_prem: list[str], region: str, vgw_asn: int) -> VpnConfig:
    v = p.section(h, "vpn", "hybrid.vpn", {"customerGatewayIp", "bgpAsn", "staticRoutes"})
    ip = _public_ipv4(p, v, "customerGatewayIp", "hybrid.vpn.customerGatewayIp")
    asn = p.integer(v, "bgpAsn", "hybrid.vpn.bgpAsn", 65_000, *BGP_ASN_RANGE)
    reserved = RESERVED_CUSTOMER_ASNS.get(region)
    if asn == reserved:
        p.add("hybrid.vpn.bgpAsn", asn, f"ASN {reserved} is reserved by AWS in {region}; use your own ASN or a "
              "private one (64512-65534)")
    routes = p.cidr_list(v, "staticRoutes", "hybrid.vpn.staticRoutes", [])
    if not routes and asn == vgw_asn:
        # eBGP between the two tunnel ends: the same ASN on both sides makes each drop the other's routes as its own.
        p.add("hybrid.vpn.bgpAsn", asn, f"equals hybrid.amazonSideAsn ({vgw_asn}); BGP needs a different ASN on each "
              "side")
    if len(routes) > MAX_STATIC_ROUTES:
        p.add("hybrid.vpn.staticRoutes", f"{len(routes)} routes", f"a VPN connection takes at most "
              f"{MAX_STATIC_ROUTES} static routes")
    nets = [ipaddress.IPv4Network(c) for c in on_prem]
    for i, route in enumerate(routes):
        if not any(ipaddress.IPv4Network(route).subnet_of(n) for n in nets):
            p.add(f"hybrid.vpn.staticRoutes[{i}]", route, f"not inside any of hybrid.onPremCidrs ({', '.join(on_prem)}"
                  "): the security groups admit only those networks")
    return VpnConfig(customer_gateway_ip=ip, bgp_asn=asn, static_routes=routes)
