"""The stack's AWS Budget, its alert topic and the topic policy, as the real program declares them."""

from __future__ import annotations

import json

import pytest
from iam_review import unexplained
from recorded_keys import key_for

from preflight.fake_aws import ACCOUNT_ID
from preflight.runner import run_stack
from rustfs_aws.operations.budget import topic_policy

BUDGET = "aws:budgets/budget:Budget"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
EMAILS = ["storage-oncall@example.com", "finance@example.com"]


def _alerts(recording) -> str:
    """The budget's alert topic (and its policy) among the stack's topics."""
    return f"rustfs-{recording.settings.stack}-budget-alerts"


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request):
    return request.param, run_stack(request.param)


def test_limit_comes_from_budget_monthly_usd(stack):
    name, recording = stack
    budget = recording.one(BUDGET).inputs
    assert budget["limitAmount"] == {"dev": "1000.00", "prod": "25000.00"}[name]  # Pulumi.<stack>.yaml
    assert (budget["limitUnit"], budget["timeUnit"], budget["budgetType"]) == ("USD", "MONTHLY", "COST")
    assert budget["name"] == f"rustfs-{name}-monthly"


def test_cost_is_filtered_on_the_stacks_project_and_environment_tags(stack):
    name, recording = stack
    budget = recording.one(BUDGET).inputs
    assert "costFilters" not in budget and budget["metrics"] == "UnblendedCost"
    clauses = [clause["tags"] for clause in budget["filterExpression"]["ands"]]
    assert clauses == [{"key": "Project", "values": ["rustfs-aws"], "matchOptions": ["EQUALS"]},
                       {"key": "Environment", "values": [name], "matchOptions": ["EQUALS"]}]


def test_alerts_at_80_percent_actual_and_100_percent_forecast_go_to_the_topic(stack):
    _, recording = stack
    topic_arn = recording.one(TOPIC, _alerts(recording)).outputs["arn"]
    notifications = recording.one(BUDGET).inputs["notifications"]
    assert sorted((n["notificationType"], n["threshold"], n["thresholdType"], n["comparisonOperator"])
                  for n in notifications) == [("ACTUAL", 80, "PERCENTAGE", "GREATER_THAN"),
                                              ("FORECASTED", 100, "PERCENTAGE", "GREATER_THAN")]
    for n in notifications:
        assert n["subscriberSnsTopicArns"] == [topic_arn]
        assert "subscriberEmailAddresses" not in n  # none configured in the stack files


def test_topic_is_encrypted_with_the_messaging_key(stack):
    _, recording = stack
    messaging_key = key_for(recording, "messaging")
    assert recording.one(TOPIC, _alerts(recording)).inputs["kmsMasterKeyId"] == messaging_key.outputs["arn"]


def test_only_aws_budgets_of_this_account_may_publish(stack):
    _, recording = stack
    topic = recording.one(TOPIC, _alerts(recording))
    policy = recording.one(TOPIC_POLICY, _alerts(recording))
    assert policy.inputs["arn"] == topic.outputs["arn"]
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert statement["Action"] == "SNS:Publish" and statement["Resource"] == topic.outputs["arn"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT_ID}:*"}


def test_budget_waits_for_the_topic_policy(stack):
    _, recording = stack
    assert recording.one(TOPIC_POLICY, _alerts(recording)).urn in recording.one(BUDGET).dependencies


def test_messaging_key_lets_aws_budgets_encrypt_to_the_topic(stack):
    _, recording = stack
    key = key_for(recording, "messaging")
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    publish = statements["BudgetsPublish"]
    assert publish["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(publish["Action"])
    assert publish["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID


def test_configured_emails_and_a_custom_project_tag_reach_the_budget():
    recording = run_stack("dev", {"rustfs-aws:budget": {"monthlyUSD": 250.5, "emails": EMAILS},
                                  "rustfs-aws:tags": {"Owner": "o", "CostCenter": "c", "Project": "lake"}})
    budget = recording.one(BUDGET).inputs
    assert budget["limitAmount"] == "250.50"
    assert all(n["subscriberEmailAddresses"] == EMAILS for n in budget["notifications"])
    assert budget["filterExpression"]["ands"][0]["tags"]["values"] == ["lake"]


def test_more_emails_than_aws_budgets_notifies_is_refused():
    emails = [f"user{i}@example.com" for i in range(11)]
    from rustfs_aws.config import ConfigError

    with pytest.raises(ConfigError, match="rustfs-aws:budget.emails: got '11 addresses'; AWS Budgets notifies at"):
        run_stack("dev", {"rustfs-aws:budget": {"monthlyUSD": 100, "emails": emails}})


def test_topic_policy_passes_parliament_and_cloudsplaining():
    doc = topic_policy(f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:rustfs-dev-budget-alerts", ACCOUNT_ID, "aws")
    assert unexplained(doc, "topic-policy") == []
