"""The RustFS nodes on EC2: one-instance groups, data volumes, DNS, the NLB, TLS, snapshots, bootstrap."""
