"""RustFS site replication from the primary to this secondary, as an entry of the secondary's desired state that the
state reconciler applies (components/state/reconciler/rustfs_reconcile.py ``site_replication``).

What RustFS takes (rustfs/rustfs 1.0.0-rc.3, rustfs/src/admin/handlers/site_replication.rs
``register_site_replication_route`` under ``/rustfs/admin/v3``):
- ``PUT site-replication/add[?replicateILMExpiry=true]`` with a JSON list of ``PeerSite`` (crates/madmin/src/
  site_replication.rs): ``name``, ``endpoints`` (the site's URL), ``accessKey``/``secretKey`` (an admin of that site:
  the joined site's join handler checks ``SiteReplicationAddAction``), ``caCertPem`` (the CA that site's endpoint
  presents; the peer client trusts it for that peer only) and ``skipTlsVerify`` (never set here). The body is plain
  JSON on the ``/rustfs/admin`` prefix (rustfs/src/admin/utils.rs ``read_compatible_admin_body`` decrypts only the
  ``/minio/admin`` one). The site the request reaches identifies itself by the request's Host
  (``site_replication_local_endpoint``): the reconciler sends the add to its own node with ``Host`` set to this
  site's endpoint, so the local entry matches ``same_identity_endpoint`` and the load balancer's hairpin (a target
  reaching itself through an NLB that preserves client IPs) is never on the path.
- the add refuses when more than one site holds buckets (``validate_add_preflight_topology``): the secondary starts
  empty (settings.py refuses ``rustfs.buckets`` here) and receives the primary's buckets, policies and service
  accounts; afterwards both sites are peers.
- ``GET site-replication/info`` answers ``SiteReplicationInfo`` (``enabled``, ``sites``: ``PeerInfo`` with
  ``endpoint`` and ``name``): the reconciler's check before and after.

The entry carries no secret: the primary's admin credentials are named by the ARN of its root-credentials secret
(the primary's ``replicationCredentialsSecretArn`` output) and read by this stack's nodes at run time; this site's
own keys are the root credentials the reconciler already holds. The primary's CA travels base64-encoded on one line:
a PEM's last line could be shaped like a 40-character secret key, which the policy pack refuses in the parameter.

Rejected: RustFS bucket replication per bucket (``set-remote-target`` plus a replication configuration on each
bucket). It replicates objects only, one bucket at a time, and every new bucket needs its own target; site
replication also carries buckets, policies, users and service accounts, so a failover finds the applications' keys.
"""

from __future__ import annotations

import base64

# The longest CA certificate the sizing assumes: the stack's CA is an ECDSA P-256 self-signed certificate
# (cluster/tls.py), about 700 bytes of PEM; 1,600 leaves room for a longer subject, base64 grows it by 4/3.
MAX_CA_PEM_BYTES = 1_600
_LONG_SECRET_ARN = "arn:aws-us-gov:secretsmanager:ap-southeast-5:123456789012:secret:{name}-XXXXXX"


def site_replication_entry(*, local_name: str, local_endpoint: str, primary_name: str, primary_endpoint: str,
                           primary_secret_arn: str, primary_ca_pem: str, replicate_ilm_expiry: bool) -> dict:
    """The desired state's ``siteReplication`` (the reconciler's step of that name)."""
    return {"siteReplication": {
        "replicateIlmExpiry": bool(replicate_ilm_expiry),
        "sites": [
            {"name": primary_name, "endpoint": primary_endpoint, "credentialsSecretArn": primary_secret_arn,
             "caCertificateBase64": base64.b64encode(primary_ca_pem.encode()).decode()},
            {"name": local_name, "endpoint": local_endpoint, "local": True},
        ]}}


def site_replication_sizing(*, local_name: str, local_endpoint: str, primary_stack: str) -> dict:
    """The entry with the longest values its outputs can take: sizes the state parameter before any resource."""
    name = primary_stack.rsplit("/", 1)[-1]
    return site_replication_entry(
        local_name=local_name, local_endpoint=local_endpoint, primary_name=f"rustfs-{name}",
        primary_endpoint=f"https://s3.{'x' * 190}.internal:9000",
        primary_secret_arn=_LONG_SECRET_ARN.format(name=f"rustfs/{name}/root-credentials"),
        primary_ca_pem="x" * MAX_CA_PEM_BYTES, replicate_ilm_expiry=True)


def primary_secret_statements(*, secret_arn: str, key_arn: str, primary_region: str) -> list[dict]:
    """The secondary's nodes read the primary's admin credentials for the add (GetSecretValue in the primary's
    Region; the key decrypts only through that Region's Secrets Manager), nothing else of the primary's."""
    return [
        {"Sid": "SiteReplicationReadsPrimaryCredentials", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": secret_arn},
        {"Sid": "SiteReplicationDecryptsPrimaryCredentials", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{primary_region}.amazonaws.com"}}},
    ]
