"""KMS keys and key policies, root credentials, IAM roles and documents, the audit baseline."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "keys": ("Keys", "KeysArgs"),
    "credentials": ("RootCredentials", "CredentialsArgs"),
    "iam": ("Iam", "IamArgs", "NodeAccessInputs"),
    "audit": ("Audit", "AuditArgs", "Provisioning", "resolve_config_service_role"),
    "key_policies": ("trail_name",),
})
