"""Security groups and their rules, in all three shapes pulumi-aws v7 offers."""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_policy import Severity

from ._kit import Res, known_num, known_str, resource_policy, stack_policy

SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RULE_TYPES = [SG, SG_RULE, INGRESS_RULE, EGRESS_RULE]
WORLD = ("0.0.0.0/0", "::/0")


@dataclass
class Rule:
    label: str
    direction: str  # ingress | egress
    protocol: str | None
    from_port: float | None
    to_port: float | None
    cidrs: list[str]
    description: object


def _all_ports(rule: Rule) -> bool:
    if rule.protocol in ("-1", "all"):
        return True
    return rule.from_port is not None and rule.to_port is not None and rule.from_port <= 0 and rule.to_port >= 65535


def _covers(rule: Rule, port: int) -> bool:
    if rule.protocol not in (None, "-1", "all", "tcp", "6"):
        return False
    if _all_ports(rule):
        return True
    if rule.from_port is None or rule.to_port is None:
        return False
    return rule.from_port <= port <= rule.to_port


def _strs(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def rules_of(res: Res) -> list[Rule]:
    """Every rule a resource declares, with unknown fields as None (never judged)."""
    if res.type in (SG, DEFAULT_SG):
        found = []
        for direction in ("ingress", "egress"):
            for i, r in enumerate(res.items(direction)):
                if isinstance(r, dict):
                    found.append(Rule(f"{direction}[{i}]", direction, known_str(r.get("protocol")),
                                      known_num(r.get("fromPort")), known_num(r.get("toPort")),
                                      _strs(r.get("cidrBlocks")) + _strs(r.get("ipv6CidrBlocks")),
                                      r.get("description")))
        return found
    if res.type == SG_RULE:
        direction = known_str(res.get("type"))
        if direction is None:
            return []
        return [Rule("rule", direction, known_str(res.get("protocol")), known_num(res.get("fromPort")),
                     known_num(res.get("toPort")), _strs(res.get("cidrBlocks")) + _strs(res.get("ipv6CidrBlocks")),
                     res.get("description"))]
    direction = "ingress" if res.type == INGRESS_RULE else "egress"
    cidrs = [c for c in (res.get("cidrIpv4"), res.get("cidrIpv6")) if isinstance(c, str)]
    return [Rule("rule", direction, known_str(res.get("ipProtocol")), known_num(res.get("fromPort")),
                 known_num(res.get("toPort")), cidrs, res.get("description"))]


def _world_ports(rule: Rule) -> str:
    if _all_ports(rule):
        return "all ports"
    if rule.from_port == rule.to_port:
        return f"port {rule.from_port:g}"
    return f"ports {rule.from_port:g}-{rule.to_port:g}"


def _check_world_ingress(res: Res, cfg: dict, report) -> None:
    allowed = {int(p) for p in cfg["allowedPublicPorts"]}
    for rule in rules_of(res):
        if rule.direction != "ingress" or not any(c in WORLD for c in rule.cidrs):
            continue
        if rule.from_port is None and rule.to_port is None and rule.protocol is None:
            continue  # unknown during preview
        opened_ports = (rule.from_port, rule.to_port)
        if not _all_ports(rule) and opened_ports[0] == opened_ports[1] and int(opened_ports[0] or -1) in allowed:
            continue
        report(f"'{res.name}' {rule.label} allows {_world_ports(rule)} from the internet "
               f"({', '.join(c for c in rule.cidrs if c in WORLD)}); allowed public ports: {sorted(allowed)}.")


world_ingress = resource_policy(
    "rustfs-ec2-securitygroup-disallow-public-ingress",
    "No security group rule allows ingress from 0.0.0.0/0 or ::/0, except explicitly allowed public listener "
    "ports.",
    severity=Severity.HIGH, types=RULE_TYPES, check=_check_world_ingress,
    checks=["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "EC2.18", "EC2.19", "EC2.13", "EC2.14"],
    topics=["network", "exposure"],
    config={"allowedPublicPorts": {"type": "array", "items": {"type": "number"}, "default": [],
                                   "description": "ports a public listener may open to the world, e.g. [443]"}})


def _check_console(res: Res, cfg: dict, report) -> None:
    port = int(cfg["consolePort"])
    for rule in rules_of(res):
        if rule.direction == "ingress" and any(c in WORLD for c in rule.cidrs) and _covers(rule, port):
            report(f"'{res.name}' {rule.label} exposes the RustFS console port {port} to the internet.")


console_never_public = resource_policy(
    "rustfs-ec2-securitygroup-disallow-public-console",
    "The RustFS console port (9001) is never reachable from the internet, whatever else is allowed.",
    severity=Severity.CRITICAL, types=RULE_TYPES, check=_check_console, topics=["exposure"],
    config={"consolePort": {"type": "number", "default": 9001}})


def _check_egress(res: Res, cfg: dict, report) -> None:
    for rule in rules_of(res):
        if rule.direction == "egress" and any(c in WORLD for c in rule.cidrs) and _all_ports(rule):
            report(f"'{res.name}' {rule.label} allows egress to every port of the internet; "
                   "restrict to 443 (AWS APIs) and the ports the service needs.")


unrestricted_egress = resource_policy(
    "rustfs-ec2-securitygroup-disallow-unrestricted-egress",
    "No security group allows egress to 0.0.0.0/0 or ::/0 on all ports and protocols.",
    severity=Severity.MEDIUM, types=RULE_TYPES, check=_check_egress, checks=["CKV_AWS_382"],
    topics=["network", "exfiltration"])


def _check_descriptions(res: Res, cfg: dict, report) -> None:
    if res.type == SG and not isinstance(res.get("description"), str) and res.get("description") is None:
        report(f"Security group '{res.name}' has no description (AWS default 'Managed by Pulumi').")
    for rule in rules_of(res):
        if rule.description is None or (isinstance(rule.description, str) and not rule.description.strip()):
            report(f"'{res.name}' {rule.label} has no description.")


descriptions = resource_policy(
    "rustfs-ec2-securitygroup-require-rule-descriptions",
    "Security groups and every rule carry a description saying why the path is open.",
    severity=Severity.LOW, types=RULE_TYPES, check=_check_descriptions, checks=["CKV_AWS_23"],
    topics=["network"])


def _check_default_sg(res: Res, cfg: dict, report) -> None:
    for direction in ("ingress", "egress"):
        rules = res.get(direction)
        if isinstance(rules, list) and rules:
            report(f"Default security group '{res.name}' has {len(rules)} {direction} rule(s); it must allow "
                   "nothing so that resources never fall back to it.")


default_sg_closed = resource_policy(
    "rustfs-ec2-defaultsecuritygroup-disallow-rules",
    "The VPC default security group is managed with no ingress and no egress rules.",
    severity=Severity.HIGH, types=[DEFAULT_SG], check=_check_default_sg, checks=["CKV2_AWS_12", "EC2.2"],
    topics=["network"])



def _check_rule_conflicts(resources: list[Res], cfg: dict, report) -> None:
    separate = [r for r in resources if r.type in (SG_RULE, INGRESS_RULE, EGRESS_RULE)]
    for sg in (r for r in resources if r.type == SG):
        inline = [d for d in ("ingress", "egress") if isinstance(sg.get(d), list) and sg.get(d)]
        owned = [r for r in separate if r.refers_to("securityGroupId", sg)]
        if inline and owned:
            report(f"Security group '{sg.name}' has inline {'/'.join(inline)} rules and {len(owned)} separate rule "
                   "resource(s): each update will flip the rules between the two definitions.", sg.urn)


rule_conflicts = stack_policy(
    "rustfs-ec2-securitygroup-disallow-mixed-rule-management",
    "A security group's rules are managed either inline or as separate rule resources, never both.",
    severity=Severity.MEDIUM, types=[SG, SG_RULE, INGRESS_RULE, EGRESS_RULE], check=_check_rule_conflicts,
    checks=["awsguard:security-group-no-rule-management-conflicts"], topics=["network"])


def _check_attached(resources: list[Res], cfg: dict, report) -> None:
    rule_types = {SG_RULE, INGRESS_RULE, EGRESS_RULE}
    users = [r for r in resources if r.type not in rule_types]
    for sg in (r for r in resources if r.type == SG):
        if not any(sg.urn in u.dependency_urns for u in users if u.urn != sg.urn):
            report(f"Security group '{sg.name}' is used by no resource of this stack.", sg.urn)


sg_attached = stack_policy(
    "rustfs-ec2-securitygroup-require-attachment",
    "Every security group is used by some resource of the stack (no orphaned groups).",
    severity=Severity.LOW, types=[SG], check=_check_attached, checks=["CKV2_AWS_5"], topics=["network"],
    reads_every_type=True)

POLICIES = [world_ingress, console_never_public, unrestricted_egress, descriptions, default_sg_closed,
            rule_conflicts, sg_attached]
