"""Multi-region disaster recovery: this stack as the read-only secondary of a primary stack in another Region
(settings.py: the ``dr`` config; primary.py: the primary's outputs through a StackReference and what the primary
exports; link.py: the VPC peering, routes, DNS and security-group rules between the two clusters, the replication
alarm; replication.py: RustFS site replication through the state reconciler)."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config imports settings; the other modules import pulumi_aws.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "settings": ("DrConfig", "DrAlarms", "parse_dr"),
    "primary": ("PRIMARY_OUTPUTS", "PrimaryStack", "check_primary", "primary_exports"),
    "link": ("DrLink", "DrLinkArgs"),
    "replication": ("site_replication_entry", "site_replication_sizing", "primary_secret_statements"),
})
