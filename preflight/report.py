"""What preflight tells: a short human summary, a JSON document and a Markdown report for pull requests."""

from __future__ import annotations

from collections import Counter

from .analysis import PolicyResult
from .runner import Recording
from .sections import md_cell

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}


def sorted_violations(policy: PolicyResult) -> list[dict]:
    return sorted(policy.violations, key=lambda v: (v["enforcementLevel"] != "mandatory",
                                                   SEVERITY_ORDER.get(v["severity"], 4), v["policy"], v["urn"]))


def build_json(recording: Recording, policy: PolicyResult, sections: dict) -> dict:
    s = recording.settings
    return {
        "project": s.project,
        "stack": s.stack,
        "region": s.region,
        "placeholders": s.placeholders,
        # pulumi.StackReference reads: the referenced stack and where its outputs came from (fake_stack_refs.py)
        "stackReferences": dict(recording.stack_references),
        "resources": [r.to_json() for r in recording.resources],
        "outputs": recording.outputs,
        "policy": {
            "pack": policy.pack,
            "version": policy.version,
            "config": policy.config_file,
            "policies": [{"name": p["name"], "enforcementLevel": p["enforcementLevel"],
                          "severity": p["severity"]} for p in policy.policies],
            "violations": [{k: v[k] for k in ("policy", "urn", "message", "enforcementLevel", "severity")}
                           for v in sorted_violations(policy)],
        },
        **sections,
        "summary": {"resources": len(recording.resources), "mandatory": len(policy.mandatory),
                    "advisory": len(policy.advisory)},
    }


def summary_line(stack: str, report: dict) -> str:
    s = report["summary"]
    return (f"preflight {stack}: {s['resources']} resources, {s['mandatory']} mandatory, "
            f"{s['advisory']} advisory violations")


def _finding(message: str) -> str:
    """The pack's message is the policy description, a newline, then the finding: summaries show the finding."""
    return message.split("\n", 1)[-1]


def _short_urn(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def _type_counts(report: dict) -> list[tuple[str, int]]:
    """(type, count), most numerous first."""
    counts = Counter(r["type"] for r in report["resources"])
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def human(report: dict, section_lines: list[str]) -> str:
    lines = [f"Stack {report['project']}/{report['stack']} in {report['region']} (offline preview, fake AWS)"]
    if report["placeholders"]:
        lines.append("Secret config values replaced by placeholders (not decryptable offline): "
                     + ", ".join(report["placeholders"]))
    for name, source in report.get("stackReferences", {}).items():
        lines.append(f"Stack reference {name}: outputs from {source}")
    lines.append("Resources by type:")
    lines += [f"  {n:4d}  {t}" for t, n in _type_counts(report)]
    lines += section_lines
    violations = report["policy"]["violations"]
    lines.append(f"Policy pack {report['policy']['pack']} {report['policy']['version']}: "
                 f"{len(report['policy']['policies'])} policies, {len(violations)} violations")
    for v in violations:
        level = v["enforcementLevel"].upper()
        sev = f"/{v['severity']}" if v["severity"] else ""
        lines.append(f"  [{level}{sev}] {v['policy']} on {_short_urn(v['urn'])}: {_finding(v['message'])}")
    lines.append(summary_line(report["stack"], report))
    return "\n".join(lines)


def markdown(report: dict, section_blocks: list[str]) -> str:
    s = report["summary"]
    verdict = "❌ blocked by mandatory policy violations" if s["mandatory"] else "✅ no mandatory violations"
    out = [f"## preflight: `{report['project']}/{report['stack']}` ({report['region']})", "",
           f"{verdict} · {s['resources']} resources · {s['mandatory']} mandatory · {s['advisory']} advisory",
           ""]
    if report["placeholders"]:
        out += ["> Secret config values could not be decrypted offline and were replaced by placeholders: "
                + ", ".join(f"`{p}`" for p in report["placeholders"]), ""]
    out += section_blocks
    out += ["### Policy results", "",
            f"Pack `{report['policy']['pack']}` {report['policy']['version']}, "
            f"{len(report['policy']['policies'])} policies.", ""]
    if report["policy"]["violations"]:
        out += ["| level | severity | policy | resource | message |", "|---|---|---|---|---|"]
        out += [f"| {v['enforcementLevel']} | {v['severity']} | `{v['policy']}` | `{_short_urn(v['urn'])}` | "
                f"{md_cell(_finding(v['message']))} |" for v in report["policy"]["violations"]]
    else:
        out.append("No violations.")
    out += ["", "<details><summary>Resources by type</summary>", "", "| count | type |", "|---:|---|"]
    out += [f"| {n} | `{t}` |" for t, n in _type_counts(report)]
    out += ["", "</details>", ""]
    return "\n".join(out)
