"""Identities of the stack: permissions boundary, storage-node role, operator role, cross-account role.

The node role and its instance profile exist from the start in EC2 mode (launch templates need the profile);
in EKS mode (``ec2_nodes=False``) they do not exist at all: the EKS platform has its own node role and EKS
refuses an instance profile in a node group's launch template, so they would be an unused role. Its
inline policy needs ARNs other components create (secrets, log groups, hosted zone), so the composition
root calls ``Iam.grant_node_access(NodeAccessInputs(...))`` once they exist. Every policy is built
by ``iam_documents`` from plain strings.
"""

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.security.iam_documents import (
    SSM_MANAGED_POLICY,
    NodeAccess,
    cross_account_policy,
    cross_account_trust,
    node_policy,
    operator_policy,
    operator_trust,
    permissions_boundary,
    service_trust,
)
from rustfs_aws.tagging import resource_tags

MFA_MAX_AGE_SECONDS = 3_600  # operators must have signed in with MFA within the last hour


@dataclass
class IamArgs:
    """Inputs of ``Iam``."""

    name: str
    """The deployment's name (``rustfs-dev``): prefixes every role and policy name, and the permissions
    boundary allows writes only to resources under it."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag the roles' conditions select on."""
    account_id: pulumi.Input[str]
    """The AWS account ID the roles and their policies belong to."""
    partition: pulumi.Input[str]
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``) of the ARNs the policies name."""
    region: str
    """The AWS Region the operator and cross-account policies are scoped to."""
    operator_principals: list[str] | None = field(default_factory=list)
    """IAM principal ARNs that may assume the operator role (with MFA, signed in within the hour): Session
    Manager on the nodes, the restart documents, the monitoring. Empty: no operator role."""
    operator_session_seconds: int | None = 3_600
    """Maximum session of the operator role, in seconds (IAM's MaxSessionDuration: 3600 to 43200)."""
    cross_account_id: str | None = None
    """Account ID of a DR/backup account that may assume the cross-account role (with
    ``crossAccountExternalId``); unset: no cross-account role."""
    cross_account_external_id: str | None = None
    """The ExternalId the cross-account role requires."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every role, policy and profile, next to each one's ``Name``."""
    ec2_nodes: bool | None = True
    """Whether the storage nodes are EC2 instances of this stack (EC2 mode): only then the node role, its
    SSM policy attachment and its instance profile exist. False in EKS mode, whose nodes have their own role."""
    shared_secret_arns: pulumi.Input[list[str]] | None = None
    """Secrets of another stack that this stack's roles may use all the same (a DR secondary: the primary's
    replication credentials): the boundary's deny on other stacks' secrets spares exactly these."""
    shared_key_arns: pulumi.Input[list[str]] | None = None
    """The same for KMS keys of another stack (the key that encrypts those secrets)."""


@dataclass
class NodeAccessInputs:
    """ARNs the node role needs, created by other components; see iam_documents.NodeAccess for their meaning."""
    secret_arns: list[pulumi.Input[str]]
    secrets_key_arn: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    log_group_arns: list[pulumi.Input[str]]
    hosted_zone_id: pulumi.Input[str]
    record_domain: str
    metric_namespace: str = "RustFS"
    volume_tag: tuple[str, str] | None = None
    # SSM parameters the node reads (the node collector's configuration, observability/collector.py).
    parameter_arns: list[pulumi.Input[str]] = field(default_factory=list)
    # Statements of other components' node-side needs (operations/sessions.py, operations/patching.py), whose
    # ARNs may be outputs: the list is resolved with the rest.
    extra_statements: pulumi.Input[list[dict]] = field(default_factory=list)


class Iam(pulumi.ComponentResource):
    """The deployment's identities: a permissions boundary every role carries, the storage nodes' role and
    instance profile, the operator role (MFA) and the cross-account role. In Python also the resources:
    ``node_role``, ``node_instance_profile`` (None without ``ec2_nodes``), ``operator_role`` and
    ``cross_account_role`` (None when not configured), and ``grant_node_access``, the node role's policy once
    the cluster's ARNs exist."""

    permissions_boundary_arn: pulumi.Output[str]
    """ARN of the permissions boundary: pass it to every other component that creates roles."""
    node_role_arn: pulumi.Output[str] | None
    """ARN of the storage nodes' role (unset without ``ec2_nodes``)."""
    node_role_name: pulumi.Output[str] | None
    """Name of the storage nodes' role (unset without ``ec2_nodes``)."""
    node_instance_profile_arn: pulumi.Output[str] | None
    """ARN of the storage nodes' instance profile, the launch templates name it (unset without ``ec2_nodes``)."""
    node_instance_profile_name: pulumi.Output[str] | None
    """Name of the storage nodes' instance profile (unset without ``ec2_nodes``)."""
    operator_role_arn: pulumi.Output[str] | None
    """ARN of the operator role (unset without ``operatorPrincipals``)."""
    cross_account_role_arn: pulumi.Output[str] | None
    """ARN of the cross-account role (unset without ``crossAccountId`` and ``crossAccountExternalId``)."""

    def __init__(self, name: str, args: IamArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(IamArgs, args)
        super().__init__("rustfs:security:Iam", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        ids = pulumi.Output.all(args.account_id, args.partition)
        shared = pulumi.Output.all(args.shared_secret_arns or [], args.shared_key_arns or [])

        self.permissions_boundary = aws.iam.Policy(
            f"{name}-permissions-boundary", name=f"{args.name}-permissions-boundary",
            description=f"Ceiling for every role of rustfs stack {args.stack}",
            policy=pulumi.Output.all(ids, shared).apply(lambda v: json.dumps(permissions_boundary(
                name=args.name, stack=args.stack, partition=v[0][1], shared_secret_arns=list(v[1][0]),
                shared_key_arns=list(v[1][1])))),
            tags=self._tags(f"{args.name}-permissions-boundary"), opts=child)
        self.permissions_boundary_arn: pulumi.Output[str] = self.permissions_boundary.arn

        self.node_role: aws.iam.Role | None = None
        self.node_instance_profile: aws.iam.InstanceProfile | None = None
        if args.ec2_nodes:
            self.node_role = self.role("node", service_trust("ec2.amazonaws.com"),
                                       "Storage nodes of the RustFS cluster")
            node_opts = pulumi.ResourceOptions(parent=self.node_role)
            aws.iam.RolePolicyAttachment(
                f"{name}-node-ssm", role=self.node_role.name,
                policy_arn=pulumi.Output.concat("arn:", args.partition, ":iam::aws:policy/", SSM_MANAGED_POLICY),
                opts=node_opts)
            self.node_instance_profile = aws.iam.InstanceProfile(
                f"{name}-node", name=f"{args.name}-node", role=self.node_role.name,
                tags=self._tags(f"{args.name}-node"), opts=node_opts)

        self.operator_role: aws.iam.Role | None = None
        if args.operator_principals:
            self.operator_role = self.role(
                "operator", operator_trust(args.operator_principals, MFA_MAX_AGE_SECONDS),
                "Operators: Session Manager on this cluster's nodes and its monitoring (MFA required)",
                max_session_duration=args.operator_session_seconds)
            aws.iam.RolePolicy(
                f"{name}-operator", role=self.operator_role.id,
                policy=ids.apply(lambda v: json.dumps(operator_policy(
                    partition=v[1], region=args.region, account_id=v[0], name=args.name, stack=args.stack))),
                opts=pulumi.ResourceOptions(parent=self.operator_role))

        self.cross_account_role: aws.iam.Role | None = None
        if args.cross_account_id and args.cross_account_external_id:
            trust = pulumi.Output.from_input(args.partition).apply(lambda p: cross_account_trust(
                partition=p, account_id=args.cross_account_id, external_id=args.cross_account_external_id))
            self.cross_account_role = self.role(
                "cross-account", trust, f"DR/backup account {args.cross_account_id} (ExternalId required)")
            aws.iam.RolePolicy(
                f"{name}-cross-account", role=self.cross_account_role.id,
                policy=json.dumps(cross_account_policy(region=args.region)),
                opts=pulumi.ResourceOptions(parent=self.cross_account_role))

        self.node_role_arn = self.node_role.arn if self.node_role else None
        self.node_role_name = self.node_role.name if self.node_role else None
        self.node_instance_profile_arn = self.node_instance_profile.arn if self.node_instance_profile else None
        self.node_instance_profile_name = self.node_instance_profile.name if self.node_instance_profile else None
        self.operator_role_arn = self.operator_role.arn if self.operator_role else None
        self.cross_account_role_arn = self.cross_account_role.arn if self.cross_account_role else None
        self.register_outputs({
            "permissionsBoundaryArn": self.permissions_boundary_arn,
            "nodeRoleArn": self.node_role_arn,
            "nodeInstanceProfileArn": self.node_instance_profile_arn,
            "operatorRoleArn": self.operator_role.arn if self.operator_role else None,
            "crossAccountRoleArn": self.cross_account_role.arn if self.cross_account_role else None,
        })

    def role(self, purpose: str, trust: dict | pulumi.Output, description: str, *,
             max_session_duration: int | None = None) -> aws.iam.Role:
        """A role of this stack, always under the permissions boundary."""
        policy = pulumi.Output.json_dumps(trust) if isinstance(trust, pulumi.Output) else json.dumps(trust)
        return aws.iam.Role(
            f"{self._name}-{purpose}", name=f"{self._args.name}-{purpose}", assume_role_policy=policy,
            description=description, permissions_boundary=self.permissions_boundary_arn,
            max_session_duration=max_session_duration, tags=self._tags(f"{self._args.name}-{purpose}"),
            opts=pulumi.ResourceOptions(parent=self))

    def grant_node_access(self, access: NodeAccessInputs) -> aws.iam.RolePolicy:
        """The node role's one inline policy, built once the cluster's ARNs exist."""
        if self.node_role is None:
            raise ValueError("grant_node_access needs the EC2 node role: this Iam was created with ec2_nodes=False")
        a = self._args
        resolved = pulumi.Output.all(
            account_id=a.account_id, partition=a.partition, secret_arns=access.secret_arns,
            secrets_key_arn=access.secrets_key_arn, data_key_arn=access.data_key_arn,
            log_group_arns=access.log_group_arns, hosted_zone_id=access.hosted_zone_id,
            extra_statements=access.extra_statements, parameter_arns=access.parameter_arns)
        document = resolved.apply(lambda v: json.dumps(node_policy(NodeAccess(
            partition=v["partition"], region=a.region, account_id=v["account_id"], stack=a.stack,
            secret_arns=list(v["secret_arns"]), secrets_key_arn=v["secrets_key_arn"],
            data_key_arn=v["data_key_arn"], log_group_arns=list(v["log_group_arns"]),
            hosted_zone_id=v["hosted_zone_id"], record_domain=access.record_domain,
            metric_namespace=access.metric_namespace, volume_tag=access.volume_tag,
            extra_statements=list(v["extra_statements"]), parameter_arns=list(v["parameter_arns"])))))
        return aws.iam.RolePolicy(f"{self._name}-node", role=self.node_role.id, policy=document,
                                  opts=pulumi.ResourceOptions(parent=self.node_role))

    def _tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack)
