"""The Iam component as the program declares it, and grant_node_access under the fake AWS."""

from __future__ import annotations

import json
from functools import cache

import pulumi
import pytest

from preflight.fake_aws import ACCOUNT_ID
from preflight.runner import run_stack
from rustfs_aws.security.iam import Iam, IamArgs, NodeAccessInputs
from rustfs_aws.security.iam_documents import (
    NodeAccess,
    cross_account_policy,
    node_policy,
    operator_policy,
    permissions_boundary,
)

ROLE = "aws:iam/role:Role"
OPS = "arn:aws:iam::123456789012:role/StorageOps"
EXTERNAL_ID = "dr-account-external-id-1"


@cache
def recording(stack: str = "dev", with_optional_roles: bool = False):
    overrides = None
    if with_optional_roles:
        overrides = {"rustfs-aws:security": {
            "operatorPrincipals": [OPS], "operatorSessionSeconds": 7200,
            "crossAccount": {"accountId": "210987654321", "externalId": EXTERNAL_ID}}}
    return run_stack(stack, overrides=overrides)


def roles(rec) -> dict[str, object]:
    return {r.outputs["name"]: r for r in rec.of_type(ROLE)}


@pytest.mark.parametrize("optional", [False, True])
def test_every_role_of_the_stack_is_under_the_permissions_boundary(optional):
    rec = recording(with_optional_roles=optional)
    boundary = rec.one("aws:iam/policy:Policy", "rustfs-dev-iam-permissions-boundary")
    assert json.loads(boundary.inputs["policy"]) == permissions_boundary(name="rustfs-dev", stack="dev",
                                                                         partition="aws")
    assert rec.of_type(ROLE), "no roles declared"
    for role in rec.of_type(ROLE):
        assert role.inputs.get("permissionsBoundary") == boundary.outputs["arn"], role.name


def test_node_role_has_ssm_core_and_an_instance_profile():
    rec = recording()
    node = roles(rec)["rustfs-dev-node"]
    trust = json.loads(node.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Sid": "ServiceAssumesRole", "Effect": "Allow",
                      "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    attachment = rec.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "rustfs-dev-iam-node-ssm")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    assert attachment.inputs["role"] == node.outputs["name"]
    profile = rec.one("aws:iam/instanceProfile:InstanceProfile")
    assert profile.inputs["role"] == node.outputs["name"]


def test_operator_and_cross_account_roles_only_when_configured():
    assert set(roles(recording())) & {"rustfs-dev-operator", "rustfs-dev-cross-account"} == set()
    rec = recording(with_optional_roles=True)
    operator = roles(rec)["rustfs-dev-operator"]
    assert operator.inputs["maxSessionDuration"] == 7200
    trust = json.loads(operator.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"AWS": [OPS]}
    assert trust["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    policies = {p.name: json.loads(p.inputs["policy"]) for p in rec.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert policies["rustfs-dev-iam-operator"] == operator_policy(
        partition="aws", region="us-east-1", account_id=ACCOUNT_ID, name="rustfs-dev", stack="dev")
    cross = json.loads(roles(rec)["rustfs-dev-cross-account"].inputs["assumeRolePolicy"])["Statement"][0]
    assert cross["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    assert policies["rustfs-dev-iam-cross-account"] == cross_account_policy(region="us-east-1")


# --- grant_node_access: the storage cluster hands in the ARNs it creates ------------------------------

@pulumi.runtime.test
def test_grant_node_access_builds_the_node_policy_from_the_clusters_outputs(capture):
    iam = Iam("t-iam", IamArgs(name="rustfs-dev", stack="dev", account_id=ACCOUNT_ID, partition="aws",
                               region="us-east-1", tags={"Project": "p"}))
    secret = pulumi.Output.from_input(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:rustfs/dev/root-credentials-x1")
    group = pulumi.Output.from_input("arn:aws:logs:us-east-1:123456789012:log-group:/rustfs/rustfs-dev/rustfs")
    policy = iam.grant_node_access(NodeAccessInputs(
        secret_arns=[secret], secrets_key_arn="arn:aws:kms:us-east-1:123456789012:key/s",
        data_key_arn="arn:aws:kms:us-east-1:123456789012:key/d", log_group_arns=[group],
        hosted_zone_id=pulumi.Output.from_input("Z42"), record_domain="dev.rustfs.internal"))

    def check(values):
        document, role_id = values
        expected = node_policy(NodeAccess(
            partition="aws", region="us-east-1", account_id=ACCOUNT_ID, stack="dev",
            secret_arns=["arn:aws:secretsmanager:us-east-1:123456789012:secret:rustfs/dev/root-credentials-x1"],
            secrets_key_arn="arn:aws:kms:us-east-1:123456789012:key/s",
            data_key_arn="arn:aws:kms:us-east-1:123456789012:key/d",
            log_group_arns=["arn:aws:logs:us-east-1:123456789012:log-group:/rustfs/rustfs-dev/rustfs"],
            hosted_zone_id="Z42", record_domain="dev.rustfs.internal"))
        assert json.loads(document) == expected
        assert role_id == "rustfs-dev-node"

    return pulumi.Output.all(policy.policy, policy.role).apply(check)


def test_eks_stack_declares_no_ec2_node_role_nor_instance_profile():
    """EKS mode's nodes have the platform's own role; the EC2 node role and its profile would be unused."""
    rec = run_stack("eks")
    assert rec.of_type("aws:iam/instanceProfile:InstanceProfile") == []
    assert "rustfs-eks-node" not in roles(rec)
    assert [a for a in rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if a.name.endswith("-iam-node-ssm")] == []
