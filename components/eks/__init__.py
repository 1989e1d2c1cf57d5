"""RustFS on EKS: the hardened cluster (platform.py) and the RustFS workload on it (workload.py)."""
