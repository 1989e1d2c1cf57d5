"""Log groups and the cluster's alarms."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "observability": ("Observability", "ObservabilityArgs"),
    "alarms": ("ClusterAlarms", "ClusterAlarmsArgs"),
})
