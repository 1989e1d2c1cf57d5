"""CloudTrail can use the storage key for a trail whose bucket uses an S3 Bucket Key with it.

"If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are required to create
or update a trail with SSE-KMS encryption enabled" (CloudTrail User Guide, "Configure AWS KMS key policies for
CloudTrail"). A service principal is never covered by the account's IAM statement, so the key policy must name
it in both key-administration modes.
"""

from __future__ import annotations

import pytest

from rustfs_aws.security.key_policies import key_policy, trail_arn

ACCOUNT, REGION, TRAIL = "123456789012", "eu-west-1", "rustfs-dev-trail"


@pytest.mark.parametrize("admin", [None, "arn:aws:iam::123456789012:role/KeyAdmin"])
def test_cloudtrail_may_encrypt_describe_and_decrypt_only_for_this_trail(admin):
    policy = key_policy("storage", name="rustfs-dev", account_id=ACCOUNT, partition="aws", region=REGION,
                        key_admin_role_arn=admin, trail_name=TRAIL)
    granted = {}
    for s in policy["Statement"]:
        if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}:
            assert s["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn("aws", REGION, ACCOUNT, TRAIL)
            granted.update(dict.fromkeys(s["Action"], s["Sid"]))
    assert {"kms:GenerateDataKey*", "kms:DescribeKey", "kms:Decrypt"} <= set(granted), granted


def test_no_cloudtrail_grant_without_a_trail():
    policy = key_policy("storage", name="rustfs-dev", account_id=ACCOUNT, partition="aws", region=REGION)
    assert not [s for s in policy["Statement"] if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}]
