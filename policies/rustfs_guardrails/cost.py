"""Cost: the stack's monthly estimate, computed from its resources, held against its budget.

The estimate is ``rustfs_model.cost.monthly_cost`` over the resources the engine sends (the model the
preflight report uses, carried inside the pack). Usage assumptions (client traffic, stored data) are the
stack config's ``<project>:usage`` over the config's documented defaults (the figures preflight uses); the
erasure overhead comes from the layout of the RustFS data volumes. The budget is the policy config's
``monthlyBudgetUSD``, else the smallest ``limitAmount`` of the stack's monthly COST budgets.
"""

from __future__ import annotations

import json

from pulumi_policy import Severity

from ._env import own_tags, stack_config
from ._kit import UNKNOWN, Res, aws, known_num, known_str, stack_policy

BUDGET = aws("budgets", "Budget")
ASG = aws("autoscaling", "Group")
LAUNCH_TEMPLATE = aws("ec2", "LaunchTemplate")
VOLUME = aws("ebs", "Volume")
INSTANCE = aws("ec2", "Instance")
USAGE_KEYS = ("writeMBps", "readMBps", "storedTiB", "growthTiBPerMonth")


def _without_unknowns(value):
    """The model reads plain values: an unknown becomes None (the model then counts the field as unset)."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _without_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_unknowns(v) for v in value]
    return value


def model_resources(resources: list[Res]) -> list[dict]:
    """Resources as ``monthly_cost`` reads them. During a preview an Auto Scaling group's launch template id is
    unknown; the group's property dependency names the template, so the reference becomes its URN."""
    templates = {r.urn for r in resources if r.type == LAUNCH_TEMPLATE}
    out = []
    for r in resources:
        inputs = _without_unknowns(r.props)
        if r.type == ASG and isinstance(inputs.get("launchTemplate"), dict):
            source = [u for u in r.property_dependency_urns.get("launchTemplate", []) if u in templates]
            if source:
                inputs["launchTemplate"] = {**inputs["launchTemplate"], "id": source[0]}
        out.append({"type": r.type, "name": r.name, "urn": r.urn, "inputs": inputs})
    return out


def _usage() -> dict:
    """The stack config's usage section over its defaults, as the program reads it (components/config.py)."""
    from rustfs_model.cost import CONFIG_USAGE_DEFAULTS

    usage = dict(CONFIG_USAGE_DEFAULTS)
    for key, value in stack_config().items():
        if key.endswith(":usage"):
            try:
                given = json.loads(value) if isinstance(value, str) else value
            except ValueError:
                given = {}
            if isinstance(given, dict):
                usage.update({k: float(given[k]) for k in USAGE_KEYS if known_num(given.get(k)) is not None})
    return usage


def _erasure(resources: list[Res]) -> dict:
    """``data_shards``/``parity`` of the RustFS layout over the tagged data volumes, when fully known."""
    from rustfs_model.layout import LayoutError, Node, from_resources

    nodes: dict[str, list[Res]] = {}
    for v in (r for r in resources if r.type == VOLUME):
        tags = own_tags(v)
        node = tags.get("rustfs:node-name") or tags.get("rustfs:node")
        if isinstance(node, str):
            nodes.setdefault(node, []).append(v)
    if not nodes:
        return {}
    model = []
    for name, volumes in nodes.items():
        azs = {known_str(v.get("availabilityZone")) for v in volumes}
        sizes = {known_num(v.get("size")) for v in volumes}
        if None in azs or None in sizes or len(azs) != 1:
            return {}
        model.append(Node(name=name, az=azs.pop(), drives=len(volumes), drive_size_gib=int(min(sizes))))
    try:
        layout = from_resources(model)
    except LayoutError:
        return {}
    return {"data_shards": layout.data_shards, "parity": layout.parity}


def _budget(resources: list[Res], cfg: dict) -> tuple[float, str] | None:
    if cfg["monthlyBudgetUSD"] > 0:
        return cfg["monthlyBudgetUSD"], "policy config monthlyBudgetUSD"
    limits = []
    for b in (r for r in resources if r.type == BUDGET):
        amount = known_str(b.get("limitAmount")) or known_num(b.get("limitAmount"))
        monthly = b.get("timeUnit") in ("MONTHLY", None) and b.get("budgetType") in ("COST", None)
        try:
            value = float(amount) if amount is not None and monthly else None
        except ValueError:
            value = None
        if value is not None:
            limits.append((value, f"aws.budgets.Budget '{b.name}'"))
    return min(limits) if limits else None


def _check_estimate(resources: list[Res], cfg: dict, report) -> None:
    from rustfs_model.cost import monthly_cost

    budget = _budget(resources, cfg)
    if budget is None:
        return  # no budget to compare with (rustfs-budgets-stack-require-budget reports that)
    region = cfg["region"] or next((known_str(r.provider_props.get("region")) for r in resources
                                    if known_str(r.provider_props.get("region"))), "us-east-1")
    cost = monthly_cost(model_resources(resources), region, _usage(), **_erasure(resources))
    limit, source = budget
    allowed = limit * cfg["maxShareOfBudget"]
    if cost["monthlyUSD"] <= allowed:
        return
    unpriced = f" Not priced (counted as $0): {'; '.join(cost['unpriced'])}." if cost["unpriced"] else ""
    top = sorted(cost["items"], key=lambda i: -i["monthlyUSD"])[:3]
    biggest = ", ".join(f"{i['what']} ${i['monthlyUSD']:,.2f}" for i in top)
    report(f"Estimated monthly cost ${cost['monthlyUSD']:,.2f} ({region} on-demand prices, oldest table "
           f"{cost['priceDate']}) exceeds {cfg['maxShareOfBudget']:.0%} of the ${limit:,.2f} budget ({source}); "
           f"largest items: {biggest}. Usage assumed: " + ", ".join(
               f"{k} {cost['usage'][k]:g}" for k in USAGE_KEYS) + "." + unpriced, None)


estimate_within_budget = stack_policy(
    "rustfs-budgets-stack-require-estimate-within-budget",
    "The monthly cost estimated from the stack's resources (rustfs_model.cost) stays within its AWS Budget.",
    severity=Severity.MEDIUM, types=[BUDGET, ASG, LAUNCH_TEMPLATE, INSTANCE, VOLUME], check=_check_estimate,
    topics=["cost"], reads_every_type=True,  # the estimate prices every resource it knows
    config={"monthlyBudgetUSD": {"type": "number", "minimum": 0, "default": 0,
                                 "description": "Budget to compare with; 0 = the stack's aws.budgets.Budget"},
            "maxShareOfBudget": {"type": "number", "minimum": 0, "default": 1.0,
                                 "description": "Report when the estimate exceeds this share of the budget"},
            "region": {"type": "string", "default": "",
                       "description": "Price in this region instead of the provider's (e.g. a sourced one)"}},
    remediation="Lower the cluster size or usage assumptions (see `python -m preflight plan`), or raise "
    "budget.monthlyUSD if the spend is intended.")

POLICIES = [estimate_within_budget]
