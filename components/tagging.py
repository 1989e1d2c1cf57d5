"""The one way a component tags what it declares: the stack's tags, the resource's ``Name`` and, for the
components that belong to a stack's RustFS deployment, ``rustfs:stack`` (the tag the IAM conditions, the
restart documents and the policy pack select on). Extra tags are the resource's own (``rustfs:node``, ...).
"""

from collections.abc import Mapping


def resource_tags(base: Mapping[str, str], name: str, stack: str | None = None,
                  extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (the stack's tags) with ``Name``, then ``rustfs:stack`` when ``stack`` is given, then ``extra``."""
    return {**base, "Name": name, **({"rustfs:stack": stack} if stack else {}), **(extra or {})}
