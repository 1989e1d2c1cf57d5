"""rustfs-aws: RustFS on AWS. The composition root: read the config once, build the components."""

import pulumi
import pulumi_aws as aws

from components.config import load
from components.credentials import CredentialsArgs, RootCredentials
from components.iam import Iam, IamArgs
from components.keys import Keys, KeysArgs
from components.network import Network, NetworkArgs

cfg = load()  # validates everything before any resource is declared

provider = aws.Provider("aws", region=cfg.region, default_tags={"tags": cfg.tags})
invoke = pulumi.InvokeOptions(provider=provider)
account_id = aws.get_caller_identity(opts=invoke).account_id
partition = aws.get_partition(opts=invoke).partition
opts = pulumi.ResourceOptions(provider=provider)

keys = Keys(f"{cfg.name}-keys", KeysArgs(
    name=cfg.name, stack=cfg.stack, account_id=account_id, partition=partition, region=cfg.region,
    protect=cfg.is_prod, key_admin_role_arn=cfg.security.key_admin_role_arn,
    ebs_encryption_by_default=cfg.security.ebs_encryption_by_default, tags=cfg.tags), opts=opts)

credentials = RootCredentials(f"{cfg.name}-root-credentials", CredentialsArgs(
    stack=cfg.stack, secrets_key_arn=keys.arns["secrets"], version=cfg.security.root_credentials_version,
    protect=cfg.is_prod, tags=cfg.tags), opts=opts)

iam = Iam(f"{cfg.name}-iam", IamArgs(
    name=cfg.name, stack=cfg.stack, account_id=account_id, partition=partition, region=cfg.region,
    operator_principals=cfg.security.operator_principals,
    operator_session_seconds=cfg.security.operator_session_seconds,
    cross_account_id=cfg.security.cross_account_id,
    cross_account_external_id=cfg.security.cross_account_external_id, tags=cfg.tags), opts=opts)

network = Network(f"{cfg.name}-net", NetworkArgs(
    cidr=cfg.network.cidr, az_count=cfg.network.az_count, nat_gateways=cfg.network.nat_gateways,
    region=cfg.region, account_id=account_id, partition=partition,
    flow_log_kms_key_arn=keys.arns["logs"], flow_log_retention_days=cfg.network.flow_log_retention_days,
    log_group_prefix=keys.log_group_prefix, permissions_boundary_arn=iam.permissions_boundary_arn,
    public_subnets=cfg.cluster.internet_facing, tags=cfg.tags), opts=opts)

pulumi.export("region", cfg.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
