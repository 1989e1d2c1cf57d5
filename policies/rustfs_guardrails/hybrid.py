"""Hybrid connectivity and CI federation: Site-to-Site VPN tunnels, customer gateways, Direct Connect gateways, and
the OpenID Connect providers and roles a CI system deploys through.

- VPN tunnels: an option AWS leaves unset means every value AWS accepts (SHA-1, AES-CBC, DH group 2, IKEv1
  included), so each tunnel must name its lists, all inside ``rustfs_model.vpn.MODERN``.
- Customer gateways: a public VPN ends at a static, internet-routable address (CreateCustomerGateway); an address
  in a private or documentation range is a typo that leaves the tunnels down, and the ASN must not be one AWS
  reserves in the Region.
- Transit gateways (the alternative to the stack's virtual private gateway when a team brings one): no shared
  attachment is accepted by itself, and no attachment lands in a default route table that every other attachment
  propagates into (CreateTransitGateway enables both default route table options unless told).
- Direct Connect gateway associations advertise explicit prefixes: without ``allowedPrefixes`` AWS advertises the
  VPC's CIDRs as they change, and a 0.0.0.0/0 prefix makes the VPC the on-premises network's default route.
- OIDC providers for GitHub Actions accept only the audience STS asks for (``sts.amazonaws.com``, the
  configure-aws-credentials default); a second audience lets tokens minted for another service assume roles.
- Roles trusting an OIDC provider condition on the token's audience and its subject, and the subject names one
  repository (GitHub: ``repo:<owner>/<repo>:...``) without wildcards in owner or repository: a role trusting
  ``repo:*`` or only the audience can be assumed by any repository's workflow on GitHub (GitHub Docs, "Configuring
  OpenID Connect in Amazon Web Services"; the 2023 reports of roles assumable from any repository).
"""

from __future__ import annotations

import ipaddress
import re

from pulumi_policy import Severity

from rustfs_model.vpn import MODERN, TUNNELS, tunnel_key

from . import _iam
from ._kit import Res, aws, is_unknown, known_str, resource_policy, stack_policy

VPN_CONNECTION = aws("ec2", "VpnConnection")
CUSTOMER_GATEWAY = aws("ec2", "CustomerGateway")
TRANSIT_GATEWAY = aws("ec2transitgateway", "TransitGateway")
DX_GATEWAY = aws("directconnect", "Gateway")
DX_ASSOCIATION = aws("directconnect", "GatewayAssociation")
OIDC_PROVIDER = aws("iam", "OpenIdConnectProvider")
ROLE = aws("iam", "Role")

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
RESERVED_CUSTOMER_ASNS = {"us-east-1": 7224, "eu-west-1": 9059}  # CreateCustomerGateway, as in rustfs_model.vpn


def _check_tunnels(res: Res, cfg: dict, report) -> None:
    for tunnel in TUNNELS:
        for option, modern in MODERN.items():
            key = tunnel_key(tunnel, option)
            values = res.get(key)
            if is_unknown(values):
                continue
            if not values:
                report(f"VPN connection '{res.name}' leaves {key} unset: AWS then accepts every value it knows, "
                       f"weak ones included; list {', '.join(map(str, modern))}.")
                continue
            weak = [v for v in (int(x) if isinstance(x, float) else x for x in values) if v not in modern]
            if weak:
                report(f"VPN connection '{res.name}' {key} allows {', '.join(map(str, weak))}: only "
                       f"{', '.join(map(str, modern))} (IKEv2, AES-GCM, SHA-2, ECP groups 19-21).")


vpn_tunnel_options = resource_policy(
    "rustfs-ec2-vpnconnection-require-modern-tunnel-options",
    "Both tunnels of a Site-to-Site VPN connection list their IKE versions, phase 1 and 2 encryption, integrity and "
    "Diffie-Hellman groups, all modern: IKEv2, AES-GCM, SHA-2, ECP groups 19-21.",
    severity=Severity.HIGH, types=[VPN_CONNECTION], check=_check_tunnels, topics=["network", "encryption"],
    remediation="Set tunnel{1,2}_ike_versions=['ikev2'], phase{1,2}_encryption_algorithms=['AES256-GCM-16'], "
    "phase{1,2}_integrity_algorithms=['SHA2-256', ...], phase{1,2}_dh_group_numbers=[19, 20, 21].")


def _region(res: Res) -> str | None:
    return known_str(res.get("region")) or known_str(res.provider_props.get("region"))


