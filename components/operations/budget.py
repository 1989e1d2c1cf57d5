"""An AWS Budget per stack: a monthly cost limit over the resources tagged with the stack's Project and
Environment, with alerts at 80% of the actual spend and 100% of the forecast.

Alerts go to an SNS topic of the stack (encrypted with the ``messaging`` KMS key, whose key policy already
lets budgets.amazonaws.com use it, see ``key_policies._publishers``) and, directly from AWS Budgets, to the
``budget.emails`` addresses. The topic policy lets only AWS Budgets of this account publish
(``aws:SourceAccount``/``aws:SourceArn``, AWS Budgets User Guide "Creating an Amazon SNS topic for budget
notifications").

Scope: a filter expression ANDs the ``Project`` and ``Environment`` tags (the provider's default tags put
both on every taggable resource), so two stacks of one project do not share a budget. AWS Budgets only sees
user tags that are activated as cost allocation tags in the Billing console (a one-time, account-level step
the program cannot take); untaggable costs (data transfer without a resource, for instance) fall outside the
filter.
"""

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.tagging import resource_tags

ACTUAL_ALERT_PERCENT = 80.0
FORECAST_ALERT_PERCENT = 100.0


@dataclass
class BudgetArgs:
    """Inputs of ``StackBudget``."""

    name: str
    """The deployment's name (``rustfs-dev``): names the budget (``<name>-monthly``) and its topic."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag."""
    monthly_usd: float
    """The monthly cost limit in US dollars: alerts at 80% of the actual spend and 100% of the forecast."""
    project_tag: str
    """Value of the ``Project`` tag the budget counts (with ``environmentTag``); AWS Budgets sees it only once
    it is activated as a cost allocation tag."""
    environment_tag: str
    """Value of the ``Environment`` tag the budget counts."""
    account_id: pulumi.Input[str]
    """The AWS account ID: only AWS Budgets acting for it may publish to the alert topic."""
    partition: pulumi.Input[str]
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``) of the ARNs the topic policy names."""
    messaging_key_arn: pulumi.Input[str]
    """ARN of the KMS key that encrypts the alert topic (``Keys``' ``messaging`` key)."""
    emails: list[str] | None = field(default_factory=list)
    """Addresses AWS Budgets emails directly, besides the topic."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the budget and its topic, next to each one's ``Name``."""


def topic_policy(topic_arn: str, account_id: str, partition: str) -> dict:
    """Only AWS Budgets, acting for this account, may publish to the alert topic."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "AwsBudgetsPublish", "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
        "Action": "SNS:Publish", "Resource": topic_arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:{partition}:budgets::{account_id}:*"}}}]}


class StackBudget(pulumi.ComponentResource):
    """An AWS Budget per deployment: a monthly cost limit over the resources tagged with its Project and
    Environment, alerting an encrypted SNS topic and the given addresses."""

    topic_arn: pulumi.Output[str]
    """ARN of the alert topic: subscribe chat or paging to it."""
    budget_name: pulumi.Output[str]
    """Name of the budget."""

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(BudgetArgs, args)
        super().__init__("rustfs:operations:Budget", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(
            f"{name}-alerts", name=f"{args.name}-budget-alerts", kms_master_key_id=args.messaging_key_arn,
            tags=resource_tags(args.tags, f"{args.name}-budget-alerts", args.stack), opts=child)
        policy = aws.sns.TopicPolicy(
            f"{name}-alerts", arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, args.account_id, args.partition).apply(
                lambda v: json.dumps(topic_policy(v[0], v[1], v[2]))),
            opts=pulumi.ResourceOptions(parent=topic))

        def notification(kind: str, percent: float) -> aws.budgets.BudgetNotificationArgs:
            return aws.budgets.BudgetNotificationArgs(
                notification_type=kind, comparison_operator="GREATER_THAN", threshold=percent,
                threshold_type="PERCENTAGE", subscriber_sns_topic_arns=[topic.arn],
                subscriber_email_addresses=list(args.emails) or None)

        def tag(key: str, value: str) -> aws.budgets.BudgetFilterExpressionAndArgs:
            return aws.budgets.BudgetFilterExpressionAndArgs(
                tags=aws.budgets.BudgetFilterExpressionAndTagsArgs(key=key, values=[value], match_options=["EQUALS"]))

        budget = aws.budgets.Budget(
            f"{name}-monthly", name=f"{args.name}-monthly", budget_type="COST", time_unit="MONTHLY",
            limit_amount=f"{args.monthly_usd:.2f}", limit_unit="USD", metrics="UnblendedCost",
            filter_expression=aws.budgets.BudgetFilterExpressionArgs(ands=[
                tag("Project", args.project_tag), tag("Environment", args.environment_tag)]),
            notifications=[notification("ACTUAL", ACTUAL_ALERT_PERCENT),
                           notification("FORECASTED", FORECAST_ALERT_PERCENT)],
            tags=resource_tags(args.tags, f"{args.name}-monthly", args.stack),
            # AWS Budgets checks that it may publish when the notification is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]))
        self.topic_arn: pulumi.Output[str] = topic.arn
        self.budget_name: pulumi.Output[str] = budget.name
        self.register_outputs({"topicArn": self.topic_arn, "budgetName": self.budget_name})
