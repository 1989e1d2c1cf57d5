"""Every policy of the pack against a violating and a compliant case, through the pack process.

The pack runs as its own process and is driven over the analyzer protocol (as the Pulumi CLI does):
per-resource policies through Analyze, stack policies through AnalyzeStack. A second pass sends the
same resources with every value unknown (a preview before anything exists) and requires that no
policy crashes or gives up.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_cases import CASES, TAGS, Case
from policy_harness import UNKNOWN, aws_provider, resource, running_pack, urn

from preflight.analyzer import SIG_KEY, AnalyzedResource, PolicyPack

_PACKS: dict[str, Any] = {}


@pytest.fixture(scope="module")
def packs():
    """One pack process per distinct policy config used by the cases."""
    contexts = []
    yield lambda config: _pack_for(config, contexts)
    for context in contexts:
        context.__exit__(None, None, None)
    _PACKS.clear()


def _pack_for(config: dict | None, contexts: list) -> PolicyPack:
    key = json.dumps(config or {}, sort_keys=True)
    if key not in _PACKS:
        context = running_pack(policy_config=config or {})
        _PACKS[key] = context.__enter__()
        contexts.append(context)
    return _PACKS[key]


def _resources(case: Case, transform=lambda props: props) -> list[AnalyzedResource]:
    tags = case.provider_tags if case.provider_tags is not None else {**TAGS, "Environment": case.env}
    provider = aws_provider(tags)
    by_name = {spec.name: urn(spec.type, spec.name) for spec in case.resources}
    built = []
    for spec in case.resources:
        prop_deps = {prop: [by_name[n] for n in names] for prop, names in spec.deps.items()}
        deps = sorted({u for urns in prop_deps.values() for u in urns})
        props = {k: v for k, v in spec.props.items() if v is not None}
        built.append(resource(spec.type, spec.name, transform(props), protect=spec.protect, provider=provider,
                              dependencies=deps, property_dependencies=prop_deps))
    return built


def _is_stack_policy(pack: PolicyPack, name: str) -> bool:
    return {p["name"]: p["type"] for p in pack.info()["policies"]}[name] == "stack"


def _diagnostics(pack: PolicyPack, case: Case, resources: list[AnalyzedResource]) -> list[dict]:
    if _is_stack_policy(pack, case.policy):
        return pack.analyze_stack(resources)
    return [d for r in resources for d in pack.analyze(r)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(packs, case: Case):
    pack = packs(case.config)
    diagnostics = _diagnostics(pack, case, _resources(case))
    assert not [d for d in diagnostics if "can't run policy" in d["message"]]
    mine = [d for d in diagnostics if d["policy"] == case.policy]
    if case.violates:
        assert mine, f"{case.policy} should report {case.label}"
        assert all(d["message"].count("\n") >= 1 for d in mine)  # description + specific finding
    else:
        assert mine == [], [d["message"] for d in mine]


def _is_signed(value: Any) -> bool:
    """A secret (or asset) wrapper: its signature must survive, only its value can be unknown."""
    return isinstance(value, dict) and SIG_KEY in value


def _all_unknown(value: Any) -> Any:
    if _is_signed(value):
        return {**value, "value": _all_unknown(value["value"])}
    if isinstance(value, dict):
        return {k: _all_unknown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_all_unknown(v) for v in value]
    return UNKNOWN


def _top_unknown(props: dict) -> dict:
    return dict.fromkeys(props, UNKNOWN)


def _nested_unknown(props: dict) -> dict:
    """Keeps top-level inputs, makes every nested object and list below them unknown."""
    def inner(value: Any) -> Any:
        if _is_signed(value):
            return value
        if isinstance(value, dict):
            return {k: UNKNOWN if isinstance(v, (dict, list)) else inner(v) for k, v in value.items()}
        if isinstance(value, list):
            return [UNKNOWN if isinstance(v, (dict, list)) else v for v in value]
        return value
    return {k: inner(v) for k, v in props.items()}


@pytest.mark.parametrize("transform", [_all_unknown, _top_unknown, _nested_unknown],
                         ids=["leaves-unknown", "inputs-unknown", "nested-unknown"])
def test_preview_unknowns_never_crash_or_abort_a_policy(packs, transform):
    pack = packs(None)
    for case in CASES:
        resources = _resources(case, transform)
        diagnostics = pack.analyze_stack(resources) + [d for r in resources for d in pack.analyze(r)]
        aborted = [d for d in diagnostics if "can't run policy" in d["message"]]
        assert aborted == [], (case.id, aborted)


def test_unknown_values_are_not_reported_as_violations(packs):
    """A preview of a new stack: the inputs a policy judges are unknown, so it must not claim a violation."""
    pack = packs(None)
    lt = resource("aws:ec2/launchTemplate:LaunchTemplate", "n", {
        "metadataOptions": {"httpTokens": UNKNOWN, "httpPutResponseHopLimit": UNKNOWN},
        "blockDeviceMappings": [{"ebs": {"encrypted": UNKNOWN, "kmsKeyId": UNKNOWN}}],
        "userData": UNKNOWN, "iamInstanceProfile": {"arn": UNKNOWN}})
    reported = {d["policy"] for d in pack.analyze(lt)}
    assert not reported & {"rustfs-ec2-instance-require-imdsv2",
                           "rustfs-ec2-launchtemplate-require-encrypted-block-devices",
                           "rustfs-ec2-instance-disallow-secrets-in-user-data",
                           "rustfs-ec2-instance-require-instance-profile"}
    role = resource("aws:iam/rolePolicy:RolePolicy", "p", {"policy": UNKNOWN, "role": UNKNOWN})
    assert [d for d in pack.analyze(role) if d["policy"].startswith("rustfs-iam-")] == []


def test_every_policy_has_a_violating_and_a_compliant_case(packs):
    names = {p["name"] for p in packs(None).info()["policies"]}
    bad = {c.policy for c in CASES if c.violates}
    good = {c.policy for c in CASES if not c.violates}
    assert {c.policy for c in CASES} <= names, "cases name unknown policies"
    assert names - bad == set(), "policies without a violating case"
    assert names - good == set(), "policies without a compliant case"


