"""TLS end to end: a private CA (pulumi-tls) and one certificate per node, kept in Secrets Manager.

Every node serves HTTPS on 9000 and calls its peers over HTTPS (``RUSTFS_VOLUMES`` uses ``https://``), so
every node needs a leaf certificate and the CA to trust (RustFS ``docs/tls.md``: ``rustfs_cert.pem``,
``rustfs_key.pem`` and ``ca.crt`` in the TLS directory; outbound internode calls fail fast without a trusted
root). The load balancer passes TLS through to any node, so each leaf also names the S3 endpoint, its
virtual-hosted-style wildcard, the console name and the load balancer's own DNS name.

``tls.mode: acm`` additionally terminates client TLS at the load balancer with an ACM certificate (see
load_balancer.py); node certificates stay, because internode traffic and the hop from the load balancer
to the nodes are still HTTPS.

The CA key lives in the Pulumi state (encrypted as a secret) and nowhere else; node keys live in the state
and in one Secrets Manager secret per node, encrypted with the ``secrets`` key and readable by the nodes'
shared role (iam.py; one role per node would also keep nodes from reading each other's keys - not done).
User data carries the secret ARN, never a key.
"""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from rustfs_aws.component_args import component_args
from rustfs_aws.security.credentials import recovery_window_days
from rustfs_aws.tagging import resource_tags

CA_VALIDITY_HOURS = 10 * 8_760
# Two years, re-issued from 60 days before expiry by any plan (pulumi-tls early_renewal_hours): the delivery
# workflow's weekly renew-certificates job runs that `up`, each node's rustfs-tls-refresh.timer installs the new
# secret version within 6 hours, and the alarms (alarms.py) fire under 30 days left. docs/security.md.
NODE_VALIDITY_HOURS = 2 * 8_760
NODE_EARLY_RENEWAL_HOURS = 60 * 24
NODE_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
CA_USES = ["cert_signing", "crl_signing", "digital_signature"]


def tls_secret_prefix(stack: str) -> str:
    """Every node's TLS secret is named under it, and nothing else is."""
    return f"rustfs/{stack}/tls/"


def tls_secret_name(stack: str, node_name: str) -> str:
    return f"{tls_secret_prefix(stack)}{node_name.split('.')[0]}"


def node_sans(node_name: str, endpoint_names: list[str]) -> list[str]:
    """DNS SANs of one node's certificate: its own name first, then the shared endpoint names."""
    return [node_name, *[n for n in endpoint_names if n != node_name]]


@dataclass
class TlsArgs:
    """Inputs of ``ClusterTls``."""

    stack: str
    """The stack's short name (``dev``): names the CA and the secrets (``rustfs/<stack>/tls/<node>``)."""
    domain: str
    """The cluster's private domain (the ``ClusterDns`` zone)."""
    node_names: list[str]
    """Fully qualified names of the nodes: one certificate and one secret each."""
    endpoint_names: list[str]
    """Names every node certificate also carries: the S3 endpoint (``s3.<domain>``), its wildcard for
    virtual-hosted-style buckets and, with the console, the console name."""
    load_balancer_dns_name: pulumi.Input[str]
    """The load balancer's DNS name, also in every certificate (it passes TLS through to any node)."""
    secrets_key_arn: pulumi.Input[str]
    """ARN of the KMS key that encrypts the node secrets (``Keys``' ``secrets`` key)."""
    protect: bool | None = False
    """Protect the CA and the secrets (prod)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the secrets, next to each one's ``Name``."""


