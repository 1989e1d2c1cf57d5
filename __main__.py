"""rustfs-aws: RustFS on AWS. The composition root: read the config once, build the components."""

import pulumi

# The components as a user's program imports them: from the sub-package of their concern.
from rustfs_aws.cluster import (
    CONSOLE_PORT,
    S3_PORT,
    ClusterArgs,
    ClusterDns,
    ClusterTls,
    DnsArgs,
    LoadBalancerArgs,
    RustfsCluster,
    S3LoadBalancer,
    Snapshots,
    SnapshotsArgs,
    TlsArgs,
    console_name,
    endpoint_name,
    plan_cluster,
)
from rustfs_aws.cluster.bootstrap.render import NodeTelemetry
from rustfs_aws.config import load
from rustfs_aws.dr.primary import primary_exports
from rustfs_aws.dr.wiring import build_link, read_primary, with_site_replication
from rustfs_aws.edge.wiring import build_edge, state_buckets
from rustfs_aws.images import (
    NodeImagePipeline,
    NodeImagePipelineArgs,
    image_architecture,
    image_parameter_name,
    require_image,
)
from rustfs_aws.integrations.wiring import build_integrations
from rustfs_aws.network import (
    GATEWAY_ENDPOINT_SERVICES,
    INTERFACE_ENDPOINT_SERVICES,
    Network,
    NetworkArgs,
    resolve_zones,
)
from rustfs_aws.observability import (
    ClusterAlarms,
    ClusterAlarmsArgs,
    ClusterDashboard,
    ClusterDashboardArgs,
    NodeCollector,
    NodeCollectorArgs,
    Observability,
    ObservabilityArgs,
    Tracing,
    TracingArgs,
)
from rustfs_aws.observability.collector import PACKAGE as COLLECTOR_PACKAGE
from rustfs_aws.observability.telemetry import OTLP_HTTP_ENDPOINT, metric_namespace
from rustfs_aws.operations import (
    BudgetArgs,
    NodePatching,
    PatchingArgs,
    RestartDocuments,
    RestartDocumentsArgs,
    SessionAccess,
    SessionsArgs,
    StackBudget,
    check_quotas,
    patching_node_statements,
    session_node_statements,
)
from rustfs_aws.security import (
    Audit,
    AuditArgs,
    CredentialsArgs,
    Iam,
    IamArgs,
    Keys,
    KeysArgs,
    NodeAccessInputs,
    RootCredentials,
    resolve_config_service_role,
    trail_name,
)
from rustfs_aws.stack import StackContext

cfg = load()  # validates everything before any resource is declared

stack = StackContext.create(cfg)
invoke, opts = stack.invoke, stack.opts()
check_quotas(cfg, invoke)  # the account's applied service quotas against the stack's need, before any resource
# AWSServiceRoleForConfig exists once per account: use the account's, create it only where it is absent.
config_service_role = resolve_config_service_role(
    cfg.audit.config_service_linked_role, stack=cfg.stack, project=cfg.tags["Project"],
    invoke=invoke) if cfg.audit.config == "create" else "existing"
# The stack's AZs by ID, never from the zones' current state; instance type and endpoints offered in each.
# migration: the DataSync agent's interface endpoint too (created only then: components/migration/datasync.py).
zones = resolve_zones(cfg, invoke, interface_services=(*INTERFACE_ENDPOINT_SERVICES,
                                                       *(["datasync"] if cfg.migration else [])),
                      gateway_services=GATEWAY_ENDPOINT_SERVICES)
# images.use: nodes launch from the image pipeline's newest AMI, which must exist before a launch template names its
# parameter (components/images/pipeline.py: the order of a first deployment).
image_parameter = image_parameter_name(cfg.name, image_architecture(cfg.cluster.instance_type)) \
    if cfg.images.use else None
if image_parameter:
    require_image(image_parameter, invoke)

