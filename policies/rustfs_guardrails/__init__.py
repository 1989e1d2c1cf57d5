"""The policies of rustfs-aws-guardrails, grouped by area; ALL_POLICIES feeds the PolicyPack."""

from . import (
    audit,
    cloudfront,
    cost,
    datasync,
    dynamodb,
    ec2,
    eks,
    hybrid,
    iam,
    images,
    integrations,
    kms,
    kubernetes,
    lifecycle,
    load_balancers,
    logs,
    network,
    observability,
    operations,
    peering,
    resilience,
    s3,
    security_groups,
    state,
    tagging,
)

AREAS = {
    "network": network, "security groups": security_groups, "ec2/ebs": ec2, "load balancers": load_balancers,
    "kms": kms, "iam": iam, "s3": s3, "logs": logs, "audit": audit, "eks": eks, "kubernetes": kubernetes,
    "cloudfront/waf": cloudfront, "tagging": tagging, "resilience": resilience, "operations": operations,
    "dashboards/x-ray": observability, "image builder": images, "hybrid and ci federation": hybrid,
    "datasync": datasync, "s3 tier, replication and acceleration": integrations,
    "rustfs state": state, "dynamodb": dynamodb, "vpc peering": peering, "cost": cost,
    "destroy and re-create": lifecycle,
}
ALL_POLICIES = [policy for module in AREAS.values() for policy in module.POLICIES]
