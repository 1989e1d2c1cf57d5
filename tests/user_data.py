"""Reading what a node boots with: the launch template's user data and the env files it writes."""

from __future__ import annotations

import base64
import gzip
import shlex


def decode_user_data(text: str) -> str:
    """EC2 user data as the program sets it: base64, gzip-compressed when large (cloud-init accepts both)."""
    raw = base64.b64decode(text)
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode()


def env_file(content: str) -> dict[str, str]:
    """KEY=value lines of a systemd EnvironmentFile / shell env file, comments skipped."""
    return dict(line.split("=", 1) for line in shlex.split(content, comments=True))
