"""Writes bootstrap/managed.json: what each deployed stack of the main program manages, read from preflight's
recording of it (the real program under the fake AWS). The deploy roles' permissions are derived from this file
(bootstrap/permissions.py explains how); tests/test_bootstrap.py fails when it is out of date.

    venv/bin/python bootstrap/derive.py [STACK ...]     # default: dev prod, the stacks the workflow deploys
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "managed.json"
DEPLOYED = ("dev", "prod")


def facts(stack: str) -> dict:
    """Types, Regions, trusted services, attached managed policies and service-linked roles of one stack."""
    sys.path.insert(0, str(ROOT))
    from preflight.fake_stack_refs import StackOutputs
    from preflight.runner import run_stack

    # A DR secondary's stack reference is served as preflight serves it: its primary previewed in its own process.
    return facts_of(run_stack(stack, stack_outputs=StackOutputs(project_dir=ROOT, project="rustfs-aws",
                                                                run_local=True)))


def facts_of(recording) -> dict:
    """``facts`` of a recording (preflight.runner.Recording) already made."""
    regions = {recording.settings.region}
    passed, managed, linked, documents = set(), set(), set(), set()
    name = f"rustfs-{recording.settings.stack}"
    for r in recording.resources:
        if r.type == "pulumi:providers:aws" and isinstance(r.inputs.get("region"), str):
            regions.add(r.inputs["region"])
        elif r.type == "aws:iam/role:Role":
            for statement in json.loads(r.inputs["assumeRolePolicy"])["Statement"]:
                principal = statement.get("Principal", {})
                services = principal.get("Service", []) if isinstance(principal, dict) else []
                passed.update([services] if isinstance(services, str) else services)
        elif r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            managed.add(r.inputs["policyArn"])
        elif r.type == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            linked.add(r.inputs["awsServiceName"])
        elif r.type == "aws:ssm/document:Document" and not str(r.inputs.get("name", "")).startswith(name):
            documents.add(r.inputs["name"])  # the account's own documents the owner stack declares
    return {"types": sorted({r.type for r in recording.resources if r.custom}), "regions": sorted(regions),
            "passedTo": sorted(passed), "managedPolicies": sorted(managed), "serviceLinked": sorted(linked),
            "accountDocuments": sorted(documents)}


def derive(stacks=DEPLOYED) -> dict:
    return {"_comment": "Written by bootstrap/derive.py from preflight's recordings of the main program; do not edit.",
            "stacks": {stack: facts(stack) for stack in stacks}}


def main(argv: list[str]) -> int:
    OUT.write_text(json.dumps(derive(tuple(argv) or DEPLOYED), indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
