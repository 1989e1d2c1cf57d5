"""The node collector: its configuration is valid for the pinned CloudWatch agent, its pipelines are whole, its
document's shell passes shellcheck, and its association reaches only this cluster's instances.

Allowed keys come from tests/data/collector_components.json (read from the components' config structs, sources
cited there); the component types from the agent's factories (aws/amazon-cloudwatch-agent
service/defaultcomponents/components.go at v1.300066.1).
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from preflight.fake_operations import AwsRejects
from preflight.fake_ssm_config import check_association, check_parameter
from preflight.runner import run_stack
from rustfs_aws.observability import collector as c
from rustfs_aws.observability import telemetry as t

DATA = json.loads((Path(__file__).parent / "data" / "collector_components.json").read_text())
SHELLCHECK = shutil.which("shellcheck") or str(Path("venv/bin/shellcheck").resolve())
# aws/amazon-cloudwatch-agent v1.300066.1 service/defaultcomponents/components.go (the types this config uses or
# could confuse: journald is absent before 1.300070.0).
AGENT_TYPES = {
    "receivers": {"otlp", "hostmetrics", "filelog", "prometheus", "statsd", "awsxray"},
    "processors": {"batch", "memory_limiter", "resource", "resourcedetection", "cumulativetodelta", "groupbyattrs",
                   "metricstransform", "metricsgeneration", "filter", "transform", "attributes"},
    "exporters": {"awsemf", "awsxray", "awscloudwatchlogs", "debug", "otlphttp"},
    "extensions": {"file_storage", "health_check", "sigv4auth"},
}


def config(**kw):
    args = dict(stack="prod", region="us-east-1", cluster_id="rustfs-prod", log_group_prefix="/rustfs/rustfs-prod/")
    return c.collector_config(**{**args, **kw})


def _unknown(value, tree, path=""):
    """Keys of value that tree does not allow (tree: null = any, dict = allowed keys, {"[]": item} = list)."""
    if tree is None:
        return []
    if "[]" in tree:
        item = tree["[]"]
        out = []
        for i, v in enumerate(value):
            sub = item.get(v.get("type")) if "json_parser" in item or "move" in item else item
            out += [f"{path}[{i}].type={v.get('type')}"] if sub is None and isinstance(v, dict) and "type" in v \
                and ("json_parser" in item) else _unknown(v, sub, f"{path}[{i}]")
        return out
    if not isinstance(value, dict):
        return [f"{path}: expected a mapping"]
    return [p for k, v in value.items() for p in
            ([f"{path}.{k}"] if k not in tree else _unknown(v, tree[k], f"{path}.{k}"))]


@pytest.mark.parametrize("traces", [True, False])
def test_every_setting_exists_for_the_pinned_components(traces):
    cfg = config(traces=traces)
    for section in ("receivers", "processors", "exporters", "extensions"):
        for cid, settings in cfg[section].items():
            kind = cid.split("/")[0]
            assert kind in AGENT_TYPES[section], f"{cid}: not a component of the pinned agent"
            allowed = DATA["components"][f"{section}/{kind}"]["keys"]
            assert _unknown(settings, allowed) == [], f"{cid}: keys unknown at the pinned version"


def test_an_unknown_key_is_caught():
    bad = config()
    bad["exporters"]["awsemf/rustfs"]["metric_declaration"] = []  # the real key is plural
    allowed = DATA["components"]["exporters/awsemf"]["keys"]
    assert _unknown(bad["exporters"]["awsemf/rustfs"], allowed) == [".metric_declaration"]


@pytest.mark.parametrize("traces", [True, False])
def test_the_stored_text_parses_as_yaml_and_every_pipeline_is_whole(traces):
    text = c.config_text(config(traces=traces))
    cfg = yaml.safe_load(text)  # the agent reads the file as YAML; JSON is YAML
    assert cfg == json.loads(text)
    used = {"receivers": set(), "processors": set(), "exporters": set()}
    for name, pipeline in cfg["service"]["pipelines"].items():
        signal = name.split("/")[0]
        assert signal in ("metrics", "traces", "logs")
        assert pipeline["receivers"] and pipeline["exporters"]
        for section in used:
            for cid in pipeline.get(section, []):
                assert cid in cfg[section], f"{name}: {cid} is not defined"
                used[section].add(cid)
    for section, ids in used.items():
        assert set(cfg[section]) == ids, f"defined but unused {section}: {set(cfg[section]) - ids}"
    assert set(cfg["service"]["extensions"]) == set(cfg["extensions"])
    assert cfg["receivers"]["filelog/journal"]["storage"] in cfg["extensions"]
    assert ("traces/rustfs" in cfg["service"]["pipelines"]) is traces


def test_metrics_are_published_exactly_as_the_contract_names_them():
    cfg = config()
    emf = cfg["exporters"]["awsemf/rustfs"]
    assert emf["namespace"] == "RustFS/prod"
    published: dict[str, list] = {}
    for declaration in emf["metric_declarations"]:
        for selector in declaration["metric_name_selectors"]:
            assert selector.startswith("^") and selector.endswith("$")
            name = selector[1:-1].replace("\\", "")
            published[name] = declaration["dimensions"]
    expected = {n: [list(d) for d in dims] for n, dims in t.RUSTFS_METRICS.items()}
    expected |= {n: [list(dims)] for n, dims in t.HOST_METRICS.items()}
    assert published == expected
    rustfs = {m["name"]: m for m in json.loads(
        (Path("policies/rustfs_model/data/rustfs_metrics.json")).read_text())["metrics"]}
    assert all(rustfs[n]["emitted"] for n in t.RUSTFS_METRICS), "RustFS does not emit a published metric"
    assert cfg["processors"]["cumulativetodelta/rustfs"]["include"]["metrics"] == [
        n for n in sorted(t.RUSTFS_METRICS) if rustfs[n]["type"] == "histogram"]
    # Every metric carries ClusterId and NodeName; the node's comes from its own environment.
    attributes = {a["key"]: a["value"] for a in cfg["processors"]["resource/rustfs"]["attributes"]}
    assert attributes == {"ClusterId": "rustfs-prod", "NodeName": "${env:RUSTFS_NODE_DIMENSION}"}


def test_host_metrics_cover_only_the_rustfs_mounts():
    fs = config()["receivers"]["hostmetrics/rustfs"]["scrapers"]["filesystem"]["include_mount_points"]
    import re
    pattern = re.compile(fs["mount_points"][0])
    assert fs["match_type"] == "regexp"
    assert pattern.match("/data/rustfs0") and pattern.match("/data/rustfs20")
    assert not pattern.match("/") and not pattern.match("/data/rustfs0/x") and not pattern.match("/data/rustfsX")


def test_the_parameter_tier_follows_the_size_and_the_fake_refuses_what_ssm_refuses():
    text = c.config_text(config())
    assert c.parameter_tier(text) == "Advanced" and len(text) <= c.ADVANCED_PARAMETER_BYTES
    with pytest.raises(AwsRejects, match="Standard value holds at most 4096"):
        check_parameter("/rustfs/x/collector/config", {"type": "String", "tier": "Standard", "value": text})
    with pytest.raises(AwsRejects, match="reserved"):
        check_parameter("/aws/x", {"type": "String", "value": "v"})
    with pytest.raises(ValueError, match="at most 8192"):
        c.parameter_tier("x" * 8193)
    check_parameter("/rustfs/x/collector/config", {"type": "String", "tier": "Advanced", "value": text})
    check_parameter("/rustfs/x/collector/config", {"type": "String", "tier": "Advanced", "insecureValue": text})
    with pytest.raises(AwsRejects, match="exactly one of value, insecureValue"):
        check_parameter("/rustfs/x/collector/config", {"type": "String", "value": "a", "insecureValue": "a"})
    with pytest.raises(AwsRejects, match="not valid with Type SecureString"):
        check_parameter("/rustfs/x/collector/config", {"type": "SecureString", "insecureValue": "a"})


def test_the_fake_refuses_what_create_association_refuses():
    ok = {"name": "doc", "targets": [{"key": "tag:rustfs:cluster", "values": ["c"]}], "maxConcurrency": "25%",
          "maxErrors": "1", "complianceSeverity": "HIGH", "scheduleExpression": "rate(30 minutes)"}
    check_association("a-b", ok)
    for change, message in (({"scheduleExpression": "rate(5 minutes)"}, "30 minutes"),
                            ({"complianceSeverity": "SEVERE"}, "ComplianceSeverity"),
                            ({"maxConcurrency": "0"}, "maxConcurrency"),
                            ({"targets": [{"key": "Name", "values": ["x"]}]}, "target")):
        with pytest.raises(AwsRejects, match=message):
            check_association("a-b", {**ok, **change})


@pytest.fixture(scope="module")
def dev():
    return run_stack("dev")


def test_the_association_targets_only_this_clusters_instances_and_passes_the_configs_hash(dev):
    association = dev.one("aws:ssm/association:Association", "rustfs-dev-collector-apply")
    assert association.inputs["targets"] == [{"key": "tag:rustfs:cluster", "values": ["rustfs-dev"]}]
    templates = dev.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    for template in templates:
        instance_tags = next(s["tags"] for s in template.inputs["tagSpecifications"] if s["resourceType"] == "instance")
        assert instance_tags["rustfs:cluster"] == "rustfs-dev"
    parameter = dev.one("aws:ssm/parameter:Parameter", "rustfs-dev-collector-config")
    assert parameter.inputs["name"] == "/rustfs/rustfs-dev/collector/config"
    # The recorded value (insecureValue: no secret in it) is the configuration built from the stack's inputs, and
    # the association carries its hash.
    text = parameter.inputs["insecureValue"]
    assert "value" not in parameter.inputs
    assert text == c.config_text(c.collector_config(stack="dev", region="us-east-1", cluster_id="rustfs-dev",
                                                    log_group_prefix="/rustfs/rustfs-dev/"))
    assert association.inputs["parameters"]["ConfigSha256"] == c.config_sha256(text)
    assert parameter.inputs["tier"] == c.parameter_tier(text)
    assert association.inputs["parameters"]["PackageVersion"] == "1.300066.2-2.amzn2023"
    assert association.inputs["complianceSeverity"] == "HIGH"


def test_the_node_role_reads_only_this_parameter(dev):
    parameter = dev.one("aws:ssm/parameter:Parameter", "rustfs-dev-collector-config")
    node_policy = next(json.loads(p.inputs["policy"]) for p in dev.of_type("aws:iam/rolePolicy:RolePolicy")
                       if "node" in p.name)
    reads = [s for s in node_policy["Statement"] if "ssm:GetParameter" in json.dumps(s.get("Action"))]
    assert [s["Resource"] for s in reads] == [[parameter.outputs["arn"]]]


def test_rustfs_sends_to_the_collector_with_the_configured_level(dev):
    from user_data import decode_user_data
    template = dev.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0]
    text = decode_user_data(template.inputs["userData"])
    assert 'RUSTFS_OBS_ENDPOINT="http://127.0.0.1:4318"' in text
    assert 'RUSTFS_OBS_LOGGER_LEVEL="warn"' in text
    assert 'RUSTFS_OBS_SAMPLE_RATIO="0.01"' in text


def _shellcheck(tmp_path, label, text):
    path = tmp_path / f"{label}.sh"
    path.write_text(text)
    result = subprocess.run([SHELLCHECK, "-s", "bash", str(path)], capture_output=True, text=True)
    return result.stdout + result.stderr if result.returncode else ""


def test_the_documents_script_passes_shellcheck_as_written_and_as_the_agent_runs_it(tmp_path):
    document = c.install_document("rustfs-dev")
    script = "\n".join(document["mainSteps"][0]["inputs"]["runCommand"]) + "\n"
    assert _shellcheck(tmp_path, "written", script) == ""
    substituted = script
    for name, value in {"PackageVersion": "1.300066.2-2.amzn2023", "ReleaseVersion": "2023.11.20260526",
                        "ConfigParameter": "/rustfs/rustfs-dev/collector/config", "ConfigSha256": "a" * 64}.items():
        assert f"{{{{ {name} }}}}" in substituted
        substituted = substituted.replace(f"{{{{ {name} }}}}", value)
    assert _shellcheck(tmp_path, "substituted", substituted) == ""
    import re
    for name, spec in document["parameters"].items():
        assert re.fullmatch(spec["allowedPattern"], {"PackageVersion": "1.300066.2-2.amzn2023",
                                                     "ReleaseVersion": "2023.11.20260526",
                                                     "ConfigParameter": "/rustfs/rustfs-dev/collector/config",
                                                     "ConfigSha256": "a" * 64}[name])
        assert not re.fullmatch(spec["allowedPattern"], "x'; reboot; '")


@pytest.fixture(scope="module")
def without_collector():
    return run_stack("dev", {"rustfs-aws:observability": {"collector": {"enabled": False}, "logLevel": "info"}})


def _node_files(recording) -> dict[str, str]:
    from user_data import decode_user_data
    template = recording.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0]
    cloud = yaml.safe_load(decode_user_data(template.inputs["userData"]))
    return {f["path"]: f["content"] for f in cloud["write_files"]}


def test_without_the_collector_there_is_no_parameter_document_or_association(without_collector, dev):
    def collector_parts(recording):
        return ([r.name for r in recording.resources if r.type == "rustfs:observability:NodeCollector"]
                + [p.inputs["name"] for p in recording.of_type("aws:ssm/parameter:Parameter")]
                + [a.name for a in recording.of_type("aws:ssm/association:Association")]
                + [d.inputs["name"] for d in recording.of_type("aws:ssm/document:Document") if "collector" in d.name])
    assert collector_parts(dev)  # the same query finds them when the collector is on
    assert collector_parts(without_collector) == []


def test_without_the_collector_rustfs_has_no_endpoint_and_logs_to_its_own_file_at_the_configured_level(
        without_collector):
    from user_data import env_file
    files = _node_files(without_collector)
    env = env_file(files["/etc/default/rustfs"])
    # RustFS's routing (tests/data/rustfs_settings.json observability.without_endpoint): no OTLP endpoint and a
    # log directory -> rolling file logging there. None of the collector's settings is left behind.
    assert not {k for k in env if k in ("RUSTFS_OBS_ENDPOINT", "RUSTFS_OBS_METER_INTERVAL", "RUSTFS_OBS_SAMPLE_RATIO",
                                        "RUSTFS_OBS_TRACES_EXPORT_ENABLED") or k.endswith("_ENDPOINT")}
    facts = json.loads((Path(__file__).parent / "data" / "rustfs_settings.json").read_text())
    directory = env[facts["observability"]["without_endpoint"]["log_directory_env"]]
    logs = [line.split("=", 1)[1] for line in files["/etc/systemd/system/rustfs.service"].splitlines()
            if line.startswith("LogsDirectory=")]
    assert directory in [f"/var/log/{d}" for d in logs], "ProtectSystem=strict: RustFS may write only LogsDirectory"
    # observability.logLevel still reaches RustFS (it governs the file as much as the OTLP logs).
    assert env["RUSTFS_OBS_LOGGER_LEVEL"] == "info"


def test_without_the_collector_the_node_role_reads_no_parameter(without_collector):
    node_policy = next(json.loads(p.inputs["policy"]) for p in without_collector.of_type(
        "aws:iam/rolePolicy:RolePolicy") if "node" in p.name)
    actions = [a for s in node_policy["Statement"] for a in
               ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))]
    assert not [a for a in actions if a.lower().startswith(("ssm:getparameter", "ssm:*", "*"))]


def test_without_the_collector_no_alarm_waits_for_metrics_nothing_publishes(without_collector):
    namespace = t.metric_namespace("dev")
    def namespaces(alarm):
        return {alarm.inputs.get("namespace")} | {(q.get("metric") or {}).get("namespace")
                                                  for q in alarm.inputs.get("metricQueries") or []}
    reading = [a.name for a in without_collector.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
               if namespace in namespaces(a)]
    assert reading == []
    # The composite still stands on the AWS-metric alarms (quorum at risk, unhealthy hosts, not in service).
    (composite,) = without_collector.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")
    assert "quorum" in composite.inputs["alarmRule"] and "drives-offline" not in composite.inputs["alarmRule"]
