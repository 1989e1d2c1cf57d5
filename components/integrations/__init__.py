"""RustFS's integrations with AWS storage services: the S3 remote tier and its lifecycle, the tier's cross-region
replica and RustFS bucket replication targets, and server-side encryption with RustFS's AWS KMS backend."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config imports integrations.settings.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "settings": ("IntegrationsConfig", "TieringConfig", "ReplicationConfig", "EncryptionConfig"),
    "tiering": ("TierStorage", "TierStorageArgs"),
    "replication": ("TierReplica", "TierReplicaArgs"),
    "documents": ("sse_node_statements", "default_bucket_encryption", "tier_definition"),
})