def _check_customer_gateway(res: Res, cfg: dict, report) -> None:
    ip = res.get("ipAddress")
    if isinstance(ip, str) and not cfg["allowPrivateAddresses"]:
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            report(f"Customer gateway '{res.name}' ipAddress {ip!r} is no IPv4 address.")
        else:
            if not address.is_global:
                report(f"Customer gateway '{res.name}' ipAddress {ip} is not internet-routable: a public VPN's "
                       "tunnels can never reach it.")
    asn = res.get("bgpAsn")
    reserved = RESERVED_CUSTOMER_ASNS.get(_region(res) or "")
    if isinstance(asn, str) and asn.isdigit() and int(asn) == reserved:
        report(f"Customer gateway '{res.name}' uses BGP ASN {asn}, which AWS reserves in {_region(res)}.")


customer_gateway = resource_policy(
    "rustfs-ec2-customergateway-require-routable-address",
    "A customer gateway of a public Site-to-Site VPN has an internet-routable IPv4 address and no ASN AWS reserves "
    "in the Region.",
    severity=Severity.MEDIUM, types=[CUSTOMER_GATEWAY], check=_check_customer_gateway, topics=["network"],
    config={"allowPrivateAddresses": {"type": "boolean", "default": False,
                                      "description": "private-IP VPNs over Direct Connect (OutsideIpAddressType "
                                                     "PrivateIpv4) end at private addresses"}},
    remediation="Use the static public address of the device's outside interface (README, Hybrid).")


def _check_transit_gateway(res: Res, cfg: dict, report) -> None:
    # CreateTransitGateway's defaults: AutoAcceptSharedAttachments disable, DefaultRouteTableAssociation and
    # DefaultRouteTablePropagation enable (EC2 API Reference, TransitGatewayRequestOptions).
    if res.get("autoAcceptSharedAttachments") == "enable":
        report(f"Transit gateway '{res.name}' accepts shared attachments automatically: any account it is shared "
               "with (RAM) attaches a VPC to the storage network without review.")
    flat = [key for key in ("defaultRouteTableAssociation", "defaultRouteTablePropagation")
            if res.get(key) in (None, "enable")]
    if flat:
        report(f"Transit gateway '{res.name}' leaves {' and '.join(flat)} enabled (the API's default): every "
               "attachment joins one route table and learns every other's routes, so a new VPC or VPN reaches the "
               "cluster's subnets without a route anyone wrote for it.")


transit_gateway = resource_policy(
    "rustfs-ec2transitgateway-transitgateway-disallow-implicit-attachments",
    "A transit gateway joining the storage network accepts no shared attachment by itself and puts attachments in "
    "no default route table: each attachment is accepted and routed on purpose.",
    severity=Severity.MEDIUM, types=[TRANSIT_GATEWAY], check=_check_transit_gateway,
    checks=["CKV_AWS_331", "EC2.23"], topics=["network"],
    remediation="aws.ec2transitgateway.TransitGateway(auto_accept_shared_attachments='disable', "
    "default_route_table_association='disable', default_route_table_propagation='disable') and explicit "
    "RouteTable, RouteTableAssociation and RouteTablePropagation per attachment.")


def _check_dx(resources: list[Res], cfg: dict, report) -> None:
    associations = [r for r in resources if r.type == DX_ASSOCIATION]
    for gateway in (r for r in resources if r.type == DX_GATEWAY):
        if not any(a.refers_to("dxGatewayId", gateway) for a in associations):
            report(f"Direct Connect gateway '{gateway.name}' is associated with no virtual private or transit "
                   "gateway of the stack: it routes nothing and only waits to be associated by hand.", gateway.urn)
    for association in associations:
        prefixes = association.get("allowedPrefixes")
        if is_unknown(prefixes):
            continue
        if not prefixes:
            report(f"Direct Connect gateway association '{association.name}' sets no allowedPrefixes: AWS advertises "
                   "whatever CIDRs the VPC has; list the VPC's CIDR.", association.urn)
        for prefix in prefixes or []:
            if isinstance(prefix, str) and prefix.endswith("/0"):
                report(f"Direct Connect gateway association '{association.name}' advertises {prefix}: the VPC would "
                       "become the on-premises network's default route.", association.urn)


dx_gateway = stack_policy(
    "rustfs-directconnect-gateway-require-scoped-association",
    "A Direct Connect gateway is associated with the stack's gateway, and each association advertises explicit "
    "prefixes, never a default route.",
    severity=Severity.MEDIUM, types=[DX_GATEWAY, DX_ASSOCIATION], check=_check_dx, topics=["network"],
    remediation="aws.directconnect.GatewayAssociation(dx_gateway_id=..., associated_gateway_id=<vgw>, "
    "allowed_prefixes=[<VPC CIDR>]).")