keys = Keys(f"{cfg.name}-keys", stack.args(
    KeysArgs, key_admin_role_arn=cfg.security.key_admin_role_arn,
    ebs_encryption_by_default=cfg.security.ebs_encryption_by_default,
    ebs_default_kms_key_arn=cfg.security.ebs_default_kms_key_arn,
    trail_name=trail_name(cfg.name) if cfg.audit.cloud_trail == "create" else None,
    config_delivery=cfg.audit.config == "create", sse=cfg.integrations.encryption.sse == "aws"), opts=opts)

credentials = RootCredentials(f"{cfg.name}-root-credentials", stack.args(
    CredentialsArgs, secrets_key_arn=keys.arns["secrets"], version=cfg.security.root_credentials_version),
    opts=opts)

# A DR secondary (README, Multi-region DR): the primary's outputs through a stack reference, checked at preview; the
# boundary spares the primary's replication credentials, which the reconciler starts site replication with.
dr_primary = read_primary(cfg, stack)

iam = Iam(f"{cfg.name}-iam", stack.args(
    IamArgs, operator_principals=cfg.security.operator_principals,
    operator_session_seconds=cfg.security.operator_session_seconds,
    cross_account_id=cfg.security.cross_account_id,
    cross_account_external_id=cfg.security.cross_account_external_id,
    ec2_nodes=cfg.cluster.platform != "eks", shared_secret_arns=dr_primary.shared_secret_arns if dr_primary else None,
    shared_key_arns=dr_primary.shared_key_arns if dr_primary else None), opts=opts)

network = Network(f"{cfg.name}-net", stack.args(
    NetworkArgs, cidr=cfg.network.cidr, azs=[z.name for z in zones], az_ids=[z.id for z in zones],
    nat_gateways=cfg.network.nat_gateways, flow_log_kms_key_arn=keys.arns["logs"],
    flow_log_retention_days=cfg.network.flow_log_retention_days,
    log_group_prefix=keys.log_group_prefix, permissions_boundary_arn=iam.permissions_boundary_arn,
    public_subnets=cfg.cluster.internet_facing), opts=opts)

audit = Audit(f"{cfg.name}-audit", stack.args(
    AuditArgs, storage_key_arn=keys.arns["storage"], logs_key_arn=keys.arns["logs"],
    messaging_key_arn=keys.arns["messaging"],
    permissions_boundary_arn=iam.permissions_boundary_arn, cloud_trail=cfg.audit.cloud_trail,
    owns_account=cfg.account.owns_account_resources, config=cfg.audit.config,
    config_service_linked_role=config_service_role, log_retention_days=cfg.audit.log_retention_days,
    transition_ia_days=cfg.audit.transition_ia_days, transition_glacier_days=cfg.audit.transition_glacier_days,
    expiration_days=cfg.audit.expiration_days), opts=opts)

budget = StackBudget(f"{cfg.name}-budget", stack.args(
    BudgetArgs, monthly_usd=cfg.budget.monthly_usd, project_tag=cfg.tags["Project"],
    environment_tag=cfg.tags["Environment"], messaging_key_arn=keys.arns["messaging"], emails=cfg.budget.emails),
    opts=opts)

# The S3 tier, its replica, RustFS remote targets and SSE with AWS KMS (README, Tiering, replication and SSE-KMS).
integrations = build_integrations(cfg, stack, keys=keys, iam=iam, network=network, audit=audit)

