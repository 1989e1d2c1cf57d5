"""Hybrid connectivity (components/hybrid/): the VPN's tunnel options, routes and propagation, the security groups'
rules for the on-premises networks, the configuration's refusals, the fake AWS's, and the pre-shared keys' secrecy.

The stack is the real dev program with a ``hybrid`` section, run under the fake AWS (preflight.runner.run_stack);
the secrecy test runs preflight itself, as users do, and reads every report it writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from preflight import fake_hybrid
from preflight.fake_aws import FakeAws
from preflight.runner import run_stack
from rustfs_aws.config import ConfigError
from rustfs_model.vpn import ACCEPTED, MODERN, TUNNELS, psk_problem, tunnel_key

ROOT = Path(__file__).resolve().parent.parent
HYBRID = "rustfs-aws:hybrid"
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
VGW = "aws:ec2/vpnGateway:VpnGateway"
PROPAGATION = "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"
ROUTE = "aws:ec2/vpnConnectionRoute:VpnConnectionRoute"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PASSWORD = "random:index/randomPassword:RandomPassword"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ON_PREM = ["10.0.0.0/16", "172.16.0.0/20"]
DEVICE_IP = "100.20.30.40"  # a global unicast address (the documentation ranges are refused, like private ones)


def hybrid(**changes) -> dict:
    section = {"onPremCidrs": ON_PREM, "vpn": {"customerGatewayIp": DEVICE_IP, "bgpAsn": 65010},
               "directConnect": {"amazonSideAsn": 64600}}
    section.update(changes)
    return {HYBRID: section}


@pytest.fixture(scope="module")
def bgp():
    return run_stack("dev", hybrid())


@pytest.fixture(scope="module")
def static():
    return run_stack("dev", {HYBRID: {"onPremCidrs": ON_PREM, "vpn": {
        "customerGatewayIp": DEVICE_IP, "staticRoutes": ["10.0.0.0/16", "172.16.4.0/24"]}}})


def config_error(overrides: dict) -> str:
    with pytest.raises(ConfigError) as err:
        run_stack("dev", overrides)
    return str(err.value)


# ---- tunnel options -------------------------------------------------------------------------------------------

def test_each_tunnel_allows_only_ikev2_aes_gcm_sha2_and_ecp_groups(bgp):
    vpn = bgp.one(VPN_CONNECTION).inputs
    for tunnel in TUNNELS:
        assert vpn[tunnel_key(tunnel, "ikeVersions")] == ["ikev2"]
        for phase in ("phase1", "phase2"):
            assert set(vpn[tunnel_key(tunnel, f"{phase}EncryptionAlgorithms")]) <= {"AES128-GCM-16", "AES256-GCM-16"}
            assert set(vpn[tunnel_key(tunnel, f"{phase}IntegrityAlgorithms")]) <= {"SHA2-256", "SHA2-384", "SHA2-512"}
            assert {int(g) for g in vpn[tunnel_key(tunnel, f"{phase}DhGroupNumbers")]} <= {19, 20, 21}
        # AWS initiates and restarts after a dead-peer timeout: the tunnel comes back without a person.
        assert vpn[tunnel_key(tunnel, "startupAction")] == "start"
        assert vpn[tunnel_key(tunnel, "dpdTimeoutAction")] == "restart"
    # Every option is set (an unset list means "all of AWS's values", SHA1 and DH group 2 included).
    assert all(tunnel_key(t, o) in vpn for t in TUNNELS for o in MODERN)
    assert vpn["type"] == "ipsec.1" and vpn["staticRoutesOnly"] is False


def test_the_modern_sets_are_inside_what_aws_accepts():
    for option, values in MODERN.items():
        assert set(values) <= set(ACCEPTED[option]), option
        assert values, option


@pytest.mark.parametrize(("option", "value"), [
    ("ikeVersions", ["ikev3"]), ("phase1EncryptionAlgorithms", ["3DES"]), ("phase2IntegrityAlgorithms", ["MD5"]),
    ("phase1DhGroupNumbers", [5]), ("phase2DhGroupNumbers", [1]),
])
def test_the_fake_refuses_a_tunnel_option_outside_awss_value_set(option, value):
    inputs = {"type": "ipsec.1", "customerGatewayId": "cgw-1", "vpnGatewayId": "vgw-1",
              tunnel_key("tunnel2", option): value}
    with pytest.raises(fake_hybrid.VpnApiError, match=f"tunnel2 {option}"):
        fake_hybrid.vpn_connection(FakeAws("us-east-1"), "vpn", inputs)


@pytest.mark.parametrize(("key", "reason"), [
    ("0abcdefgh", "cannot start with zero"), ("short", "8-64 characters"), ("a" * 65, "8-64 characters"),
    ("with-hyphen-key", "letters, digits, periods and underscores"), ("sp ace key", "periods and underscores"),
])
def test_the_fake_refuses_a_pre_shared_key_aws_would_and_never_prints_it(key, reason):
    inputs = {"type": "ipsec.1", "customerGatewayId": "cgw-1", "vpnGatewayId": "vgw-1",
              "tunnel1PresharedKey": {fake_hybrid.SIG_KEY: fake_hybrid.SECRET_SIG, "value": key}}
    with pytest.raises(fake_hybrid.VpnApiError) as err:
        fake_hybrid.vpn_connection(FakeAws("us-east-1"), "vpn", inputs)
    assert reason in str(err.value) and key not in str(err.value)


def test_the_fake_refuses_large_tunnels_on_a_vgw_and_a_second_gateway_type():
    fake = FakeAws("us-east-1")
    base = {"type": "ipsec.1", "customerGatewayId": "cgw-1"}
    with pytest.raises(fake_hybrid.VpnApiError, match="not supported on a virtual private gateway"):
        fake_hybrid.vpn_connection(fake, "a", {**base, "vpnGatewayId": "vgw-1", "tunnelBandwidth": "large"})
    with pytest.raises(fake_hybrid.VpnApiError, match="exactly one of VpnGatewayId or TransitGatewayId"):
        fake_hybrid.vpn_connection(fake, "b", {**base, "vpnGatewayId": "vgw-1", "transitGatewayId": "tgw-1"})
    with pytest.raises(fake_hybrid.VpnApiError, match="phase 2 lifetime must be below"):
        fake_hybrid.vpn_connection(fake, "c", {**base, "vpnGatewayId": "vgw-1", "tunnel1Phase1LifetimeSeconds": 1800,
                                               "tunnel1Phase2LifetimeSeconds": 3600})


# ---- gateways, routes, propagation ----------------------------------------------------------------------------

def test_the_gateway_is_attached_to_the_stacks_vpc_and_propagates_into_every_private_route_table_only(bgp):
    [vgw] = bgp.of_type(VGW)
    assert vgw.inputs["vpcId"] == bgp.outputs["vpcId"]
    assert vgw.inputs["amazonSideAsn"] == "64512"
    tables = {t.outputs["id"]: t.name for t in bgp.of_type(ROUTE_TABLE)}
    propagated = sorted(tables[p.inputs["routeTableId"]] for p in bgp.of_type(PROPAGATION))
    assert propagated == sorted(n for n in tables.values() if "-private-rt-" in n) and len(propagated) == 2
    assert all(p.inputs["vpnGatewayId"] == vgw.outputs["id"] for p in bgp.of_type(PROPAGATION))
    assert bgp.of_type(ROUTE) == []  # BGP: the routes are learned, none is declared


def test_static_routing_declares_one_route_per_cidr_and_no_bgp(static):
    vpn = static.one(VPN_CONNECTION)
    assert vpn.inputs["staticRoutesOnly"] is True
    routes = static.of_type(ROUTE)
    assert sorted(r.inputs["destinationCidrBlock"] for r in routes) == ["10.0.0.0/16", "172.16.4.0/24"]
    assert all(r.inputs["vpnConnectionId"] == vpn.outputs["id"] for r in routes)
    assert static.of_type("aws:directconnect/gateway:Gateway") == []


def test_the_fake_refuses_a_static_route_on_a_bgp_connection_and_a_second_gateway_in_a_vpc():
    fake = FakeAws("us-east-1")
    physical, _ = fake_hybrid.vpn_connection(fake, "bgp", {"type": "ipsec.1", "customerGatewayId": "cgw-1",
                                                           "vpnGatewayId": "vgw-1", "staticRoutesOnly": False})
    with pytest.raises(fake_hybrid.VpnApiError, match="dynamic \\(BGP\\) routing"):
        fake_hybrid.vpn_connection_route(fake, "r", {"vpnConnectionId": physical, "destinationCidrBlock": "10.0.0.0/8"})
    fake_hybrid.vpn_gateway(fake, "one", {"vpcId": "vpc-1"})
    with pytest.raises(fake_hybrid.VpnApiError, match="one per VPC"):
        fake_hybrid.vpn_gateway(fake, "two", {"vpcId": "vpc-1"})
    with pytest.raises(fake_hybrid.VpnApiError, match="AmazonSideAsn"):
        fake_hybrid.vpn_gateway(fake, "three", {"vpcId": "vpc-2", "amazonSideAsn": "65535"})


def test_direct_connect_gateway_is_associated_with_the_vgw_and_advertises_only_the_vpc(bgp):
    gateway = bgp.one("aws:directconnect/gateway:Gateway")
    assert gateway.inputs["amazonSideAsn"] == "64600"
    association = bgp.one("aws:directconnect/gatewayAssociation:GatewayAssociation")
    assert association.inputs["dxGatewayId"] == gateway.outputs["id"]
    assert association.inputs["associatedGatewayId"] == bgp.one(VGW).outputs["id"]
    assert association.inputs["allowedPrefixes"] == ["10.40.0.0/16"]


def test_one_alarm_per_tunnel_on_its_outside_address_notifies_the_ops_topic(bgp):
    vpn = bgp.one(VPN_CONNECTION)
    alarms = {a.inputs["name"]: a.inputs for a in bgp.of_type(ALARM) if "vpn-tunnel" in a.inputs["name"]}
    assert set(alarms) == {"rustfs-dev-vpn-tunnel1-down", "rustfs-dev-vpn-tunnel2-down"}
    for i, tunnel in enumerate(TUNNELS, start=1):
        alarm = alarms[f"rustfs-dev-vpn-tunnel{i}-down"]
        assert alarm["namespace"] == "AWS/VPN" and alarm["metricName"] == "TunnelState"
        assert alarm["dimensions"] == {"VpnId": vpn.outputs["id"],
                                       "TunnelIpAddress": vpn.outputs[tunnel_key(tunnel, "address")]}
        assert alarm["comparisonOperator"] == "LessThanThreshold" and alarm["threshold"] == 1
        assert alarm["alarmActions"] == alarm["okActions"] == [bgp.outputs["opsAlertTopicArn"]]
        assert alarm["treatMissingData"] == "breaching"
    assert bgp.outputs["vpnTunnelAddresses"] == [vpn.outputs["tunnel1Address"], vpn.outputs["tunnel2Address"]]


# ---- security groups ------------------------------------------------------------------------------------------

def _rules(recording, kind: str) -> list:
    return recording.of_type(kind)


def test_on_prem_networks_reach_the_nodes_and_the_load_balancer_on_9000_only(bgp):
    nodes_sg = next(r.outputs["id"] for r in bgp.of_type("aws:ec2/securityGroup:SecurityGroup")
                    if r.name.endswith("-cluster-nodes"))
    lb_sg = next(r.outputs["id"] for r in bgp.of_type("aws:ec2/securityGroup:SecurityGroup")
                 if r.name.endswith("-lb-sg"))
    on_prem_in = [r.inputs for r in _rules(bgp, INGRESS) if r.inputs.get("cidrIpv4") in ON_PREM]
    on_prem_out = [r.inputs for r in _rules(bgp, EGRESS) if r.inputs.get("cidrIpv4") in ON_PREM]
    # Every rule naming an on-premises CIDR is TCP 9000: nothing else (the console's 9001 least of all).
    assert all((r["ipProtocol"], r["fromPort"], r["toPort"]) == ("tcp", 9000, 9000) for r in on_prem_in + on_prem_out)
    assert sorted((r["securityGroupId"], r["cidrIpv4"]) for r in on_prem_in) == sorted(
        [(nodes_sg, c) for c in ON_PREM] + [(lb_sg, c) for c in ON_PREM])
    # The nodes replicate to the on-premises RustFS; the load balancer sends nothing there.
    assert sorted((r["securityGroupId"], r["cidrIpv4"]) for r in on_prem_out) == [(nodes_sg, c) for c in ON_PREM]
    console = [r.inputs for r in _rules(bgp, INGRESS) if r.inputs.get("fromPort") == 9001 and r.inputs.get("cidrIpv4")]
    assert console and {r["cidrIpv4"] for r in console} == {"192.0.2.0/24"}  # network.adminCidrs of dev


def test_without_hybrid_there_is_no_on_prem_rule_and_no_gateway():
    plain = run_stack("dev")
    assert plain.of_type(VGW) == [] and plain.of_type(VPN_CONNECTION) == []
    assert not [r for r in plain.resources if "onprem" in r.name]


# ---- configuration errors -------------------------------------------------------------------------------------

def test_an_on_prem_cidr_overlapping_the_vpc_names_both_cidrs_and_keys():
    message = config_error(hybrid(onPremCidrs=["10.0.0.0/16", "10.40.128.0/20"]))
    assert ("rustfs-aws:hybrid.onPremCidrs[1]: got '10.40.128.0/20'; overlaps rustfs-aws:network.cidr "
            "(10.40.0.0/16)") in message


def test_overlapping_on_prem_cidrs_name_both_entries():
    message = config_error(hybrid(onPremCidrs=["10.0.0.0/8", "172.16.0.0/12", "10.20.0.0/16"]))
    assert ("rustfs-aws:hybrid.onPremCidrs[2]: got '10.20.0.0/16'; overlaps rustfs-aws:hybrid.onPremCidrs[0] "
            "(10.0.0.0/8)") in message
    assert "onPremCidrs[1]" not in message


@pytest.mark.parametrize(("changes", "key", "expected"), [
    ({"onPremCidrs": ["169.254.10.0/24"]}, "hybrid.onPremCidrs[0]", "link-local"),
    ({"onPremCidrs": []}, "hybrid.onPremCidrs", "at least one CIDR"),
    ({"onPremCidrs": ["0.0.0.0/0"]}, "hybrid.onPremCidrs[0]", "not an on-premises network"),
    ({"vpn": {"customerGatewayIp": "10.1.2.3"}}, "hybrid.vpn.customerGatewayIp", "public, internet-routable"),
    ({"vpn": {"customerGatewayIp": "203.0.113.10"}}, "hybrid.vpn.customerGatewayIp", "public, internet-routable"),
    ({"vpn": {"customerGatewayIp": "not-an-ip"}}, "hybrid.vpn.customerGatewayIp", "IPv4 address"),
    ({"vpn": {"customerGatewayIp": DEVICE_IP, "bgpAsn": 7224}}, "hybrid.vpn.bgpAsn", "reserved by AWS in us-east-1"),
    ({"vpn": {"customerGatewayIp": DEVICE_IP, "bgpAsn": 64512}}, "hybrid.vpn.bgpAsn", "different ASN on each side"),
    ({"vpn": {"customerGatewayIp": DEVICE_IP, "bgpAsn": 0}}, "hybrid.vpn.bgpAsn", "1–4,294,967,295"),
    ({"vpn": {"customerGatewayIp": DEVICE_IP, "staticRoutes": ["192.168.0.0/24"]}},
     "hybrid.vpn.staticRoutes[0]", "not inside any of hybrid.onPremCidrs"),
    ({"amazonSideAsn": 65535}, "hybrid.amazonSideAsn", "64512-65534 or 4200000000-4294967294"),
    ({"directConnect": {"amazonSideAsn": 100}}, "hybrid.directConnect.amazonSideAsn", "64512"),
    ({"vpn": None, "directConnect": None}, "hybrid", "set hybrid.vpn"),
    ({"vpn": {"customerGatewayIp": DEVICE_IP, "psk": "x"}}, "hybrid.vpn.psk", "unknown key"),
])
def test_invalid_hybrid_settings_name_the_key_and_what_is_allowed(changes, key, expected):
    section = {"onPremCidrs": ON_PREM, "vpn": {"customerGatewayIp": DEVICE_IP}, **changes}
    section = {k: v for k, v in section.items() if v is not None}
    message = config_error({HYBRID: section})
    line = next((x for x in message.splitlines() if f"rustfs-aws:{key}:" in x), "")
    assert expected in line, message


def test_a_four_byte_customer_asn_goes_in_bgp_asn_extended():
    """CreateCustomerGateway: BgpAsn up to 2,147,483,647, a larger ASN only as BgpAsnExtended (the fake refuses
    it in BgpAsn, as AWS does)."""
    stack = run_stack("dev", hybrid(vpn={"customerGatewayIp": DEVICE_IP, "bgpAsn": 4_200_000_001}))
    gateway = stack.one("aws:ec2/customerGateway:CustomerGateway")
    assert gateway.inputs.get("bgpAsnExtended") == "4200000001" and gateway.inputs.get("bgpAsn") is None
    with pytest.raises(fake_hybrid.VpnApiError, match="BgpAsn '4200000001'"):
        fake_hybrid.customer_gateway(FakeAws("us-east-1"), "cgw", {"type": "ipsec.1", "ipAddress": DEVICE_IP,
                                                                   "bgpAsn": "4200000001"})


def test_the_fake_refuses_a_61st_rule_in_one_direction_of_a_security_group():
    """VPC quotas: 60 inbound and 60 outbound rules per security group. 50 on-premises CIDRs and 10 client CIDRs
    give the nodes' group 60 + 2 inbound rules (the load balancer's and the peers' groups)."""
    clients = [f"10.{100 + i}.0.0/16" for i in range(10)]
    with pytest.raises(Exception, match="RulesPerSecurityGroupLimitExceeded"):
        run_stack("dev", {**hybrid(onPremCidrs=[f"172.{16 + i // 16}.{(i % 16) * 16}.0/20" for i in range(50)]),
                          "rustfs-aws:cluster": {**_dev_cluster(), "clientCidrs": clients}})


