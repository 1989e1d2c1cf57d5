"""AWS Site-to-Site VPN facts the program, the fake AWS and the policy pack share: the tunnel options AWS accepts,
the subset this project calls modern, and the pre-shared key rules.

Sources:
- EC2 API Reference, ``VpnTunnelOptionsSpecification`` (CreateVpnConnection ``Options.TunnelOptions``), as the
  pulumi-aws v7 ``aws.ec2.VpnConnection`` arguments document them: IKEVersions ``ikev1 | ikev2``; Phase1/Phase2
  EncryptionAlgorithms ``AES128 | AES256 | AES128-GCM-16 | AES256-GCM-16``; Phase1/Phase2 IntegrityAlgorithms
  ``SHA1 | SHA2-256 | SHA2-384 | SHA2-512``; Phase1 DHGroupNumbers ``2 | 14-24``, Phase2 ``2 | 5 | 14-24``;
  Phase1LifetimeSeconds 900-28,800, Phase2LifetimeSeconds 900-3,600 and below phase 1's; DPDTimeoutSeconds 30 or
  more; DPDTimeoutAction ``clear | none | restart``; StartupAction ``add | start``; TunnelInsideCidr a /30 of
  169.254.0.0/16 outside the blocks AWS reserves (169.254.0.0/30, .1.0, .2.0, .3.0, .4.0, .5.0, .169.252/30).
- PreSharedKey: "between 8 and 64 characters in length and cannot start with zero (0). Allowed characters are
  alphanumeric characters, periods (.), and underscores (_)" (same reference).
- What modern means here: IKEv2 only (IKEv1's aggressive mode and its weaker negotiation are gone), AEAD ciphers
  (AES-GCM with a 16-octet ICV, RFC 4106 / RFC 5282), SHA-2 integrity and PRF, and elliptic-curve Diffie-Hellman
  groups 19, 20 and 21 (RFC 5903, NIST P-256/384/521). Refused: SHA-1, AES-CBC, DH group 2 and 5 (768/1,536-bit
  MODP, broken or below NIST SP 800-57's 112-bit floor) and groups 22-24 (RFC 5114's MODP groups with small
  subgroups, which RFC 8247 says SHOULD NOT be used). Groups 14-18 (MODP 2,048 bits and up) are acceptable to
  RFC 8247 but slower than ECP for the same strength and not needed by any device that speaks IKEv2 with GCM.
Stdlib only, for the pack.
"""

from __future__ import annotations

import ipaddress
import re

IKE_VERSIONS = ("ikev1", "ikev2")
ENCRYPTION = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
INTEGRITY = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
PHASE1_DH_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
PHASE2_DH_GROUPS = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
PHASE1_LIFETIME = (900, 28_800)
PHASE2_LIFETIME = (900, 3_600)
MIN_DPD_TIMEOUT = 30
DPD_ACTIONS = ("clear", "none", "restart")
STARTUP_ACTIONS = ("add", "start")
RESERVED_INSIDE_CIDRS = frozenset({"169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30",
                                   "169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30"})

# The options every tunnel of this project carries (components/hybrid/connectivity.py) and the pack requires.
MODERN = {
    "ikeVersions": ("ikev2",),
    "phase1EncryptionAlgorithms": ("AES256-GCM-16", "AES128-GCM-16"),
    "phase2EncryptionAlgorithms": ("AES256-GCM-16", "AES128-GCM-16"),
    "phase1IntegrityAlgorithms": ("SHA2-256", "SHA2-384", "SHA2-512"),
    "phase2IntegrityAlgorithms": ("SHA2-256", "SHA2-384", "SHA2-512"),
    "phase1DhGroupNumbers": (19, 20, 21),
    "phase2DhGroupNumbers": (19, 20, 21),
}
# AWS's whole value set per option (what the API accepts at all).
ACCEPTED = {
    "ikeVersions": IKE_VERSIONS, "phase1EncryptionAlgorithms": ENCRYPTION, "phase2EncryptionAlgorithms": ENCRYPTION,
    "phase1IntegrityAlgorithms": INTEGRITY, "phase2IntegrityAlgorithms": INTEGRITY,
    "phase1DhGroupNumbers": PHASE1_DH_GROUPS, "phase2DhGroupNumbers": PHASE2_DH_GROUPS,
}
TUNNELS = ("tunnel1", "tunnel2")

PSK_LENGTH = (8, 64)
_PSK = re.compile(r"^[A-Za-z0-9._]{8,64}$")
PSK_ALPHABET_SPECIALS = "._"


def tunnel_key(tunnel: str, option: str) -> str:
    """The pulumi-aws input name of one tunnel's option: ``tunnel1`` + ``ikeVersions`` -> ``tunnel1IkeVersions``."""
    return f"{tunnel}{option[0].upper()}{option[1:]}"


def psk_problem(value: str) -> str | None:
    """Why AWS would refuse ``value`` as a tunnel's pre-shared key (the key itself is never in the message)."""
    if not isinstance(value, str):
        return "a pre-shared key must be a string"
    if not PSK_LENGTH[0] <= len(value) <= PSK_LENGTH[1]:
        return f"a pre-shared key has {PSK_LENGTH[0]}-{PSK_LENGTH[1]} characters, this one {len(value)}"
    if not _PSK.match(value):
        return "a pre-shared key has only letters, digits, periods and underscores"
    if value.startswith("0"):
        return "a pre-shared key cannot start with zero (0)"
    return None


def inside_cidr_problem(value: str) -> str | None:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return f"{value!r} is not an IPv4 CIDR"
    if net.prefixlen != 30 or not net.subnet_of(ipaddress.IPv4Network("169.254.0.0/16")):
        return f"{value}: a tunnel's inside CIDR is a /30 of 169.254.0.0/16"
    if value in RESERVED_INSIDE_CIDRS:
        return f"{value} is reserved by AWS"
    return None


def weak_choices(option: str, values) -> list:
    """The values of one tunnel option that are outside the modern set (empty: modern)."""
    return [v for v in values if v not in MODERN[option]]
