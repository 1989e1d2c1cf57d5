"""Writes policies/rustfs_model/data/rustfs_policy.json: what RustFS accepts in an IAM-style policy at a release,
read from its sources (action names and built-in policy names: facts, no code). Run from the repo root:

    python policies/tools/rustfs_policy_model.py [--repo /work/.mirror/rustfs+rustfs/repo] [--tag 1.0.0-rc.3]

Where RustFS decides (all paths at the tag):
- ``crates/policy/src/policy/action.rs``: ``Action::try_from`` maps ``*`` to ``s3:*`` and otherwise parses the
  string by its prefix (``s3:``, ``admin:``, ``sts:``, ``kms:``) into an enum whose ``#[strum(serialize = "...")]``
  names are the only accepted spellings (strum ``EnumString``): ``s3:Get*`` is ``InvalidAction``, only the listed
  ``...:*`` forms are wildcards.
- ``crates/policy/src/policy/policy.rs``: ``DEFAULT_POLICIES``, the built-in canned policies every cluster has
  (a declared policy of the same name would replace one of them).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "rustfs_model" / "data" / "rustfs_policy.json"
ACTIONS = "crates/policy/src/policy/action.rs"
POLICY = "crates/policy/src/policy/policy.rs"
_ENUM = re.compile(r"pub enum (S3Action|AdminAction|StsAction|KmsAction) \{(.*?)\n\}", re.S)
_SERIALIZE = re.compile(r'#\[strum\(serialize = "([^"]+)"\)\]')
_CONST = re.compile(r'pub const (\w+): &str = "([^"]+)";')


def show(repo: str, tag: str, path: str) -> str:
    return subprocess.run(["git", "-C", repo, "show", f"{tag}:{path}"], check=True, capture_output=True,
                          text=True).stdout


def actions(source: str) -> dict[str, list[str]]:
    found = {m[1]: sorted(_SERIALIZE.findall(m[2])) for m in _ENUM.finditer(source)}
    missing = {"S3Action", "AdminAction", "StsAction", "KmsAction"} - set(found)
    if missing or not all(found.values()):
        raise SystemExit(f"{ACTIONS}: could not read the action enums {sorted(missing)}")
    return found


def default_policies(source: str) -> list[str]:
    start = source.index("pub static DEFAULT_POLICIES")
    block = source[start:source.index("});", start)]
    consts = dict(_CONST.findall(source))
    names = re.findall(r"\n\s*\(\n\s*(\"[^\"]+\"|[A-Z_]+),", block)
    return sorted(n.strip('"') if n.startswith('"') else consts[n] for n in names)


def build(repo: str, tag: str) -> dict:
    return {
        "release": tag,
        "source": f"rustfs/rustfs {tag}: {ACTIONS} (Action::try_from, the strum serialize names of S3Action, "
                  f"AdminAction, StsAction, KmsAction); {POLICY} (DEFAULT_POLICIES)",
        "wildcard": {"*": "s3:*"},
        "actions": actions(show(repo, tag, ACTIONS)),
        "defaultPolicies": default_policies(show(repo, tag, POLICY)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default="/work/.mirror/rustfs+rustfs/repo")
    parser.add_argument("--tag", default="1.0.0-rc.3")
    args = parser.parse_args()
    OUT.write_text(json.dumps(build(args.repo, args.tag), indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
