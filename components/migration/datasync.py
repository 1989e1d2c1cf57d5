"""Migrating into RustFS with AWS DataSync: an agent in the VPC, the RustFS endpoint as an object-storage location,
a location per source, and the tasks between them (schedule, bandwidth limit, verification, CloudWatch logging).

What DataSync can copy where decides the shape. A Basic-mode task moves data between self-managed storage (NFS,
SMB, HDFS, object storage) and an AWS storage service (S3, EFS, FSx): "Transferring to or from on-premises storage
with AWS DataSync" lists exactly those pairs, and Enhanced mode only adds S3-to-S3 and other-clouds-to-S3 pairs
("Choosing a task mode"). RustFS is self-managed object storage, so:
- an **S3 bucket** is copied straight into RustFS: S3 location -> RustFS object-storage location, one task;
- an **NFS or SMB share or another S3-compatible store** cannot be: it is copied into a prefix of the stack's
  staging bucket (task "<source>-stage", on an agent that reaches the source), then from there into RustFS (task
  "<source>-load", on the stack's agent). The staged copy expires after ``stagingExpirationDays``.
Rejected: pointing a task from an NFS location at the RustFS location. CreateTask refuses the pair; the stack would
deploy and never copy a byte.

Every task runs on an agent, since the destination (RustFS behind the internal NLB) is reachable only from inside
the VPC: an EC2 instance from AWS's DataSync AMI (the public parameter ``/aws/service/datasync/ami``, "Deploy your
agent as an Amazon EC2 instance"; m5.2xlarge or m5.4xlarge, "Agent requirements") in the first private subnet, with
an 80 GiB root volume (the VM requirement) encrypted with the data key, no public IP, no key pair, no instance
profile (an agent authenticates through its activation, not IAM), IMDSv2 only. The agent talks to DataSync through
an interface endpoint ``com.amazonaws.<region>.datasync`` in the agent's subnet, created only with this section,
with private DNS off and a security group admitting the agent on 443 and 1024-1064 ("Using AWS DataSync in a
virtual private cloud": "Make sure that you clear the Enable Private DNS Name check box"; "allow outbound traffic
from the agent to the VPC endpoint by using ports 443, 1024-1064"; the endpoint in the agent's AZ "to avoid charges
for network traffic between Availability Zones"). The task network interfaces DataSync creates get the same group.

Activation is a manual step AWS requires (README, "Migrating into RustFS with DataSync"): the first ``pulumi up``
creates the instance and the endpoint and opens the agent's port 80 to the VPC's CIDR and
``migration.agent.activationCidrs`` (the storage nodes cannot use it: their group has no egress on 80); you fetch the
activation key from the agent over HTTP (``curl "http://<agent-ip>/?gatewayType=SYNC&activationRegion=<region>&
privateLinkEndpoint=<endpoint-ip>&endpointType=PRIVATE_LINK&no_redirect"``, "Creating an AWS DataSync agent with the
AWS CLI"; "Agent activation keys expire in 30 minutes if unused", "Activate your agent") and set it as the secret
``migration.agent.activationKey``; the next ``pulumi up`` creates the ``aws.datasync.Agent`` (CreateAgent with the
endpoint, the subnet and the group), the locations and the tasks, and closes port 80 (the agent closes it itself once
activated). Rejected: the provider's ``ip_address`` activation, where the machine running
Pulumi fetches the key from the agent's port 80: that machine is outside the private subnet. The key is ignored after
creation (``ignore_changes``): a key is single-use, and a changed one would replace an activated agent.

The RustFS side: the location's server is the stack's endpoint ``s3.<cluster.domain>`` on port 9000 over HTTPS with
the cluster CA as its server certificate (CreateLocationObjectStorage ServerCertificate: "a certificate chain for
DataSync to authenticate with your object storage system if the system uses a private or self-signed certificate
authority"; the provider sends the PEM text itself, which the SDK base64-encodes on the wire:
terraform-provider-aws internal/service/datasync/location_object_storage.go, ``[]byte(v.(string))``). It signs with
a dedicated RustFS service account: its keys are generated here (pulumi-random) into the Secrets Manager secret
``rustfs/<stack>/migration/service-account`` with the RustFS policy the account needs
(``documents.rustfs_service_account_policy``); RustFS must know the account before a task runs. The program declares
it to the state reconciler instead (``service_account_version``: the account ``rustfs-datasync`` and its policy in
``RustfsState``, whose secret the keys then come from, and the reconciler creates the account); without the
reconciler an administrator creates it once through RustFS's admin API, ``PUT /rustfs/admin/v3/add-service-accounts``
with ``accessKey``, ``secretKey`` and ``policy`` (AddServiceAccountReq, crates/madmin/src/user.rs;
rustfs/src/admin/handlers/service_account.rs). Honestly: DataSync's API now also takes the
secret from Secrets Manager itself (CmkSecretConfig / CustomSecretConfig), but pulumi-aws 7.51's
``LocationObjectStorage`` has no such argument, so the secret key is an input of the location: a Pulumi secret,
encrypted in the state, never in an output or a log, and held by DataSync as any object-storage location's key is.
Every credential a location takes (that key, an SMB password, another store's secret key) reaches it from its
Secrets Manager secret version, derived from the version's output, so the value in Secrets Manager is the one
DataSync has (the policy pack checks the derivation).

Tasks: Basic mode; ``verifyMode`` POINT_IN_TIME_CONSISTENT or ONLY_FILES_TRANSFERRED (NONE is refused); ``logLevel``
BASIC or TRANSFER into the log group ``/rustfs/<name>/datasync`` (logs key), which a CloudWatch Logs resource policy
lets DataSync tasks of this account write ("DataSync requires a resource policy that grants sufficient
permissions"); ``PreserveDeletedFiles=PRESERVE``: a deletion at the source never deletes in RustFS; the schedule and
the bandwidth limit from config; optional task reports under ``reports/`` of the staging bucket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from rustfs_aws.component_args import component_args
from rustfs_aws.migration import documents
from rustfs_aws.migration.settings import MigrationConfig, MigrationSource
from rustfs_aws.security.credentials import ACCESS_KEY_LENGTH, SECRET_KEY_LENGTH, recovery_window_days
from rustfs_aws.security.iam_documents import service_trust
from rustfs_aws.storage.bucket_policies import S3_ACCESS_LOG_PREFIX
from rustfs_aws.storage.buckets import HardenedBucket, HardenedBucketArgs, Lifecycle, bucket_name
from rustfs_aws.tagging import resource_tags
from rustfs_model.datasync import bytes_per_second

AMI_PARAMETER = "/aws/service/datasync/ami"  # "Deploy your agent as an Amazon EC2 instance"
ROOT_VOLUME_GIB = 80  # "Disk space: 80 GB of disk space for installation of VM image and system data"
CONTROL_PORT = 443
DATA_PORTS = (1024, 1064)  # agent -> endpoint and task network interfaces
ACTIVATION_PORT = 80
# Agent -> sources ("AWS DataSync network requirements": NFS 2049, and 111 for NFS 3; SMB 139 or 445).
SOURCE_PORTS = {"nfs": [(111, 111), (2049, 2049)], "smb": [(139, 139), (445, 445)]}
ENDPOINT_SERVICE = "datasync"


def secret_name(stack: str, purpose: str) -> str:
    return f"rustfs/{stack}/migration/{purpose}"


@dataclass
class DataSyncMigrationArgs:
    """Inputs of ``DataSyncMigration`` (Python only: it takes the validated ``migration`` config, like
    ``RustfsCluster`` takes the cluster's)."""

    name: str
    stack: str
    region: str
    account_id: str
    partition: str
    migration: MigrationConfig
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_id: pulumi.Input[str]
    """The agent's subnet (the first private subnet) and the endpoint's."""
    endpoint_hostname: str
    """The RustFS S3 endpoint's name (``s3.<cluster.domain>``)."""
    endpoint_port: int
    ca_cert_pem: pulumi.Input[str] | None
    """The cluster CA's certificate (private-ca TLS); None when the endpoint's certificate is publicly trusted."""
    data_key_arn: pulumi.Input[str]
    storage_key_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_group_prefix: str
    log_retention_days: int
    permissions_boundary_arn: pulumi.Input[str]
    service_account_version: aws.secretsmanager.SecretVersion | None = None
    """The secret version of the migration's RustFS service account when the state reconciler declares it
    (``RustfsState.secret_versions``): the location's keys are derived from it and the reconciler creates the account.
    None: the component generates the keys into its own secret and an administrator creates the account."""
    access_log_bucket: pulumi.Input[str] | None = None
    """The stack's logs bucket: the staging bucket's server access logs go there (``s3-access/datasync/``)."""
    protect: bool | None = False
    tags: dict[str, str] | None = field(default_factory=dict)


class DataSyncMigration(pulumi.ComponentResource):
    """DataSync into RustFS: the agent (EC2, DataSync AMI), its VPC endpoint, the RustFS location with its service
    account's keys in Secrets Manager, one location per source (and a staging bucket for sources DataSync cannot copy
    into RustFS directly), the tasks, their log group and its resource policy."""

    agent_instance_id: pulumi.Output[str]
    agent_private_ip: pulumi.Output[str]
    endpoint_id: pulumi.Output[str]
    endpoint_network_interface_ids: pulumi.Output[list[str]]
    agent_arn: pulumi.Output[str] | None
    """None until ``migration.agent.activationKey`` is set (README: the activation)."""
    task_arns: dict[str, pulumi.Output[str]]
    service_account_secret_arn: pulumi.Output[str]
    service_account_policy: str
    log_group_name: str

    def __init__(self, name: str, args: DataSyncMigrationArgs, opts: pulumi.ResourceOptions | None = None):
        a = component_args(DataSyncMigrationArgs, args)
        super().__init__("rustfs:migration:DataSyncMigration", name, None, opts)
        self._a, self._name = a, name
        self._child = pulumi.ResourceOptions(parent=self)
        m = a.migration
        agent_sg, endpoint_sg = self._security_groups()
        self.endpoint = aws.ec2.VpcEndpoint(
            f"{name}-endpoint", vpc_id=a.vpc_id, service_name=f"com.amazonaws.{a.region}.{ENDPOINT_SERVICE}",
            vpc_endpoint_type="Interface", private_dns_enabled=False, subnet_ids=[a.subnet_id],
            security_group_ids=[endpoint_sg.id], tags=self._tags("datasync-endpoint"), opts=self._child)
        self.instance = self._instance(agent_sg)
        self.log_group_name = f"{a.log_group_prefix}datasync"
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=self.log_group_name, retention_in_days=a.log_retention_days,
            kms_key_id=a.logs_key_arn, tags=self._tags("datasync-logs"), opts=self._child)
        log_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-policy", policy_name=f"{a.name}-datasync",
            policy_document=self.log_group.arn.apply(lambda arn: json.dumps(documents.log_resource_policy(
                log_group_arn=arn, partition=a.partition, region=a.region, account_id=a.account_id))),
            opts=pulumi.ResourceOptions(parent=self.log_group))
        self._log_ready = [log_policy]
        self.service_account_policy = json.dumps(documents.rustfs_service_account_policy(
            [s.destination_bucket for s in m.sources]), indent=2)
        service_version = self._service_account()
        self.staging = self._staging_bucket() if (m.staged or m.task_report) else None
        self.agent = self._agent(agent_sg, endpoint_sg) if m.activated else None
        self.task_arns: dict[str, pulumi.Output[str]] = {}
        if self.agent is not None:
            report = self._report_role() if m.task_report else None
            for source in m.sources:
                self._migrate(source, service_version, report)

        self.agent_instance_id = self.instance.id
        self.agent_private_ip = self.instance.private_ip
        self.endpoint_id = self.endpoint.id
        self.endpoint_network_interface_ids = self.endpoint.network_interface_ids
        self.agent_arn = self.agent.arn if self.agent else None
        self.register_outputs({
            "agentInstanceId": self.instance.id, "agentPrivateIp": self.instance.private_ip,
            "endpointId": self.endpoint.id, "agentArn": self.agent_arn, "taskArns": self.task_arns,
            "serviceAccountSecretArn": self.service_account_secret_arn, "logGroupName": self.log_group_name})

    # --- helpers -------------------------------------------------------------------------------------------

    def _tags(self, suffix: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._a.tags, f"{self._a.name}-{suffix}", self._a.stack, extra)

    def _rule(self, rule, sg, label: str, *, ports: tuple[int, int], description: str, cidr: str | None = None,
              peer=None) -> None:
        """A TCP rule of ``sg`` (``rule``: the ingress or egress rule type) to or from a CIDR or a peer group."""
        rule(f"{self._name}-{label}", security_group_id=sg.id, ip_protocol="tcp", from_port=ports[0], to_port=ports[1],
             cidr_ipv4=cidr, referenced_security_group_id=peer.id if peer is not None else None,
             description=description, tags=self._tags(label), opts=pulumi.ResourceOptions(parent=sg))

    def _ingress(self, sg, label: str, **rule) -> None:
        self._rule(aws.vpc.SecurityGroupIngressRule, sg, label, **rule)

    def _egress(self, sg, label: str, **rule) -> None:
        self._rule(aws.vpc.SecurityGroupEgressRule, sg, label, **rule)

    def _security_groups(self):
        a, m = self._a, self._a.migration
        agent = aws.ec2.SecurityGroup(f"{self._name}-agent-sg", vpc_id=a.vpc_id,
                                      description="DataSync agent: to its VPC endpoint, RustFS and its sources",
                                      tags=self._tags("datasync-agent"), opts=self._child)
        endpoint = aws.ec2.SecurityGroup(f"{self._name}-endpoint-sg", vpc_id=a.vpc_id,
                                         description="DataSync VPC endpoint and task interfaces: from the agent",
                                         tags=self._tags("datasync-endpoint"), opts=self._child)
        for label, ports in (("control", (CONTROL_PORT, CONTROL_PORT)), ("data", DATA_PORTS)):
            self._ingress(endpoint, f"endpoint-{label}", ports=ports, peer=agent,
                          description=f"DataSync {label} traffic from the agent")
            self._egress(agent, f"agent-{label}", ports=ports, peer=endpoint,
                         description=f"DataSync {label} traffic to the endpoint and task interfaces")
        self._egress(agent, "agent-rustfs", ports=(a.endpoint_port, a.endpoint_port), cidr=a.vpc_cidr,
                     description="RustFS S3 API through the internal load balancer")
        if not m.activated:
            # Only until the activation key is in config: "After you activate the agent, it closes port 80".
            for i, cidr in enumerate(dict.fromkeys([a.vpc_cidr, *m.agent.activation_cidrs])):
                self._ingress(agent, f"agent-activation-{i}", ports=(ACTIVATION_PORT, ACTIVATION_PORT), cidr=cidr,
                              description="Agent activation (HTTP GET of the activation key), until activated")
        own = [s for s in m.sources if s.staged and not s.agent_arns]
        for cidr_index, cidr in enumerate(m.agent.source_cidrs):
            ports = sorted({p for s in own for p in (SOURCE_PORTS.get(s.type) or [(s.port, s.port)])})
            for port in ports:
                self._egress(agent, f"agent-source-{cidr_index}-{port[0]}", ports=port, cidr=cidr,
                             description=f"Sources of the migration (port {port[0]})")
        return agent, endpoint

    def _instance(self, agent_sg) -> aws.ec2.Instance:
        a = self._a
        ami = aws.ssm.get_parameter_output(name=AMI_PARAMETER, opts=pulumi.InvokeOptions(parent=self))
        return aws.ec2.Instance(
            f"{self._name}-agent", ami=ami.value, instance_type=a.migration.agent.instance_type,
            subnet_id=a.subnet_id, vpc_security_group_ids=[agent_sg.id], associate_public_ip_address=False,
            monitoring=True, ebs_optimized=True,
            metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1, "http_endpoint": "enabled"},
            root_block_device={"volume_size": ROOT_VOLUME_GIB, "volume_type": "gp3", "encrypted": True,
                               "kms_key_id": a.data_key_arn, "delete_on_termination": True,
                               "tags": self._tags("datasync-agent-root")},
            tags=self._tags("datasync-agent", {"rustfs:role": "datasync-agent"}),
            # A new AMI in the parameter must not replace an activated agent (AWS updates agents in place).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ami"]))

    def _secret(self, purpose: str, value: pulumi.Input[str], description: str) -> aws.secretsmanager.SecretVersion:
        a = self._a
        secret = aws.secretsmanager.Secret(
            f"{self._name}-{purpose}", name=secret_name(a.stack, purpose), kms_key_id=a.secrets_key_arn,
            description=description, recovery_window_in_days=recovery_window_days(a.protect),
            tags=resource_tags(a.tags, secret_name(a.stack, purpose), a.stack),
            opts=pulumi.ResourceOptions(parent=self, protect=a.protect))
        return aws.secretsmanager.SecretVersion(
            f"{self._name}-{purpose}-version", secret_id=secret.id, secret_string=pulumi.Output.secret(value),
            opts=pulumi.ResourceOptions(parent=secret))

    def _service_account(self) -> aws.secretsmanager.SecretVersion:
        if self._a.service_account_version is not None:
            self.service_account_secret_arn = self._a.service_account_version.secret_id
            return self._a.service_account_version
        name = self._name
        access = random.RandomPassword(f"{name}-access-key", length=ACCESS_KEY_LENGTH, upper=True, lower=False,
                                       numeric=True, special=False, min_upper=4, min_numeric=4, opts=self._child)
        secret = random.RandomPassword(f"{name}-secret-key", length=SECRET_KEY_LENGTH, upper=True, lower=True,
                                       numeric=True, special=False, min_upper=4, min_lower=4, min_numeric=4,
                                       opts=self._child)
        version = self._secret("service-account", pulumi.Output.json_dumps(
            {"accessKey": access.result, "secretKey": secret.result,
             "policy": json.loads(self.service_account_policy)}),
            "RustFS service account of the DataSync migration (keys and its RustFS policy): created in RustFS by "
            "the reconciler or an administrator (README, Migrating into RustFS with DataSync)")
        self.service_account_secret_arn = version.secret_id
        return version

    def _staging_bucket(self) -> HardenedBucket:
        a = self._a
        days = a.migration.staging_expiration_days
        physical = bucket_name(a.name, "dsync", a.account_id, a.region)
        # Standard-IA after S3's 30-day minimum, no Glacier (DataSync cannot read archived objects without a
        # restore), expiry when the staged copy has served its purpose; noncurrent versions a day later.
        return HardenedBucket(f"{self._name}-staging", HardenedBucketArgs(
            bucket=physical, kms_key_arn=a.storage_key_arn, protect=a.protect, tags=self._tags("datasync-staging"),
            access_log_bucket=a.access_log_bucket, access_log_prefix=f"{S3_ACCESS_LOG_PREFIX}datasync/",
            lifecycle=Lifecycle(transition_ia_days=30, transition_glacier_days=None, expiration_days=days,
                                noncurrent_expiration_days=1)), opts=self._child)

    def _role(self, label: str, policy: pulumi.Input[str], description: str) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        a = self._a
        trust = json.dumps(service_trust("datasync.amazonaws.com", a.account_id,
                                         f"arn:{a.partition}:datasync:{a.region}:{a.account_id}:*"))
        role = aws.iam.Role(f"{self._name}-{label}-role", name=f"{a.name}-datasync-{label}", description=description,
                            assume_role_policy=trust, permissions_boundary=a.permissions_boundary_arn,
                            tags=self._tags(f"datasync-{label}"), opts=self._child)
        return role, aws.iam.RolePolicy(f"{self._name}-{label}-policy", role=role.id, policy=policy,
                                        opts=pulumi.ResourceOptions(parent=role))

    def _report_role(self):
        a = self._a
        policy = pulumi.Output.all(self.staging.arn, a.storage_key_arn).apply(lambda v: json.dumps(
            documents.report_policy(bucket_arn=v[0], prefix="reports/", region=a.region, storage_key_arn=v[1])))
        return self._role("reports", policy, "DataSync uploads task reports to the staging bucket's reports/")

    def _agent(self, agent_sg, endpoint_sg) -> aws.datasync.Agent:
        a = self._a
        arn = pulumi.Output.from_input(a.subnet_id).apply(
            lambda subnet: f"arn:{a.partition}:ec2:{a.region}:{a.account_id}:subnet/{subnet}")
        return aws.datasync.Agent(
            f"{self._name}-agent-activation", name=f"{a.name}-agent",
            activation_key=pulumi.Output.secret(a.migration.agent.activation_key),
            vpc_endpoint_id=self.endpoint.id, subnet_arns=[arn], security_group_arns=[endpoint_sg.arn],
            tags=self._tags("datasync-agent"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.instance], ignore_changes=["activationKey"]))

    # --- one source ----------------------------------------------------------------------------------------

    def _rustfs_location(self, source: MigrationSource, version) -> aws.datasync.LocationObjectStorage:
        a = self._a
        keys = version.secret_string.apply(json.loads)
        return aws.datasync.LocationObjectStorage(
            f"{self._name}-{source.name}-rustfs", server_hostname=a.endpoint_hostname, server_port=a.endpoint_port,
            server_protocol="HTTPS", bucket_name=source.destination_bucket,
            subdirectory=f"/{source.destination_prefix}" if source.destination_prefix else None,
            server_certificate=a.ca_cert_pem, agent_arns=[self.agent.arn],
            access_key=keys.apply(lambda k: k["accessKey"]),
            secret_key=pulumi.Output.secret(keys.apply(lambda k: k["secretKey"])),
            tags=self._tags(f"datasync-{source.name}-rustfs"), opts=self._child)

    def _s3_location(self, label: str, bucket_arn: pulumi.Input[str], prefix: str, policy: pulumi.Input[str],
                     description: str) -> aws.datasync.S3Location:
        role, role_policy = self._role(label, policy, description)
        return aws.datasync.S3Location(
            f"{self._name}-{label}-s3", s3_bucket_arn=bucket_arn, subdirectory=f"/{prefix}",
            s3_config={"bucket_access_role_arn": role.arn}, s3_storage_class="STANDARD",
            tags=self._tags(f"datasync-{label}"),
            # IAM is eventually consistent: CreateLocationS3 checks that DataSync can assume the role and list.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]))

    def _source_location(self, source: MigrationSource, agent_arns: list):
        tags = self._tags(f"datasync-{source.name}-source")
        if source.type == "nfs":
            return aws.datasync.NfsLocation(
                f"{self._name}-{source.name}-nfs", server_hostname=source.hostname, subdirectory=source.path,
                on_prem_config={"agent_arns": agent_arns}, mount_options={"version": source.version}, tags=tags,
                opts=self._child)
        credentials = self._secret(f"source-{source.name}", pulumi.Output.json_dumps(
            {"password": source.password} if source.type == "smb" else {"accessKey": source.access_key,
                                                                        "secretKey": source.secret_key}),
            f"Credentials of the migration source {source.name} ({source.type}, {source.hostname})")
        values = credentials.secret_string.apply(json.loads)
        if source.type == "smb":
            return aws.datasync.LocationSmb(
                f"{self._name}-{source.name}-smb", server_hostname=source.hostname, subdirectory=source.path,
                user=source.user, domain=source.domain, agent_arns=agent_arns,
                password=pulumi.Output.secret(values.apply(lambda v: v["password"])),
                mount_options={"version": source.version}, tags=tags, opts=self._child)
        return aws.datasync.LocationObjectStorage(
            f"{self._name}-{source.name}-store", server_hostname=source.hostname, server_port=source.port,
            server_protocol="HTTPS", bucket_name=source.bucket,
            subdirectory=f"/{source.prefix}" if source.prefix else None,
            server_certificate=source.server_certificate, agent_arns=agent_arns,
            access_key=values.apply(lambda v: v["accessKey"]),
            secret_key=pulumi.Output.secret(values.apply(lambda v: v["secretKey"])), tags=tags, opts=self._child)

    def _task(self, label: str, source: MigrationSource, src, dst, report) -> aws.datasync.Task:
        a, m = self._a, self._a.migration
        schedule = source.schedule or m.schedule
        limit = source.bandwidth_mibps if source.bandwidth_mibps is not None else m.bandwidth_mibps
        report_config = None
        if report is not None:
            role, role_policy = report
            report_config = {"s3_destination": {"bucket_access_role_arn": role.arn, "s3_bucket_arn": self.staging.arn,
                                                "subdirectory": f"reports/{label}/"},
                             "output_type": "SUMMARY_ONLY", "report_level": "ERRORS_ONLY"}
        task = aws.datasync.Task(
            f"{self._name}-{label}", name=f"{a.name}-{label}", source_location_arn=src.arn,
            destination_location_arn=dst.arn, cloudwatch_log_group_arn=self.log_group.arn, task_mode="BASIC",
            options={"verify_mode": m.verify_mode, "transfer_mode": m.transfer_mode, "log_level": m.log_level,
                     "bytes_per_second": bytes_per_second(limit), "overwrite_mode": "ALWAYS",
                     "preserve_deleted_files": "PRESERVE", "task_queueing": "ENABLED"},
            schedule={"schedule_expression": schedule} if schedule else None,
            task_report_config=report_config, tags=self._tags(f"datasync-{label}", {"rustfs:source": source.name}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self._log_ready, *([report[1]] if report else [])]))
        self.task_arns[label] = task.arn
        return task

    def _migrate(self, source: MigrationSource, service_version, report) -> None:
        a = self._a
        rustfs = self._rustfs_location(source, service_version)
        if source.type == "s3":
            bucket_arn = f"arn:{a.partition}:s3:::{source.bucket}"
            policy = json.dumps(documents.source_read_policy(
                bucket_arn=bucket_arn, prefix=source.prefix, region=a.region, kms_key_arn=source.kms_key_arn))
            src = self._s3_location(source.name, bucket_arn, source.prefix, policy,
                                    f"DataSync reads s3://{source.bucket}/{source.prefix} (migration {source.name})")
            self._task(source.name, source, src, rustfs, report)
            return
        prefix = f"{source.name}/"
        policy = pulumi.Output.all(self.staging.arn, a.storage_key_arn).apply(lambda v: json.dumps(
            documents.staging_policy(bucket_arn=v[0], prefix=prefix, region=a.region, storage_key_arn=v[1])))
        staged = self._s3_location(source.name, self.staging.arn, prefix, policy,
                                   f"DataSync stages the {source.type} source {source.name} under {prefix}")
        origin = self._source_location(source, source.agent_arns or [self.agent.arn])
        self._task(f"{source.name}-stage", source, origin, staged, report)
        self._task(f"{source.name}-load", source, staged, rustfs, report)
