"""The policies of rustfs-aws-guardrails, grouped by area; ALL_POLICIES feeds the PolicyPack."""

from . import logs, network

ALL_POLICIES = [*network.POLICIES, *logs.POLICIES]
