"""Hybrid connectivity: the on-premises networks reach the stack's VPC over an AWS Site-to-Site VPN, through a
Direct Connect gateway, or both, and the cluster's security groups admit them on the S3 port only.

What it builds (``hybrid`` in the stack config, components/hybrid/settings.py):
- a **virtual private gateway** (VGW) attached to the stack's VPC, its routes propagated into every private route
  table (``VpnGatewayRoutePropagation``): BGP-learned on-premises prefixes, or the static routes, appear there
  without a route per CIDR of ours. The public route table gets none: nothing in the public subnets talks to
  on-premises hosts.
- with ``hybrid.vpn``: a **customer gateway** (your device's public IPv4 and BGP ASN) and one **VPN connection**,
  whose two tunnels end in different AWS endpoints (Site-to-Site VPN User Guide, "Tunnel options"). Each tunnel is
  limited to IKEv2, AES-GCM, SHA-2 and the ECP Diffie-Hellman groups 19-21 in both phases
  (``rustfs_model.vpn.MODERN`` says why each weaker choice is refused); AWS starts the IKE negotiation itself
  (``startup_action: start``) and restarts it after a dead-peer timeout, so a tunnel comes back without a person.
  The two pre-shared keys are generated (pulumi-random, a secret in the state) and never leave it: no output, tag
  or log carries them. Read them from the connection's device configuration (README, Hybrid). Static routing
  (``staticRoutes``) adds one ``VpnConnectionRoute`` per CIDR instead of BGP.
- one **alarm per tunnel** on ``AWS/VPN`` ``TunnelState`` (dimensions ``VpnId`` and ``TunnelIpAddress``, the
  tunnel's outside address), to the ops-alerts topic: the metric is 1 while the tunnel is up (for BGP, while the
  session is ESTABLISHED) and 0 otherwise, every 5 minutes (Site-to-Site VPN User Guide, "Monitoring with
  CloudWatch"); two periods below 1 page. One tunnel down loses redundancy (AWS replaces tunnel endpoints during
  maintenance, one tunnel at a time); both down cut the site off.
- with ``hybrid.directConnect``: a **Direct Connect gateway** and its association with the VGW, advertising the
  VPC's CIDR (``allowed_prefixes``). The physical connection (or a partner's hosted connection) and its private
  virtual interface to the gateway are ordered and created outside this stack: they involve a colocation cross
  connect or a partner and a Letter of Authorization, not an API call (README, Hybrid). The gateway costs nothing.

Rejected: a **Transit Gateway** attachment. It is the right hub for many VPCs or for more than one tunnel's
bandwidth (ECMP across tunnels, 5 Gbps "large" tunnels), but it bills every attachment hour ($0.05 an hour each
for the VPC and the VPN attachment in us-east-1, about $73 a month) and $0.02 per GB it processes, both directions
(Infracost ``vpn_connection_test`` golden output), while a VGW is free and the VPN connection costs the same
$0.05 an hour on either. One VPC and a storage cluster's replication traffic fit a VGW's limits: 1.25 Gbps per
tunnel and 100 propagated routes per route table (Site-to-Site VPN User Guide, "Quotas"). One VGW per VPC
(CreateVpnGateway / AttachVpnGateway: "You can attach one virtual private gateway to a VPC at a time"), so this
component is the only one that may make it; the fake AWS refuses a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from rustfs_aws.hybrid.settings import BGP_ASN_EXTENDED_FROM, HybridConfig
from rustfs_aws.tagging import resource_tags
from rustfs_model.vpn import MODERN, PSK_ALPHABET_SPECIALS, TUNNELS

VPN_NAMESPACE = "AWS/VPN"
TUNNEL_STATE_PERIOD = 300  # AWS/VPN publishes every 5 minutes
PSK_RANDOM_LENGTH = 40  # plus one leading letter: 41 characters, within AWS's 8-64
# AWS refuses a key that starts with "0"; a fixed leading letter rules that out for every draw without constraining
# the 40 random characters (log2(64) x 40 = 240 bits of entropy).
PSK_LEAD = "k"


@dataclass
class HybridArgs:
    """Inputs of ``HybridConnectivity``."""

    name: str  # the deployment's name (rustfs-<stack>): prefixes physical names
    stack: str
    hybrid: HybridConfig
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_route_table_ids: list[pulumi.Input[str]]
    alarm_topic_arn: pulumi.Input[str] | None = None  # the ops-alerts topic (observability/alarms.py); None: no alarms
    tags: dict[str, str] = field(default_factory=dict)


def tunnel_options() -> dict[str, object]:
    """The keyword arguments every tunnel of the VPN connection gets: modern algorithms only (``MODERN``), AWS
    starting the negotiation, a restart after a dead-peer timeout."""
    options: dict[str, object] = {}
    snake = {"ikeVersions": "ike_versions", "phase1EncryptionAlgorithms": "phase1_encryption_algorithms",
             "phase2EncryptionAlgorithms": "phase2_encryption_algorithms",
             "phase1IntegrityAlgorithms": "phase1_integrity_algorithms",
             "phase2IntegrityAlgorithms": "phase2_integrity_algorithms",
             "phase1DhGroupNumbers": "phase1_dh_group_numbers", "phase2DhGroupNumbers": "phase2_dh_group_numbers"}
    for tunnel in TUNNELS:
        for option, values in MODERN.items():
            options[f"{tunnel}_{snake[option]}"] = list(values)
        options[f"{tunnel}_startup_action"] = "start"
        options[f"{tunnel}_dpd_timeout_action"] = "restart"
    return options


class HybridConnectivity(pulumi.ComponentResource):
    """``vpn_gateway_id``, ``vpn_connection_id`` and ``tunnel_addresses`` (with a VPN), ``customer_gateway_id``,
    ``dx_gateway_id`` (with Direct Connect), ``alarm_names``. No output carries a pre-shared key."""

    def __init__(self, name: str, args: HybridArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:hybrid:HybridConnectivity", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        cfg = args.hybrid
        self.vpn_gateway = aws.ec2.VpnGateway(
            f"{name}-vgw", vpc_id=args.vpc_id, amazon_side_asn=str(cfg.amazon_side_asn),
            tags=self._tags(f"{args.name}-vgw"), opts=child)
        vgw_opts = pulumi.ResourceOptions(parent=self.vpn_gateway)
        for i, table in enumerate(args.private_route_table_ids):
            aws.ec2.VpnGatewayRoutePropagation(f"{name}-propagation-{i}", vpn_gateway_id=self.vpn_gateway.id,
                                               route_table_id=table, opts=vgw_opts)
        self.vpn_gateway_id: pulumi.Output[str] = self.vpn_gateway.id
        self.vpn_connection_id: pulumi.Output[str] | None = None
        self.customer_gateway_id: pulumi.Output[str] | None = None
        self.tunnel_addresses: list[pulumi.Output[str]] = []
        self.dx_gateway_id: pulumi.Output[str] | None = None
        self.alarm_names: list[pulumi.Output[str]] = []
        if cfg.vpn is not None:
            self._vpn(child)
        if cfg.direct_connect is not None:
            dx = aws.directconnect.Gateway(
                f"{name}-dx", name=f"{args.name}-dx", amazon_side_asn=str(cfg.direct_connect.amazon_side_asn),
                tags=self._tags(f"{args.name}-dx"), opts=child)
            aws.directconnect.GatewayAssociation(
                f"{name}-dx-vgw", dx_gateway_id=dx.id, associated_gateway_id=self.vpn_gateway.id,
                allowed_prefixes=[args.vpc_cidr], opts=pulumi.ResourceOptions(parent=dx))
            self.dx_gateway_id = dx.id
        self.register_outputs({
            "vpnGatewayId": self.vpn_gateway_id, "vpnConnectionId": self.vpn_connection_id,
            "customerGatewayId": self.customer_gateway_id, "tunnelAddresses": self.tunnel_addresses,
            "directConnectGatewayId": self.dx_gateway_id, "alarmNames": self.alarm_names})

    def _tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack)

    def _vpn(self, child: pulumi.ResourceOptions) -> None:
        name, args, vpn = self._name, self._args, self._args.hybrid.vpn
        # CreateCustomerGateway takes BgpAsn up to 2,147,483,647 and a larger (4-byte) ASN only as BgpAsnExtended,
        # one of the two (EC2 API Reference; pulumi_aws ec2.CustomerGateway ``bgp_asn``/``bgp_asn_extended``).
        asn = {"bgp_asn_extended" if vpn.bgp_asn >= BGP_ASN_EXTENDED_FROM else "bgp_asn": str(vpn.bgp_asn)}
        customer = aws.ec2.CustomerGateway(
            f"{name}-cgw", type="ipsec.1", ip_address=vpn.customer_gateway_ip, **asn,
            device_name=f"{args.name}-onprem", tags=self._tags(f"{args.name}-cgw"), opts=child)
        keys = {}
        for tunnel in TUNNELS:
            password = random.RandomPassword(
                f"{name}-{tunnel}-psk", length=PSK_RANDOM_LENGTH, upper=True, lower=True, numeric=True,
                special=True, override_special=PSK_ALPHABET_SPECIALS, opts=child)
            keys[f"{tunnel}_preshared_key"] = pulumi.Output.secret(password.result.apply(lambda r: PSK_LEAD + r))
        connection = aws.ec2.VpnConnection(
            f"{name}-vpn", customer_gateway_id=customer.id, vpn_gateway_id=self.vpn_gateway.id, type="ipsec.1",
            static_routes_only=vpn.static, **keys, **tunnel_options(),
            tags=self._tags(f"{args.name}-vpn"), opts=child)
        for i, cidr in enumerate(vpn.static_routes):
            aws.ec2.VpnConnectionRoute(f"{name}-route-{i}", vpn_connection_id=connection.id,
                                       destination_cidr_block=cidr, opts=pulumi.ResourceOptions(parent=connection))
        self.customer_gateway_id = customer.id
        self.vpn_connection_id = connection.id
        self.tunnel_addresses = [connection.tunnel1_address, connection.tunnel2_address]
        if args.alarm_topic_arn is not None:
            for i, address in enumerate(self.tunnel_addresses, start=1):
                self._tunnel_alarm(i, connection.id, address)

    def _tunnel_alarm(self, tunnel: int, vpn_id: pulumi.Output[str], address: pulumi.Output[str]) -> None:
        args = self._args
        alarm_name = f"{args.name}-vpn-tunnel{tunnel}-down"
        routing = "static routing: the tunnel is down" if args.hybrid.vpn.static else \
            "BGP: the tunnel or its BGP session is not ESTABLISHED"
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-tunnel{tunnel}-down", name=alarm_name,
            alarm_description=(
                f"Site-to-Site VPN tunnel {tunnel} to the on-premises network has reported TunnelState 0 for 10 "
                f"minutes ({routing}). With the other tunnel up, traffic has failed over and only redundancy is lost "
                "(AWS replaces one tunnel endpoint at a time during maintenance); with both alarms on, the site is cut "
                "off: replication to and from the on-premises RustFS queues. Check the customer gateway device (IKE "
                "and BGP logs, its outside address), then aws ec2 describe-vpn-connections for the tunnel's "
                "StatusMessage."),
            namespace=VPN_NAMESPACE, metric_name="TunnelState", statistic="Maximum", period=TUNNEL_STATE_PERIOD,
            dimensions={"VpnId": vpn_id, "TunnelIpAddress": address}, evaluation_periods=2, datapoints_to_alarm=2,
            threshold=1, comparison_operator="LessThanThreshold",
            # The connection publishes while it exists: silence means it is gone, which is no working tunnel.
            treat_missing_data="breaching", alarm_actions=[args.alarm_topic_arn], ok_actions=[args.alarm_topic_arn],
            actions_enabled=True, tags=self._tags(alarm_name), opts=pulumi.ResourceOptions(parent=self))
        self.alarm_names.append(alarm.name)
