"""The fake AWS's Site-to-Site VPN and Direct Connect gateways: ids and outputs in the real formats, and the refusals
of the real APIs for what the program could get wrong.

Sources: EC2 API Reference CreateCustomerGateway (type ``ipsec.1``; BgpAsn 1-2,147,483,647, BgpAsnExtended
2,147,483,648-4,294,967,295, one of the two; 7224 reserved in us-east-1 and 9059 in eu-west-1; a static,
internet-routable address for a public VPN), CreateVpnGateway (AmazonSideAsn 64,512-65,534 or
4,200,000,000-4,294,967,294, default 64512), AttachVpnGateway ("You can attach one virtual private gateway to a VPC
at a time": the fake refuses a second gateway in one VPC), CreateVpnConnection and
VpnTunnelOptionsSpecification (the value sets in ``rustfs_model.vpn``; the pre-shared key rules; TunnelBandwidth
``large`` not on a virtual private gateway), CreateVpnConnectionRoute (static routing only), EnableVgwRoutePropagation
(one propagation per gateway and route table), Direct Connect API Reference CreateDirectConnectGateway (amazonSideAsn
in the private ranges; name 1-100 characters) and CreateDirectConnectGatewayAssociation (a virtual private or transit
gateway; allowed prefixes as CIDRs).
"""

from __future__ import annotations

import hashlib
import ipaddress

from pulumi.output import Unknown

from rustfs_model.vpn import (
    ACCEPTED,
    DPD_ACTIONS,
    MIN_DPD_TIMEOUT,
    PHASE1_LIFETIME,
    PHASE2_LIFETIME,
    STARTUP_ACTIONS,
    TUNNELS,
    inside_cidr_problem,
    psk_problem,
    tunnel_key,
)

from .analyzer import SECRET_SIG, SIG_KEY

RESERVED_CUSTOMER_ASNS = {"us-east-1": 7224, "eu-west-1": 9059}
AMAZON_SIDE_ASN_RANGES = ((64_512, 65_534), (4_200_000_000, 4_294_967_294))
BGP_ASN_MAX = 2_147_483_647
BGP_ASN_EXTENDED_MAX = 4_294_967_295


class VpnApiError(Exception):
    """A request the real API would refuse (the error code first)."""


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _unknown(value) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value.startswith("04da6b54-"))


def _reveal(value):
    """A secret input's value (the mocks pass secrets wrapped in the wire form)."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return value.get("value")
    return value


def _secret(value) -> dict:
    """An output the engine keeps secret (the wire form the SDK turns back into a secret Output)."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def _state(fake) -> dict:
    """What the fake remembers within one program run: gateways by VPC, propagations, connections."""
    if not hasattr(fake, "_hybrid_state"):
        fake._hybrid_state = {"vgw_by_vpc": {}, "vgws": {}, "propagations": set(), "connections": {}}
    return fake._hybrid_state


def _in(value: int, ranges) -> bool:
    return any(lo <= value <= hi for lo, hi in ranges)


def customer_gateway(fake, name: str, inputs: dict):
    if inputs.get("type") != "ipsec.1":
        raise VpnApiError(f"InvalidParameterValue: CreateCustomerGateway type {inputs.get('type')!r}: ipsec.1")
    asn, extended = inputs.get("bgpAsn"), inputs.get("bgpAsnExtended")
    if (asn is None) == (extended is None):
        raise VpnApiError("MissingParameter: CreateCustomerGateway needs exactly one of BgpAsn or BgpAsnExtended")
    if asn is not None and not _unknown(asn):
        if not str(asn).isdigit() or not 1 <= int(asn) <= BGP_ASN_MAX:
            raise VpnApiError(f"InvalidParameterValue: BgpAsn {asn!r}: 1-{BGP_ASN_MAX} (BgpAsnExtended above)")
        if int(asn) == RESERVED_CUSTOMER_ASNS.get(fake.region):
            raise VpnApiError(f"InvalidParameterValue: BgpAsn {asn} is reserved in {fake.region}")
    if extended is not None and not _unknown(extended):
        if not str(extended).isdigit() or not BGP_ASN_MAX < int(extended) <= BGP_ASN_EXTENDED_MAX:
            raise VpnApiError(f"InvalidParameterValue: BgpAsnExtended {extended!r}: {BGP_ASN_MAX + 1}-"
                              f"{BGP_ASN_EXTENDED_MAX}")
    ip = inputs.get("ipAddress")
    if not _unknown(ip):
        try:
            address = ipaddress.IPv4Address(ip)
        except (ValueError, TypeError):
            raise VpnApiError(f"InvalidParameterValue: IpAddress {ip!r} is not an IPv4 address") from None
        if not address.is_global:
            raise VpnApiError(f"InvalidParameterValue: IpAddress {ip}: a public VPN's customer gateway needs a "
                              "static, internet-routable address")
    physical = f"cgw-{_hex('cgw', name, length=17)}"
    return physical, {"arn": fake.arn("ec2", f"customer-gateway/{physical}"), "tagsAll": inputs.get("tags", {})}


