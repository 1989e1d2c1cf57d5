"""``python -m preflight plan``: rank RustFS-on-EC2 configurations for a capacity and throughput target."""

from __future__ import annotations

import argparse
import json
import sys

from rustfs_model.catalogue import price_table
from rustfs_model.planner import plan


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m preflight plan",
        description="Cheapest configurations that meet the targets and survive the loss of one AZ "
                    "(instances + data volumes, on-demand; traffic-driven costs excluded).",
    )
    p.add_argument("--usable-tib", type=float, required=True, help="usable capacity after erasure coding, TiB")
    p.add_argument("--throughput-gbps", type=float, required=True,
                   help="sustained client throughput, GB/s, that both reads and writes must reach")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--azs", type=int, default=3, help="availability zones the nodes are spread over")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print the ranked candidates as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        ranked = plan(args.usable_tib, args.throughput_gbps, args.region, args.azs, limit=args.top)
    except ValueError as err:
        print(f"plan: {err}", file=sys.stderr)
        return 2
    if not ranked:
        print(f"plan: no catalogued configuration reaches {args.usable_tib} TiB and {args.throughput_gbps} GB/s "
              f"while surviving an AZ loss over {args.azs} AZs", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([c.to_dict() for c in ranked], indent=2))
        return 0
    ec2, ebs = price_table("ec2"), price_table("ebs")
    print(f"Targets: {args.usable_tib} TiB usable, {args.throughput_gbps} GB/s read and write, survive 1 of "
          f"{args.azs} AZs lost, {args.region} (prices: EC2 {ec2['date']}, EBS {ebs['date']})")
    for rank, c in enumerate(ranked, 1):
        print(f"{rank}. ${c.monthly_usd:,.2f}/month  {c.describe()}")
        print(f"   usable {c.usable_tib} TiB, read {c.read_gbps} GB/s, write {c.write_gbps} GB/s; "
              f"bottleneck: {c.bottleneck}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
