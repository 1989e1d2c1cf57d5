import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402
from capturing_mocks import capture, program_monitors  # noqa: E402, F401 (the fixture of tests that run one component alone)
from moto_server import moto_endpoint  # noqa: E402, F401 (a fixture)
from reconciler_world import rustfs_node  # noqa: E402, F401 (a fixture: one RustFS node for the reconciler)

# Helper modules assert too; rewrite them so a failure shows the compared values, as in test files.
pytest.register_assert_rewrite("aws_cli_scan", "dev_node", "fake_aws_cli", "iam_actions", "iam_eval", "iam_review",
                               "node_iam_requests", "policy_harness", "shell_lexer", "user_data", "checkov_render")
