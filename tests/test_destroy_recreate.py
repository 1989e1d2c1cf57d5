"""A non-prod stack destroys and re-creates cleanly; prod refuses to destroy its data.

The destroy is modelled by preflight/fake_lifecycle.py (mocks have no delete): AWS's deletion rules per
resource type applied to what the stack declares, then the same stack created again in that account.
"""

from __future__ import annotations

import copy
import dataclasses
from functools import cache

import pytest

from preflight.fake_aws import UnknownToFake
from preflight.fake_lifecycle import BUCKETS, SECRET, ZONE, AccountLifecycle
from preflight.runner import Recording, run_stack

VOLUME = "aws:ebs/volume:Volume"


@cache
def recording(stack: str) -> Recording:
    return run_stack(stack)


def with_inputs(rec: Recording, type_token: str, **inputs) -> Recording:
    """The recording with ``inputs`` set on every resource of one type (what a regression would declare)."""
    resources = [dataclasses.replace(r, inputs={**copy.deepcopy(r.inputs), **inputs}) if r.type == type_token else r
                 for r in rec.resources]
    return dataclasses.replace(rec, resources=resources)


def test_dev_destroys_and_recreates_cleanly():
    account = AccountLifecycle()
    rec = recording("dev")
    result = account.destroy(rec)
    assert result.refused == [] and result.left_behind == []
    assert account.recreate(rec) == []


def test_the_model_sees_every_resource_of_this_class():
    """Secrets, buckets and the zone the nodes write to exist in dev, so the test above is not vacuous."""
    types = {r.type for r in recording("dev").resources}
    assert SECRET in types and set(BUCKETS) & types and ZONE in types


@pytest.mark.parametrize("window", [7, 30])
def test_a_fixed_name_secret_with_a_recovery_window_blocks_the_re_create(window):
    rec = with_inputs(recording("dev"), SECRET, recoveryWindowInDays=window)
    account = AccountLifecycle()
    assert account.destroy(rec).refused == []
    errors = account.recreate(rec)
    assert errors and all("already scheduled for deletion" in e for e in errors)
    later = AccountLifecycle(days_since_destroy=window)
    later.destroy(rec)
    assert later.recreate(rec) == []  # the name is free once the window has passed


def test_a_secret_without_a_window_gets_aws_default_of_30_days():
    rec = recording("dev")
    bare = dataclasses.replace(rec, resources=[
        dataclasses.replace(r, inputs={k: v for k, v in r.inputs.items() if k != "recoveryWindowInDays"})
        if r.type == SECRET else r for r in rec.resources])
    account = AccountLifecycle(days_since_destroy=29)
    account.destroy(bare)
    assert account.recreate(bare)


def test_a_bucket_without_force_destroy_fails_the_destroy():
    rec = with_inputs(recording("dev"), BUCKETS[0], forceDestroy=False)
    refused = AccountLifecycle().destroy(rec).refused
    assert refused and all("BucketNotEmpty" in r for r in refused)


def test_the_zone_the_nodes_write_records_to_needs_force_destroy():
    rec = with_inputs(recording("dev"), ZONE, forceDestroy=False)
    refused = AccountLifecycle().destroy(rec).refused
    assert len(refused) == 1 and "HostedZoneNotEmpty" in refused[0]


def test_prod_refuses_to_destroy_its_data_and_its_re_up_meets_no_reserved_name():
    account = AccountLifecycle()
    rec = recording("prod")
    refused = account.destroy(rec).refused
    protected = {r.name for r in rec.resources if r.protect}
    for must_survive in (VOLUME, SECRET, *BUCKETS, "aws:kms/key:Key"):
        declared = {r.name for r in rec.of_type(must_survive)}
        assert declared <= protected, (must_survive, declared - protected)
    # Only refusals that keep something: protected resources, and the zone the nodes' records live in.
    assert all("protected" in r or "HostedZoneNotEmpty" in r for r in refused), refused
    # Everything unprotected was deleted (the worst case); the next `up` re-creates it without a conflict.
    assert account.recreate(rec) == []


def test_a_type_the_model_does_not_know_fails_loudly():
    rec = recording("dev")
    unknown = dataclasses.replace(rec.resources[-1], type="aws:new/thing:Thing", custom=True, protect=False)
    with pytest.raises(UnknownToFake, match="classify it"):
        AccountLifecycle().destroy(dataclasses.replace(rec, resources=[*rec.resources, unknown]))