def vpn_gateway(fake, name: str, inputs: dict):
    asn = inputs.get("amazonSideAsn")
    if asn is not None and not _unknown(asn):
        if not str(asn).isdigit() or not _in(int(asn), AMAZON_SIDE_ASN_RANGES):
            raise VpnApiError(f"InvalidParameterValue: AmazonSideAsn {asn!r}: 64512-65534 or "
                              "4200000000-4294967294")
    physical = f"vgw-{_hex('vgw', name, length=17)}"
    vpc = inputs.get("vpcId")
    state = _state(fake)
    if isinstance(vpc, str) and not _unknown(vpc):
        if vpc in state["vgw_by_vpc"]:
            raise VpnApiError(f"VpnGatewayAttachmentLimitExceeded: VPC {vpc} already has virtual private gateway "
                              f"{state['vgw_by_vpc'][vpc]} attached (one per VPC)")
        state["vgw_by_vpc"][vpc] = physical
    state["vgws"][physical] = vpc
    return physical, {"arn": fake.arn("ec2", f"vpn-gateway/{physical}"), "amazonSideAsn": str(asn or 64_512),
                      "tagsAll": inputs.get("tags", {})}


def route_propagation(fake, name: str, inputs: dict):
    vgw, table = inputs.get("vpnGatewayId"), inputs.get("routeTableId")
    state = _state(fake)
    if isinstance(vgw, str) and not _unknown(vgw):
        if vgw not in state["vgws"]:
            raise VpnApiError(f"InvalidVpnGatewayID.NotFound: {vgw}")
        if state["vgws"][vgw] is None:
            raise VpnApiError(f"Gateway.NotAttached: {vgw} is attached to no VPC, so it propagates no routes")
        if isinstance(table, str) and not _unknown(table):
            if (vgw, table) in state["propagations"]:
                raise VpnApiError(f"RouteAlreadyExists: {vgw} already propagates into {table}")
            state["propagations"].add((vgw, table))
    return f"{vgw}_{table}", {}


def _number_list(values) -> list:
    return [int(v) if isinstance(v, float) and v.is_integer() else v for v in values or []]


