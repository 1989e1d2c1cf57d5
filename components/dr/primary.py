"""The contract between a primary stack and its DR secondary: what the primary exports, and how the secondary reads
and checks it through a ``pulumi.StackReference``.

The primary knows nothing of its secondaries (a stack may have none, or several): it exports the facts a secondary
needs (``primary_exports``, called by ``__main__.py`` for every EC2 stack) and the secondary reads them by name
(``PRIMARY_OUTPUTS``, the one list both sides use). A StackReference's outputs are read from the backend at preview
as at update (Pulumi docs, "Stack references"), so every check below fails the *preview* of the secondary, before
any resource: the checks are configuration errors naming the secondary's key and the primary's output.

None of the outputs is a secret value: the replication credentials travel as the ARN of the primary's root-credentials
secret (Secrets Manager, encrypted with the primary's secrets key) and the secondary's nodes read the value there at
run time; the CA certificate is public by nature. An output the primary marks secret stays secret on this side
(``StackReference.get_output`` keeps its secretness).

Rejected: the secondary repeating the primary's facts in its own config (VPC CIDR, route tables, security groups).
They are the primary's and change with it; a copy goes stale silently, a reference fails the preview loudly.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlparse

import pulumi

from rustfs_aws.validation import ConfigError, full_key

# The primary's outputs a secondary reads, with what each is for. ``region``, ``vpcId``, ``s3EndpointUrl``,
# ``loadBalancerDnsName``, ``caCertificatePem`` and ``opsAlertTopicArn`` every EC2 stack exports anyway; the rest
# ``primary_exports`` adds.
PRIMARY_OUTPUTS: dict[str, str] = {
    "region": "the accepter Region of the peering connection",
    "accountId": "the peer owner (the same account: cross-account peering is not built)",
    "vpcId": "the accepter VPC",
    "vpcCidr": "the route from this VPC to the primary, and the overlap check",
    "privateSubnetCidrs": "the security-group rules on 9000 toward the primary's nodes and load balancer",
    "privateRouteTableIds": "the primary's routes back to this VPC",
    "nodeSecurityGroupId": "the primary nodes' rules toward this cluster (9000)",
    "loadBalancerSecurityGroupId": "the primary load balancer's rule admitting this cluster (9000)",
    "loadBalancerDnsName": "the primary's S3 endpoint name as this VPC resolves it",
    "clusterDomain": "the primary's private DNS domain (must differ from this stack's cluster.domain)",
    "s3EndpointUrl": "the primary site's endpoint in RustFS site replication",
    "caCertificatePem": "the CA this cluster trusts for the primary site",
    "replicationCredentialsSecretArn": "the primary's admin credentials site replication joins with",
    "replicationCredentialsKeyArn": "the KMS key that encrypts that secret (the nodes decrypt through Secrets Manager)",
    "clusterId": "the primary's ClusterId metric dimension (the replication-backlog alarm)",
    "metricNamespace": "the primary's CloudWatch namespace (the replication-backlog alarm)",
    "opsAlertTopicArn": "where the replication-backlog alarm in the primary's Region notifies",
}
OPTIONAL_OUTPUTS = ("sseKeyArn",)  # present when the primary encrypts with SSE-KMS (encryption.sse: aws)


def primary_exports(*, account_id: str, network, load_balancer, cluster, credentials, keys, domain: str,
                    cluster_id: str, metric_namespace: str) -> dict[str, pulumi.Input]:
    """The outputs an EC2 stack adds so that a secondary can reference it (the others it exports already)."""
    return {
        "accountId": account_id,
        "vpcCidr": network.vpc_cidr,
        "privateSubnetCidrs": [s.cidr_block for s in network.private_subnets],
        "privateRouteTableIds": network.private_route_table_ids,
        "nodeSecurityGroupId": cluster.security_group_id,
        "loadBalancerSecurityGroupId": load_balancer.security_group_id,
        "clusterDomain": domain,
        "replicationCredentialsSecretArn": credentials.secret_arn,
        "replicationCredentialsKeyArn": keys.arns["secrets"],
        "clusterId": cluster_id,
        "metricNamespace": metric_namespace,
    }


@dataclass(frozen=True)
class SecondaryFacts:
    """What the checks compare the primary with: this stack's own values and the keys they come from."""
    reference: str  # dr.primaryStack
    network_cidr: str  # network.cidr
    region: str  # aws:region
    account_id: str
    domain: str  # cluster.domain
    sse: bool  # encryption.sse: aws
    on_prem_cidrs: tuple[str, ...] = ()  # hybrid.onPremCidrs of this stack


def _problem(key: str, value, why: str) -> str:
    return f"{full_key(key)}: got {value!r}; {why}"