# --- the RustFS cluster: names and layout first (DNS, certificates and IAM need them), then the nodes ------
cluster_cfg = cfg.cluster
plan = plan_cluster(cluster_cfg, network.azs)
if cluster_cfg.platform == "eks":
    # EKS mode (components/eks/): the cluster, then RustFS on it. No instances or Route 53 zone of our own: the
    # StorageClass retains (and tags for the snapshots below) the volumes, the workload's Service gets its NLB
    # from the AWS Load Balancer Controller. pulumi-eks and pulumi-kubernetes are imported only when used.
    from collections import Counter

    from rustfs_aws.eks.platform import EksPlatform, EksPlatformArgs
    from rustfs_aws.eks.workload import RustfsWorkload, RustfsWorkloadArgs

    eks_platform = EksPlatform(f"{cfg.name}-eks", stack.args(
        EksPlatformArgs, kubernetes_version=cfg.eks.kubernetes_version, instance_type=cluster_cfg.instance_type,
        node_counts=dict(Counter(n.az for n in plan.nodes)),
        subnet_ids=dict(zip(network.azs, network.private_subnet_ids, strict=True)), vpc_id=network.vpc_id,
        admin_cidrs=cfg.network.admin_cidrs, endpoint_public_cidrs=cfg.eks.endpoint_public_cidrs,
        permissions_boundary_arn=iam.permissions_boundary_arn, secrets_key_arn=keys.arns["secrets"],
        data_key_arn=keys.arns["data"], operator_role_arn=iam.operator_role.arn if iam.operator_role else None,
        volume_type=cluster_cfg.volume.type, volume_iops=cluster_cfg.volume.iops,
        volume_throughput_mibps=cluster_cfg.volume.throughput_mibps,
        load_balancer_controller=cfg.eks.load_balancer_controller, s3_namespace=cfg.eks.namespace), opts=opts)
    # The stack's CA only (no node certificates in Secrets Manager): the workload issues its pods' certificate.
    cluster_tls = ClusterTls(f"{cfg.name}-tls", stack.args(
        TlsArgs, domain=cluster_cfg.domain, node_names=[], endpoint_names=[], load_balancer_dns_name="",
        secrets_key_arn=keys.arns["secrets"]), opts=opts)
    lattice = cfg.eks.lattice
    # The NLB's own addresses are in the private subnets the Service names: its health checks come from there (ELB
    # health checks use the load balancer's private IPs), and so do VPC Lattice's resource gateway connections. The
    # default VPC CIDR covers them; with cluster.clientCidrs the NetworkPolicy would refuse them, every target
    # would be unhealthy and the NLB fail open.
    client_cidrs = cluster_cfg.client_cidrs or [network.vpc_cidr]
    if cluster_cfg.client_cidrs:
        client_cidrs = [*client_cidrs, *(s.cidr_block for s in network.private_subnets)]
    workload = RustfsWorkload(f"{cfg.name}-rustfs", stack.args(
        RustfsWorkloadArgs, namespace=cfg.eks.namespace, nodes=cluster_cfg.nodes,
        drives_per_node=cluster_cfg.drives_per_node, volume_size_gib=cluster_cfg.volume.size_gib,
        storage_class_name=eks_platform.storage_class_name, zone_names=list(network.azs),
        access_key=credentials.access_key, secret_key=credentials.secret_key, rpc_secret=credentials.rpc_secret,
        ca_cert_pem=cluster_tls.ca_cert_pem, ca_private_key_pem=cluster_tls.ca_private_key_pem,
        rustfs_version=cluster_cfg.rustfs_version, image_digest=cfg.eks.rustfs.image_digest,
        memory_gib=cfg.eks.rustfs.memory_gib, cpu=cfg.eks.rustfs.cpu,
        client_namespaces=cfg.eks.client_namespaces,
        client_cidrs=client_cidrs,
        endpoint_names=[lattice.domain_name] if lattice else [], subnet_ids=network.private_subnet_ids,
        admin_cidrs=cfg.network.admin_cidrs, console=cluster_cfg.console,
        topology_wait_seconds=cluster_cfg.startup.topology_wait_seconds,
        readiness_wait_seconds=cluster_cfg.startup.readiness_wait_seconds),
        # Its objects go through the cluster's own provider, after the StorageClass and the CSI driver exist.
        # With eks.loadBalancerController: install, also after the controller: its webhooks admit Services.
        opts=pulumi.ResourceOptions(providers=[stack.provider, eks_platform.kubernetes_provider],
                                    depends_on=[eks_platform, *filter(None, [eks_platform.load_balancer_controller])]))
    if lattice:
        from rustfs_aws.eks.lattice import S3Lattice, S3LatticeArgs

        # The S3 endpoint as a VPC Lattice resource: the NLB by its DNS name, TCP 9000, in a service network.
        s3_lattice = S3Lattice(f"{cfg.name}-lattice", stack.args(
            S3LatticeArgs, vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids,
            subnet_cidrs=[s.cidr_block for s in network.private_subnets],
            target_hostname=workload.load_balancer_hostname, domain_name=lattice.domain_name,
            service_network_id=lattice.service_network_id, create_service_network=lattice.create_service_network,
            allowed_principals=lattice.allowed_principals), opts=opts)
        pulumi.export("latticeServiceNetworkId", s3_lattice.service_network_id)
        pulumi.export("latticeS3EndpointUrl", f"https://{lattice.domain_name}:{S3_PORT}")
    pulumi.export("eksClusterName", eks_platform.cluster_name)
    pulumi.export("storageClassName", eks_platform.storage_class_name)
    pulumi.export("s3ServiceName", f"{workload.service_name}.{workload.namespace}.svc")
    pulumi.export("nodeNames", workload.pod_names)
    pulumi.export("rustfsVolumes", workload.volumes)
    pulumi.export("caCertificatePem", cluster_tls.ca_cert_pem)
    pulumi.export("rawCapacityTiB", round(plan.layout.raw_gib / 1024, 2))
    pulumi.export("usableCapacityTiB", round(plan.layout.usable_gib / 1024, 2))
