"""The fake's Amazon VPC Lattice and AWS RAM: ids and ARNs in the real formats, and the refusals of the real APIs
for what the program could get wrong (names, protocols, ports, the resource definition, auth types, RAM
principals). Sources: VPC Lattice API Reference (CreateResourceGateway, CreateResourceConfiguration,
CreateServiceNetwork, PutAuthPolicy, CreateServiceNetworkResourceAssociation), AWS RAM API Reference
(CreateResourceShare, AssociateResourceShare).
"""

from __future__ import annotations

import hashlib
import json
import re

from pulumi.output import Unknown

# Lattice resource names: 3-40 lowercase letters, digits and hyphens, starting and ending with a letter or digit,
# no consecutive hyphens (VPC Lattice API Reference, the ``name`` of each Create* action).
_NAME = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
_PORT_RANGE = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:(organization|ou)/o-[a-z0-9]{10,32}(/ou-[a-z0-9-]+)?$")
MAX_SECURITY_GROUPS = 5  # CreateResourceGateway: securityGroupIds, at most 5
MAX_AUTH_POLICY_BYTES = 10_240  # PutAuthPolicy: policy, at most 10 KiB


class LatticeApiError(Exception):
    """A request the real API would refuse (a ValidationException)."""


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _unknown(value) -> bool:
    """Unknown during a first preview (the mocks pass ``Unknown``; the wire form is a sentinel string)."""
    return value is None or isinstance(value, Unknown) or (isinstance(value, str) and value.startswith("04da6b54-"))


def _name(kind: str, inputs: dict) -> str:
    name = inputs.get("name")
    if isinstance(name, str) and not _NAME.match(name):
        raise LatticeApiError(f"{kind} name {name!r}: 3-40 lowercase letters, digits and hyphens, starting and "
                              "ending with a letter or digit, no consecutive hyphens")
    return name


def _arn(fake, kind: str, physical: str) -> str:
    return fake.arn("vpc-lattice", f"{kind}/{physical}")


def resource_gateway(fake, name: str, inputs: dict):
    _name("resource gateway", inputs)
    if not inputs.get("subnetIds"):
        raise LatticeApiError("CreateResourceGateway: subnetIds is required")
    if len(inputs.get("securityGroupIds") or []) > MAX_SECURITY_GROUPS:
        raise LatticeApiError(f"CreateResourceGateway: at most {MAX_SECURITY_GROUPS} security groups")
    physical = f"rgw-{_hex('rgw', name, length=17)}"
    return physical, {"arn": _arn(fake, "resourcegateway", physical), "status": "ACTIVE",
                      "tagsAll": inputs.get("tags", {})}


def resource_configuration(fake, name: str, inputs: dict):
    _name("resource configuration", inputs)
    kind = inputs.get("type", "SINGLE")
    if kind not in ("SINGLE", "GROUP", "CHILD", "ARN"):
        raise LatticeApiError(f"CreateResourceConfiguration: type {kind!r}: SINGLE | GROUP | CHILD | ARN")
    if inputs.get("protocol", "TCP") != "TCP":
        raise LatticeApiError("CreateResourceConfiguration: protocol must be TCP")
    if kind in ("SINGLE", "GROUP", "ARN") and not inputs.get("resourceGatewayIdentifier"):
        raise LatticeApiError(f"CreateResourceConfiguration: a {kind} configuration needs resourceGatewayIdentifier")
    for ports in inputs.get("portRanges") or []:
        match = _PORT_RANGE.match(str(ports))
        low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
        if not match or not 1 <= low <= high <= 65535:
            raise LatticeApiError(f"CreateResourceConfiguration: port range {ports!r}: a port or from-to, 1-65535")
    definition = inputs.get("resourceConfigurationDefinition") or {}
    if kind == "SINGLE":
        given = [k for k in ("dnsResource", "ipResource", "arnResource") if definition.get(k)]
        if len(given) != 1:
            raise LatticeApiError("CreateResourceConfiguration: a SINGLE configuration defines exactly one of "
                                  "dnsResource, ipResource, arnResource")
        dns = definition.get("dnsResource") or {}
        domain = dns.get("domainName")
        if dns and not _unknown(domain) and not re.match(r"^(?=.{1,255}$)([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$",
                                                         str(domain)):
            raise LatticeApiError(f"CreateResourceConfiguration: dnsResource.domainName {domain!r} is no domain name")
    physical = f"rcfg-{_hex('rcfg', name, length=17)}"
    return physical, {"arn": _arn(fake, "resourceconfiguration", physical), "tagsAll": inputs.get("tags", {})}


def service_network(fake, name: str, inputs: dict):
    _name("service network", inputs)
    if inputs.get("authType", "NONE") not in ("NONE", "AWS_IAM"):
        raise LatticeApiError(f"CreateServiceNetwork: authType {inputs.get('authType')!r}: NONE | AWS_IAM")
    physical = f"sn-{_hex('sn', name, length=17)}"
    return physical, {"arn": _arn(fake, "servicenetwork", physical), "tagsAll": inputs.get("tags", {})}


def auth_policy(fake, name: str, inputs: dict):
    policy = inputs.get("policy")
    if isinstance(policy, str) and not _unknown(policy):
        if "\n" in policy:
            raise LatticeApiError("PutAuthPolicy: the policy must not contain newlines")
        if len(policy.encode()) > MAX_AUTH_POLICY_BYTES:
            raise LatticeApiError(f"PutAuthPolicy: the policy exceeds {MAX_AUTH_POLICY_BYTES} bytes")
        json.loads(policy)
    return str(inputs.get("resourceIdentifier")), {"state": "Active"}


def service_network_resource_association(fake, name: str, inputs: dict):
    for key in ("resourceConfigurationIdentifier", "serviceNetworkIdentifier"):
        if not inputs.get(key):
            raise LatticeApiError(f"CreateServiceNetworkResourceAssociation: {key} is required")
    physical = f"snra-{_hex('snra', name, length=17)}"
    return physical, {"arn": _arn(fake, "servicenetworkresourceassociation", physical),
                      "tagsAll": inputs.get("tags", {})}


def _uuid(*parts: str) -> str:
    h = _hex(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def resource_share(fake, name: str, inputs: dict):
    arn = fake.arn("ram", f"resource-share/{_uuid('share', name)}")
    return arn, {"arn": arn, "tagsAll": inputs.get("tags", {})}


def principal_association(fake, name: str, inputs: dict):
    principal = inputs.get("principal")
    if isinstance(principal, str) and not (_ACCOUNT.match(principal) or _ORG.match(principal)):
        raise LatticeApiError(f"AssociateResourceShare: principal {principal!r}: an account ID, or an organization "
                              "or OU ARN")
    if principal == fake.account_id:
        raise LatticeApiError("AssociateResourceShare: a resource share cannot name its own account")
    return f"{inputs.get('resourceShareArn')},{principal}", {}


RESOURCES = {
    "aws:vpclattice/resourceGateway:ResourceGateway": resource_gateway,
    "aws:vpclattice/resourceConfiguration:ResourceConfiguration": resource_configuration,
    "aws:vpclattice/serviceNetwork:ServiceNetwork": service_network,
    "aws:vpclattice/authPolicy:AuthPolicy": auth_policy,
    "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation":
        service_network_resource_association,
    "aws:ram/resourceShare:ResourceShare": resource_share,
    "aws:ram/resourceAssociation:ResourceAssociation": lambda f, n, i: (
        f"{i.get('resourceShareArn')},{i.get('resourceArn')}", {}),
    "aws:ram/principalAssociation:PrincipalAssociation": principal_association,
}
