"""Which stacks have certificates in their early-renewal window, read from each stack's deployed state.

    python3 tools/certificates_due.py [--urns] [STACK ...]

Default stacks: the ``Pulumi.<stack>.yaml`` files of the working directory. Stacks are ``$PULUMI_ORG/<stack>``
when PULUMI_ORG is set. Prints the JSON list of stacks with a certificate due (the delivery workflow's matrix of
the renew-certificates job), or with ``--urns`` the URNs of the due certificates of the given stacks, one per
line (its ``target``). A table of every certificate goes to stderr and, in GitHub Actions, to the job summary.
Only node certificates (LocallySignedCert) are renewed this way: a due CA (SelfSignedCert) is reported, never
targeted, because replacing it re-signs every node and needs a coordinated restart (docs/security.md).

A certificate is due when ``now >= validityEndTime - earlyRenewalHours``: the rule by which pulumi-tls plans
to replace it (terraform-provider-tls internal/provider/common_cert.go, modifyPlanIfCertificateReadyForRenewal:
evaluated at every plan, no refresh needed), so the next ``pulumi up`` of the stack re-issues exactly these.

Reads ``pulumi stack export``: it needs the Pulumi token only, no cloud credentials, and leaves secrets encrypted
(no --show-secrets); nothing of the state but the certificates' URNs and dates is printed. Stdlib only: the
workflow runs it with the runner's python3, before any dependency is installed.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

NODE_CERTIFICATE = "tls:index/locallySignedCert:LocallySignedCert"
CA_CERTIFICATE = "tls:index/selfSignedCert:SelfSignedCert"


class StateError(Exception):
    pass


def renew_from(resource: dict) -> datetime.datetime | None:
    """When pulumi-tls starts planning the certificate's replacement; None when the state has no end time."""
    end = (resource.get("outputs") or {}).get("validityEndTime")
    if not isinstance(end, str):
        return None
    hours = (resource.get("inputs") or {}).get("earlyRenewalHours") or 0
    return datetime.datetime.fromisoformat(end) - datetime.timedelta(hours=float(hours))


def certificates(state: dict) -> list[dict]:
    """Every certificate of an exported state: urn, ca, validityEndTime, renewFrom (ISO, UTC) and due."""
    if "deployment" not in state:
        raise StateError("not a `pulumi stack export` document (no 'deployment')")
    now = datetime.datetime.now(datetime.UTC)
    found = []
    for resource in state["deployment"].get("resources") or []:
        if resource.get("type") not in (NODE_CERTIFICATE, CA_CERTIFICATE) or resource.get("delete"):
            continue
        start = renew_from(resource)
        if start is None:
            raise StateError(f"{resource.get('urn')}: no validityEndTime in the state")
        found.append({"urn": resource["urn"], "ca": resource["type"] == CA_CERTIFICATE,
                      "validityEndTime": resource["outputs"]["validityEndTime"],
                      "renewFrom": start.astimezone(datetime.UTC).isoformat(),
                      "due": now >= start or (resource.get("outputs") or {}).get("readyForRenewal") is True})
    return found


def export(stack: str) -> dict:
    org = os.environ.get("PULUMI_ORG", "")
    name = f"{org}/{stack}" if org else stack
    result = subprocess.run(["pulumi", "stack", "export", "--stack", name], capture_output=True, text=True)
    if result.returncode:
        raise StateError(f"pulumi stack export --stack {name} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout)


def _report(rows: list[tuple[str, dict]]) -> str:
    lines = ["| stack | certificate | expires | renewal from | due |", "|---|---|---|---|---|"]
    lines += [f"| {stack} | `{c['urn'].rsplit('::', 1)[-1]}` | {c['validityEndTime']} | {c['renewFrom']} | "
              f"{('**yes: CA, coordinated restart by hand**' if c['ca'] else '**yes**') if c['due'] else 'no'} |"
              for stack, c in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    urns = "--urns" in argv
    stacks = [a for a in argv if a != "--urns"] or sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in Path.cwd().glob("Pulumi.*.yaml"))
    if not stacks:
        print("certificates_due: no stacks given and no Pulumi.<stack>.yaml here", file=sys.stderr)
        return 2
    try:
        rows = [(stack, c) for stack in stacks for c in certificates(export(stack))]
    except (StateError, ValueError) as e:
        print(f"certificates_due: {e}", file=sys.stderr)
        return 1
    report = _report(rows)
    sys.stderr.write(report)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and not urns:
        with open(summary, "a") as f:
            f.write("## Certificates and their renewal window\n\n" + report)
    renew = [(stack, c) for stack, c in rows if c["due"] and not c["ca"]]
    for stack, c in rows:
        if c["due"] and c["ca"]:
            print(f"::warning::{stack}: the CA {c['urn']} is due; it is not renewed automatically "
                  "(docs/security.md, node certificates)", file=sys.stderr)
    if urns:
        print("\n".join(c["urn"] for _, c in renew))
    else:
        print(json.dumps([s for s in stacks if any(stack == s for stack, _ in renew)]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