else:
    endpoint = endpoint_name(cluster_cfg.domain)
    endpoint_names = [endpoint, f"*.{endpoint}", *([console_name(cluster_cfg.domain)] if cluster_cfg.console else [])]

    dns = ClusterDns(f"{cfg.name}-dns", stack.args(
        DnsArgs, domain=cluster_cfg.domain, vpc_id=network.vpc_id, node_names=plan.names,
        force_destroy=not cfg.is_prod), opts=opts)

    load_balancer = S3LoadBalancer(f"{cfg.name}-lb", stack.args(
        LoadBalancerArgs, vpc_id=network.vpc_id,
        subnet_ids=network.public_subnet_ids if cluster_cfg.internet_facing else network.private_subnet_ids,
        client_cidrs=cluster_cfg.client_cidrs or [network.vpc_cidr], admin_cidrs=cfg.network.admin_cidrs,
        internal=not cluster_cfg.internet_facing, console=cluster_cfg.console, tls_mode=cfg.tls.mode,
        certificate_arn=cfg.tls.certificate_arn, deletion_protection=cfg.is_prod,
        # Access logs to the audit component's logs bucket (its policy admits the log delivery service).
        access_logs_bucket=audit.logs_bucket.bucket_name,
        on_prem_cidrs=cfg.hybrid.on_prem_cidrs if cfg.hybrid else []), opts=stack.opts(depends_on=[audit.logs_bucket]))
    dns.alias_load_balancer(endpoint_names, load_balancer.dns_name, load_balancer.zone_id)

    cluster_tls = ClusterTls(f"{cfg.name}-tls", stack.args(
        TlsArgs, domain=cluster_cfg.domain, node_names=plan.names, endpoint_names=endpoint_names,
        load_balancer_dns_name=load_balancer.dns_name, secrets_key_arn=keys.arns["secrets"]), opts=opts)

    obs_cfg = cfg.observability
    observability = Observability(f"{cfg.name}-obs", stack.args(
        ObservabilityArgs, log_group_prefix=keys.log_group_prefix, logs_key_arn=keys.arns["logs"],
        retention_days=obs_cfg.log_retention_days or cfg.audit.log_retention_days), opts=opts)
    # The node collector (CloudWatch agent): RustFS's OTLP and the host's metrics to CloudWatch and X-Ray, installed
    # and configured through Systems Manager, not the user data (observability/collector.py).
    collector = NodeCollector(f"{cfg.name}-collector", stack.args(
        NodeCollectorArgs, log_group_prefix=keys.log_group_prefix, package_version=obs_cfg.collector.package_version,
        release_version=obs_cfg.collector.release_version, traces=obs_cfg.tracing.enabled),
        opts=stack.opts(depends_on=[observability])) if obs_cfg.collector.enabled else None
    # Without the collector RustFS gets no endpoint and writes its rolling log file (render.py); the level still
    # applies.
    node_telemetry = NodeTelemetry(
        otlp_endpoint=OTLP_HTTP_ENDPOINT if collector else None, log_level=obs_cfg.log_level,
        trace_sample_ratio=obs_cfg.tracing.sample_rate if obs_cfg.tracing.enabled else None,
        traces_enabled=obs_cfg.tracing.enabled)

    # Shells only through Session Manager, logged and encrypted; OS patches one node at a time (README, Operations).
    sessions_cfg, patching_cfg = cfg.operations.sessions, cfg.operations.patching
    session_bucket = audit.logs_bucket if sessions_cfg.s3_logging else None
    sessions = SessionAccess(f"{cfg.name}-sessions", stack.args(
        SessionsArgs, log_group_prefix=keys.log_group_prefix, logs_key_arn=keys.arns["logs"],
        log_retention_days=cfg.audit.log_retention_days, idle_timeout_minutes=sessions_cfg.idle_timeout_minutes,
        max_duration_minutes=sessions_cfg.max_duration_minutes, run_as_user=sessions_cfg.run_as_user,
        s3_bucket_name=session_bucket.bucket_name if session_bucket else None,
        account_preferences=sessions_cfg.account_preferences == "create"), opts=opts)
    patching = NodePatching(f"{cfg.name}-patching", stack.args(
        PatchingArgs, logs_key_arn=keys.arns["logs"], log_group_prefix=keys.log_group_prefix,
        permissions_boundary_arn=iam.permissions_boundary_arn, approve_after_days=patching_cfg.approve_after_days,
        schedule=patching_cfg.schedule, schedule_timezone=patching_cfg.schedule_timezone,
        duration_hours=patching_cfg.duration_hours, cutoff_hours=patching_cfg.cutoff_hours,
        enabled=patching_cfg.enabled, log_retention_days=cfg.audit.log_retention_days), opts=opts)
    operations_node_statements = pulumi.Output.all(
        keys.arns["logs"], keys.arns["storage"], session_bucket.arn if session_bucket else None).apply(
        lambda v: [*session_node_statements(
            region=cfg.region, logs_key_arn=v[0], s3_bucket_arn=v[2], storage_key_arn=v[1], name=cfg.name),
            *patching_node_statements(partition=stack.partition, region=cfg.region, account_id=stack.account_id,
                                      cluster_id=cfg.name)])
    state_extra, state_sizing = with_site_replication(integrations.state, integrations.state_sizing, dr_primary)
    # RustFS state as code (README, RustFS state as code): the desired state in SSM, the reconciler on the nodes.
    rustfs_state = None
    # The reconciler also registers the tier and remote targets, and creates the DataSync migration's service account.
    from rustfs_aws.migration.settings import state_entries

    migration_state = state_entries(cfg.migration) if cfg.migration else None
    if cfg.rustfs.declared or integrations.declared or migration_state or dr_primary:
        from rustfs_aws.state import RustfsState, RustfsStateArgs

        rustfs_state = RustfsState(f"{cfg.name}-state", stack.args(
            RustfsStateArgs, secrets_key_arn=keys.arns["secrets"], buckets=state_buckets(cfg),
            policies=[*cfg.rustfs.policies, *([migration_state[0]] if migration_state else [])],
            service_accounts=[*cfg.rustfs.service_accounts, *([migration_state[1]] if migration_state else [])],
            reconcile_minutes=cfg.rustfs.reconcile_minutes, release_version=obs_cfg.collector.release_version,
            key_admin_role_arn=cfg.security.key_admin_role_arn, extra=state_extra, extra_sizing=state_sizing),
            opts=opts)
        operations_node_statements = pulumi.Output.all(operations_node_statements, rustfs_state.node_statements).apply(
            lambda v: [*v[0], *v[1]])
        pulumi.export("rustfsStateParameter", rustfs_state.parameter_name)
        pulumi.export("serviceAccountSecretArns", rustfs_state.secret_arns)

    node_access = iam.grant_node_access(NodeAccessInputs(
        secret_arns=[credentials.secret_arn, cluster_tls.node_secrets_arn_pattern],
        secrets_key_arn=keys.arns["secrets"], data_key_arn=keys.arns["data"],
        log_group_arns=[*observability.log_group_arns, sessions.log_group_arn, patching.log_group_arn],
        hosted_zone_id=dns.zone_id, record_domain=cluster_cfg.domain, volume_tag=("rustfs:cluster", cfg.name),
        metric_namespace=metric_namespace(cfg.stack),
        parameter_arns=[*([collector.parameter_arn] if collector else []),
                        *([rustfs_state.parameter_arn] if rustfs_state else [])],
        extra_statements=pulumi.Output.all(operations_node_statements, integrations.node_statements,
                                           dr_primary.node_statements if dr_primary else []).apply(
            lambda v: [*v[0], *v[1], *v[2]])))

    # The edge (README, The edge): CloudFront's private origin first, its target group is the nodes' too.
    edge = build_edge(cfg, stack, network=network, audit=audit, iam=iam)

    cluster = RustfsCluster(f"{cfg.name}-cluster", stack.args(
        ClusterArgs, cluster=cluster_cfg, plan=plan,
        subnet_ids=network.private_subnet_ids, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
        admin_cidrs=cfg.network.admin_cidrs, hosted_zone_id=dns.zone_id, data_key_arn=keys.arns["data"],
        credentials_secret_arn=credentials.secret_arn, tls_secret_arns=cluster_tls.node_secret_arns,
        credentials_secret_version=credentials.secret_version, tls_secret_versions=cluster_tls.node_secret_versions,
        instance_profile_arn=iam.node_instance_profile.arn,
        load_balancer_security_group_id=load_balancer.security_group_id,
        target_group_arns=[*load_balancer.target_group_arns, *edge.target_group_arns],
        # RustFS routes virtual-hosted-style requests only with the console off (rustfs/src/server/http.rs); the
        # edge's origin name must route path-style too (edge/distribution.py).
        server_domains=[] if cluster_cfg.console else [endpoint, *edge.server_domains],
        nat=cfg.network.nat_gateways != "none", node_access=node_access, image_parameter=image_parameter,
        telemetry=node_telemetry, sse_key_arn=integrations.sse_key_arn,
        on_prem_cidrs=cfg.hybrid.on_prem_cidrs if cfg.hybrid else []), opts=opts)
    load_balancer.allow_to_nodes(cluster.security_group_id)
    edge.allow_to_nodes(cluster.security_group_id)
    if dr_primary:  # the peering, routes, names and 9000 rules between the two clusters, the backlog alarm
        build_link(cfg, stack, dr_primary, network=network, cluster=cluster, load_balancer=load_balancer)

    # Rolling and coordinated restarts as SSM Command documents (README, Day 2); the operator role may send them.
    restart_documents = RestartDocuments(f"{cfg.name}-operations", stack.args(RestartDocumentsArgs), opts=opts)

    alarms = ClusterAlarms(f"{cfg.name}-alarms", stack.args(
        ClusterAlarmsArgs, messaging_key_arn=keys.arns["messaging"], layout=plan.layout,
        group_names=cluster.group_names,
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        s3_target_group_arn_suffix=load_balancer.s3_target_group_arn_suffix,
        emails=cfg.observability.alarm_emails, thresholds=cfg.observability.alarms,
        telemetry=cfg.observability.collector.enabled,
        state_reconcile_minutes=cfg.rustfs.reconcile_minutes if rustfs_state else None), opts=opts)
    if cfg.observability.dashboard:
        thresholds = cfg.observability.alarms
        ClusterDashboard(f"{cfg.name}-dashboard", stack.args(
            ClusterDashboardArgs, drive_paths=alarms.drive_paths,
            group_names=cluster.group_names, load_balancer_arn_suffix=load_balancer.arn_suffix,
            s3_target_group_arn_suffix=load_balancer.s3_target_group_arn_suffix, alarm_arns=alarms.alarm_arns,
            capacity_used_percent=thresholds.capacity_used_percent, latency_seconds=thresholds.latency_seconds,
            error_rate_percent=thresholds.error_rate_percent, disk_used_percent=thresholds.disk_used_percent),
            opts=opts)
    if cfg.observability.tracing.enabled:  # X-Ray: the RustFS service's sampling rule and trace group
        Tracing(f"{cfg.name}-tracing", stack.args(
            TracingArgs, sample_rate=cfg.observability.tracing.sample_rate,
            reservoir_per_second=cfg.observability.tracing.reservoir_per_second), opts=opts)

    pulumi.export("s3EndpointUrl", f"https://{endpoint}:{S3_PORT}")
    if cluster_cfg.console:
        pulumi.export("consoleUrl", f"https://{console_name(cluster_cfg.domain)}:{CONSOLE_PORT}/rustfs/console/")
    pulumi.export("loadBalancerDnsName", load_balancer.dns_name)
    pulumi.export("nodeNames", plan.names)
    pulumi.export("caCertificatePem", cluster_tls.ca_cert_pem)
    pulumi.export("rustfsVolumes", plan.volumes)
    pulumi.export("rawCapacityTiB", round(plan.layout.raw_gib / 1024, 2))
    pulumi.export("usableCapacityTiB", round(plan.layout.usable_gib / 1024, 2))
    pulumi.export("opsAlertTopicArn", alarms.topic_arn)
    pulumi.export("restartDocuments", restart_documents.document_names)
    pulumi.export("patchDocument", patching.document_name)
    pulumi.export("patchWindowId", patching.window_id)
    pulumi.export("sessionDocument", sessions.document_name)
    # What a DR secondary reads through its stack reference (components/dr/primary.py, README Multi-region DR).
    for key, value in primary_exports(
            account_id=stack.account_id, network=network, load_balancer=load_balancer, cluster=cluster,
            credentials=credentials, keys=keys, domain=cluster_cfg.domain, cluster_id=cfg.name,
            metric_namespace=metric_namespace(cfg.stack)).items():
        pulumi.export(key, value)

    if cfg.hybrid:
        from rustfs_aws.hybrid import HybridArgs, HybridConnectivity

        # On-premises networks over a Site-to-Site VPN and/or a Direct Connect gateway (README, Hybrid): routes
        # propagated to the private route tables, tunnel alarms to the ops-alerts topic. No output carries a key.
        hybrid = HybridConnectivity(f"{cfg.name}-hybrid", stack.args(
            HybridArgs, hybrid=cfg.hybrid, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
            private_route_table_ids=network.private_route_table_ids, alarm_topic_arn=alarms.topic_arn), opts=opts)
        pulumi.export("vpnGatewayId", hybrid.vpn_gateway_id)
        if hybrid.vpn_connection_id is not None:
            pulumi.export("vpnConnectionId", hybrid.vpn_connection_id)
            pulumi.export("vpnTunnelAddresses", hybrid.tunnel_addresses)
        if hybrid.dx_gateway_id is not None:
            pulumi.export("directConnectGatewayId", hybrid.dx_gateway_id)

    if cfg.migration:
        from rustfs_aws.migration import DataSyncMigration, DataSyncMigrationArgs
        from rustfs_aws.migration.settings import SERVICE_ACCOUNT

        # DataSync into RustFS (README, Migrating into RustFS with DataSync): the agent in the first private subnet,
        # the RustFS endpoint as its destination, signed with the migration's service account.
        migration = DataSyncMigration(f"{cfg.name}-migration", stack.args(
            DataSyncMigrationArgs, migration=cfg.migration, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
            subnet_id=network.private_subnet_ids[0], endpoint_hostname=endpoint, endpoint_port=S3_PORT,
            ca_cert_pem=cluster_tls.ca_cert_pem if cfg.tls.mode == "private-ca" else None,
            data_key_arn=keys.arns["data"], storage_key_arn=keys.arns["storage"], secrets_key_arn=keys.arns["secrets"],
            logs_key_arn=keys.arns["logs"], log_group_prefix=keys.log_group_prefix,
            log_retention_days=cfg.audit.log_retention_days, permissions_boundary_arn=iam.permissions_boundary_arn,
            access_log_bucket=audit.logs_bucket.bucket_name,
            service_account_version=rustfs_state.secret_versions[SERVICE_ACCOUNT]), opts=opts)
        pulumi.export("datasyncAgentPrivateIp", migration.agent_private_ip)
        pulumi.export("datasyncEndpointNetworkInterfaceIds", migration.endpoint_network_interface_ids)
        pulumi.export("datasyncServiceAccountSecretArn", migration.service_account_secret_arn)
        if migration.agent_arn is not None:
            pulumi.export("datasyncAgentArn", migration.agent_arn)
            pulumi.export("datasyncTaskArns", migration.task_arns)

