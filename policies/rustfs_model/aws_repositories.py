"""AWS-owned S3 buckets a node reads WITHOUT signing, and which of them the S3 gateway endpoint must let through.

dnf fetches the Amazon Linux 2023 repositories anonymously, and SSM Agent downloads its updates and the
modules of AWS documents with plain HTTP(S) GETs when the instance profile grants it no S3 access (ours
grants none): Systems Manager User Guide, "SSM Agent communications with AWS managed S3 buckets" ("These S3
buckets are publicly accessible ... if the instance profile does not provide permissions to these buckets,
the SSM Agent makes an HTTP call"); aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies/README.md,
"AllowRequestsToAWSOwnedResources" (EC2 Linux patching and SSM Agent "make unauthenticated requests").

An unsigned request carries no aws:PrincipalAccount, aws:PrincipalArn or aws:PrincipalOrgID ("This key is
included in the request context for all signed requests. Anonymous requests do not include this key", IAM
User Guide, "AWS global condition context keys"), so an endpoint statement that conditions on them refuses
every one of these reads. The gateway endpoint's prefix-list route is more specific than the NAT default route
and wins (VPC User Guide, "Route priority"), so a refused read has no other way out: cloud-init `packages:`
and every later `dnf update` get 403.

Both the program (components/network/network.py) and the guardrail use this one list; the tests state the URLs the
node really fetches independently of it (tests/test_endpoint_policies.py). Stdlib only, for the pack.
"""

from __future__ import annotations

# /etc/yum.repos.d/amazonlinux.repo on AL2023: mirrorlist=https://al2023-repos-$awsregion-de612dc2.s3.dualstack.
# $awsregion.$awsdomain/core/mirrors/$releasever/$basearch/mirror.list; the data-perimeter examples above list
# arn:aws:s3:::al2023-repos-<region>-de612dc2/* (after the AL2023 User Guide, "Kernel Live Patching") under
# s3:GetObject for Principal "*" without a condition. dnf only GETs objects named by the mirror list and
# repomd.xml, so s3:ListBucket is not needed (without it a missing key answers 403 rather than 404, and dnf
# treats both as a failed mirror).
_AL2023 = "al2023-repos-{region}-de612dc2"

# Where the Distributor service (AWS-ConfigureAWSPackage) lives: one bucket per region, except two regions
# that use another name (SSM User Guide, table "Required bucket permissions").
_DISTRIBUTOR_ELSEWHERE = {"af-south-1", "eu-south-1"}
_PATCH_SNAPSHOT_EXCEPTIONS = {"me-south-1": "patch-baseline-snapshot-me-south-1-uduvl7q8"}


def al2023_repository_bucket(region: str) -> str:
    return _AL2023.format(region=region)


def ssm_agent_buckets(region: str) -> list[str]:
    """The buckets of the SSM User Guide table a Linux EC2 node's SSM Agent reads. Left out: Windows-only
    documents (aws-windows-downloads-*), agents older than 2.2.45.0 (amazon-ssm-packages-*; AL2023 ships agent
    3.x) and macOS patching (aws-patchmanager-macos-*)."""
    distributor = (f"aws-ssm-distributor-file-{region}" if region in _DISTRIBUTOR_ELSEWHERE
                   else f"{region}-birdwatcher-prod")
    return [
        f"amazon-ssm-{region}",  # SSM Agent installers and manifests: AWS-UpdateSSMAgent, agent auto-update
        f"aws-ssm-{region}",  # modules of AWS documents on Linux (e.g. AWS-RunPatchBaseline)
        distributor,  # Distributor service, AWS-ConfigureAWSPackage
        f"aws-ssm-document-attachments-{region}",  # AWS-owned Distributor packages
        _PATCH_SNAPSHOT_EXCEPTIONS.get(region, f"patch-baseline-snapshot-{region}"),  # Patch Manager baselines
    ]


def image_builder_buckets(region: str) -> list[str]:
    """What the node image's build and test instances (components/images/pipeline.py) read behind the same gateway:
    AWSTOE's bootstrap and the content of AWS managed components. "The call to Amazon S3 is unauthenticated and
    passes through the Amazon S3 VPC endpoint" (Image Builder User Guide, "Create a VPC endpoint policy for Image
    Builder": s3://ec2imagebuilder-toe-<region>-prod/*, s3://ec2imagebuilder-managed-resources-<region>-prod/
    components/*)."""
    return [f"ec2imagebuilder-toe-{region}-prod", f"ec2imagebuilder-managed-resources-{region}-prod"]


def repository_buckets(region: str) -> list[str]:
    """Every AWS-owned bucket a node (or a node image build) reads unsigned. The CloudWatch agent's download
    bucket (amazoncloudwatch-agent-<region>) is not one: nodes do not install it from there (on AL2023 it is the
    amazon-cloudwatch-agent package of the repository above)."""
    return [al2023_repository_bucket(region), *ssm_agent_buckets(region), *image_builder_buckets(region)]


def first_unsigned_reads(region: str) -> dict[str, str]:
    """The first object each unsigned client fetches ("bucket/key"): if these pass, the client starts."""
    return {
        "dnf (cloud-init packages, dnf update)":
            f"{al2023_repository_bucket(region)}/core/mirrors/latest/x86_64/mirror.list",
        # AWS-UpdateSSMAgent's source: https://s3.<region>.amazonaws.com/amazon-ssm-<region>/ssm-agent-manifest.json
        "SSM Agent update": f"amazon-ssm-{region}/ssm-agent-manifest.json",
    }


# Bucket name prefixes of AWS-owned package and agent repositories (AL2023, AL2, SSM Agent), for diagnosing a
# statement that covers them.
REPOSITORY_BUCKET_PREFIXES = ("al2023-", "amazonlinux", "amazon-ssm-", "aws-ssm-",
                              "patch-baseline-snapshot-", "ec2imagebuilder-", "packages.", "repo.")
