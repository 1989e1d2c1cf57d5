"""Stack references offline: the outputs of a referenced stack, from a recorded file or from a preflight run of it.

Under ``pulumi.runtime.set_mocks`` a ``pulumi.StackReference`` is a *read* of a resource of type
``pulumi:pulumi:StackReference`` whose id is the referenced stack's name (pulumi/stack_reference.py: ``opts.id``);
the mock monitor's ReadResource hands it to ``Mocks.new_resource``, and the SDK reads the referenced stack's outputs
from the state it answers: ``outputs`` and ``secretOutputNames`` (``get_output`` marks an output secret when its name
is in the latter). The real engine answers the same two properties from the backend.

Where the outputs come from, in order:
1. ``--stack-outputs NAME=FILE`` (``given``): NAME is the reference as the program writes it (``org/project/stack``)
   or its last part. FILE is one of
   - ``pulumi stack output --json --show-secrets`` of the deployed stack: a flat object of outputs;
   - ``python -m preflight outputs --stack NAME`` (``outputs_document``): ``{"kind": OUTPUTS_KIND, "stack",
     "outputs", "secretOutputNames"}``;
   - a preflight report (``python -m preflight --stack NAME --json FILE``): its ``outputs``, where a secret shows as
     ``[secret]`` (offline nothing secret is real) and is served as a secret.
2. A stack of *this* project (``org/<this project>/<stack>`` with a ``Pulumi.<stack>.yaml`` here): preflight runs that
   stack's program first, in a process of its own (two programs cannot share one Pulumi runtime), and serves what it
   exported - what a deployed primary of this code would export.
3. Otherwise the read is refused, naming the reference and both ways to provide its outputs: a preview of the real
   stack would fail the same way if the stack did not exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .fake_zones import UnknownToFake

STACK_REFERENCE = "pulumi:pulumi:StackReference"
OUTPUTS_KIND = "preflight-stack-outputs"
SECRET_MARK = "[secret]"  # preflight's plain-JSON secret (runner.SECRET)


class MissingStackOutputs(UnknownToFake):
    """A stack reference preflight has no outputs for."""


@dataclass(frozen=True)
class RecordedOutputs:
    outputs: dict
    secret_names: list[str] = field(default_factory=list)
    source: str = ""


def read_outputs_file(path: Path) -> RecordedOutputs:
    """A recorded outputs file in any of the three forms above."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise MissingStackOutputs(f"stack outputs file {path} not found") from None
    except json.JSONDecodeError as exc:
        raise MissingStackOutputs(f"stack outputs file {path} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise MissingStackOutputs(f"stack outputs file {path}: expected a JSON object of outputs")
    if doc.get("kind") == OUTPUTS_KIND:
        return RecordedOutputs(dict(doc.get("outputs") or {}), list(doc.get("secretOutputNames") or []), str(path))
    if "outputs" in doc and "resources" in doc and "policy" in doc:  # a preflight --json report
        outputs = dict(doc["outputs"] or {})
        return RecordedOutputs(outputs, sorted(k for k, v in outputs.items() if v == SECRET_MARK), str(path))
    return RecordedOutputs(doc, [], str(path))  # pulumi stack output --json --show-secrets


def outputs_document(stack: str, outputs: dict, wire_outputs: dict) -> dict:
    """What ``python -m preflight outputs`` prints: the program's outputs, secrets named (values offline are fake)."""
    from .analyzer import SECRET_SIG, SIG_KEY

    secret = sorted(k for k, v in wire_outputs.items() if isinstance(v, dict) and v.get(SIG_KEY) == SECRET_SIG)
    return {"kind": OUTPUTS_KIND, "stack": stack, "outputs": outputs, "secretOutputNames": secret}


class StackOutputs:
    """The outputs preflight serves for each stack reference (see the module docstring for the order)."""

    def __init__(self, given: dict[str, Path] | None = None, *, project_dir: Path | None = None,
                 project: str | None = None, run_local: bool = False):
        self.given = {name: Path(p) for name, p in (given or {}).items()}
        self.project_dir, self.project, self.run_local = project_dir, project, run_local
        self.served: dict[str, RecordedOutputs] = {}  # reference -> what was served (the report names the source)

    def _given_for(self, reference: str) -> Path | None:
        short = reference.rsplit("/", 1)[-1]
        for name in (reference, short):
            if name in self.given:
                return self.given[name]
        return None

    def _local_stack(self, reference: str) -> str | None:
        parts = reference.split("/")
        if len(parts) != 3 or self.project_dir is None or parts[1] != self.project:
            return None
        return parts[2] if (self.project_dir / f"Pulumi.{parts[2]}.yaml").is_file() else None

    def resolve(self, reference: str) -> RecordedOutputs:
        if reference in self.served:
            return self.served[reference]
        path = self._given_for(reference)
        local = self._local_stack(reference)
        if path is not None:
            recorded = read_outputs_file(path)
        elif local is not None and self.run_local:
            recorded = run_outputs(self.project_dir, local)
        else:
            hint = (f"`python -m preflight outputs --stack {local} > {local}.outputs.json`" if local else
                    "`pulumi stack output --json --show-secrets --stack " + reference + " > outputs.json`")
            raise MissingStackOutputs(
                f"stack reference {reference!r}: preflight has no outputs for it. Pass --stack-outputs "
                f"{reference}=FILE with the referenced stack's outputs ({hint})"
                + ("" if local else f"; only a stack of this project ({self.project}) with a Pulumi.<stack>.yaml "
                   "here is previewed on demand"))
        self.served[reference] = recorded
        return recorded

    def read(self, reference: str) -> tuple[str, dict]:
        """The mock's answer to the ReadResource of a StackReference: its id and its state."""
        recorded = self.resolve(reference)
        return reference, {"name": reference, "outputs": recorded.outputs,
                           "secretOutputNames": recorded.secret_names}


def run_outputs(project_dir: Path, stack: str) -> RecordedOutputs:
    """Run ``python -m preflight outputs --stack <stack>`` in its own process and read what it prints: the referenced
    stack as deployed (every output known), also when this stack is previewed as new (``--new-stack``)."""
    command = [sys.executable, "-m", "preflight", "outputs", "--stack", stack, "--cwd", str(project_dir)]
    done = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise MissingStackOutputs(f"stack reference to {stack}: its preflight run failed ({done.returncode}): "
                                  f"{done.stderr.strip()[-600:]}")
    doc = json.loads(done.stdout)
    return RecordedOutputs(doc["outputs"], doc["secretOutputNames"], f"a preflight run of stack {stack}")


def outputs_main(argv: list[str]) -> int:
    """``python -m preflight outputs --stack NAME [--cwd DIR] [--new-stack]``: the stack's outputs as JSON."""
    import argparse

    from .runner import run_stack

    parser = argparse.ArgumentParser(prog="python -m preflight outputs",
                                     description="Run the program offline and print its stack outputs as JSON "
                                                 "(for --stack-outputs NAME=FILE of a stack that references it).")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--cwd", type=Path, default=None)
    parser.add_argument("--new-stack", action="store_true")
    args = parser.parse_args(argv)
    project_dir = (args.cwd or Path.cwd()).resolve()
    try:
        recording = run_stack(args.stack, project_dir=project_dir, new_stack=args.new_stack)
    except Exception as exc:  # noqa: BLE001 - one line, as the main command does
        print(f"preflight outputs {args.stack}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(outputs_document(args.stack, recording.outputs, recording.wire_outputs), indent=2,
                     sort_keys=True))
    return 0
