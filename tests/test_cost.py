import pytest

from rustfs_model.cost import UNKNOWN, USAGE_DEFAULTS, monthly_cost

QUIET = {"writeMBps": 0.0, "readMBps": 0.0, "natGBPerMonth": 0.0}


def _item(cost, prefix):
    matches = [i for i in cost["items"] if i["what"].startswith(prefix)]
    assert len(matches) == 1, (prefix, cost["items"])
    return matches[0]


def _stack(instance_type="m7g.large", nodes=4, drives=4, size=100, iops=3000, throughput=125):
    resources = [
        {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": "rustfs-lt", "id": "lt-1",
         "inputs": {"instanceType": instance_type,
                    "blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                             "ebs": {"volumeSize": 20, "volumeType": "gp3"}}]}},
        {"type": "aws:autoscaling/group:Group", "name": "rustfs-asg",
         "inputs": {"desiredCapacity": nodes, "minSize": nodes, "maxSize": nodes,
                    "launchTemplate": {"id": "lt-1", "version": "$Latest"}}},
    ]
    for n in range(nodes):
        for d in range(drives):
            resources.append({"type": "aws:ebs/volume:Volume", "name": f"rustfs-{n}-{d}",
                              "inputs": {"availabilityZone": f"us-east-1{'abc'[n % 3]}", "size": size,
                                         "type": "gp3", "iops": iops, "throughput": throughput}})
    return resources


def test_instances_and_gp3_storage_hand_computed():
    cost = monthly_cost(_stack(), "us-east-1", QUIET)
    # 4 x m7g.large at $0.0816/h x 730 h = $238.272
    assert _item(cost, "EC2 4 x m7g.large")["monthlyUSD"] == 238.27
    # 16 data volumes x 100 GiB + 4 root volumes x 20 GiB = 1,680 GiB x $0.08 = $134.40
    assert _item(cost, "EBS gp3 storage")["monthlyUSD"] == 134.40
    assert not [i for i in cost["items"] if "above" in i["what"]]  # baseline IOPS/throughput are free
    # cross-AZ with no traffic is $0; total = 238.27 + 134.40
    assert cost["monthlyUSD"] == pytest.approx(238.27 + 134.40, abs=0.01)
    assert cost["priceDate"] == "2024-07-01"  # oldest table used (EBS), instances are 2026-07-20
    assert cost["unpriced"] == []


def test_gp3_iops_and_throughput_above_the_free_baseline():
    cost = monthly_cost(_stack(nodes=1, drives=2, iops=6000, throughput=500), "us-east-1", QUIET)
    # 2 volumes x (6,000 - 3,000) IOPS = 6,000 x $0.005 = $30.00
    assert _item(cost, "EBS gp3 IOPS above 3,000")["monthlyUSD"] == 30.00
    # 2 volumes x (500 - 125) MiB/s = 750 x $0.04 = $30.00
    assert _item(cost, "EBS gp3 throughput above 125 MiB/s")["monthlyUSD"] == 30.00


def test_cross_az_erasure_traffic_and_nlb_from_usage():
    resources = _stack() + [
        {"type": "aws:lb/loadBalancer:LoadBalancer", "name": "rustfs-nlb",
         "inputs": {"loadBalancerType": "network", "internal": True}},
    ]
    cost = monthly_cost(resources, "us-east-1", {"writeMBps": 10.0, "readMBps": 10.0, "natGBPerMonth": 0},
                        data_shards=2, parity=2)
    # Month = 730 h x 3,600 s = 2,628,000 s; 10 MB/s -> 26,280 GB written and 26,280 GB read.
    # 3 AZs (from the volumes): writes ship 26,280 x 2 (EC 2+2) x 2/3 = 35,040 GB, reads 26,280 x 2/3 = 17,520
    # = 52,560 GB x $0.01 x 2 directions = $1,051.20
    assert _item(cost, "Cross-AZ erasure traffic")["monthlyUSD"] == 1051.20
    # NLB: 20 MB/s = 72 GB/h -> 72 NLCU; ($0.0225 + 72 x $0.006) x 730 = $331.785
    assert _item(cost, "NLB rustfs-nlb")["monthlyUSD"] == 331.79


def test_nat_kms_secrets_logs_alarms_cloudfront():
    resources = [
        {"type": "aws:ec2/natGateway:NatGateway", "name": "nat-a", "inputs": {}},
        {"type": "aws:ec2/natGateway:NatGateway", "name": "nat-b", "inputs": {}},
        {"type": "aws:kms/key:Key", "name": "k", "inputs": {}},
        {"type": "aws:secretsmanager/secret:Secret", "name": "s", "inputs": {}},
        {"type": "aws:cloudwatch/logGroup:LogGroup", "name": "l", "inputs": {"retentionInDays": 30}},
        {"type": "aws:cloudwatch/metricAlarm:MetricAlarm", "name": "a1", "inputs": {}},
        {"type": "aws:cloudwatch/metricAlarm:MetricAlarm", "name": "a2", "inputs": {}},
        {"type": "aws:cloudfront/distribution:Distribution", "name": "cdn", "inputs": {}},
    ]
    cost = monthly_cost(resources, "us-east-1", {"natGBPerMonth": 100, "logsGBPerMonth": 10,
                                                 "cloudfrontViewerShares": {"us": 1.0}})
    # NAT: 2 x $0.045 x 730 = $65.70 + 100 GB x $0.045 = $4.50 -> $70.20 (Infracost golden: $32.85 each)
    assert _item(cost, "NAT gateways (2)")["monthlyUSD"] == 70.20
    # KMS: $1 + 100,000 requests = 10 x $0.03 = $1.30
    assert _item(cost, "KMS keys (1)")["monthlyUSD"] == 1.30
    # Secrets: $0.40 + 10,000 calls = 1 x $0.05 = $0.45
    assert _item(cost, "Secrets Manager (1)")["monthlyUSD"] == 0.45
    # Logs: 10 GB x $0.50 = $5 + 10 GB x 1 month x $0.03 = $0.30 -> $5.30
    assert _item(cost, "CloudWatch Logs (1 groups)")["monthlyUSD"] == 5.30
    assert _item(cost, "CloudWatch alarms (2)")["monthlyUSD"] == 0.20
    # CloudFront, every viewer in the US zone: 100 GB x $0.085 = $8.50; 100 x 10k HTTPS x $0.01 = $1.00 (the zones and
    # price classes: tests/test_edge_cost.py)
    assert _item(cost, "CloudFront cdn data out (PriceClass_All)")["monthlyUSD"] == 8.50
    assert _item(cost, "CloudFront cdn HTTPS requests")["monthlyUSD"] == 1.00


def test_snapshots_and_s3_classes():
    resources = _stack(nodes=4, drives=4, size=1000) + [
        {"type": "aws:dlm/lifecyclePolicy:LifecyclePolicy", "name": "snap", "inputs": {}},
        {"type": "aws:s3/bucket:Bucket", "name": "tier", "inputs": {}},
    ]
    usage = {**QUIET, "storedTiB": 2.0, "s3StoredTiB": {"STANDARD": 1, "GLACIER": 10}}
    cost = monthly_cost(resources, "us-east-1", usage, data_shards=2, parity=2)
    # On drives: 2 TiB x 1,024 x e=2 = 4,096 GB (< 16,080 GiB of volumes); +2%/day x 7 days = 4,669.44 GB
    # x $0.05 = $233.47
    assert _item(cost, "EBS snapshots")["monthlyUSD"] == 233.47
    assert _item(cost, "S3 STANDARD")["monthlyUSD"] == 23.55  # 1,024 GB x $0.023
    assert _item(cost, "S3 GLACIER")["monthlyUSD"] == 36.86  # 10,240 GB x $0.0036


def test_region_without_sourced_prices_is_reported_not_free():
    cost = monthly_cost(_stack(), "eu-central-1", {"writeMBps": 1.0, "readMBps": 0.0})
    assert _item(cost, "EC2 4 x m7g.large")["basis"].startswith("NOT PRICED")
    assert any("eu-central-1" in u for u in cost["unpriced"])
    # Transfer prices are sourced for eu-central-1, so cross-AZ traffic is still priced.
    assert _item(cost, "Cross-AZ erasure traffic")["monthlyUSD"] > 0


def test_unknown_values_and_unresolvable_groups():
    resources = [
        {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": "a", "inputs": {"instanceType": "m7g.large"}},
        {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": "b", "inputs": {"instanceType": "m6i.large"}},
        {"type": "aws:autoscaling/group:Group", "name": "g",
         "inputs": {"desiredCapacity": 3, "launchTemplate": {"id": UNKNOWN}}},
        {"type": "aws:ebs/volume:Volume", "name": "v", "inputs": {"size": 10, "type": "gp3", "iops": UNKNOWN}},
    ]
    cost = monthly_cost(resources, "us-east-1", QUIET)
    assert _item(cost, "EC2 instances of g")["basis"].startswith("NOT PRICED")
    assert _item(cost, "EBS gp3 storage")["monthlyUSD"] == 0.80


def test_asg_resolves_its_template_by_name_and_unknown_usage_keys_fail():
    resources = [
        {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": "a", "inputs": {"instanceType": "m7g.large"}},
        {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": "b", "inputs": {"instanceType": "m6i.large"}},
        {"type": "aws:autoscaling/group:Group", "name": "g",
         "inputs": {"desiredCapacity": 2, "launchTemplate": {"name": "b"}}},
    ]
    cost = monthly_cost(resources, "us-east-1", QUIET)
    assert _item(cost, "EC2 2 x m6i.large")["monthlyUSD"] == round(2 * 0.096 * 730, 2)
    with pytest.raises(ValueError, match="unknown usage keys"):
        monthly_cost([], "us-east-1", {"writeMbps": 1})
    assert "writeMBps" in USAGE_DEFAULTS


def test_snapshot_retention_comes_from_the_declared_policy():
    policy = {"type": "aws:dlm/lifecyclePolicy:LifecyclePolicy", "name": "snap", "inputs": {"policyDetails": {
        "schedules": [{"createRule": {"interval": 12, "intervalUnit": "HOURS"}, "retainRule": {"count": 28}}]}}}
    resources = _stack(nodes=4, drives=4, size=1000) + [policy]
    usage = {**QUIET, "storedTiB": 2.0}
    cost = monthly_cost(resources, "us-east-1", usage, data_shards=2, parity=2)
    # 28 snapshots every 12 h = 14 days kept: 4,096 GB x (1 + 2% x 14) = 5,242.88 GB x $0.05 = $262.14
    assert _item(cost, "EBS snapshots")["monthlyUSD"] == 262.14
    assert "from the snapshot policy" in _item(cost, "EBS snapshots")["basis"]


# --- EKS platform mode (components/eks/): control plane, managed node groups, volumes claimed by PVCs ------

def _eks_stack(nodes_per_az=(2, 2, 2), claim="500Gi", drives=4, iops="6000", throughput="250"):
    resources = [
        {"type": "eks:index:Cluster", "name": "rustfs-eks-eks-cluster", "inputs": {"version": "1.35"}},
        {"type": "aws:ec2/launchTemplate:LaunchTemplate", "name": "rustfs-eks-eks-nodes", "id": "lt-eks",
         "inputs": {"blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                             "ebs": {"volumeSize": 50, "volumeType": "gp3"}}]}},
        {"type": "kubernetes:storage.k8s.io/v1:StorageClass", "name": "sc",
         "inputs": {"metadata": {"name": "rustfs-data"}, "provisioner": "ebs.csi.aws.com",
                    "parameters": {"type": "gp3", "iops": iops, "throughput": throughput}}},
        {"type": "kubernetes:apps/v1:StatefulSet", "name": "rustfs",
         "inputs": {"spec": {"replicas": sum(nodes_per_az), "volumeClaimTemplates": [
             {"metadata": {"name": f"data-{d}"}, "spec": {"storageClassName": "rustfs-data", "resources": {
                 "requests": {"storage": claim}}}} for d in range(drives)]}}},
    ]
    for i, count in enumerate(nodes_per_az):
        resources.append({"type": "aws:eks/nodeGroup:NodeGroup", "name": f"ng-{i}", "inputs": {
            "instanceTypes": ["m6i.2xlarge"], "scalingConfig": {"desiredSize": count, "minSize": count,
                                                                "maxSize": count},
            "launchTemplate": {"id": "lt-eks", "version": "1"}}})
    return resources


def test_eks_control_plane_node_groups_and_claimed_volumes_hand_computed():
    cost = monthly_cost(_eks_stack(), "us-east-1", QUIET)
    # $0.10 per cluster-hour in standard support x 730 h
    assert _item(cost, "EKS control plane (1)")["monthlyUSD"] == 73.00
    # three node groups of 2 priced as 6 x m6i.2xlarge at $0.384/h x 730 h = $1,681.92
    assert _item(cost, "EC2 6 x m6i.2xlarge")["monthlyUSD"] == 1681.92
    # 6 pods x 4 claims x 500 GiB + 6 root volumes x 50 GiB = 12,300 GiB x $0.08 = $984.00
    assert _item(cost, "EBS gp3 storage")["monthlyUSD"] == 984.00
    # 24 claimed volumes x 3,000 IOPS above the free 3,000 x $0.005 = $360; 24 x 125 MiB/s x $0.04 = $120
    assert _item(cost, "EBS gp3 IOPS above 3,000")["monthlyUSD"] == 360.00
    assert _item(cost, "EBS gp3 throughput above 125 MiB/s")["monthlyUSD"] == 120.00


def test_eks_snapshots_cover_the_claimed_volumes_not_the_root_volumes():
    policy = {"type": "aws:dlm/lifecyclePolicy:LifecyclePolicy", "name": "snap", "inputs": {"policyDetails": {
        "schedules": [{"createRule": {"interval": 24, "intervalUnit": "HOURS"}, "retainRule": {"count": 7}}]}}}
    # 1 pod x 1 claim of 100 GiB, 10 TiB stored: the snapshots hold at most the 100 GB on the claim (the 50 GiB
    # root volume is no data volume): 100 GB x (1 + 2% x 7 days) = 114 GB x $0.05 = $5.70
    resources = _eks_stack(nodes_per_az=(1,), drives=1, claim="100Gi", iops="3000", throughput="125") + [policy]
    cost = monthly_cost(resources, "us-east-1", {**QUIET, "storedTiB": 10.0}, data_shards=2, parity=2)
    assert _item(cost, "EBS snapshots")["monthlyUSD"] == 5.70


def test_vpc_lattice_is_a_not_priced_line_never_free():
    config = {"type": "aws:vpclattice/resourceConfiguration:ResourceConfiguration", "name": "s3", "inputs": {
        "type": "SINGLE", "protocol": "TCP", "portRanges": ["9000"]}}
    cost = monthly_cost([*_eks_stack(), config], "us-east-1", QUIET)
    line = _item(cost, "VPC Lattice (1 resource configuration)")
    assert line["monthlyUSD"] == 0.0 and line["basis"].startswith("NOT PRICED")
    assert any("vpclattice price 'resource_data_gb'" in u for u in cost["unpriced"])
    assert not [i for i in monthly_cost(_eks_stack(), "us-east-1", QUIET)["items"] if "Lattice" in i["what"]]


def test_eks_claim_sizes_in_every_kubernetes_unit():
    for claim, gib in (("1Ti", 1024), ("512Gi", 512), ("1099511627776", 1024)):
        cost = monthly_cost(_eks_stack(nodes_per_az=(1,), drives=1, claim=claim, iops="3000", throughput="125"),
                            "us-east-1", QUIET)
        assert _item(cost, "EBS gp3 storage")["basis"].startswith(f"2 volumes, {gib + 50} GiB"), claim


def test_eks_outside_the_priced_region_is_unpriced_not_free():
    cost = monthly_cost(_eks_stack(), "eu-central-1", QUIET)
    assert _item(cost, "EKS control plane")["basis"].startswith("NOT PRICED")
    assert any("eks price 'cluster_standard_hour'" in u for u in cost["unpriced"])
