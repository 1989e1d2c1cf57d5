"""Regenerates rustfs_guardrails/data/aws_tagging.json from the installed pulumi-aws SDK.

A resource type is taggable when its constructor accepts ``tags`` (the SDK's own signature, not a
hand-kept list). Run after upgrading pulumi-aws:  python policies/tools/generate_aws_tagging_data.py
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "rustfs_guardrails" / "data" / "aws_tagging.json"
_TOKEN = re.compile(r"super\(\w+, __self__\).__init__\(\s*'(aws:[^']+)'")
_INIT = re.compile(r"def _internal_init\(__self__,(.*?)__props__=None\)", re.S)


def scan(sdk_root: Path) -> dict[str, bool]:
    """Maps every aws resource type token to whether its args accept ``tags``."""
    result: dict[str, bool] = {}
    for path in sorted(sdk_root.rglob("*.py")):
        text = path.read_text()
        token = _TOKEN.search(text)
        init = _INIT.search(text)
        if token and init:
            result[token.group(1)] = re.search(r"^\s*tags:", init.group(1), re.M) is not None
    return result


def main() -> int:
    import pulumi_aws

    sdk_root = Path(pulumi_aws.__file__).parent
    types = scan(sdk_root)
    data = {
        "pulumiAwsVersion": importlib.metadata.version("pulumi-aws"),
        "taggable": sorted(t for t, taggable in types.items() if taggable),
        "notTaggable": sorted(t for t, taggable in types.items() if not taggable),
    }
    OUT.write_text(json.dumps(data, indent=0) + "\n")
    print(f"{len(data['taggable'])} taggable, {len(data['notTaggable'])} not taggable -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
