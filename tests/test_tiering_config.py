"""The tiering, replication and encryption config sections: defaults, and every refusal naming its key."""

import copy

import pytest

from rustfs_aws.config import ConfigError, parse
from rustfs_aws.integrations.settings import Transitions

BASE = {
    "environment": "dev",
    "tags": {"Owner": "team-storage", "CostCenter": "cc-1"},
    "network": {"cidr": "10.40.0.0/16", "azCount": 2, "natGateways": "single"},
    "cluster": {"platform": "ec2", "nodes": 4, "drivesPerNode": 2, "instanceType": "m6i.large",
                "rustfsVersion": "1.0.1",
                "volume": {"type": "gp3", "sizeGiB": 100, "iops": 3000, "throughputMiBps": 125}},
}
ON = {**BASE, "tiering": {"enabled": True}, "replication": {"enabled": True, "region": "us-west-2"},
      "encryption": {"sse": "aws"}}


def cfg(raw: dict):
    return parse(raw, stack="t", region="us-east-1").integrations


def problems(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse(raw, stack="t", region="us-east-1")
    return exc.value.problems


def with_(raw: dict, section: str, **values) -> dict:
    out = copy.deepcopy(raw)
    out.setdefault(section, {}).update(values)
    return out


def test_everything_is_off_by_default():
    i = cfg(BASE)
    assert not i.tiering.enabled and not i.replication.enabled and i.encryption.sse == "off"


def test_defaults_are_the_issues_lifecycle_and_a_replica_in_standard_ia():
    i = cfg(ON)
    assert i.tiering.transitions.rules() == [(30, "STANDARD_IA"), (90, "GLACIER_IR"), (365, "DEEP_ARCHIVE")]
    assert (i.tiering.tier_name, i.tiering.prefix, i.tiering.storage_class) == ("S3TIER", "rustfs", "STANDARD")
    assert i.tiering.noncurrent_expiration_days == 30 and i.tiering.abort_multipart_days == 7
    assert i.tiering.key_version == 1 and i.tiering.previous_key_version is None
    assert i.replication.storage_class == "STANDARD_IA" and i.replication.delete_markers
    assert not i.replication.replication_time_control and not i.replication.metrics


@pytest.mark.parametrize(("name", "words"), [
    ("s3tier", "TierNameNotUppercase"), ("STANDARD", "reserves STANDARD and RRS"), ("RRS", "reserves"),
    ("9TIER", "upper-case tier name")])
def test_a_tier_name_rustfs_would_refuse_is_refused(name, words):
    [problem] = problems(with_(ON, "tiering", tierName=name))
    assert problem.startswith("rustfs-aws:tiering.tierName:") and words in problem


def test_transitions_follow_s3s_lifecycle_rules():
    [ia] = problems(with_(ON, "tiering", transitions={"standardIaDays": 20}))
    assert ia.startswith("rustfs-aws:tiering.transitions.standardIaDays:") and "30" in ia
    # Glacier IR only 30 days after Standard-IA (S3: 'must be 30 days more than ... STANDARD_IA')
    [gap] = problems(with_(ON, "tiering", transitions={"standardIaDays": 30, "glacierIrDays": 45}))
    assert gap.startswith("rustfs-aws:tiering.transitions.glacierIrDays:") and "at least 60" in gap
    [order] = problems(with_(ON, "tiering", transitions={"glacierIrDays": 120, "deepArchiveDays": 100}))
    assert order.startswith("rustfs-aws:tiering.transitions.deepArchiveDays:") and "at least 121" in order
    only_deep = cfg(with_(ON, "tiering", transitions={"standardIaDays": None, "glacierIrDays": None}))
    assert only_deep.tiering.transitions == Transitions(None, None, 365)


def test_intelligent_tiering_has_its_own_archive_tiers_and_no_standard_ia_step():
    it = with_(ON, "tiering", storageClass="INTELLIGENT_TIERING", intelligentTiering={"archiveDays": 90})
    t = cfg(it).tiering
    assert t.transitions.rules() == [(365, "DEEP_ARCHIVE")] and t.intelligent_tiering.archive_days == 90
    [problem] = problems(with_(it, "tiering", transitions={"standardIaDays": 30}))
    assert problem.startswith("rustfs-aws:tiering.transitions:") and "STANDARD_IA" in problem
    [early] = problems(with_(it, "tiering", intelligentTiering={"archiveDays": 60}))
    assert early.startswith("rustfs-aws:tiering.intelligentTiering.archiveDays:") and "90–730" in early
    [wrong_class] = problems(with_(ON, "tiering", intelligentTiering={"archiveDays": 90}))
    assert wrong_class.startswith("rustfs-aws:tiering.intelligentTiering:") and "INTELLIGENT_TIERING" in wrong_class


def test_archive_classes_are_not_a_write_class_rustfs_could_read_back():
    [problem] = problems(with_(ON, "tiering", storageClass="DEEP_ARCHIVE"))
    assert problem.startswith("rustfs-aws:tiering.storageClass:") and "GLACIER_IR" in problem


def test_a_rotation_keeps_the_previous_key_only_below_the_current_one():
    t = cfg(with_(ON, "tiering", keyVersion=2, previousKeyVersion=1)).tiering
    assert (t.key_version, t.previous_key_version) == (2, 1)
    [problem] = problems(with_(ON, "tiering", keyVersion=2, previousKeyVersion=2))
    assert problem.startswith("rustfs-aws:tiering.previousKeyVersion:") and "lower than tiering.keyVersion" in problem


def test_replication_needs_another_region_the_tier_and_metrics_with_rtc():
    [same] = problems(with_(ON, "replication", region="us-east-1"))
    assert same.startswith("rustfs-aws:replication.region:") and "another region" in same
    [missing] = problems(with_(ON, "replication", region=None))
    assert missing.startswith("rustfs-aws:replication.region:")
    [no_tier] = problems(with_(ON, "tiering", enabled=False))
    assert no_tier.startswith("rustfs-aws:replication.enabled:") and "tiering.enabled" in no_tier
    assert cfg(with_(ON, "replication", replicationTimeControl=True)).replication.metrics  # on with RTC by default
    [rtc] = problems(with_(ON, "replication", replicationTimeControl=True, metrics=False))
    assert rtc.startswith("rustfs-aws:replication.metrics:") and "Replication Time Control" in rtc


def test_remote_targets_are_https_uniquely_named_and_need_no_tier():
    target = {"name": "dr-site", "bucket": "orders", "endpoint": "rustfs.dr.example.com:9000",
              "targetBucket": "orders-replica"}
    r = cfg(with_(BASE, "replication", remoteTargets=[target])).replication
    assert [t.name for t in r.remote_targets] == ["dr-site"] and r.remote_targets[0].secure
    [plain] = problems(with_(BASE, "replication", remoteTargets=[{**target, "secure": False}]))
    assert plain.startswith("rustfs-aws:replication.remoteTargets[0].secure:")
    [twice] = problems(with_(BASE, "replication", remoteTargets=[target, target]))
    assert twice.startswith("rustfs-aws:replication.remoteTargets:") and "once" in twice
    [scheme] = problems(with_(BASE, "replication", remoteTargets=[{**target, "endpoint": "https://x:9000"}]))
    assert scheme.startswith("rustfs-aws:replication.remoteTargets[0].endpoint:") and "without scheme" in scheme
    t = r.remote_targets[0]  # its bucket-replication rule: delete markers and existing objects, kept unless delete
    assert (t.delete_markers, t.existing_objects, t.delete) == (True, True, False)
    t = cfg(with_(BASE, "replication", remoteTargets=[{**target, "deleteMarkers": False, "existingObjects": False,
                                                         "delete": True}])).replication.remote_targets[0]
    assert (t.delete_markers, t.existing_objects, t.delete) == (False, False, True)
    [flag] = problems(with_(BASE, "replication", remoteTargets=[{**target, "delete": "yes"}]))
    assert flag.startswith("rustfs-aws:replication.remoteTargets[0].delete:")



def test_a_remote_target_of_a_declared_bucket_needs_its_versioning():
    """RustFS refuses set-remote-target for an unversioned source (bucket_target_sys.rs validate_target)."""
    target = {"name": "dr-site", "bucket": "orders", "endpoint": "rustfs.dr.example.com:9000",
              "targetBucket": "orders-replica"}
    raw = with_(BASE, "replication", remoteTargets=[target])
    for bucket in ({"name": "orders"}, {"name": "orders", "versioning": "suspended"}):
        [unversioned] = problems({**raw, "rustfs": {"buckets": [bucket]}})
        assert unversioned.startswith("rustfs-aws:replication.remoteTargets[0].bucket:")
        assert "versioning: enabled" in unversioned
    for ok in ({"name": "orders", "versioning": "enabled"},
               {"name": "orders", "versioning": "enabled", "objectLock": {"mode": "GOVERNANCE", "days": 1}},
               {"name": "other"}):
        assert cfg({**raw, "rustfs": {"buckets": [ok]}}).replication.remote_targets


def test_a_transition_names_the_tier_the_stack_registers():
    """RustFS refuses a lifecycle transition to a tier it does not know (validate_transition_tier)."""
    bucket = {"name": "orders", "lifecycle": [{"id": "cold", "transitionDays": 60, "transitionTier": "S3TIER"}]}
    assert cfg({**ON, "rustfs": {"buckets": [bucket]}}).tiering.tier_name == "S3TIER"
    [off] = problems({**BASE, "rustfs": {"buckets": [bucket]}})
    assert off.startswith("rustfs-aws:rustfs.buckets[0].lifecycle[0].transitionTier:") and "tiering.enabled" in off
    [other] = problems({**with_(ON, "tiering", tierName="COLD"), "rustfs": {"buckets": [bucket]}})
    assert other.startswith("rustfs-aws:rustfs.buckets[0].lifecycle[0].transitionTier:") and "COLD" in other

def test_sse_local_is_refused_with_rustfs_own_reason():
    [problem] = problems(with_(BASE, "encryption", sse="local"))
    assert problem.startswith("rustfs-aws:encryption.sse:") and "unsupported for more than one node" in problem
    [unknown] = problems(with_(BASE, "encryption", sse="vault"))
    assert "allowed values: aws | local | off" in unknown


def test_eks_mode_refuses_the_integrations_the_ec2_nodes_carry():
    eks = copy.deepcopy(ON)
    eks["cluster"] = {**eks["cluster"], "platform": "eks", "nodes": 6, "instanceType": "m6i.2xlarge"}
    eks["network"] = {**eks["network"], "azCount": 3}
    found = [p for p in problems(eks) if "only with cluster.platform: ec2" in p]
    assert {p.split(":")[1] for p in found} == {"tiering.enabled", "replication.enabled", "encryption.sse"}


def test_unknown_keys_are_named():
    [problem] = problems(with_(ON, "tiering", lifecycleDays=30))
    assert problem.startswith("rustfs-aws:tiering.lifecycleDays:") and "known keys here" in problem
