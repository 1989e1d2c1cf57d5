"""Exactly one node acts: the lease is a DynamoDB item taken and renewed only by conditional writes (moto's DynamoDB
evaluates the condition expressions), it survives the loss of its holder by expiring, and a node that lost it
writes neither to RustFS nor to the ledger."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from reconciler_world import CLUSTER, REGION, STATE

import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler
from rustfs_aws.state.state import LEASE_SECONDS, table_name


class Clock:
    def __init__(self, now: float = 1_900_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def lease(w, holder: str, clock) -> reconciler.Lease:
    db = boto3.client("dynamodb", region_name=REGION, endpoint_url=w.aws)
    return reconciler.Lease(db, table_name(CLUSTER), CLUSTER, holder, LEASE_SECONDS, clock)


def test_two_nodes_at_once_one_holds_the_lease(rustfs_node):
    clock = Clock()
    a, b = lease(rustfs_node, "rustfs-1/a", clock), lease(rustfs_node, "rustfs-2/b", clock)
    # One after the other, not in threads: DynamoDB evaluates a conditional UpdateItem atomically (Developer Guide,
    # "Condition expressions"), moto's threaded server does not - two racing requests both passed under load.
    results = [(x.holder, x.acquire()) for x in (a, b)]
    assert sorted(ok for _, ok in results) == [False, True], results
    item = rustfs_node.client("dynamodb").get_item(TableName=table_name(CLUSTER), Key={"pk": {"S": CLUSTER}})["Item"]
    assert item["holder"]["S"] == next(h for h, ok in results if ok)
    assert int(item["expires"]["N"]) == int(clock.now + LEASE_SECONDS)


def test_a_holder_that_dies_is_replaced_after_the_lease_and_then_cannot_write(rustfs_node):
    clock = Clock()
    dead, heir = lease(rustfs_node, "rustfs-1/dead", clock), lease(rustfs_node, "rustfs-2/heir", clock)
    assert dead.acquire()
    dead.record("buckets", "orders")
    clock.now += LEASE_SECONDS - 1
    assert not heir.acquire()  # still held
    clock.now += 2
    assert heir.acquire()  # expired: taken over, the ledger kept
    assert heir.ledger["buckets"] == {"orders": {}}
    with pytest.raises(reconciler.LeaseLost):
        dead.record("buckets", "stray")  # the old holder comes back: its ledger write is refused
    clock.now += LEASE_SECONDS  # the dead one's lease view is stale too: ensure() must fail, not renew
    with pytest.raises(reconciler.LeaseLost):
        dead.ensure()
    assert "stray" not in rustfs_node.ledger()["buckets"]


def test_the_holder_renews_before_half_the_lease_is_gone(rustfs_node):
    clock = Clock()
    a = lease(rustfs_node, "rustfs-1/a", clock)
    assert a.acquire()
    clock.now += LEASE_SECONDS / 2 + 1
    a.ensure()
    assert a.expires == clock.now + LEASE_SECONDS
    clock.now += LEASE_SECONDS - 1
    assert not lease(rustfs_node, "rustfs-2/b", clock).acquire()  # renewed, so still held
    a.release()
    assert lease(rustfs_node, "rustfs-2/b", clock).acquire()  # released at the end of a run: the next may go at once


def test_of_two_concurrent_runs_only_one_touches_rustfs(rustfs_node):
    rustfs_node.publish(STATE)
    holding, done = threading.Event(), threading.Event()

    def pause(method, route):  # the first run is inside RustFS's admin API, holding the lease...
        holding.set()
        done.wait(30)

    rustfs_node.stub.pause = pause
    first = []
    t = threading.Thread(target=lambda: first.append(rustfs_node.run()))
    t.start()
    assert holding.wait(30)
    rustfs_node.stub.pause = None
    calls, admin = rustfs_node.calls_during(lambda: first.append(("second", rustfs_node.run())))
    done.set()
    t.join(60)
    assert ("second", 0) in first and 0 in first
    assert not admin and not [c for c in calls if c[0] != "HEAD"], (calls, admin)  # the second never acted
    assert "orders-rw" in rustfs_node.stub.policies  # the first did


def test_a_run_after_a_lost_holder_waits_for_the_expiry_then_acts(rustfs_node):
    rustfs_node.publish(STATE)
    now = time.time()
    stuck = lease(rustfs_node, "rustfs-3/lost", lambda: now)
    assert stuck.acquire()  # a node that died holding the lease
    _, admin = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not admin
    assert rustfs_node.run(clock=lambda: now + LEASE_SECONDS + 1) == 0
    assert "orders-rw" in rustfs_node.stub.policies