def _host(url: str) -> str:
    return url.removeprefix("https://").rstrip("/")


def _check_oidc_provider(res: Res, cfg: dict, report) -> None:
    url, audiences = res.get("url"), res.get("clientIdLists")
    if isinstance(url, str) and not url.startswith("https://"):
        report(f"OIDC provider '{res.name}' url {url!r} is not https.")
    if not isinstance(url, str) or _host(url) != GITHUB_OIDC_HOST or is_unknown(audiences):
        return
    extra = sorted(set(audiences or []) - {STS_AUDIENCE})
    if not audiences or extra:
        report(f"OIDC provider '{res.name}' for GitHub Actions accepts the audiences {audiences or []}: only "
               f"{STS_AUDIENCE}, the audience configure-aws-credentials requests for STS.")


oidc_provider = resource_policy(
    "rustfs-iam-oidcprovider-require-sts-audience",
    "An IAM OIDC provider for GitHub Actions (token.actions.githubusercontent.com) accepts only the audience "
    "sts.amazonaws.com; every provider URL is https.",
    severity=Severity.HIGH, types=[OIDC_PROVIDER], check=_check_oidc_provider, topics=["iam", "delivery"],
    remediation="aws.iam.OpenIdConnectProvider(url='https://token.actions.githubusercontent.com', "
    "client_id_lists=['sts.amazonaws.com']).")

_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:oidc-provider/(.+)$")
# A GitHub subject names one repository: repo:<owner>/<repo>:<context>; no wildcard in owner or repository.
_GITHUB_SUBJECT = re.compile(r"^repo:[^*?/:]+/[^*?/:]+:[^*]")


def _condition_values(statement: dict, key: str) -> dict[str, list]:
    """Operator -> values of one condition key (case-insensitive key match, as IAM compares keys)."""
    found: dict[str, list] = {}
    condition = statement.get("Condition")
    for operator, block in (condition.items() if isinstance(condition, dict) else []):
        for name, values in (block.items() if isinstance(block, dict) else []):
            if name.lower() == key.lower():
                found.setdefault(operator, []).extend(_iam.as_list(values))
    return found


def _check_oidc_trust(res: Res, cfg: dict, report) -> None:
    for index, statement in enumerate(_iam.parse(res.get("assumeRolePolicy")).statements):
        principal = statement.get("Principal")
        if not _iam.is_allow(statement) or not isinstance(principal, dict):
            continue
        for federated in _iam.as_list(principal.get("Federated")):
            match = _OIDC_PROVIDER_ARN.match(federated) if isinstance(federated, str) else None
            if not match:
                continue
            host, label = match.group(1), f"Role '{res.name}' assumeRolePolicy Statement[{index}]"
            audiences = _condition_values(statement, f"{host}:aud")
            if not any(op.startswith("StringEquals") for op in audiences):
                report(f"{label} trusts {host} without StringEquals on {host}:aud.")
            subjects = _condition_values(statement, f"{host}:sub")
            if not subjects:
                report(f"{label} trusts {host} without a condition on {host}:sub: any subject the provider signs "
                       "(for GitHub, any repository's workflow) may assume the role.")
                continue
            values = [v for vs in subjects.values() for v in vs]
            if host == GITHUB_OIDC_HOST:
                loose = [v for v in values if not isinstance(v, str) or not _GITHUB_SUBJECT.match(v)]
            else:
                loose = [v for v in values if not isinstance(v, str) or v.strip("*?") == ""]
            if loose:
                report(f"{label} lets {host}:sub match {loose}: name one repository (repo:<owner>/<repo>:...) "
                       "without wildcards in the owner or repository.")


oidc_trust = resource_policy(
    "rustfs-iam-role-require-oidc-subject-condition",
    "A role trusting an OIDC provider conditions on the token's audience (StringEquals) and on its subject, and for "
    "GitHub Actions the subject names one repository (repo:<owner>/<repo>:...) without wildcards there.",
    severity=Severity.CRITICAL, types=[ROLE], check=_check_oidc_trust, topics=["iam", "delivery"],
    remediation="Condition: {StringEquals: {'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', "
    "'token.actions.githubusercontent.com:sub': 'repo:<owner>/<repo>:environment:<stack>'}}.")

POLICIES = [vpn_tunnel_options, customer_gateway, transit_gateway, dx_gateway, oidc_provider, oidc_trust]
