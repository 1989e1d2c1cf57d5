"""The Pulumi component package ``rustfs``: the components a TypeScript, Go, C#, Java or YAML program gets from
``pulumi package add`` (provider/ hosts them), and why the others are left out.

Pulumi's analyzer (``pulumi.provider.experimental``) infers the schema from each component's ``args``
annotation (its inputs), its annotated attributes (its outputs) and their docstrings (the descriptions). The
package's types are ``rustfs:index:<Class>``: the source-based provider serves the ``index`` module only. The
components still register their own ``rustfs:<module>:<Type>``, so a stack holds the same types whether a
Python program or the package created them.

What a component needs to be served: Args of schema types only (str, int, float, bool, lists,
``dict[str, ...]``, ``pulumi.Input``, enums, nested dataclasses) - never a config object, a computed plan, a
callable or a resource - and a composition with the others through inputs and outputs, since the package
cannot call methods. Rejected: package-only wrappers with Args of their own (a second definition of every
input, documented twice); the components' own Args are the package's inputs.
"""

import pulumi

from rustfs_aws.cluster.dns import ClusterDns
from rustfs_aws.cluster.load_balancer import S3LoadBalancer
from rustfs_aws.cluster.snapshots import Snapshots
from rustfs_aws.cluster.tls import ClusterTls
from rustfs_aws.images.pipeline import NodeImagePipeline
from rustfs_aws.network.network import Network
from rustfs_aws.observability.observability import Observability
from rustfs_aws.operations.budget import StackBudget
from rustfs_aws.operations.patching import NodePatching
from rustfs_aws.operations.restart_documents import RestartDocuments
from rustfs_aws.operations.sessions import SessionAccess
from rustfs_aws.security.audit import Audit
from rustfs_aws.security.credentials import RootCredentials
from rustfs_aws.security.iam import Iam
from rustfs_aws.security.keys import Keys
from rustfs_aws.storage.buckets import HardenedBucket

NAME = "rustfs"

COMPONENTS: list[type[pulumi.ComponentResource]] = [
    Keys, RootCredentials, Iam, Audit, HardenedBucket, Network, Observability, ClusterDns, S3LoadBalancer,
    ClusterTls, Snapshots, RestartDocuments, StackBudget, NodeImagePipeline, NodePatching, SessionAccess,
]

# Public components the package does not serve, by class name, and why (README, "What the component package
# cannot do yet"). tests/test_component_package.py fails for a public component in neither list.
LEFT_OUT = {
    "RustfsState": "it installs its reconciler on the instances of a RustfsCluster (State Manager targets their "
                   "rustfs:cluster tag) and its node statements go into Iam.grant_node_access, a method",
    "NodeCollector": "it configures the CloudWatch agent on the instances of a RustfsCluster (State Manager targets "
                     "their rustfs:cluster tag) and is only useful with the cluster and its node role, neither of "
                     "which the package serves",
    "RustfsCluster": "its Args take the validated ClusterConfig, the ClusterPlan computed from it and the "
                     "resources that order the first boot (the secret versions, the node role's policy): none is a "
                     "schema type, and the node policy comes from Iam.grant_node_access, a method",
    "ClusterAlarms": "its Args take the erasure layout (rustfs_model.layout.Layout, nested tuples) that only "
                     "plan_cluster computes, and the node groups' names that only RustfsCluster has",
    "ClusterDashboard": "it draws ClusterAlarms' alarms (alarm_arns, drive_paths), and ClusterAlarms is not served",
    "EdgeOrigin": "new with the edge (components/edge/); its Args are schema types but it is not yet in the YAML "
                  "example nor checked by the schema tests, and it is only useful with the cluster it registers",
    "EdgeDistribution": "new with the edge; it creates its own us-east-1 provider and its buckets are nested Args not "
                        "yet in the YAML example nor checked by the schema tests",
    "Tracing": "new with the X-Ray sampling rule and group; its Args are schema types but it is not yet in the "
               "YAML example (examples/) nor checked by the schema tests",
    "EksPlatform": "new with the EKS platform; its Args are not yet documented for the schema",
    "RustfsWorkload": "new with the EKS platform; it takes secret values (credentials, the CA key) as inputs",
    "S3Lattice": "it shares the S3 Service's load balancer, whose DNS name only RustfsWorkload's Service status has; "
                 "served when the EKS components are",
    "TierStorage": "its Args take the validated tiering section (a config object, not a schema type), and the tier it "
                   "serves is registered by the reconciler on the RustfsCluster's nodes",
    "TierReplica": "its Args take the validated integration sections and the tier bucket's HardenedBucket resource "
                   "(replication waits for its versioning): neither is a schema type",
    "DataSyncMigration": "its Args take the validated migration config (MigrationConfig with its sources and the "
                         "secret credentials in them), which is not a schema type",
    "HybridConnectivity": "its Args take the validated hybrid section (HybridConfig, a config object, not a schema "
                          "type) and the ops-alerts topic of ClusterAlarms, which is not served",
    "DrLink": "its primary-side inputs are a StackReference's outputs checked against this stack's config "
              "(components/dr/primary.py), and it adds rules to the security groups of RustfsCluster and of the "
              "primary's cluster, neither of which the package serves",
}
