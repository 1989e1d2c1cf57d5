"""Log groups, the cluster's alarms and dashboard, and X-Ray tracing."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "observability": ("Observability", "ObservabilityArgs"),
    "collector": ("NodeCollector", "NodeCollectorArgs"),
    "alarms": ("ClusterAlarms", "ClusterAlarmsArgs"),
    "dashboard": ("ClusterDashboard", "ClusterDashboardArgs"),
    "tracing": ("Tracing", "TracingArgs"),
})