class ClusterTls(pulumi.ComponentResource):
    """``ca_cert_pem`` (public), ``node_secret_arns`` (node name -> secret ARN), ``node_secret_versions`` (node
    name -> the SecretVersion that makes the value readable); the secret JSON is
    ``{"certificate", "privateKey", "caCertificate"}``, the shape bootstrap/node-bootstrap reads).

    TLS end to end: a private CA and one certificate per node (two years, renewed 60 days before expiry),
    each kept in a Secrets Manager secret the node reads at boot. The package exposes the public CA
    certificate and the secrets' ARNs, never a key."""

    ca_cert_pem: pulumi.Output[str]
    """The private CA's certificate (PEM, public): clients trust the S3 endpoint with it."""
    node_secret_arns: dict[str, pulumi.Output[str]]
    """Secret ARN by node name; each secret holds ``{"certificate", "privateKey", "caCertificate"}``."""

    def __init__(self, name: str, args: TlsArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(TlsArgs, args)
        super().__init__("rustfs:cluster:Tls", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        self.ca = tls.SelfSignedCert(
            f"{name}-ca", private_key_pem=ca_key.private_key_pem, is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(common_name=f"RustFS {args.stack} private CA",
                                                  organization=f"rustfs-aws {args.stack}"),
            validity_period_hours=CA_VALIDITY_HOURS, allowed_uses=CA_USES, set_subject_key_id=True,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        self.ca_cert_pem: pulumi.Output[str] = self.ca.cert_pem
        # The CA key, as a Pulumi secret, for a signer that is not a node of this component: the EKS workload
        # issues its pods' certificate from the same CA (components/eks/workload.py). Never export it.
        self.ca_private_key_pem: pulumi.Output[str] = pulumi.Output.secret(ca_key.private_key_pem)
        self.node_secret_arns: dict[str, pulumi.Output[str]] = {}
        # Written only once the load balancer exists (its DNS name is a SAN): a node's group waits for it.
        self.node_secret_versions: dict[str, aws.secretsmanager.SecretVersion] = {}
        for node in args.node_names:
            short = node.split(".")[0]
            key = tls.PrivateKey(f"{name}-{short}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
            dns_names = pulumi.Output.from_input(args.load_balancer_dns_name).apply(
                lambda lb, n=node: node_sans(n, [*args.endpoint_names, lb]))
            request = tls.CertRequest(
                f"{name}-{short}-csr", private_key_pem=key.private_key_pem, dns_names=dns_names,
                subject=tls.CertRequestSubjectArgs(common_name=node, organization=f"rustfs-aws {args.stack}"),
                opts=pulumi.ResourceOptions(parent=key))
            cert = tls.LocallySignedCert(
                f"{name}-{short}-cert", cert_request_pem=request.cert_request_pem,
                ca_private_key_pem=ca_key.private_key_pem, ca_cert_pem=self.ca.cert_pem,
                validity_period_hours=NODE_VALIDITY_HOURS, early_renewal_hours=NODE_EARLY_RENEWAL_HOURS,
                allowed_uses=NODE_USES, opts=pulumi.ResourceOptions(parent=key))
            secret = aws.secretsmanager.Secret(
                f"{name}-{short}", name=tls_secret_name(args.stack, node), kms_key_id=args.secrets_key_arn,
                description=f"TLS certificate and key of RustFS node {node} (read by that node at boot)",
                recovery_window_in_days=recovery_window_days(args.protect),
                tags=resource_tags(args.tags, tls_secret_name(args.stack, node), args.stack,
                                   {"rustfs:node-name": node}),
                # Protected like the credentials: a prod destroy that stops at the protected data would
                # otherwise delete these and leave their names reserved for 30 days, so the next `up`
                # could not re-create them.
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
            self.node_secret_versions[node] = aws.secretsmanager.SecretVersion(
                f"{name}-{short}", secret_id=secret.id,
                # PKCS#8 PEM: the format rustls reads for every key algorithm.
                secret_string=pulumi.Output.secret(pulumi.Output.json_dumps(
                    {"certificate": cert.cert_pem, "privateKey": key.private_key_pem_pkcs8,
                     "caCertificate": self.ca.cert_pem})),
                opts=pulumi.ResourceOptions(parent=secret))
            self.node_secret_arns[node] = secret.arn
        # The node role names the node secrets by one pattern: it is the role of every node, so the list of their
        # ARNs granted exactly the same, and at 64 nodes it alone took IAM's 10,240 characters of inline policy.
        # Secret ARNs end in "-" and six random characters (Secrets Manager User Guide, "secret ARN").
        self.node_secrets_arn_pattern: pulumi.Output[str] | None = next(iter(self.node_secret_arns.values())).apply(
            lambda arn: f"{arn.split(':secret:')[0]}:secret:{tls_secret_prefix(args.stack)}*") \
            if self.node_secret_arns else None
        self.register_outputs({"caCertPem": self.ca_cert_pem, "nodeSecretArns": self.node_secret_arns})
