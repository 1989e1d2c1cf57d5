"""Wall time and peak memory of a full preflight (program under the fake AWS + policy pack) by cluster size.

For each node count (default 4, 16, 64; 8 drives each) it writes ``Pulumi.bench-<n>.yaml`` - the dev stack
with ``cluster.nodes`` and ``cluster.drivesPerNode`` replaced - into a scratch project that links to this
project's files, runs ``python -m preflight --stack bench-<n> --json <file>`` in a subprocess, and measures
wall time and peak RSS. The peak comes from ``wait4``: on Linux it is the largest of the preflight process
and the descendants it waited for (the policy pack), not their sum. Prints a Markdown table; ``--out FILE``
also writes it there.

    venv/bin/python bench/preflight_bench.py [--nodes 4 16 64] [--drives 8] [--repeat 1] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
LINKED = ("Pulumi.yaml", "__main__.py", "components", "policies", "preflight", "rustfs_model", "requirements.txt")


def _scratch(root: Path) -> None:
    for name in LINKED:
        if (PROJECT / name).exists():
            (root / name).symlink_to(PROJECT / name)


def _stack_file(root: Path, nodes: int, drives: int, base: str) -> str:
    doc = yaml.safe_load((PROJECT / f"Pulumi.{base}.yaml").read_text())
    cluster = doc["config"]["rustfs-aws:cluster"]
    cluster["nodes"], cluster["drivesPerNode"] = nodes, drives
    stack = f"bench-{nodes}"
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return stack


def _run(root: Path, stack: str) -> dict:
    report = root / f"{stack}.json"
    cmd = [sys.executable, "-m", "preflight", "--stack", stack, "--cwd", str(root), "--json", str(report)]
    # Output goes to files, not pipes: nothing reads a pipe while wait4 blocks, so a full one would hang the run.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=root, stdout=out_file, stderr=err_file,
                                env={**os.environ, "PYTHONPATH": str(PROJECT)})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read().decode(), err_file.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1 = mandatory policy violations, still a complete run
        raise RuntimeError(f"preflight {stack} exited {code}:\n{err or out}")
    doc = json.loads(report.read_text())
    return {"wall_s": wall, "peak_mib": usage.ru_maxrss / 1024,  # ru_maxrss is KiB on Linux
            "resources": len(doc.get("resources", [])) or doc.get("summary", {}).get("resources"), "exit": code}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, nargs="+", default=[4, 16, 64])
    p.add_argument("--drives", type=int, default=8)
    p.add_argument("--base", default="dev", help="stack file the bench stacks are derived from")
    p.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is reported")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    rows = ["| nodes | drives per node | resources | wall time (s) | peak RSS, largest process (MiB) |",
            "|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as tmp:
        root = Path(tmp)
        _scratch(root)
        for nodes in args.nodes:
            stack = _stack_file(root, nodes, args.drives, args.base)
            runs = [_run(root, stack) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["wall_s"])
            rows.append(f"| {nodes} | {args.drives} | {best['resources']} | {best['wall_s']:.2f} | "
                        f"{best['peak_mib']:.0f} |")
            print(rows[-1], file=sys.stderr)
    cpus = os.cpu_count()
    table = "\n".join(rows) + f"\n\n{cpus} CPUs, Python {sys.version.split()[0]}, base stack `{args.base}`.\n"
    print(table)
    if args.out:
        args.out.write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
