"""The fake AWS refuses user data over EC2's 16 KB limit (counted before base64), as EC2 does."""

from __future__ import annotations

import base64

import pytest

from preflight.fake_aws import _RESOURCES, FakeAws
from preflight.fake_limits import USER_DATA_LIMIT, IamValidationError, InvalidUserData

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


@pytest.mark.parametrize(("type_token", "key", "encode"), [
    (LAUNCH_TEMPLATE, "userData", True), ("aws:ec2/instance:Instance", "userDataBase64", True),
    ("aws:ec2/instance:Instance", "userData", False)])
def test_the_fake_aws_refuses_user_data_over_16_kb_before_base64(type_token, key, encode):
    handler = _RESOURCES[type_token]
    fake = FakeAws("us-east-1")

    def value(size: int) -> str:
        raw = b"#" * size
        return base64.b64encode(raw).decode() if encode else raw.decode()

    handler(fake, "n", {key: value(USER_DATA_LIMIT)})  # at the limit: accepted (its base64 is ~21.8 KB)
    with pytest.raises(InvalidUserData, match="limited to 16384 bytes"):
        handler(fake, "n", {key: value(USER_DATA_LIMIT + 1)})


def test_the_fake_iam_refuses_a_maximum_session_outside_one_to_twelve_hours():
    handler = _RESOURCES["aws:iam/role:Role"]
    fake = FakeAws("us-east-1")
    for accepted in (3_600, 43_200):
        handler(fake, "ops", {"maxSessionDuration": accepted})
    for refused in (1_800, 43_201):
        with pytest.raises(IamValidationError, match="between 3600 and 43200"):
            handler(fake, "ops", {"maxSessionDuration": refused})


def test_the_config_refuses_an_operator_session_iam_would_refuse():
    from test_config import BASE

    from rustfs_aws.config import ConfigError, parse

    raw = {**BASE, "security": {"operatorSessionSeconds": 1_800}}
    with pytest.raises(ConfigError, match="security.operatorSessionSeconds: got 1800; allowed range 3,600–43,200"):
        parse(raw, stack="t", region="us-east-1")
