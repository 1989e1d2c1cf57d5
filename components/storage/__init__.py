"""Shared building blocks for S3: the hardened bucket and its policies."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "buckets": ("HardenedBucket", "HardenedBucketArgs", "BucketSettings", "Lifecycle", "bucket_name"),
})
