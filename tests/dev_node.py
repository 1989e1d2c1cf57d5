"""The dev stack's RustFS nodes as recorded by preflight: user data, role, policies, volumes, secrets,
keys and zones (any other stack on request: world("prod")).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import yaml
from aws_cli_scan import WrittenFile
from user_data import decode_user_data, env_file

from preflight.runner import run_stack

STACK = "dev"


def node_role_policy(stack: str) -> str:
    return f"rustfs-{stack}-iam-node"  # recorded name of the node role's inline policy


def boundary_policy(stack: str) -> str:
    return f"rustfs-{stack}-iam-permissions-boundary"


@dataclass
class Node:
    name: str
    files: dict[str, WrittenFile]
    runcmd: list
    boot_env: dict[str, str]
    instance_tags: dict[str, str]
    group_name: str = ""  # the node's Auto Scaling group
    group_tags: dict[str, str] | None = None  # the group's own tags (propagated or not)


@dataclass
class World:
    region: str
    account: str
    role_arn: str
    node_policy: dict
    boundary: dict
    role_attachments: list[str]
    nodes: list[Node]
    volumes: dict[str, dict]  # id -> {"az", "tags", "kms_key"}
    secrets: dict[str, dict]  # arn -> {"tags", "kms_key"}
    keys: dict[str, dict]  # arn -> {"tags", "policy"}
    zones: dict[str, dict]  # zone id -> {"name", "tags"}


@cache
def recording(stack: str = STACK):
    return run_stack(stack)


@cache
def world(stack: str = STACK) -> World:
    r = recording(stack)
    [policy] = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == node_role_policy(stack)]
    [boundary] = [p for p in r.of_type("aws:iam/policy:Policy") if p.name == boundary_policy(stack)]
    [role] = [x for x in r.of_type("aws:iam/role:Role") if x.inputs.get("name") == policy.inputs["role"]]
    assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"], "node role is not under the boundary"
    attachments = [a.inputs["policyArn"] for a in r.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.inputs["role"] == role.inputs["name"]]
    inline = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.inputs["name"]]
    assert len(inline) == 1, "the node role has more than one inline policy: evaluate them all"
    groups = {g.inputs["launchTemplate"]["name"]: g for g in r.of_type("aws:autoscaling/group:Group")}
    nodes = []
    for lt in r.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert lt.inputs["iamInstanceProfile"]["arn"].endswith(f"/{role.inputs['name']}")
        cloud = yaml.safe_load(decode_user_data(lt.inputs["userData"]))
        files = {f["path"]: WrittenFile(f["content"], str(f["permissions"])) for f in cloud["write_files"]}
        [spec] = [t for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "instance"]
        propagated = {t["key"]: t["value"] for t in groups[lt.inputs["name"]].inputs.get("tags", [])
                      if t.get("propagateAtLaunch")}
        boot_env = env_file(files["/etc/rustfs/bootstrap.env"].content)
        group = groups[lt.inputs["name"]]
        nodes.append(Node(spec["tags"]["rustfs:node-name"], files, cloud.get("runcmd", []), boot_env,
                          {**spec["tags"], **propagated}, group.inputs["name"],
                          {t["key"]: t["value"] for t in group.inputs.get("tags", [])}))
    account = role.outputs["arn"].split(":")[4]
    return World(
        region=r.settings.region, account=account, role_arn=role.outputs["arn"],
        node_policy=json.loads(policy.inputs["policy"]), boundary=json.loads(boundary.inputs["policy"]),
        role_attachments=attachments, nodes=sorted(nodes, key=lambda n: n.name),
        volumes={v.outputs["id"]: {"az": v.inputs["availabilityZone"], "tags": v.inputs["tags"],
                                   "kms_key": v.inputs.get("kmsKeyId")} for v in r.of_type("aws:ebs/volume:Volume")},
        secrets={s.outputs["arn"]: {"tags": s.inputs.get("tags", {}), "kms_key": s.inputs.get("kmsKeyId")}
                 for s in r.of_type("aws:secretsmanager/secret:Secret")},
        keys={k.outputs["arn"]: {"tags": k.inputs.get("tags", {}), "policy": json.loads(k.inputs["policy"])}
              for k in r.of_type("aws:kms/key:Key")},
        zones={z.outputs["zoneId"]: {"name": z.inputs["name"], "tags": z.inputs.get("tags", {})}
               for z in r.of_type("aws:route53/zone:Zone")},
    )
