"""StackContext.args: the shared fields every stack component gets, filled from one place."""

from dataclasses import dataclass, field

from test_config import BASE, PROD

from rustfs_aws.config import parse
from rustfs_aws.stack import StackContext


@dataclass
class _Args:
    cidr: str
    stack: str
    account_id: str
    tags: dict[str, str] = field(default_factory=dict)
    protect: bool = False


def _context(raw: dict, stack: str = "t") -> StackContext:
    return StackContext(parse(raw, stack=stack, region="us-east-1"), provider=None, account_id="123456789012",
                        partition="aws")


def test_only_the_shared_fields_an_args_declares_are_filled():
    args = _context(BASE).args(_Args, cidr="10.0.0.0/16")
    assert (args.stack, args.account_id, args.protect) == ("t", "123456789012", False)
    assert args.tags["Environment"] == "dev" and args.tags["Owner"] == "team-storage"
    assert not hasattr(args, "region")  # declared nowhere: never passed


def test_prod_protects_and_the_caller_overrides_a_shared_field():
    assert _context(PROD).args(_Args, cidr="10.0.0.0/16").protect is True
    assert _context(PROD).args(_Args, cidr="10.0.0.0/16", protect=False).protect is False