def _check_tunnel(tunnel: str, inputs: dict) -> None:
    where = f"CreateVpnConnection {tunnel}"
    for option, accepted in ACCEPTED.items():
        values = inputs.get(tunnel_key(tunnel, option))
        if values is None or _unknown(values):
            continue
        bad = [v for v in _number_list(values) if v not in accepted]
        if bad:
            raise VpnApiError(f"InvalidParameterValue: {where} {option} {bad}: allowed {list(accepted)}")
    lifetimes = {}
    for phase, (lo, hi) in (("phase1", PHASE1_LIFETIME), ("phase2", PHASE2_LIFETIME)):
        value = inputs.get(tunnel_key(tunnel, f"{phase}LifetimeSeconds"))
        if value is not None and not _unknown(value):
            if not lo <= int(value) <= hi:
                raise VpnApiError(f"InvalidParameterValue: {where} {phase} lifetime {value}: {lo}-{hi} seconds")
            lifetimes[phase] = int(value)
    if len(lifetimes) == 2 and lifetimes["phase2"] >= lifetimes["phase1"]:
        raise VpnApiError(f"InvalidParameterValue: {where} phase 2 lifetime must be below phase 1's")
    timeout = inputs.get(tunnel_key(tunnel, "dpdTimeoutSeconds"))
    if timeout is not None and not _unknown(timeout) and int(timeout) < MIN_DPD_TIMEOUT:
        raise VpnApiError(f"InvalidParameterValue: {where} DPD timeout {timeout}: at least {MIN_DPD_TIMEOUT} s")
    for option, allowed in (("dpdTimeoutAction", DPD_ACTIONS), ("startupAction", STARTUP_ACTIONS)):
        value = inputs.get(tunnel_key(tunnel, option))
        if value is not None and not _unknown(value) and value not in allowed:
            raise VpnApiError(f"InvalidParameterValue: {where} {option} {value!r}: {' | '.join(allowed)}")
    cidr = inputs.get(tunnel_key(tunnel, "insideCidr"))
    if isinstance(cidr, str) and not _unknown(cidr) and inside_cidr_problem(cidr):
        raise VpnApiError(f"InvalidParameterValue: {where} inside CIDR: {inside_cidr_problem(cidr)}")
    key = _reveal(inputs.get(tunnel_key(tunnel, "presharedKey")))
    if isinstance(key, str) and not _unknown(key) and psk_problem(key):
        # Never the key itself in the message: it would reach logs.
        raise VpnApiError(f"InvalidParameterValue: {where} pre-shared key: {psk_problem(key)}")


def _ip(*parts: str) -> str:
    n = int(_hex(*parts, length=4), 16)
    return f"52.{(n >> 8) % 200 + 1}.{n % 250}.{(n >> 4) % 250 + 1}"


def vpn_connection(fake, name: str, inputs: dict):
    if inputs.get("type") != "ipsec.1":
        raise VpnApiError(f"InvalidParameterValue: CreateVpnConnection type {inputs.get('type')!r}: ipsec.1")
    if not inputs.get("customerGatewayId"):
        raise VpnApiError("MissingParameter: CreateVpnConnection needs CustomerGatewayId")
    targets = [k for k in ("vpnGatewayId", "transitGatewayId") if inputs.get(k) is not None]
    if len(targets) != 1:
        raise VpnApiError(f"InvalidParameterCombination: CreateVpnConnection needs exactly one of VpnGatewayId or "
                          f"TransitGatewayId, got {targets or 'neither'}")
    if inputs.get("tunnelBandwidth") == "large" and targets == ["vpnGatewayId"]:
        raise VpnApiError("InvalidParameterCombination: TunnelBandwidth large is not supported on a virtual private "
                          "gateway (transit gateway or Cloud WAN only)")
    for tunnel in TUNNELS:
        _check_tunnel(tunnel, inputs)
    insides = [inputs.get(tunnel_key(t, "insideCidr")) for t in TUNNELS]
    if insides[0] is not None and insides[0] == insides[1] and not _unknown(insides[0]):
        raise VpnApiError(f"InvalidParameterValue: both tunnels use inside CIDR {insides[0]}")
    physical = f"vpn-{_hex('vpn', name, length=17)}"
    _state(fake)["connections"][physical] = bool(inputs.get("staticRoutesOnly"))
    outputs = {"arn": fake.arn("ec2", f"vpn-connection/{physical}"), "tagsAll": inputs.get("tags", {}),
               "transitGatewayAttachmentId": "", "coreNetworkArn": "", "coreNetworkAttachmentArn": ""}
    tunnel_xml = []
    for i, tunnel in enumerate(TUNNELS):
        inside = ipaddress.IPv4Network(insides[i] or f"169.254.{int(_hex(name, tunnel, length=2), 16) % 200 + 10}."
                                       f"{4 * (i + 1)}/30")
        hosts = list(inside.hosts())
        key = _reveal(inputs.get(tunnel_key(tunnel, "presharedKey"))) or \
            f"k{_hex('psk', name, tunnel, length=31)}"  # AWS generates one when none is given
        address = _ip("vpn", name, tunnel)
        outputs.update({tunnel_key(tunnel, "address"): address, tunnel_key(tunnel, "insideCidr"): str(inside),
                        tunnel_key(tunnel, "cgwInsideAddress"): str(hosts[1]),
                        tunnel_key(tunnel, "vgwInsideAddress"): str(hosts[0]),
                        tunnel_key(tunnel, "bgpAsn"): "64512", tunnel_key(tunnel, "bgpHoldtime"): 30,
                        tunnel_key(tunnel, "presharedKey"): _secret(key)})
        tunnel_xml.append(f"<ipsec_tunnel><vpn_gateway><tunnel_outside_address><ip_address>{address}</ip_address>"
                          f"</tunnel_outside_address></vpn_gateway><ike><pre_shared_key>{key}</pre_shared_key></ike>"
                          "</ipsec_tunnel>")
    # The device configuration AWS returns holds both keys in plaintext: the provider marks it secret.
    outputs["customerGatewayConfiguration"] = _secret(
        f"<vpn_connection id=\"{physical}\">{''.join(tunnel_xml)}</vpn_connection>")
    return physical, outputs


