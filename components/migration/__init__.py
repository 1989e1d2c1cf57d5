"""Migrating into RustFS: DataSync agent, locations and tasks (datasync.py), from the ``migration`` config
(settings.py)."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config imports settings, and datasync imports the storage and security
# packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "datasync": ("DataSyncMigration", "DataSyncMigrationArgs"),
    "settings": ("MigrationConfig", "MigrationSource", "parse_migration"),
})
