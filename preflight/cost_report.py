"""The ``cost`` report section: the monthly estimate of what the recorded resources cost.

``rustfs_model.cost.monthly_cost`` prices the recorded resources (inputs, and outputs so that an Auto
Scaling group finds its launch template by id); the stack's ``usage`` config supplies client traffic and
stored data, the layout the erasure overhead, and ``budget.monthlyUSD`` the figure the estimate is held to.
"""

from __future__ import annotations

from rustfs_model.cost import monthly_cost

from .capacity_report import recorded_layout
from .cluster_nodes import stack_config
from .runner import Recording
from .sections import SECTIONS, Section, md_cell


def usage_of(cfg) -> dict:
    """The ``usage`` config in ``rustfs_model.cost`` terms (what the config does not set keeps its default)."""
    u = cfg.usage
    return {"writeMBps": u.write_mbps, "readMBps": u.read_mbps, "storedTiB": u.stored_tib,
            "growthTiBPerMonth": u.growth_tib_per_month}


def compute(recording: Recording) -> dict:
    cfg = stack_config(recording)
    layout = recorded_layout(recording)
    resources = [{**r.to_json(), "outputs": r.outputs} for r in recording.resources]
    shards = {"data_shards": layout.data_shards, "parity": layout.parity} if layout else {}
    cost = monthly_cost(resources, recording.settings.region, usage_of(cfg), **shards)
    cost["budgetUSD"] = cfg.budget.monthly_usd
    return cost


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"


def _budget_note(value: dict) -> str:
    budget = value.get("budgetUSD")
    if not budget:
        return ""
    share = value["monthlyUSD"] / budget
    return f" = {share:.0%} of the {_usd(budget)} budget" + (" (OVER BUDGET)" if share > 1 else "")


def human(value: dict) -> list[str]:
    lines = [f"Cost: {_usd(value['monthlyUSD'])}/month{_budget_note(value)} "
             f"(oldest price table {value['priceDate']})"]
    top = sorted(value["items"], key=lambda i: -i["monthlyUSD"])
    lines += [f"  {_usd(i['monthlyUSD']):>12}  {i['what']}" for i in top]
    lines += [f"  not priced: {u}" for u in value.get("unpriced", [])]
    return lines


def markdown(value: dict) -> list[str]:
    out = ["### Monthly cost", "",
           f"**{_usd(value['monthlyUSD'])} per month**{_budget_note(value)}, on-demand {value['region']} prices "
           f"(oldest price table {value['priceDate']}); usage assumptions in `rustfs-aws:usage`.", "",
           "| item | USD/month | basis |", "|---|---:|---|"]
    out += [f"| {md_cell(i['what'])} | {i['monthlyUSD']:,.2f} | {md_cell(i['basis'])} |" for i in value["items"]]
    out += [f"| **total** | **{value['monthlyUSD']:,.2f}** | |", ""]
    if value.get("unpriced"):
        out += ["Not priced (no sourced price, counted as 0):", ""] + [f"- {u}" for u in value["unpriced"]] + [""]
    return out


SECTION = Section(key="cost", compute=compute, human=human, markdown=markdown)
SECTIONS.append(SECTION)
