"""The RustFS nodes on EC2: one-instance groups, data volumes, DNS, the NLB, TLS, snapshots, bootstrap."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "storage_nodes": ("RustfsCluster", "ClusterArgs", "ClusterPlan", "NodePlan", "plan_cluster"),
    "dns": ("ClusterDns", "DnsArgs", "endpoint_name", "console_name"),
    "load_balancer": ("S3LoadBalancer", "LoadBalancerArgs", "TlsMode", "S3_PORT", "CONSOLE_PORT"),
    "tls": ("ClusterTls", "TlsArgs"),
    "snapshots": ("Snapshots", "SnapshotsArgs"),
})
