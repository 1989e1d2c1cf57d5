"""EC2 user data: decode (base64, gzip), look for credentials, measure it against EC2's 16 KB limit."""

from __future__ import annotations

import base64
import binascii
import gzip
import re

_PATTERNS = [
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("an AWS secret access key", re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}", re.I)),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    # Assignments of literals only: a mention (e.g. a check refusing 'rustfsadmin') or a template
    # placeholder ($VAR, {name}, %s, <...>) is not a credential.
    ("the RustFS default credentials 'rustfsadmin'", re.compile(
        r"(?:KEY|USER|PASSWORD)\w*\s*[=:]\s*['\"]?rustfsadmin\b", re.I)),
    ("a literal RustFS access/secret key", re.compile(
        r"RUSTFS_(?:ACCESS|SECRET)_KEY\s*=\s*['\"]?(?![$'\"\s{%<])[^\s'\"]{3,}")),
    ("a literal RustFS root password", re.compile(
        r"RUSTFS_ROOT_(?:USER|PASSWORD)\s*=\s*['\"]?(?![$'\"\s{%<])[^\s'\"]{3,}")),
    ("a literal password", re.compile(
        r"\b(?:password|passwd|pwd)\s*[=:]\s*['\"]?(?![$'\"\s{%<])[^\s'\"]{6,}", re.I)),
]


def decode(text: str) -> str:
    """User data as the instance sees it: base64 (Launch templates, userDataBase64) and gzip undone."""
    candidate = text.strip()
    raw: bytes = candidate.encode()
    if re.fullmatch(r"[A-Za-z0-9+/=\s]{16,}", candidate):
        try:
            raw = base64.b64decode(candidate, validate=False)
        except (binascii.Error, ValueError):
            raw = candidate.encode()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError:
            return text
    decoded = raw.decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in decoded)
    return decoded if decoded and printable / len(decoded) > 0.95 else text


def findings(text: str) -> list[str]:
    content = decode(text)
    return [label for label, pattern in _PATTERNS if pattern.search(content)]


# "User data is limited to 16 KB, in raw form, before it is base64-encoded" (EC2 User Guide, "Work with instance
# user data"); CreateLaunchTemplateVersion refuses more with InvalidUserData.Malformed.
EC2_USER_DATA_LIMIT = 16_384


def raw_size(text: str, is_base64: bool) -> int | None:
    """The bytes EC2 counts (before base64; gzip stays compressed); None when the base64 is not valid."""
    if not is_base64:
        return len(text.encode())
    try:
        return len(base64.b64decode(text.strip(), validate=True))
    except (binascii.Error, ValueError):
        return None
