"""The stack's KMS keys in a preflight recording, found by their rustfs:key-purpose tag."""

from __future__ import annotations

KEY = "aws:kms/key:Key"


def key_for(recording, purpose: str):
    """The one key the recording tags with ``purpose`` (data, logs, messaging, ...)."""
    [key] = [k for k in recording.of_type(KEY) if k.inputs["tags"].get("rustfs:key-purpose") == purpose]
    return key
