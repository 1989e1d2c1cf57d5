"""First boot orders itself: every Auto Scaling group waits for what its nodes read at boot.

A group's instance boots as soon as the group exists and reads its secrets at once. A secret's ARN exists
before its value does (`aws.secretsmanager.Secret` and `SecretVersion` are two resources; a TLS version is
written only after the load balancer exists, its DNS name is in the certificate): a node that reads a
secret without a version gets ResourceNotFoundException (GetSecretValue: "Secrets Manager can't find the
specified secret value for staging label: AWSCURRENT"). So the test is over the class, not one secret:
every secret ARN in the user data a group launches with must have its versions among the group's
transitive dependencies in the recorded dev and prod stacks.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache

import pytest
import yaml
from user_data import decode_user_data, env_file

from preflight.runner import run_stack

GROUP = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+")
STACKS = ["dev", "prod"]


@cache
def rec(stack: str):
    return run_stack(stack)


def transitive_dependencies(r, urn: str) -> set[str]:
    """Every resource the engine must finish before `urn`: dependencies and property dependencies, closed."""
    by_urn = {x.urn: x for x in r.resources}
    seen: set[str] = set()
    todo = [urn]
    while todo:
        res = by_urn[todo.pop()]
        direct = {*res.dependencies, *(u for urns in res.property_dependencies.values() for u in urns)}
        for dep in direct - seen:
            seen.add(dep)
            todo.append(dep)
    return seen


def user_data_of(r, group) -> str:
    """The decoded user data of the launch template the group launches from (by name, as the group names it)."""
    name = group.inputs["launchTemplate"]["name"]
    [template] = [t for t in r.of_type(LAUNCH_TEMPLATE) if t.inputs["name"] == name]
    return decode_user_data(template.inputs["userData"])


def secret_reads(r, group) -> set[str]:
    """Secret ARNs anywhere in the user data of the group's launch template (every file it writes)."""
    return set(SECRET_ARN.findall(user_data_of(r, group)))


def versions_by_secret_arn(r) -> dict[str, list[str]]:
    arn_of = {s.urn: s.outputs["arn"] for s in r.of_type(SECRET)}
    out: dict[str, list[str]] = {arn: [] for arn in arn_of.values()}
    for version in r.of_type(SECRET_VERSION):
        for secret_urn in version.property_dependencies.get("secretId", []):
            out[arn_of[secret_urn]].append(version.urn)
    return out


def unordered_reads(r, groups) -> list[str]:
    """Each (group, secret version) where the group may launch an instance before the version exists."""
    versions = versions_by_secret_arn(r)
    problems = []
    for group in groups:
        reads = secret_reads(r, group)
        assert len(reads) >= 2, f"{group.name}: expected the root credentials and the node's TLS secret, got {reads}"
        before = transitive_dependencies(r, group.urn)
        for arn in sorted(reads):
            assert arn in versions, f"{group.name} reads {arn}, which is no secret of the stack"
            if not versions[arn]:
                problems.append(f"{group.name}: {arn} has no SecretVersion at all")
            problems += [f"{group.name} can launch before {v} exists (its nodes read {arn} at boot)"
                         for v in versions[arn] if v not in before]
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_every_group_waits_for_every_secret_version_its_user_data_reads(stack):
    r = rec(stack)
    groups = r.of_type(GROUP)
    assert groups, "no Auto Scaling groups recorded"
    problems = unordered_reads(r, groups)
    assert not problems, "\n".join(problems)


def test_the_check_refuses_a_group_that_only_knows_the_secret_arns():
    """The ARN in the user data and in the node role's policy leads to the Secret, not to its version: with the
    group's edges to the versions removed, the check must fail for every secret the node reads."""
    r = rec("dev")
    versions = {v.urn for v in r.of_type(SECRET_VERSION)}
    group = r.of_type(GROUP)[0]
    stripped = dataclasses.replace(group, dependencies=[d for d in group.dependencies if d not in versions],
                                   property_dependencies={k: [u for u in v if u not in versions]
                                                          for k, v in group.property_dependencies.items()})
    r2 = dataclasses.replace(r, resources=[stripped if x is group else x for x in r.resources])
    assert len(unordered_reads(r2, [stripped])) == len(secret_reads(r, group))


@pytest.mark.parametrize("stack", STACKS)
def test_the_boot_bound_ends_before_the_groups_health_check_grace(stack):
    """The node decides within its bound and tells the group itself (set-instance-health, ignoring the grace
    period); the group's own EC2 checks do not start before the bound has run out."""
    r = rec(stack)
    for group in r.of_type(GROUP):
        files = {f["path"]: f["content"] for f in yaml.safe_load(user_data_of(r, group))["write_files"]}
        bound = int(env_file(files["/etc/rustfs/bootstrap.env"])["BOOT_READY_TIMEOUT_SECONDS"])
        assert 600 <= bound < group.inputs["healthCheckGracePeriod"], (group.name, bound)
