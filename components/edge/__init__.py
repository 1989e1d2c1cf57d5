"""The edge: chosen RustFS buckets served through Amazon CloudFront from a private VPC origin, with Origin Shield,
WAF, standard logs and real-time metrics (edge/distribution.py explains the design)."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config imports edge.settings.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "settings": ("EdgeConfig", "EdgeBucket", "edge_subnets", "origin_shield_region"),
    "origin": ("EdgeOrigin", "EdgeOriginArgs"),
    "distribution": ("EdgeDistribution", "EdgeDistributionArgs"),
    "documents": ("edge_bucket_policy", "web_acl_rules"),
})