def _dev_cluster() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["rustfs-aws:cluster"]


def test_hybrid_is_refused_in_eks_mode():
    with pytest.raises(ConfigError) as err:
        run_stack("eks", hybrid())
    [line] = [x for x in str(err.value).splitlines() if "rustfs-aws:hybrid:" in x]
    assert "not yet supported with cluster.platform: eks" in line


def test_a_first_deployment_preview_copes_with_unknown_ids():
    recording = run_stack("dev", hybrid(), new_stack=True)
    assert recording.one(VPN_CONNECTION).inputs["customerGatewayId"] == "[unknown]"


# ---- pre-shared keys: secret everywhere -----------------------------------------------------------------------

def _keys(recording) -> list[str]:
    """The two tunnels' keys as the program builds them: the leading letter and the generated characters."""
    from rustfs_aws.hybrid.connectivity import PSK_LEAD
    return [PSK_LEAD + p.outputs["result"] for p in recording.of_type(PASSWORD) if "-psk" in p.name]


def test_the_generated_keys_follow_awss_rules(bgp):
    keys = _keys(bgp)
    assert len(keys) == 2 and keys[0] != keys[1]
    assert [psk_problem(k) for k in keys] == [None, None]
    for password in (p for p in bgp.of_type(PASSWORD) if "-psk" in p.name):
        assert password.inputs["overrideSpecial"] == "._"


