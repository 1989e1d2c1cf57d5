"""Tagging: required keys (own tags + provider defaultTags), values, AWS limits, launch-time propagation."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pulumi_policy import Severity

from ._env import effective_tags, own_tags
from ._kit import Res, aws, is_unknown, items, resource_policy

_DATA = json.loads((Path(__file__).with_name("data") / "aws_tagging.json").read_text())
TAGGABLE = frozenset(_DATA["taggable"])
LAUNCH_TEMPLATE = aws("ec2", "LaunchTemplate")
ASG = aws("autoscaling", "Group")
_TAG_CHARS = re.compile(r"^[\w\s+\-=.:/@]*$", re.UNICODE)
_REQUIRED = {"requiredTags": {"type": "array", "items": {"type": "string"},
                              "default": ["Project", "Environment", "Owner", "CostCenter"]}}


def _taggable(res: Res) -> bool:
    return res.type in TAGGABLE


def _check_required(res: Res, cfg: dict, report) -> None:
    if not _taggable(res) or is_unknown(res.get("tags")):
        return
    # The aws provider applies defaultTags neither to Auto Scaling groups nor to what they launch.
    tags = own_tags(res) if res.type == ASG else effective_tags(res)
    missing = [k for k in cfg["requiredTags"] if not (isinstance(tags.get(k), str) and tags[k].strip())
               and not is_unknown(tags.get(k))]
    if missing:
        report(f"'{res.name}' lacks required tag(s) {', '.join(missing)} (own tags merged with the provider's "
               "defaultTags).")
    env = tags.get("Environment")
    if isinstance(env, str) and env not in cfg["allowedEnvironments"]:
        report(f"'{res.name}' Environment={env!r} is not one of {cfg['allowedEnvironments']}.")


required_tags = resource_policy(
    "rustfs-tagging-resource-require-tags",
    "Every taggable AWS resource carries Project, Environment, Owner and CostCenter (provider defaultTags "
    "count), with Environment one of dev/staging/prod.",
    severity=Severity.MEDIUM, types=sorted(TAGGABLE), check=_check_required, topics=["tagging", "cost"],
    config={**_REQUIRED, "allowedEnvironments": {"type": "array", "items": {"type": "string"},
                                                 "default": ["dev", "staging", "prod"]}})


def _limit_problems(tags: dict) -> list[str]:
    problems = []
    if len(tags) > 50:
        problems.append(f"{len(tags)} tags (AWS allows 50)")
    for key, value in tags.items():
        if not isinstance(key, str):
            continue
        if len(key) > 128:
            problems.append(f"key {key[:20]}… longer than 128")
        if key.lower().startswith("aws:"):
            problems.append(f"key {key!r} uses the reserved aws: prefix")
        if not _TAG_CHARS.match(key):
            problems.append(f"key {key!r} has characters outside letters, digits, spaces and + - = . _ : / @")
        if isinstance(value, str):
            if len(value) > 256:
                problems.append(f"value of {key!r} longer than 256")
            if not _TAG_CHARS.match(value):
                problems.append(f"value of {key!r} has disallowed characters")
    return problems


def _check_limits(res: Res, cfg: dict, report) -> None:
    if not _taggable(res):
        return
    problems = _limit_problems(effective_tags(res))
    if problems:
        report(f"'{res.name}' tags break AWS limits: {'; '.join(problems)}.")


tag_limits = resource_policy(
    "rustfs-tagging-resource-require-valid-tags",
    "Tags respect AWS limits: ≤ 50 per resource, keys ≤ 128 and values ≤ 256 characters of the allowed set, "
    "no aws: prefix.",
    severity=Severity.MEDIUM, types=sorted(TAGGABLE), check=_check_limits, topics=["tagging"])


def _check_launch_template_tags(res: Res, cfg: dict, report) -> None:
    specs = res.get("tagSpecifications")
    if is_unknown(specs):
        return
    required = cfg["requiredTags"]
    for kind in cfg["resourceTypes"]:
        spec = [s for s in items(res.props, "tagSpecifications") if isinstance(s, dict) and s.get("resourceType")
                == kind]
        tags = spec[0].get("tags") if spec and isinstance(spec[0].get("tags"), dict) else {}
        if not spec:
            report(f"Launch template '{res.name}' does not tag the {kind}s it launches (tagSpecifications).")
            continue
        missing = [k for k in required if k not in tags]
        if missing:
            report(f"Launch template '{res.name}' {kind} tags lack {', '.join(missing)}.")


launch_template_tags = resource_policy(
    "rustfs-ec2-launchtemplate-require-tag-specifications",
    "Launch templates tag the instances, volumes and network interfaces they launch with the required tags "
    "(provider defaultTags do not reach tagSpecifications).",
    severity=Severity.MEDIUM, types=[LAUNCH_TEMPLATE], check=_check_launch_template_tags, topics=["tagging"],
    config={**_REQUIRED, "resourceTypes": {"type": "array", "items": {"type": "string"},
                                           "default": ["instance", "volume", "network-interface"]}})


def _check_asg_propagation(res: Res, cfg: dict, report) -> None:
    tags = res.get("tags")
    if is_unknown(tags):
        return
    propagated = {t.get("key") for t in res.items("tags") if isinstance(t, dict) and t.get("propagateAtLaunch")
                  is True}
    missing = [k for k in cfg["requiredTags"] if k not in propagated]
    if missing:
        report(f"Auto Scaling group '{res.name}' does not propagate {', '.join(missing)} to its instances "
               "(tags with propagateAtLaunch=true).")


asg_propagation = resource_policy(
    "rustfs-autoscaling-group-require-tag-propagation",
    "Auto Scaling groups propagate the required tags to the instances they launch.",
    severity=Severity.MEDIUM, types=[ASG], check=_check_asg_propagation, checks=["CKV_AWS_153"],
    topics=["tagging"], config=_REQUIRED)

POLICIES = [required_tags, tag_limits, launch_template_tags, asg_propagation]
