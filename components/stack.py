"""What every component of one stack shares, built once: the provider, the account, the stack's names and tags,
and whether its data is protected. ``__main__.py`` composes components through it instead of repeating the
same seven arguments on every ``...Args``.

Design: ``StackContext.args(SomeArgs, **specific)`` fills the shared fields that ``SomeArgs`` declares (by
field name: ``name``/``cluster_id``, ``stack``, ``region``, ``account_id``, ``partition``, ``tags``,
``protect``) and takes the rest from the caller, which may override any of them. Rejected alternative: one
context object as a field of every Args. It would tie every component to this program's stack model, while
the Args stay plain, documented inputs a program in any language can fill (the component package).
"""

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
import pulumi_aws as aws

from rustfs_aws.config import StackConfig

A = TypeVar("A")


@dataclass(frozen=True)
class StackContext:
    cfg: StackConfig
    provider: aws.Provider
    account_id: str
    partition: str

    @classmethod
    def create(cls, cfg: StackConfig) -> "StackContext":
        """One explicit provider (the stack's region, its tags as defaultTags) and the account it deploys to."""
        provider = aws.Provider("aws", region=cfg.region, default_tags={"tags": cfg.tags})
        invoke = pulumi.InvokeOptions(provider=provider)
        return cls(cfg, provider, aws.get_caller_identity(opts=invoke).account_id,
                   aws.get_partition(opts=invoke).partition)

    @property
    def invoke(self) -> pulumi.InvokeOptions:
        return pulumi.InvokeOptions(provider=self.provider)

    def opts(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(provider=self.provider, **options)

    def args(self, args_type: type[A], **specific: Any) -> A:
        cfg = self.cfg
        shared = {"name": cfg.name, "cluster_id": cfg.name, "stack": cfg.stack, "region": cfg.region,
                  "account_id": self.account_id, "partition": self.partition, "tags": cfg.tags,
                  "protect": cfg.is_prod}
        declared = {f.name for f in dataclasses.fields(args_type)}
        return args_type(**{**{k: v for k, v in shared.items() if k in declared}, **specific})
