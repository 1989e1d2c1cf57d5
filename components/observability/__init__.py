"""Log groups and the cluster's alarms."""
