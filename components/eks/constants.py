"""The contract between the EKS cluster half (platform.py) and the RustFS workload half (workload.py).

The platform labels and taints the storage nodes and creates the StorageClass; the workload selects,
tolerates and claims them by these names. One module so the two halves cannot drift apart.
"""

# Nodes reserved for RustFS: every managed node group carries this label and this taint.
STORAGE_NODE_LABEL_KEY = "rustfs.io/storage"
STORAGE_NODE_LABEL_VALUE = "true"
STORAGE_NODE_TAINT_KEY = "rustfs.io/storage"
STORAGE_NODE_TAINT_VALUE = "true"
# Kubernetes spelling of the effect (pod tolerations); the EKS API spells it NO_SCHEDULE on node groups.
STORAGE_NODE_TAINT_EFFECT = "NoSchedule"
STORAGE_NODE_TAINT_EFFECT_EKS_API = "NO_SCHEDULE"

# The StorageClass the platform creates for the RustFS data volumes (one PVC per drive).
STORAGE_CLASS_NAME = "rustfs-data"

# The namespace the workload creates when the stack config does not name one.
DEFAULT_NAMESPACE = "rustfs"
# The S3 Service's name (the workload's): the load balancer controller's role may build an NLB for it only.
S3_SERVICE_NAME = "rustfs"

# The well-known zone label the scheduler's topology spread uses (EBS volumes are zonal).
ZONE_TOPOLOGY_KEY = "topology.kubernetes.io/zone"

# An image digest as a reference pins it: sha256 and 64 lowercase hex (OCI image spec, descriptor.md "Digests";
# the registry's manifest-list digest). The config and the workload refuse anything else.
IMAGE_DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"
