"""Entry point of the rustfs-aws-guardrails policy pack: constructs the one PolicyPack."""

from pulumi_policy import EnforcementLevel, PolicyPack
from rustfs_guardrails import ALL_POLICIES

PolicyPack(
    name="rustfs-aws-guardrails",
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.ADVISORY,
    description="Guardrails for RustFS on AWS: encryption, least privilege, tagging, exposure, "
    "logging and RustFS resilience.",
    provider="aws",
)
