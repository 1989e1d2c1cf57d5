"""The command line of preflight: run the program offline, run the policy pack, report."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from .analyzer import PolicyPackError

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m preflight", description=(
        "Offline preview: runs the real Pulumi program against a fake AWS and the real policy pack over the "
        "Pulumi analyzer protocol."))
    p.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    p.add_argument("--json", metavar="PATH", help="write the full report as JSON ('-' for stdout)")
    p.add_argument("--markdown", metavar="PATH", help="write a Markdown report for a pull request comment")
    p.add_argument("--policy-config", metavar="PATH", type=Path,
                   help="policy pack config (default: policies/config/<stack>.json when present)")
    p.add_argument("--cwd", metavar="DIR", type=Path, default=None,
                   help="the Pulumi project directory (default: the current directory)")
    p.add_argument("--policy-pack", metavar="DIR", type=Path, default=None,
                   help="policy pack directory (default: <project>/policies, else this repository's policies/)")
    p.add_argument("--new-stack", action="store_true",
                   help="preview as for a first deployment: ids, ARNs and other computed outputs unknown")
    p.add_argument("--stack-outputs", metavar="NAME=FILE", action="append", default=[],
                   help="outputs of a stack this one references (pulumi.StackReference), NAME as the program names it "
                        "(org/project/stack, or the stack alone): a `pulumi stack output --json --show-secrets` file, "
                        "a `python -m preflight outputs` file or a preflight --json report; default: a stack of this "
                        "project is previewed first (preflight/fake_stack_refs.py)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def _stack_outputs(values: list[str]) -> dict[str, Path]:
    out = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--stack-outputs {value!r}: expected NAME=FILE, e.g. acme/rustfs-aws/prod=prod.json")
        out[name] = Path(path)
    return out


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "plan":
        from .plan import main as plan_main

        return plan_main(argv[1:])
    if argv and argv[0] == "outputs":
        from .fake_stack_refs import outputs_main

        return outputs_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return _preflight(args)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear line and exit 2
        if args.debug:
            traceback.print_exc()
        print(f"preflight {args.stack}: {_explain(exc)}", file=sys.stderr)
        return EXIT_ERROR


def _explain(exc: Exception) -> str:
    from rustfs_aws.validation import ConfigError

    from .fake_stack_refs import MissingStackOutputs
    from .stackfiles import StackFileError

    if isinstance(exc, ConfigError | StackFileError | ValueError | MissingStackOutputs) and str(exc):
        return str(exc)
    if isinstance(exc, PolicyPackError):
        return f"policy pack failed: {exc}"
    return f"program error: {type(exc).__name__}: {exc} (run with --debug for the traceback)"


def _default_pack(project_dir: Path) -> Path:
    """The project's own ``policies/``, else this repository's pack: a second project of the repository (the
    ``bootstrap/`` program) is checked by the same pack as the main one."""
    from .analysis import PACK_DIR

    own = project_dir / "policies"
    return own if (own / "PulumiPolicy.yaml").is_file() else PACK_DIR


def _preflight(args: argparse.Namespace) -> int:
    from . import report, sections
    from .analysis import StreamingAnalysis, pack_booting, policy_config_for
    from .fake_stack_refs import StackOutputs
    from .runner import run_settings
    from .stackfiles import read_stack

    project_dir = (args.cwd or Path.cwd()).resolve()
    if not (project_dir / "Pulumi.yaml").is_file():
        raise ValueError(f"no Pulumi.yaml in {project_dir}: run from the project directory or pass --cwd")
    pack_dir = (args.policy_pack or _default_pack(project_dir)).resolve()
    policy_config, config_file = policy_config_for(args.stack, args.policy_config, pack_dir)
    settings = read_stack(project_dir, args.stack)
    stack_outputs = StackOutputs(_stack_outputs(args.stack_outputs), project_dir=project_dir,
                                 project=settings.project, run_local=True)
    with pack_booting(settings, policy_config, pack_dir=pack_dir) as pack_ready:
        streaming = StreamingAnalysis(settings, pack_ready)
        try:
            recording = run_settings(settings, project_dir=project_dir, new_stack=args.new_stack,
                                     on_record=streaming.record, stack_outputs=stack_outputs)
        finally:
            streaming.close()
        policy = streaming.finish(recording, config_file)
    values = sections.compute_all(recording)
    doc = report.build_json(recording, policy, values)
    if args.json:
        _write(args.json, json.dumps(doc, indent=2, sort_keys=False) + "\n")
    if args.markdown:
        _write(args.markdown, report.markdown(doc, sections.markdown_blocks(values)))
    out = sys.stderr if args.json == "-" or args.markdown == "-" else sys.stdout
    print(report.human(doc, sections.human_lines(values)), file=out)
    return EXIT_VIOLATIONS if policy.mandatory else EXIT_OK
