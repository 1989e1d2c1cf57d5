"""The one way a component tags what it declares: the stack's tags, the resource's ``Name`` and, for the
components that belong to a stack's RustFS deployment, ``rustfs:stack`` (the tag the IAM conditions, the
restart documents and the policy pack select on). Extra tags are the resource's own (``rustfs:node``, ...).
"""

from collections.abc import Mapping

# Patch Manager picks an instance's patch baseline by this tag's value, the patch group (Systems Manager User Guide,
# "Patch groups": "PatchGroup" or "Patch Group"; only the form without a space works with instance metadata tags).
# The storage nodes carry their cluster's name in it (cluster/storage_nodes.py, operations/patching.py).
PATCH_GROUP_TAG = "PatchGroup"


def resource_tags(base: Mapping[str, str], name: str, stack: str | None = None,
                  extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (the stack's tags) with ``Name``, then ``rustfs:stack`` when ``stack`` is given, then ``extra``."""
    return {**base, "Name": name, **({"rustfs:stack": stack} if stack else {}), **(extra or {})}
