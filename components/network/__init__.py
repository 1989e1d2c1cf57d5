"""The VPC: subnets per AZ, NAT, endpoints and their data perimeter, flow logs; AZ IDs and offerings."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "network": ("Network", "NetworkArgs", "NatGateways", "INTERFACE_ENDPOINT_SERVICES", "GATEWAY_ENDPOINT_SERVICES"),
    "zones": ("Zone", "resolve_zones"),
})