def test_the_keys_are_secret_in_the_connection_and_absent_from_every_output_tag_and_input(bgp):
    keys = _keys(bgp)
    vpn = bgp.one(VPN_CONNECTION)
    for tunnel in TUNNELS:
        assert vpn.inputs[tunnel_key(tunnel, "presharedKey")] == "[secret]"
        assert vpn.outputs[tunnel_key(tunnel, "presharedKey")] == "[secret]"
    assert vpn.outputs["customerGatewayConfiguration"] == "[secret]"  # the device configuration holds both keys
    text = json.dumps([bgp.outputs] + [{"inputs": r.inputs, "outputs": r.outputs} for r in bgp.resources
                                       if r.type != PASSWORD])
    for key in keys:
        assert key not in text and key[1:] not in text


def test_preflight_reports_never_contain_the_keys(tmp_path, bgp):
    """preflight as users run it, on the dev stack with a hybrid section: stdout, JSON and Markdown reports."""
    for name in ["__main__.py", "components", "rustfs_model", "policies", "Pulumi.yaml"]:
        (tmp_path / name).symlink_to(ROOT / name)
    section = hybrid()[HYBRID]
    stack = (ROOT / "Pulumi.dev.yaml").read_text() + f"  rustfs-aws:hybrid: {json.dumps(section)}\n"
    (tmp_path / "Pulumi.dev.yaml").write_text(stack)
    result = subprocess.run([sys.executable, "-m", "preflight", "--stack", "dev", "--json", str(tmp_path / "r.json"),
                             "--markdown", str(tmp_path / "r.md")], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]
    report = (tmp_path / "r.json").read_text()
    assert "aws:ec2/vpnConnection:VpnConnection" in report and "[secret]" in report
    for key in _keys(bgp):
        for text in (report, (tmp_path / "r.md").read_text(), result.stdout, result.stderr):
            assert key[1:] not in text


