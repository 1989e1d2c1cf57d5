"""rustfs-budgets-stack-require-estimate-within-budget, driven over the analyzer protocol like the Pulumi CLI."""

from __future__ import annotations

import json

import pytest
from policy_harness import UNKNOWN, aws_provider, diags_for, resource, running_pack

from preflight.runner import run_stack

POLICY = "rustfs-budgets-stack-require-estimate-within-budget"
BUDGET = "aws:budgets/budget:Budget"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
VOLUME = "aws:ebs/volume:Volume"
NO_TRAFFIC = {"rustfs-aws:usage": json.dumps({"writeMBps": 0, "readMBps": 0, "storedTiB": 0,
                                              "growthTiBPerMonth": 0}), "rustfs-aws:environment": "dev"}
# 4 x c6in.4xlarge x $0.9072/h x 730 h = $2,649.02; 8 x 100 GiB gp3 x $0.08 = $64: $2,713.02 in all
FLEET_USD = 2713.02
US_EAST_1 = aws_provider(region="us-east-1")  # the price table's fully sourced region


def res(type_: str, name: str, props: dict, **kwargs):
    return resource(type_, name, props, provider=US_EAST_1, **kwargs)


def fleet(limit: str | None) -> list:
    """Four one-instance groups whose launch template id is unknown (a first preview), two drives each."""
    resources = []
    for i in range(1, 5):
        lt = res(LT, f"rustfs-{i}", {"instanceType": "c6in.4xlarge"})
        asg = res(ASG, f"rustfs-{i}", {"desiredCapacity": 1, "minSize": 1, "maxSize": 1,
                                       "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN}},
                  dependencies=[lt.urn], property_dependencies={"launchTemplate": [lt.urn]})
        resources += [lt, asg]
        resources += [res(VOLUME, f"rustfs-{i}-drive{d}", {
            "availabilityZone": f"us-east-1{'abcd'[i - 1]}", "size": 100, "type": "gp3", "iops": 3000,
            "throughput": 125, "tags": {"rustfs:node": str(i), "rustfs:drive": str(d),
                                        "rustfs:node-name": f"rustfs-{i}.dev.rustfs.internal"}})
            for d in range(2)]
    if limit is not None:
        resources.append(res(BUDGET, "monthly", {"budgetType": "COST", "timeUnit": "MONTHLY",
                                                 "limitAmount": limit, "limitUnit": "USD"}))
    return resources


@pytest.fixture(scope="module")
def pack():
    with running_pack(config=NO_TRAFFIC) as running:
        yield running


def test_estimate_over_the_budget_is_an_advisory_violation_naming_the_largest_items(pack):
    [diag] = diags_for(pack.analyze_stack(fleet("1000.00")), POLICY)
    assert diag["enforcementLevel"] == "advisory" and diag["severity"] == "medium"
    message = diag["message"]
    assert f"Estimated monthly cost ${FLEET_USD:,.2f}" in message
    assert "$1,000.00 budget (aws.budgets.Budget 'monthly')" in message
    # the groups' template ids are unknown in a preview: the instances are found through the dependency
    assert "EC2 4 x c6in.4xlarge $2,649.02" in message
    assert "writeMBps 0" in message


def test_estimate_within_the_budget_passes(pack):
    assert diags_for(pack.analyze_stack(fleet("3000")), POLICY) == []


def test_share_of_budget_is_configurable():
    with running_pack(config=NO_TRAFFIC, policy_config={POLICY: {"maxShareOfBudget": 0.8}}) as strict:
        [diag] = diags_for(strict.analyze_stack(fleet("3000")), POLICY)  # 2,713 > 80% of 3,000
    assert "exceeds 80% of the $3,000.00 budget" in diag["message"]


def test_policy_config_budget_replaces_the_budget_resource():
    with running_pack(config=NO_TRAFFIC, policy_config={POLICY: {"monthlyBudgetUSD": 2000}}) as configured:
        [diag] = diags_for(configured.analyze_stack(fleet(None)), POLICY)
    assert "$2,000.00 budget (policy config monthlyBudgetUSD)" in diag["message"]


def test_nothing_to_compare_with_reports_nothing(pack):
    assert diags_for(pack.analyze_stack(fleet(None)), POLICY) == []
    assert diags_for(pack.analyze_stack(fleet(UNKNOWN)), POLICY) == []


def test_usage_from_the_stack_config_is_priced():
    busy = {**NO_TRAFFIC, "rustfs-aws:usage": json.dumps({"writeMBps": 100, "readMBps": 0})}
    with running_pack(config=busy) as running:
        [diag] = diags_for(running.analyze_stack(fleet("3000")), POLICY)
    # 100 MB/s = 262,800 GB a month, x 2 (EC 4+4) x 3/4 in other AZs x $0.01 x 2 directions = $7,884
    assert "Cross-AZ erasure traffic $7,884.00" in diag["message"]


def test_pack_and_preflight_agree_on_the_dev_estimate():
    """The same model over the same resources: the pack's figure is the report's figure."""
    from preflight.analysis import run_policies
    from preflight.cost_report import compute

    recording = run_stack("dev", {"rustfs-aws:budget": {"monthlyUSD": 10}})
    policy = run_policies(recording, policy_config={}, config_file=None)
    [violation] = [v for v in policy.violations if v["policy"] == POLICY]
    assert f"Estimated monthly cost ${compute(recording)['monthlyUSD']:,.2f}" in violation["message"]