def vpn_connection_route(fake, name: str, inputs: dict):
    connection, cidr = inputs.get("vpnConnectionId"), inputs.get("destinationCidrBlock")
    connections = _state(fake)["connections"]
    if isinstance(connection, str) and not _unknown(connection) and connection in connections \
            and not connections[connection]:
        raise VpnApiError(f"InvalidVpnConnection.InvalidState: {connection} uses dynamic (BGP) routing; static "
                          "routes need StaticRoutesOnly")
    if not _unknown(cidr):
        try:
            ipaddress.IPv4Network(cidr)
        except (ValueError, TypeError):
            raise VpnApiError(f"InvalidParameterValue: DestinationCidrBlock {cidr!r}") from None
    return f"{cidr}:{connection}", {}


def dx_gateway(fake, name: str, inputs: dict):
    asn, dx_name = inputs.get("amazonSideAsn"), inputs.get("name")
    if not _unknown(asn) and (not str(asn).isdigit() or not _in(int(asn), AMAZON_SIDE_ASN_RANGES)):
        raise VpnApiError(f"DirectConnectClientException: amazonSideAsn {asn!r}: 64512-65534 or "
                          "4200000000-4294967294")
    if isinstance(dx_name, str) and not 1 <= len(dx_name) <= 100:
        raise VpnApiError("DirectConnectClientException: directConnectGatewayName has 1-100 characters")
    physical = _uuid("dxgw", name)
    return physical, {"arn": f"arn:{fake.partition}:directconnect::{fake.account_id}:dx-gateway/{physical}",
                      "ownerAccountId": fake.account_id, "tagsAll": inputs.get("tags", {})}


def dx_association(fake, name: str, inputs: dict):
    gateway = inputs.get("associatedGatewayId")
    if isinstance(gateway, str) and not _unknown(gateway) and not gateway.startswith(("vgw-", "tgw-")):
        raise VpnApiError(f"DirectConnectClientException: associatedGatewayId {gateway!r}: a virtual private "
                          "(vgw-) or transit (tgw-) gateway")
    for prefix in inputs.get("allowedPrefixes") or []:
        if not _unknown(prefix):
            try:
                ipaddress.IPv4Network(prefix)
            except (ValueError, TypeError):
                raise VpnApiError(f"DirectConnectClientException: allowed prefix {prefix!r} is no CIDR") from None
    physical = _uuid("dxassoc", name)
    return physical, {"associationId": physical, "associatedGatewayType": "virtualPrivateGateway",
                      "associatedGatewayOwnerAccountId": fake.account_id, "dxGatewayOwnerAccountId": fake.account_id}


def _uuid(*parts: str) -> str:
    h = _hex(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


RESOURCES = {
    "aws:ec2/customerGateway:CustomerGateway": customer_gateway,
    "aws:ec2/vpnGateway:VpnGateway": vpn_gateway,
    "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation": route_propagation,
    "aws:ec2/vpnConnection:VpnConnection": vpn_connection,
    "aws:ec2/vpnConnectionRoute:VpnConnectionRoute": vpn_connection_route,
    "aws:directconnect/gateway:Gateway": dx_gateway,
    "aws:directconnect/gatewayAssociation:GatewayAssociation": dx_association,
}