# ---- cost -----------------------------------------------------------------------------------------------------

def _bill(recording, region: str = "us-east-1", **usage) -> dict:
    from rustfs_model.cost import monthly_cost
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in recording.resources]
    return {i["what"]: i for i in monthly_cost(resources, region, usage)["items"]}


def test_cost_prices_the_connection_hours_the_data_sent_out_and_a_free_dx_gateway(bgp):
    items = _bill(bgp, hybridGBOutPerMonth=100.0)
    assert items["Site-to-Site VPN (1 connection)"]["monthlyUSD"] == 36.5  # $0.05 x 730 h, by hand
    assert items["Data transfer out over the VPN"]["monthlyUSD"] == 9.0  # 100 GB x $0.09
    assert items["Direct Connect gateway (1)"]["monthlyUSD"] == 0.0
    # By default every write goes back out (replication to on-premises): usage.writeMBps x a month.
    default = _bill(bgp, writeMBps=2.0)["Data transfer out over the VPN"]
    assert default["monthlyUSD"] == round(2.0 * 730 * 3600 / 1000 * 0.09, 2)


def test_a_region_without_a_sourced_vpn_price_gets_an_unpriced_line_never_a_free_one(bgp):
    line = _bill(bgp, region="us-west-2")["Site-to-Site VPN (1 connection)"]
    assert line["monthlyUSD"] == 0.0 and line["basis"].startswith("NOT PRICED")


def test_no_hybrid_no_hybrid_cost_lines():
    items = _bill(run_stack("dev"))
    assert not [w for w in items if "VPN" in w or "Direct Connect" in w]
