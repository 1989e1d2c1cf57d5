"""Hybrid connectivity: the on-premises networks, a Site-to-Site VPN and a Direct Connect gateway
(connectivity.py), from the ``hybrid`` config (settings.py)."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config imports settings; connectivity imports pulumi_aws.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "connectivity": ("HybridArgs", "HybridConnectivity", "tunnel_options"),
    "settings": ("HybridConfig", "VpnConfig", "DirectConnectConfig", "parse_hybrid"),
})
