"""Pack-wide properties: naming, metadata, levels, SDK-derived type lists, stack configs, README table."""

from __future__ import annotations

import json
import re

import pytest
from policy_harness import PACK_DIR, running_pack

from preflight.analyzer import resolve_policy_config

NAME = re.compile(r"^rustfs-[a-z0-9]+-[a-z0-9]+-(require|disallow|restrict|allow)-[a-z0-9-]+$")


@pytest.fixture(scope="module")
def info():
    with running_pack() as pack:
        yield pack.info()


def test_policy_names_follow_the_scheme_and_are_unique(info):
    names = [p["name"] for p in info["policies"]]
    assert len(names) == len(set(names))
    assert [n for n in names if not NAME.match(n)] == []


def test_every_policy_has_metadata_and_the_level_its_severity_implies(info):
    for policy in info["policies"]:
        assert policy["description"] and policy["severity"] in {"low", "medium", "high", "critical"}, policy["name"]
        assert policy["tags"], f"{policy['name']} has no topics"
        expected = "mandatory" if policy["severity"] in ("high", "critical") else "advisory"
        assert policy["enforcementLevel"] == expected, policy["name"]


def test_frameworks_name_the_checks_each_policy_covers(info):
    mapped = [p for p in info["policies"] if p["framework"].get("reference")]
    assert len(mapped) >= 70
    references = " ".join(p["framework"]["reference"] for p in mapped)
    for anchor in ("CKV_AWS_79", "CKV_AWS_8", "CKV2_AWS_11", "CKV_AWS_24", "CKV_AWS_7", "CKV_AWS_62", "CKV_AWS_286",
                   "CKV_AWS_145", "CKV_AWS_67", "CKV_AWS_158", "CKV_AWS_58", "CKV_AWS_34", "CKV_AWS_149",
                   "CKV_AWS_153", "EC2.8", "S3.5", "IAM.1", "KMS.4"):
        assert anchor in references, anchor


def test_every_aws_type_a_policy_names_exists_in_pulumi_aws():
    import rustfs_guardrails  # noqa: F401 - registers the policies
    from rustfs_guardrails._kit import AWS_TYPES, REGISTRY

    unknown = {t for meta in REGISTRY.values() for t in meta["types"] if t.startswith("aws:") and t not in AWS_TYPES}
    assert unknown == set()


def test_taggable_type_list_matches_the_installed_sdk():
    from pathlib import Path

    import pulumi_aws
    from tools.generate_aws_tagging_data import scan

    scanned = scan(Path(pulumi_aws.__file__).parent)
    data = json.loads((PACK_DIR / "rustfs_guardrails" / "data" / "aws_tagging.json").read_text())
    assert set(data["taggable"]) == {t for t, taggable in scanned.items() if taggable}
    # spot checks of the derivation against the anchor list of non-taggable types
    for not_taggable in ("aws:ec2/securityGroupRule:SecurityGroupRule", "aws:s3/bucketPolicy:BucketPolicy",
                         "aws:kms/alias:Alias", "aws:iam/rolePolicy:RolePolicy", "aws:cfg/recorder:Recorder"):
        assert not_taggable in data["notTaggable"]
    assert "aws:ebs/volume:Volume" in data["taggable"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_policy_configs_are_valid(info, stack):
    config = json.loads((PACK_DIR / "config" / f"{stack}.json").read_text())
    resolved = resolve_policy_config(info["policies"], config)
    assert resolved["rustfs-rustfs-cluster-require-resilient-topology"][1]["minAzs"] == 3


def test_readme_table_lists_every_policy(info):
    readme = (PACK_DIR / "README.md").read_text()
    missing = [p["name"] for p in info["policies"] if f"`{p['name']}`" not in readme]
    assert missing == []
