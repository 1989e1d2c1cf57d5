"""Each AWS CLI call a node makes, as the IAM requests AWS evaluates: action, resource ARN, condition keys
(tags, region, the Route 53 change batch) and the KMS requests a service makes with the node's
credentials; and the verdict of the node's policies on them.
"""

from __future__ import annotations

import json
import shlex
from functools import cache

from aws_cli_scan import split_aws_argv
from dev_node import STACK, Node, World, world
from fake_aws_cli import INSTANCE_ID, exercised_calls
from iam_actions import arn_fits, iam_action, required_resource_types, sar_arn_format
from iam_eval import Request, Verdict, evaluate

GLOBAL_SERVICES = {"route53": "us-east-1", "iam": "us-east-1"}  # signed for us-east-1 whatever --region says

# The resource each CLI parameter names, per call (resource types as in the Service Authorization Reference).
RESOURCE_PARAMETERS = {
    ("ec2", "attach-volume"): {"volume": "--volume-id", "instance": "--instance-id"},
    ("ec2", "detach-volume"): {"volume": "--volume-id", "instance": "--instance-id"},
    ("route53", "list-resource-record-sets"): {"hostedzone": "--hosted-zone-id"},
    ("route53", "change-resource-record-sets"): {"hostedzone": "--hosted-zone-id"},
    ("secretsmanager", "get-secret-value"): {"secret": "--secret-id"},
    # The resource is the group that holds the instance (Service Authorization Reference, SetInstanceHealth).
    ("autoscaling", "set-instance-health"): {"autoscalinggroup": "--instance-id"},
}
# Condition keys taken from a request parameter (Service Authorization Reference, each action's keys).
REQUEST_CONTEXT = {
    ("cloudwatch", "put-metric-data"): {"cloudwatch:namespace": "--namespace"},
}


def tag_context(service: str, tags: dict[str, str]) -> dict:
    out = {}
    for k, v in tags.items():
        out[f"aws:ResourceTag/{k}"] = v
        out[f"{service}:ResourceTag/{k}"] = v
    return out


def requests_for(argv: list[str], node: Node, instance_id: str, w: World) -> list[Request]:
    service, command, opts, positionals = split_aws_argv(argv)
    action = iam_action(service, command, positionals)
    region = GLOBAL_SERVICES.get(service) or opts.get("--region")
    assert region, f"{shlex.join(argv)}: no --region (the node has no default region configured)"
    base = {"aws:RequestedRegion": region, "aws:PrincipalArn": w.role_arn, "aws:PrincipalAccount": w.account,
            "aws:SecureTransport": "true"}
    why = shlex.join(argv[:1] + [service, command])
    base |= {key: opts[param] for key, param in REQUEST_CONTEXT.get((service, command), {}).items()}
    params = RESOURCE_PARAMETERS.get((service, command), {})
    required = required_resource_types(action)
    assert required <= set(params), f"{action} needs resources {required}; RESOURCE_PARAMETERS names {params}"
    if not params:
        return [Request(action, "*", tuple(base.items()), why)]
    out = []
    for rtype, param in params.items():
        value = opts[param]
        extra: dict = {}
        if rtype == "volume":
            arn, tags = f"arn:aws:ec2:{region}:{w.account}:volume/{value}", w.volumes[value]["tags"]
        elif rtype == "instance":
            # The node itself or a predecessor of the same group: both launched from this launch template.
            assert value.startswith("i-")
            arn, tags = f"arn:aws:ec2:{region}:{w.account}:instance/{value}", node.instance_tags
        elif rtype == "hostedzone":
            arn, tags = f"arn:aws:route53:::hostedzone/{value}", w.zones[value]["tags"]
            if command == "change-resource-record-sets":
                changes = json.loads(opts["--change-batch"])["Changes"]
                extra = {  # Route 53 normalizes names: lower case, no trailing dot (Route 53 Developer Guide)
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames":
                        [c["ResourceRecordSet"]["Name"].lower().rstrip(".") for c in changes],
                    "route53:ChangeResourceRecordSetsRecordTypes": [c["ResourceRecordSet"]["Type"] for c in changes],
                    "route53:ChangeResourceRecordSetsActions": [c["Action"] for c in changes]}
        elif rtype == "autoscalinggroup":
            # IAM sees the instance's group; the script may name only its own instance (IMDSv2).
            assert value == instance_id, f"{shlex.join(argv)}: names an instance other than the node's own"
            group_id = "00000000-0000-4000-8000-000000000000"  # assigned by AWS at creation
            arn = f"arn:aws:autoscaling:{region}:{w.account}:autoScalingGroup:{group_id}:" \
                  f"autoScalingGroupName/{node.group_name}"
            tags = node.group_tags or {}
        elif rtype == "secret":
            assert value in w.secrets, f"{value}: not a secret ARN of the stack"
            arn, tags = value, w.secrets[value]["tags"]
            extra = {"secretsmanager:SecretId": value}
        assert arn_fits(sar_arn_format(action, rtype), arn), (action, rtype, arn)
        out.append(Request(action, arn, tuple({**base, **tag_context(service, tags), **extra}.items()), why))
        out += implied_kms_requests(action, rtype, value, region, base, w)
    return out


def implied_kms_requests(action: str, rtype: str, value: str, region: str, base: dict, w: World) -> list[Request]:
    """KMS calls a service makes with the node's credentials for it (kms:ViaService)."""
    if action == "secretsmanager:GetSecretValue" and w.secrets[value]["kms_key"]:
        # Secrets Manager decrypts a secret under a customer managed key as the caller (AWS KMS Developer
        # Guide, "How AWS Secrets Manager uses AWS KMS").
        key = w.secrets[value]["kms_key"]
        return [Request("kms:Decrypt", key, tuple({
            **base, **tag_context("kms", w.keys[key]["tags"]), "kms:CallerAccount": w.account,
            "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}.items()), f"{action} (secret key)")]
    if action == "ec2:AttachVolume" and rtype == "volume" and w.volumes[value]["kms_key"]:
        # EC2 creates a grant for the instance on the caller's behalf when it attaches a volume encrypted
        # with a customer managed key (AWS KMS Developer Guide, "How Amazon EBS uses AWS KMS").
        key = w.volumes[value]["kms_key"]
        return [Request("kms:CreateGrant", key, tuple({
            **base, **tag_context("kms", w.keys[key]["tags"]), "kms:CallerAccount": w.account,
            "kms:ViaService": f"ec2.{region}.amazonaws.com", "kms:GrantIsForAWSResource": "true"}.items()),
            f"{action} (volume key grant)")]
    return []


@cache
def node_requests(node_name: str, stack: str = STACK) -> tuple[Request, ...]:
    w = world(stack)
    [node] = [n for n in w.nodes if n.name == node_name]
    out: dict[tuple, Request] = {}
    for argv in exercised_calls(node_name, stack):
        for req in requests_for(list(argv), node, INSTANCE_ID, w):
            out[(req.action, req.resource, json.dumps(req.context))] = req
    return tuple(out.values())


def verdict(req: Request, w: World) -> Verdict:
    key_policy = w.keys[req.resource]["policy"] if req.action.startswith("kms:") else None
    return evaluate(req, w.node_policy, w.boundary, key_policy, w.role_arn, w.account)
