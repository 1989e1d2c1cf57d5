"""The ``eksAccess`` report section: what the machine running ``pulumi up`` needs to reach the EKS API.

In EKS mode ``pulumi up`` does not stop at AWS APIs: the StorageClass, the load balancer controller's Helm
release and every RustFS object are created by pulumi-kubernetes through the cluster's own API endpoint, with
the kubeconfig pulumi-eks writes. Preflight cannot test the network path, so it states the three conditions
the first real ``pulumi up`` depends on, from the recorded cluster and the stack's config:

* network: with a private endpoint (the default), a host that routes into the VPC and whose address is in
  ``network.adminCidrs`` (the API security group admits 443 from those only). A CIDR outside the VPC's needs a
  VPN, Direct Connect, Transit Gateway or peering route into it. Otherwise ``pulumi up`` creates the cluster
  and its node groups, then fails at the first Kubernetes object. The VPC is the stack's own, created by the
  same first ``pulumi up``: nothing can be routed into it yet, so that one needs ``eks.endpointPublicCidrs``
  (the runner's address) for the time of the bootstrap.
* the AWS CLI: the kubeconfig's user runs ``aws eks get-token`` (pulumi-eks ``generateKubeconfig``,
  nodejs/eks/cluster/cluster.ts), with the ambient credentials, or ``--profile`` when ``AWS_PROFILE`` or
  ``aws:profile`` is set.
* identity: with authentication mode ``API`` only access entries admit principals. pulumi-eks creates the
  cluster with ``bootstrapClusterCreatorAdminPermissions: true``, so the principal that ran the first ``up``
  is cluster admin through an entry EKS adds, outside Pulumi's state; the operator role
  (``security.operatorPrincipals``) has one in the program. Anyone else's ``pulumi up`` is refused by the API.
"""

from __future__ import annotations

import ipaddress

from .cluster_nodes import stack_config
from .runner import Recording
from .sections import SECTIONS, Section

CLUSTER = "eks:index:Cluster"


def _inside(cidr: str, vpc: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).subnet_of(ipaddress.ip_network(vpc, strict=False))
    except (TypeError, ValueError):
        return False


def compute(recording: Recording) -> dict | None:
    clusters = recording.of_type(CLUSTER)
    if not clusters:
        return None
    inputs = clusters[0].inputs
    cfg = stack_config(recording)
    if cfg is None:
        return None
    admin, vpc = list(cfg.network.admin_cidrs), cfg.network.cidr
    public = list(inputs.get("publicAccessCidrs") or []) if inputs.get("endpointPublicAccess") else []
    operator = "operator" in (inputs.get("accessEntries") or {})
    requirements = []
    if not public:
        outside = [c for c in admin if not _inside(c, vpc)]
        if not admin:
            requirements.append("the API endpoint is private and network.adminCidrs is empty: no address may reach "
                                "it on 443, so no pulumi up can create the Kubernetes objects; list the runner's "
                                "network there")
        else:
            where = (f"; {', '.join(outside)} is outside the VPC, so only over a VPN, Direct Connect, Transit "
                     "Gateway or peering route into it" if outside else "")
            requirements.append(f"run pulumi up on a host inside the VPC ({vpc}) or routed into it, with an address "
                                f"in network.adminCidrs ({', '.join(admin)}){where}: the API endpoint is private and "
                                "its security group admits 443 from those only. From elsewhere pulumi up creates "
                                "the cluster and node groups, then fails at the first Kubernetes object")
            requirements.append("the stack creates this VPC in the same pulumi up, so on the FIRST one nothing is "
                                "routed into it yet: bootstrap with eks.endpointPublicCidrs set to the runner's "
                                "public address (/32), then set it back to [] once a path into the VPC exists "
                                "(docs/eks.md, \"Before the first pulumi up\")")
    else:
        requirements.append(f"run pulumi up from an address in eks.endpointPublicCidrs ({', '.join(public)}) or "
                            f"from inside the VPC ({vpc}) in network.adminCidrs ({', '.join(admin) or 'none'})")
    requirements.append("the AWS CLI v2 on the runner's PATH: the kubeconfig runs `aws eks get-token` with the "
                        "ambient credentials (AWS_PROFILE or aws:profile becomes its --profile)")
    who = ("the operator role (security.operatorPrincipals) has a cluster-admin access entry; run later deploys as "
           "it or as the creator" if operator else
           "security.operatorPrincipals is empty: no principal but the creator can ever reach the API, so every "
           "later pulumi up (and kubectl) must use that same principal")
    requirements.append("run the first pulumi up as the principal meant to stay cluster admin: EKS makes the "
                        "cluster's creator admin by an access entry outside Pulumi's state "
                        f"(pulumi-eks bootstrapClusterCreatorAdminPermissions); {who}")
    return {"endpoint": "public and private" if public else "private", "vpcCidr": vpc, "adminCidrs": admin,
            "publicCidrs": public, "operatorAccessEntry": operator, "requirements": requirements}


def human(value: dict) -> list[str]:
    return [f"EKS API access: {value['endpoint']} endpoint; pulumi up creates the Kubernetes objects through it, so "
            "the runner needs:", *(f"  REQUIRED {r}" for r in value["requirements"])]


def markdown(value: dict) -> list[str]:
    return ["### EKS API access", "",
            f"The API endpoint is **{value['endpoint']}**; `pulumi up` creates the StorageClass, the controller's "
            "release and the RustFS objects through it. Before the first `pulumi up`:", "",
            *(f"- {r}" for r in value["requirements"]), ""]


SECTION = Section(key="eksAccess", compute=compute, human=human, markdown=markdown)
SECTIONS.append(SECTION)
