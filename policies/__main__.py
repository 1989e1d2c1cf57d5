"""Entry point of the rustfs-aws-guardrails policy pack: constructs the one PolicyPack."""

import threading

from pulumi_policy import EnforcementLevel, PolicyPack
from rustfs_guardrails import ALL_POLICIES
from rustfs_guardrails._iam import warm_up
from rustfs_guardrails._kit import stack_policy_types
from rustfs_guardrails._sdk_cache import filter_stack_requests
from rustfs_guardrails._sdk_cache import install as deserialize_each_resource_once

deserialize_each_resource_once()
filter_stack_requests(stack_policy_types())

# The IAM checks' libraries load while the engine still registers resources (PolicyPack() below serves).
threading.Thread(target=warm_up, name="warm-up", daemon=True).start()

PolicyPack(
    name="rustfs-aws-guardrails",
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.ADVISORY,
    description="Guardrails for RustFS on AWS: encryption, least privilege, tagging, exposure, "
    "logging and RustFS resilience.",
    provider="aws",
)
