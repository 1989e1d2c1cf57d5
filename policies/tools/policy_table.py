"""Prints the policy table of policies/README.md from the pack's own metadata (run from the repo root):

    python policies/tools/policy_table.py > /tmp/table.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rustfs_guardrails  # noqa: E402
from rustfs_guardrails._kit import REGISTRY  # noqa: E402


def short_type(token: str) -> str:
    if token.startswith("aws:"):
        module, name = token[4:].split(":")[0].split("/")[0], token.rsplit(":", 1)[-1]
        return f"{module}.{name}"
    return token


def table() -> str:
    lines = ["| area | policy | resource types | severity | default | what it checks | covers |",
             "|---|---|---|---|---|---|---|"]
    for area, module in rustfs_guardrails.AREAS.items():
        for policy in module.POLICIES:
            meta = REGISTRY[policy.name]
            types = sorted({short_type(t) for t in meta["types"]})
            shown = ", ".join(types) if len(types) <= 6 else f"every taggable aws type ({len(types)})"
            kind = " (stack)" if meta["stack"] else ""
            lines.append(f"| {area} | `{policy.name}`{kind} | {shown} | {meta['severity']} | {meta['level']} | "
                         f"{meta['description']} | {', '.join(meta['checks']) or '—'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
