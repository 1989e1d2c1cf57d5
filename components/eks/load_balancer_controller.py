"""The AWS Load Balancer Controller for the S3 Service's internal NLB (``eks.loadBalancerController: install``).

What it is: the eks-charts ``aws-load-balancer-controller`` chart at a pinned version, as a pulumi-kubernetes
``helm.v3.Release`` in ``kube-system``, its ServiceAccount bound by an EKS Pod Identity association to a role
under the stack's permissions boundary. The role's policy is ours, derived from what the controller calls for
one Service of type LoadBalancer with an internal NLB and IP targets (controller source at v3.5.0:
pkg/aws/services/elbv2.go and ec2.go list the calls; pkg/deploy/elbv2 and pkg/networking make them):

* reads (Describe*, which take no resource-level permissions) of load balancers, listeners, target groups,
  target health, tags, subnets, route tables, AZs, VPCs, security groups, instances and network interfaces;
* security groups: create in the stack's VPC only with the controller's tracking tag
  ``elbv2.k8s.aws/cluster=<cluster>`` (pkg/deploy/tracking/provider.go), and tag, untag, delete and edit ingress
  only of groups carrying it - plus ingress on the EKS cluster security group (the pods' ENIs carry it; the
  controller picks the ENI's group tagged ``kubernetes.io/cluster/<cluster>``, pkg/networking/
  networking_manager.go), for the rule that lets the NLB reach the pods;
* load balancers, listeners and target groups only under the names the controller gives this one Service:
  ``k8s-<namespace>-<service>-<hash>`` with both names stripped of non-alphanumerics and cut to 8 characters
  (pkg/service/model_build_load_balancer.go and model_build_target_group.go), created only with the tracking
  tag, modified and deleted only while they carry it.

Nothing for ALBs, Ingress, WAF, Shield, ACM or Cognito: those features are switched off in the chart values.
The controller cannot reach IMDS (hop limit 1, platform.py), so region and VPC are given to it.

The ELB service-linked role must already exist in the account (the boundary denies ``iam:Create*``); it does
once any load balancer has been created there, e.g. by an EC2-mode stack.

Rejected: AWS's published IAM policy for the controller (every ELB resource, every security group: far wider
than one Service needs); installing the controller as an EKS add-on (there is none); IRSA (Pod Identity needs no
OIDC provider, as for the EBS CSI driver).
"""

from __future__ import annotations

import re

# The chart and its version, pinned (eks-charts; the same chart lives in kubernetes-sigs/aws-load-balancer-
# controller helm/aws-load-balancer-controller, Chart.yaml at tag v3.5.0: version 3.5.0, appVersion v3.5.0).
CHART = "aws-load-balancer-controller"
CHART_VERSION = "3.5.0"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
SERVICE_ACCOUNT = ("kube-system", "aws-load-balancer-controller")
TRACKING_TAG = "elbv2.k8s.aws/cluster"  # the controller tags everything it creates with the cluster's name
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def name_prefix(namespace: str, service: str) -> str:
    """The prefix of the names the controller gives one Service's NLB and target groups."""
    ns, svc = (_NOT_ALPHANUMERIC.sub("", v)[:8] for v in (namespace, service))
    return f"k8s-{ns}-{svc}-"


def chart_values(*, cluster: str, region: str, vpc_id: str, stack: str, tolerations: list[dict]) -> dict:
    """The chart's values (helm/aws-load-balancer-controller/values.yaml at v3.5.0)."""
    return {
        "clusterName": cluster, "region": region, "vpcId": vpc_id,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT[1]},
        "replicaCount": 2, "podDisruptionBudget": {"maxUnavailable": 1},
        # The only nodes are the (tainted) storage nodes.
        "tolerations": tolerations,
        # NLBs for Services only: no IngressClass, no WAF/Shield lookups (the role grants none of it).
        "createIngressClassResource": False, "enableShield": False, "enableWaf": False, "enableWafv2": False,
        # On every load balancer, target group and security group it creates, next to its own tracking tags.
        "defaultTags": {"rustfs:stack": stack},
    }


def controller_policy(*, partition: str, region: str, account_id: str, cluster: str, vpc_id: str,
                      namespace: str, service: str) -> dict:
    """The controller role's permissions, for the internal NLB with IP targets of ``namespace/service``."""
    ec2 = f"arn:{partition}:ec2:{region}:{account_id}"
    elb = f"arn:{partition}:elasticloadbalancing:{region}:{account_id}"
    prefix = name_prefix(namespace, service)
    load_balancers = f"{elb}:loadbalancer/net/{prefix}*/*"
    target_groups = f"{elb}:targetgroup/{prefix}*/*"
    listeners = f"{elb}:listener/net/{prefix}*/*/*"
    tracked = {"StringEquals": {f"aws:ResourceTag/{TRACKING_TAG}": cluster}}
    tagged_on_create = {"StringEquals": {f"aws:RequestTag/{TRACKING_TAG}": cluster}}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Describe", "Effect": "Allow", "Resource": "*", "Action": sorted([
            "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
            "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"])},
        {"Sid": "SecurityGroupsInTheStacksVpc", "Effect": "Allow", "Action": "ec2:CreateSecurityGroup",
         "Resource": f"{ec2}:vpc/{vpc_id}"},
        {"Sid": "CreateTrackedSecurityGroups", "Effect": "Allow", "Action": "ec2:CreateSecurityGroup",
         "Resource": f"{ec2}:security-group/*", "Condition": tagged_on_create},
        {"Sid": "TagSecurityGroupsOnCreate", "Effect": "Allow", "Action": "ec2:CreateTags",
         "Resource": f"{ec2}:security-group/*",
         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup",
                                        f"aws:RequestTag/{TRACKING_TAG}": cluster}}},
        {"Sid": "ManageTrackedSecurityGroups", "Effect": "Allow", "Resource": f"{ec2}:security-group/*",
         "Condition": tracked, "Action": sorted([
             "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags", "ec2:DeleteSecurityGroup", "ec2:DeleteTags",
             "ec2:RevokeSecurityGroupIngress"])},
        {"Sid": "LetTheNlbReachThePods", "Effect": "Allow", "Resource": f"{ec2}:security-group/*",
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
         "Condition": {"StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}}},
        {"Sid": "CreateThisServicesNlb", "Effect": "Allow", "Resource": [load_balancers, target_groups],
         "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
         "Condition": tagged_on_create},
        {"Sid": "TagThisServicesNlb", "Effect": "Allow", "Resource": [load_balancers, target_groups, listeners],
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]},
        {"Sid": "ManageThisServicesNlb", "Effect": "Allow", "Resource": load_balancers, "Condition": tracked,
         "Action": sorted([
             "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteLoadBalancer",
             "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
             "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets"])},
        {"Sid": "ManageThisServicesTargetGroups", "Effect": "Allow", "Resource": target_groups, "Condition": tracked,
         "Action": sorted([
             "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeregisterTargets",
             "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
             "elasticloadbalancing:RegisterTargets"])},
        # CreateListener is authorised on the load balancer (above): only on this Service's tracked NLB.
        {"Sid": "ManageThisServicesListeners", "Effect": "Allow", "Resource": listeners, "Action": sorted([
            "elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes"])},
    ]}
