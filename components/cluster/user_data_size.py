"""A node's user data against EC2's 16 KB limit, checked from the configuration before any resource exists.

"User data is limited to 16 KB, in raw form, before it is base64-encoded" (EC2 User Guide, "Work with instance
user data", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html); the launch
template API takes the base64 text ("You must provide base64-encoded text. User data is limited to 16 KB",
EC2 API reference, RequestLaunchTemplateData). The program sends the cloud-config gzip-compressed once it is
larger than the limit (bootstrap/render.py user_data_bytes), so the compressed bytes are what counts.

The user data grows with the layout: every node name and RUSTFS_VOLUMES carry cluster.domain, the unit
names every drive path (cluster.drivesPerNode), the node number has more digits with more cluster.nodes.
Its secret ARNs and hosted zone id exist only after the first resources do, so the check renders the
largest node with the longest values those can take: the secret's name plus the hyphen and six random
characters Secrets Manager appends (Secrets Manager User Guide, "Find secrets": ARN format), and a hosted zone
id of 32 characters (Route 53 API reference, ResourceId: at most 32). tests/test_user_data_size.py proves the
bound is never below what the program renders.

Rejected: failing inside the launch template's apply, where the ARNs are known. That happens during
``pulumi up``, after the stack's first resources were created, and shows a traceback instead of the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rustfs_aws.cluster.bootstrap.render import (
    EC2_USER_DATA_LIMIT,
    NodeTelemetry,
    UserDataParams,
    load_releases,
    user_data_bytes,
)
from rustfs_aws.cluster.dns import endpoint_name
from rustfs_aws.cluster.tls import tls_secret_name
from rustfs_aws.security.credentials import secret_name
from rustfs_aws.validation import full_key
from rustfs_model.layout import Node, Pool, node_name, volumes_string

if TYPE_CHECKING:
    from rustfs_aws.config import ClusterConfig

# Placeholders as long and as random as the real values: gzip shrinks a run of zeros to almost nothing, so a
# low-entropy placeholder would measure less than the real ARN compresses to.
ACCOUNT_PLACEHOLDER = "739184562047"
SECRET_SUFFIX_PLACEHOLDER = "-k3TqZ9"
ZONE_ID_PLACEHOLDER = "Z07Q4XH2M9RBV1KD8TFJ3WNYC5PL6GSE"  # 32 characters
KEY_ID_PLACEHOLDER = "7c3e91a4-d25f-4b86-9e07-f1a8c64b2d59"  # a KMS key id's shape, no repeats for gzip to shrink
# The longest telemetry settings config allows: a five-letter level, a sample ratio of six significant digits.
WORST_CASE_TELEMETRY = NodeTelemetry(otlp_endpoint="http://127.0.0.1:4318", log_level="debug",
                                     trace_sample_ratio=0.123457, traces_enabled=False)


def node_user_data_params(cluster: ClusterConfig, *, cluster_id: str, node_index: int, node_name: str, volumes: str,
                          arch: str, region: str, server_domains: tuple[str, ...], hosted_zone_id: str,
                          credentials_secret_arn: str, tls_secret_arn: str | None,
                          telemetry: NodeTelemetry | None = None, sse_key_arn: str | None = None) -> UserDataParams:
    """The one mapping of the cluster config to a node's user data (storage_nodes.py renders with it)."""
    telemetry_params = {} if telemetry is None else {
        "otlp_endpoint": telemetry.otlp_endpoint, "log_level": telemetry.log_level,
        "trace_sample_ratio": telemetry.trace_sample_ratio, "traces_enabled": telemetry.traces_enabled}
    return UserDataParams(**telemetry_params, sse_key_arn=sse_key_arn,
        cluster_id=cluster_id, node_index=node_index, node_name=node_name, hosted_zone_id=hosted_zone_id,
        volumes=volumes, drives_per_node=cluster.drives_per_node, rustfs_version=cluster.rustfs_version,
        arch=arch, credentials_secret_arn=credentials_secret_arn, tls_secret_arn=tls_secret_arn, region=region,
        server_domains=server_domains, console_enabled=cluster.console,
        topology_wait_seconds=cluster.startup.topology_wait_seconds,
        readiness_wait_seconds=cluster.startup.readiness_wait_seconds)


def partition_of(region: str) -> str:
    return "aws-us-gov" if region.startswith("us-gov-") else "aws-cn" if region.startswith("cn-") else "aws"


def _secret_arn(region: str, name: str) -> str:
    return (f"arn:{partition_of(region)}:secretsmanager:{region}:{ACCOUNT_PLACEHOLDER}:secret:"
            f"{name}{SECRET_SUFFIX_PLACEHOLDER}")


def largest_user_data(cluster: ClusterConfig, *, stack: str, region: str) -> tuple[int, str]:
    """(bytes EC2 would count, node name) of the largest node's user data for this configuration."""
    names = [node_name(i + 1, cluster.domain) for i in range(cluster.nodes)]
    pool = Pool(nodes=tuple(Node(n, "az", cluster.drives_per_node, cluster.volume.size_gib) for n in names))
    volumes = volumes_string([pool], cluster.domain)
    release = load_releases()["releases"].get(cluster.rustfs_version, {})
    arches = sorted(arch for arch, asset in release.items() if isinstance(asset, dict)) or ["x86_64"]
    sizes = []
    for index in sorted({1, cluster.nodes}):  # the node names differ only in the number's digits
        name = names[index - 1]
        for arch in arches:
            params = node_user_data_params(
                cluster, cluster_id=f"rustfs-{stack}", node_index=index, node_name=name, volumes=volumes,
                arch=arch, region=region, server_domains=(endpoint_name(cluster.domain),),
                hosted_zone_id=ZONE_ID_PLACEHOLDER, credentials_secret_arn=_secret_arn(region, secret_name(stack)),
                tls_secret_arn=_secret_arn(region, tls_secret_name(stack, name)), telemetry=WORST_CASE_TELEMETRY,
                # encryption.sse: aws adds the KMS settings with the key's ARN (integrations/sse.py); counted always.
                sse_key_arn=f"arn:{partition_of(region)}:kms:{region}:{ACCOUNT_PLACEHOLDER}:key/{KEY_ID_PLACEHOLDER}")
            sizes.append((len(user_data_bytes(params)), name))
    return max(sizes)


def user_data_problem(cluster: ClusterConfig, *, stack: str, region: str) -> str | None:
    """The configuration problem, or None when every node's user data fits."""
    try:
        size, node = largest_user_data(cluster, stack=stack, region=region)
    except ValueError as exc:  # a value UserDataParams refuses that the config let through
        return f"{full_key('cluster')}: the node user data cannot be rendered for this layout ({exc})"
    if size <= EC2_USER_DATA_LIMIT:
        return None
    return (f"{full_key('cluster')}: the user data of node {node} would be {size:,} bytes gzip-compressed; EC2 "
            f"allows {EC2_USER_DATA_LIMIT:,} before base64. It grows with cluster.drivesPerNode "
            f"({cluster.drives_per_node}), cluster.domain ({len(cluster.domain)} characters) and cluster.nodes "
            f"({cluster.nodes}): use fewer drives per node or a shorter domain")