def check_primary(values: dict, facts: SecondaryFacts) -> list[str]:
    """Why these primary outputs cannot carry a DR link from this stack (empty: they can)."""
    ref = facts.reference
    missing = [name for name in PRIMARY_OUTPUTS if values.get(name) in (None, "", [])]
    if missing:
        return [_problem("dr.primaryStack", ref, f"the stack exports no {', '.join(missing)}: deploy the primary "
                         "with this version of the program first (pulumi up on it; components/dr/primary.py lists "
                         "what a primary exports), or name the right stack")]
    out = []
    try:
        peer = ipaddress.IPv4Network(values["vpcCidr"])
        if peer.overlaps(ipaddress.IPv4Network(facts.network_cidr)):
            out.append(_problem("network.cidr", facts.network_cidr, f"overlaps the primary's vpcCidr output "
                                f"({values['vpcCidr']}) of {ref}: VPC peering refuses overlapping CIDR blocks (VPC "
                                "Peering Guide, 'VPC peering limitations') and the routes would be ambiguous; choose "
                                "a network.cidr outside it"))
        for i, cidr in enumerate(facts.on_prem_cidrs):
            if peer.overlaps(ipaddress.IPv4Network(cidr)):
                # The peering route and the VGW's propagated on-premises routes would claim the same addresses.
                out.append(_problem(f"hybrid.onPremCidrs[{i}]", cidr, f"overlaps the primary's vpcCidr output "
                                    f"({values['vpcCidr']}) of {ref}: the route to the primary through the peering "
                                    "connection and the on-premises routes would be ambiguous; keep on-premises "
                                    "networks outside the primary's VPC"))
    except ValueError:
        out.append(_problem("dr.primaryStack", ref, f"its vpcCidr output {values['vpcCidr']!r} is not an IPv4 CIDR"))
    if values["region"] == facts.region:
        out.append(f"aws:region: got {facts.region!r}; the primary {ref} is in the same Region: a DR secondary "
                   "belongs in another Region (an outage of one Region takes both)")
    if str(values["accountId"]) != str(facts.account_id):
        out.append(_problem("dr.primaryStack", ref, f"the primary is in account {values['accountId']}, this stack in "
                            f"{facts.account_id}: only same-account peering is built (cross-account needs the "
                            "accepter's provider in the other account, peer_owner_id and Route 53 association "
                            "authorizations; docs/dr.md)"))
    if values["clusterDomain"] == facts.domain:
        out.append(_problem("cluster.domain", facts.domain, f"equals the primary's clusterDomain output of {ref}: each "
                            "cluster's endpoint must resolve to its own load balancer in both VPCs: choose another "
                            "(the default is <stack>.rustfs.internal)"))
    if values.get("sseKeyArn") and not facts.sse:
        out.append(_problem("encryption.sse", "off", f"the primary {ref} encrypts objects with SSE-KMS: RustFS "
                            "replicates such objects decrypted with the intent aws:kms and the target re-encrypts with "
                            "its own KMS (crates/ecstore/src/bucket/replication/replication_target_boundary.rs), so "
                            "this stack needs encryption.sse: aws too"))
    endpoint = urlparse(str(values["s3EndpointUrl"]))
    if endpoint.scheme != "https" or not endpoint.hostname:
        out.append(_problem("dr.primaryStack", ref, f"its s3EndpointUrl output {values['s3EndpointUrl']!r} is not "
                            "an https:// URL"))
    return out


class PrimaryStack:
    """The primary's outputs through one StackReference. ``get(name)`` is one of them once every check passed (a
    ConfigError naming each problem otherwise), secret only where the primary marked that output secret."""

    def __init__(self, name: str, facts: SecondaryFacts, opts: pulumi.ResourceOptions | None = None):
        self.facts = facts
        self.reference = pulumi.StackReference(f"{name}-primary", stack_name=facts.reference, opts=opts)
        self._raw = {n: self.reference.get_output(n) for n in (*PRIMARY_OUTPUTS, *OPTIONAL_OUTPUTS)}
        # The verdict carries no value: unsecret, so that a secret output of the primary does not make every other
        # output secret here.
        self._checked = pulumi.Output.unsecret(pulumi.Output.all(**self._raw).apply(self._check))

    def _check(self, values: dict) -> bool:
        problems = check_primary(values, self.facts)
        if problems:
            raise ConfigError(problems)
        return True

    def get(self, name: str) -> pulumi.Output:
        """One output, after the checks (an unchecked value never reaches a resource)."""
        if name not in self._raw:
            raise KeyError(f"{name} is not one of the primary outputs the secondary reads")
        return pulumi.Output.all(self._checked, self._raw[name]).apply(lambda v: v[1])