# Both platforms: DLM snapshots every volume tagged rustfs:cluster=<cluster> (EC2 mode's data volumes; in EKS
# mode the StorageClass puts the tag on every volume the EBS CSI driver creates).
snapshots = Snapshots(f"{cfg.name}-snapshots", stack.args(
    SnapshotsArgs, data_key_arn=keys.arns["data"], interval_hours=cfg.backup.snapshot_interval_hours,
    retain_count=cfg.backup.snapshot_retain_count, copy_region=cfg.backup.copy_region,
    key_admin_role_arn=cfg.security.key_admin_role_arn, permissions_boundary_arn=iam.permissions_boundary_arn),
    opts=opts)

if cluster_cfg.platform == "ec2" and cfg.images.enabled:
    # The optimized node AMI (README, Optimized AMI): built in a private subnet, encrypted with the data key, copied
    # with the snapshot-copy key to backup.copyRegion; the nodes use it with images.use.
    node_images = NodeImagePipeline(f"{cfg.name}-images", stack.args(
        NodeImagePipelineArgs, instance_type=cluster_cfg.instance_type, rustfs_version=cluster_cfg.rustfs_version,
        subnet_id=network.private_subnet_ids[0], vpc_id=network.vpc_id, data_key_arn=keys.arns["data"],
        permissions_boundary_arn=iam.permissions_boundary_arn, schedule=cfg.images.schedule,
        copy_region=cfg.backup.copy_region, copy_key_arn=snapshots.copy_key_arn,
        logs_bucket=audit.logs_bucket.bucket_name, storage_key_arn=keys.arns["storage"],
        # The collector's pinned package is baked too: its State Manager document then finds it installed.
        **({"collector_package": COLLECTOR_PACKAGE, "collector_version": cfg.observability.collector.package_version,
            "collector_release": cfg.observability.collector.release_version}
           if cfg.observability.collector.enabled else {})), opts=opts)
    pulumi.export("nodeImagePipelineArn", node_images.pipeline_arn)
    pulumi.export("nodeImageParameter", node_images.image_parameter)

pulumi.export("region", cfg.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZoneIds", network.az_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("budgetAlertTopicArn", budget.topic_arn)
