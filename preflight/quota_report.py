"""The ``quotas`` report section: what the stack needs of each service quota, against AWS's default.

preflight cannot read an account's applied quotas, so this is a warning, never a failure: a need above the
default says "request this increase before the first ``up`` unless your account already has it". Under the
real CLI the program itself reads the applied values and fails the preview (``components/operations/quotas.py``). The
need is the program's own model (``components.quotas.stack_needs``) of the validated stack configuration.
"""

from __future__ import annotations

from rustfs_model.quotas import CHECKED, OWN_VPC_ONLY, QUOTAS, USAGE_SUBTRACTED, above_default

from .cluster_nodes import stack_config
from .runner import Recording
from .sections import SECTIONS, Section, md_cell

BASIS = (f"AWS's default quota values (rustfs_model/data/service_quotas.json, checked {CHECKED}); preflight cannot "
         "read this account's applied values")
_SUBTRACTED = ", ".join(QUOTAS[c].name for c in sorted(USAGE_SUBTRACTED))
SHARED = (f"A quota is shared by everything in the account and Region. Under the real CLI the program subtracts what "
          f"is in use outside this stack for {_SUBTRACTED} (one describe call counts each exactly), and the interface "
          "endpoints' quota is per VPC, the stack's own; for every other quota (vCPUs, EBS storage and IOPS, "
          "snapshots, NAT gateways, internet gateways, gateway endpoints) it compares the stack's need with the whole "
          "quota, not with the headroom left: other workloads' usage is not subtracted, so check it in the Service "
          "Quotas console (each quota's utilization) before the first `pulumi up`")


def compute(recording: Recording) -> dict | None:
    from rustfs_aws.operations.quotas import stack_needs

    cfg = stack_config(recording)
    if cfg is None:  # another project (bootstrap/): no cluster, no quota the program checks
        return None
    rows = [{"code": n.quota.code, "service": n.quota.service, "name": n.quota.name, "unit": n.quota.unit,
             "region": n.where(cfg.region), "need": n.amount, "default": n.quota.default,
             "aboveDefault": above_default(n), "basis": n.basis, "request": n.request_command(cfg.region),
             "usageSubtracted": n.quota.code in USAGE_SUBTRACTED | OWN_VPC_ONLY and not n.region}
            for n in stack_needs(cfg)]
    notes = [SHARED]
    if not any(r["unit"] == "vCPUs" for r in rows):
        notes.append(f"vCPUs of {cfg.cluster.instance_type} unknown offline (not in the instance catalogue): "
                     "the program reads them under the real CLI")
    return {"basis": BASIS, "region": cfg.region, "checkedByProgram": cfg.quotas.check, "rows": rows,
            "aboveDefault": [r["code"] for r in rows if r["aboveDefault"]], "notes": notes}


def _amount(value: float | None) -> str:
    if value is None:
        return "not published"
    return f"{value:,.2f}" if not float(value).is_integer() else f"{int(value):,}"


def _name(row: dict, region: str) -> str:
    return row["name"] if row["region"] == region else f"{row['name']} ({row['region']})"


def _program_note(value: dict) -> str:
    if value["checkedByProgram"]:
        return "under the real CLI the program reads the applied values and fails the preview below the need"
    return "quotas.check is off: nothing checks the applied values before `pulumi up`"


def human(value: dict) -> list[str]:
    over = [r for r in value["rows"] if r["aboveDefault"]]
    lines = [f"Service quotas: {len(value['rows'])} consumed, {len(over)} above AWS's default (a warning: preflight "
             f"knows only the defaults; {_program_note(value)})"]
    for r in over:
        lines.append(f"  WARNING {_name(r, value['region'])} ({r['service']} {r['code']}): needs {_amount(r['need'])} "
                     f"{r['unit']}, "
                     f"AWS default {_amount(r['default'])}")
        lines.append(f"    {r['request']}")
    lines += [f"  note: {n}" for n in value["notes"]]
    return lines


def markdown(value: dict) -> list[str]:
    out = ["### Service quotas", "",
           f"Need against {value['basis']} ({value['region']}); {_program_note(value)}.", "",
           "| quota | code | need | AWS default | basis |", "|---|---|---:|---:|---|"]
    out += [f"| {'⚠️ ' if r['aboveDefault'] else ''}{md_cell(_name(r, value['region']))} | "
            f"`{r['service']}` `{r['code']}` | "
            f"{_amount(r['need'])} {r['unit']} | {_amount(r['default'])} | {md_cell(r['basis'])} |"
            for r in value["rows"]]
    out.append("")
    over = [r for r in value["rows"] if r["aboveDefault"]]
    if over:
        out += ["Above AWS's default: unless this account already has more, request before the first `pulumi up`:",
                "", "```sh", *[r["request"] for r in over], "```", ""]
    out += [f"- {n}" for n in value["notes"]] + ([""] if value["notes"] else [])
    return out


SECTION = Section(key="quotas", compute=compute, human=human, markdown=markdown)
SECTIONS.append(SECTION)
