"""The ``cost`` report section: the monthly estimate of what the recorded resources cost.

``rustfs_model.cost.monthly_cost`` prices the recorded resources (inputs, and outputs so that an Auto
Scaling group finds its launch template by id); the stack's ``usage`` config supplies client traffic and
stored data, the layout the erasure overhead, and ``budget.monthlyUSD`` the figure the estimate is held to.
"""

from __future__ import annotations

from rustfs_model.catalogue import PriceNotSourced, price
from rustfs_model.cost import monthly_cost
from rustfs_model.datasync import bytes_per_second, migration_estimate
from rustfs_model.s3_comparison import compare

from .capacity_report import compute_capacity, compute_performance, recorded_layout
from .cluster_nodes import stack_config
from .runner import Recording
from .sections import SECTIONS, Section, md_cell


def usage_of(cfg) -> dict:
    """The ``usage`` config in ``rustfs_model.cost`` terms (what the config does not set keeps its default)."""
    u = cfg.usage
    usage = {"writeMBps": u.write_mbps, "readMBps": u.read_mbps, "storedTiB": u.stored_tib,
             "growthTiBPerMonth": u.growth_tib_per_month}
    dr = getattr(cfg, "dr", None)
    if dr is not None and dr.replicated_gb_per_month is not None:  # what the primary replicates here (dr/settings.py)
        usage["drReplicatedGBPerMonth"] = dr.replicated_gb_per_month
    migration = getattr(cfg, "migration", None)
    if migration is not None:
        # The initial copy, in the month it runs: every leg is billed (a staged source twice); the staged copies sit
        # in S3 until they expire (priced as S3 Standard, an upper bound: they move to Standard-IA after 30 days).
        usage["datasyncTiBPerMonth"] = sum(s.size_tib * (2 if s.staged else 1) for s in migration.sources)
        staged = sum(s.size_tib for s in migration.sources if s.staged)
        if staged:
            usage["s3StoredTiB"] = {"STANDARD": staged}
    return usage


def migration_of(cfg, performance: dict | None) -> list[dict] | None:
    """How long the configured sources' first copy takes at their limits (rustfs_model.datasync)."""
    migration = getattr(cfg, "migration", None)
    if migration is None:
        return None
    write = performance["writeGBps"] * 1e9 if performance and performance.get("writeGBps") else None
    sources = [{"name": s.name, "sizeTiB": s.size_tib, "staged": s.staged,
                "bytesPerSecond": bytes_per_second(s.bandwidth_mibps if s.bandwidth_mibps is not None
                                                   else migration.bandwidth_mibps)} for s in migration.sources]
    return migration_estimate(sources, rustfs_write_bytes_per_second=write)


def comparison_of(cfg, cost: dict, usage: dict, capacity: dict | None, performance: dict | None, region: str) -> dict:
    """The stack against S3 for the same data and traffic (rustfs_model.s3_comparison)."""
    try:
        volume = price(region, "ebs", f"{cfg.cluster.volume.type}_gb_month")
    except PriceNotSourced:
        volume = None
    return compare(region=region, rustfs_monthly_usd=cost["monthlyUSD"],
                   usable_tib=capacity["usableTiB"] if capacity else None,
                   # raw from the unrounded efficiency: rawTiB and usableTiB are rounded for display
                   raw_tib=capacity["usableTiB"] / capacity["efficiency"] if capacity and capacity.get("efficiency")
                   else None,
                   read_gbps=performance["readGBps"] if performance else None,
                   write_gbps=performance["writeGBps"] if performance else None,
                   usage={**cost["usage"], **usage}, data_volume_gb_month=volume)


def compute(recording: Recording) -> dict:
    cfg = stack_config(recording)
    layout = recorded_layout(recording)
    resources = [{**r.to_json(), "outputs": r.outputs} for r in recording.resources]
    shards = {"data_shards": layout.data_shards, "parity": layout.parity} if layout else {}
    if cfg is None:  # another project of the repository (bootstrap/): its resources, the model's usage defaults
        return monthly_cost(resources, recording.settings.region, {}, **shards)
    usage = usage_of(cfg)
    cost = monthly_cost(resources, recording.settings.region, usage, **shards)
    cost["budgetUSD"] = cfg.budget.monthly_usd
    capacity, performance = compute_capacity(recording), compute_performance(recording)
    cost["s3Comparison"] = comparison_of(cfg, cost, usage, capacity, performance, recording.settings.region)
    migration = migration_of(cfg, performance)
    if migration is not None:
        cost["migration"] = migration
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
    edge = value.get("edgePerTB")
    if edge:
        lines.append(f"Edge: {_usd(edge['usdPerTB'])} per TB delivered ({_edge_parts(edge)}; {edge['basis']})")
    comparison = value.get("s3Comparison")
    if comparison:
        lines += ["Against S3 for the same data and traffic:"] + [f"  {v}" for v in comparison["verdict"]]
    for source in value.get("migration") or []:
        legs = "; ".join(f"{leg['leg']} at {leg['bytesPerSecond'] / 2 ** 20:,.0f} MiB/s ({leg['bound']}) "
                         f"{leg['hours']:,.1f} h" for leg in source["legs"])
        lines.append(f"Migration {source['name']}: {source['sizeTiB']:g} TiB, {source['hours']:,.1f} h ({legs})")
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
    edge = value.get("edgePerTB")
    if edge:
        out += [f"**Edge: {_usd(edge['usdPerTB'])} per TB delivered** ({md_cell(_edge_parts(edge))}; "
                f"{md_cell(edge['basis'])}).", ""]
    out += _comparison_markdown(value.get("s3Comparison")) + _migration_markdown(value.get("migration"))
    return out


def _edge_parts(edge: dict) -> str:
    """The CloudFront edge's marginal cost per TB by part (rustfs_model.cost.edge_cost_per_tb)."""
    return ", ".join(f"{part} {_usd(usd)}" for part, usd in edge["parts"].items())


def _comparison_markdown(c: dict | None) -> list[str]:
    if not c:
        return []
    out = ["#### Against S3 for the same data and traffic", "", "| S3 item | USD/month | basis |", "|---|---:|---|"]
    for item in c["s3"]["lines"]:
        amount = "not priced" if item["monthlyUSD"] is None else f"{item['monthlyUSD']:,.2f}"
        out.append(f"| {md_cell(item['what'])} | {amount} | {md_cell(item['basis'])} |")
    out += [f"| **S3 total** | **{c['s3']['monthlyUSD']:,.2f}** | |", ""]
    out += [f"- {v}" for v in c["verdict"]] + [""]
    return out


def _migration_markdown(sources: list[dict] | None) -> list[str]:
    if not sources:
        return []
    out = ["#### DataSync migration: time of the first copy", "", "| source | TiB | leg | rate | bound by | hours |",
           "|---|---:|---|---:|---|---:|"]
    for s in sources:
        for leg in s["legs"]:
            out.append(f"| {s['name']} | {s['sizeTiB']:g} | {leg['leg']} | {leg['bytesPerSecond'] / 2 ** 20:,.0f} "
                       f"MiB/s | {md_cell(leg['bound'])} | {leg['hours']:,.1f} |")
    out += ["", "Data time only: DataSync also lists, prepares and verifies, before and after the copy.", ""]
    return out


SECTION = Section(key="cost", compute=compute, human=human, markdown=markdown)
SECTIONS.append(SECTION)
