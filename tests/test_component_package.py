"""The rustfs component package, offline: the schema Pulumi's own analyzer infers from the components, the YAML
example checked against it, the provider process answering GetSchema over gRPC as the CLI calls it, and a
component built from the inputs the provider hands it (a dict of Python names, not the Args dataclass)."""

import collections.abc
import dataclasses
import enum
import inspect
import json
import os
import pkgutil
import re
import selectors
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from yaml_schema_check import check_program

import rustfs_aws
from rustfs_aws.component_args import component_args
from rustfs_aws.network import NatGateways, Network, NetworkArgs
from rustfs_aws.package import COMPONENTS, LEFT_OUT, NAME
from rustfs_aws.storage import HardenedBucket

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "yaml" / "Pulumi.yaml"
TOKEN = f"{NAME}:index:"


@pytest.fixture(scope="module")
def provider() -> ComponentProvider:
    return ComponentProvider(COMPONENTS, NAME, None, rustfs_aws.__version__)


@pytest.fixture(scope="module")
def schema(provider) -> dict:
    return json.loads(provider.schema)


def args_type(component: type) -> type:
    return inspect.get_annotations(component.__init__)["args"]


def annotations(klass: type) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for k in reversed(klass.__mro__):
        if k not in (object, pulumi.Resource, pulumi.ComponentResource):
            merged.update(inspect.get_annotations(k))
    return {name: a for name, a in merged.items() if not name.startswith("_")}


# --- which components ---------------------------------------------------------------------------------------

def public_components() -> dict[str, type]:
    """Every ComponentResource defined in a module of rustfs_aws, by class name."""
    found = {}
    for info in pkgutil.walk_packages(rustfs_aws.__path__, "rustfs_aws."):
        module = __import__(info.name, fromlist=["_"])
        for value in vars(module).values():
            if (inspect.isclass(value) and issubclass(value, pulumi.ComponentResource)
                    and value.__module__ == info.name and not value.__name__.startswith("_")):
                found[value.__name__] = value
    return found


def test_every_public_component_is_served_or_left_out_with_a_reason():
    served = {c.__name__ for c in COMPONENTS}
    public = public_components()
    assert set(public) - served - set(LEFT_OUT) == set(), "decide: add it to package.COMPONENTS or LEFT_OUT"
    assert set(LEFT_OUT) <= set(public), "LEFT_OUT names a component that no longer exists"
    assert not served & set(LEFT_OUT)
    assert all(len(reason) > 40 for reason in LEFT_OUT.values())


def test_every_served_component_is_in_the_schema_with_a_description(schema):
    assert set(schema["resources"]) == {TOKEN + c.__name__ for c in COMPONENTS}
    for component in COMPONENTS:
        resource = schema["resources"][TOKEN + component.__name__]
        assert resource["isComponent"] is True
        assert len(resource["description"]) > 40, component.__name__
    assert schema["name"] == NAME and schema["version"] == rustfs_aws.__version__


# --- inputs and outputs: present, documented, of the annotated type -----------------------------------------

def _union_members(a: Any) -> tuple:
    return typing.get_args(a) if typing.get_origin(a) in (typing.Union, types.UnionType) else ()


def _is_output(a: Any) -> bool:
    return typing.get_origin(a) is pulumi.Output


def expected_property(annotation: Any) -> tuple[dict, bool]:
    """(the schema property an annotation should give, optional), written from Python's typing, not the analyzer."""
    members = _union_members(annotation)
    optional = type(None) in members
    members = tuple(m for m in members if m is not type(None))
    plain = True
    awaitable = [m for m in members if typing.get_origin(m) is collections.abc.Awaitable]
    if awaitable:  # pulumi.Input[T]: T | Awaitable[T] | Output[T]
        annotation, plain = typing.get_args(awaitable[0])[0], False
    elif len(members) == 1:
        annotation = members[0]
    if _is_output(annotation):
        annotation, plain = typing.get_args(annotation)[0], False
    return _shape(annotation, plain), optional


def _shape(a: Any, plain: bool) -> dict:
    spec: dict[str, Any]
    if a in (str, int, float, bool):
        spec = {"type": {str: "string", int: "integer", float: "number", bool: "boolean"}[a]}
    elif a is Any:
        spec = {"$ref": "pulumi.json#/Any"}
    elif inspect.isclass(a) and (issubclass(a, enum.Enum) or dataclasses.is_dataclass(a)):
        spec = {"$ref": f"#/types/{TOKEN}{a.__name__}"}
    elif typing.get_origin(a) is list:
        item, _ = expected_property(typing.get_args(a)[0])
        spec = {"type": "array", "items": item}
    elif typing.get_origin(a) is dict:
        key, value = typing.get_args(a)
        assert key is str
        item, _ = expected_property(value)
        spec = {"type": "object", "additionalProperties": item}
    else:
        raise AssertionError(f"no schema type for {a!r}")
    if plain:
        spec["plain"] = True
    return spec


def _without_descriptions(spec: dict) -> dict:
    return {k: _without_descriptions(v) if isinstance(v, dict) else v for k, v in spec.items() if k != "description"}


def _nested_descriptions(spec: dict, where: str) -> list[str]:
    missing = [] if spec.get("description") else [where]
    for key in ("items", "additionalProperties"):
        if key in spec:
            missing += _nested_descriptions(spec[key], f"{where}.{key}")
    return missing


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_input_is_documented_typed_and_required_as_its_args_field(schema, component):
    resource = schema["resources"][TOKEN + component.__name__]
    fields = {f.name: f for f in dataclasses.fields(args_type(component))}
    assert set(resource["inputProperties"]) == {camel_case(n) for n in fields}
    required = set()
    for name, annotation in annotations(args_type(component)).items():
        prop = resource["inputProperties"][camel_case(name)]
        assert _nested_descriptions(prop, name) == [], f"{component.__name__}.{name}: undocumented"
        expected, optional = expected_property(annotation)
        assert _without_descriptions(prop) == expected, f"{component.__name__}.{name}"
        field = fields[name]
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        assert optional == has_default, f"{component.__name__}.{name}: optional in the schema iff it has a default"
        if not optional:
            required.add(camel_case(name))
    assert set(resource["requiredInputs"]) == required


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_output_is_documented_and_typed_as_its_attribute(schema, component):
    resource = schema["resources"][TOKEN + component.__name__]
    outputs = annotations(component)
    assert outputs, f"{component.__name__} declares no outputs"
    assert set(resource["properties"]) == {camel_case(n) for n in outputs}
    for name, annotation in outputs.items():
        prop = resource["properties"][camel_case(name)]
        assert _nested_descriptions(prop, name) == [], f"{component.__name__}.{name}: undocumented"
        expected, optional = expected_property(annotation)
        assert _without_descriptions(prop) == _not_plain(expected), f"{component.__name__}.{name}"
        assert (camel_case(name) in resource["required"]) != optional


def _not_plain(spec: dict) -> dict:
    return {k: _not_plain(v) if isinstance(v, dict) else v for k, v in spec.items() if k != "plain"}


def test_enums_and_object_types_carry_their_values_and_descriptions(schema):
    enums = {t.removeprefix(TOKEN): t for t, spec in schema["types"].items() if "enum" in spec}
    assert set(enums) == {"NatGateways", "TlsMode", "Provisioning"}
    assert [e["value"] for e in schema["types"][TOKEN + "NatGateways"]["enum"]] == [m.value for m in NatGateways]
    for spec in schema["types"].values():
        assert spec.get("description")
        assert all(e.get("description") for e in spec.get("enum", []))
        assert all(p.get("description") for p in spec.get("properties", {}).values())
    # transitionGlacierDays is optional: a bucket whose objects a service reads without a restore (DataSync staging).
    assert schema["types"][TOKEN + "Lifecycle"]["required"] == ["expirationDays", "transitionIaDays"]


def test_what_composes_takes_outputs_and_what_builds_names_stays_plain(schema):
    """Spot checks of the choices the generic tests cannot judge: an ARN or ID another component creates must
    accept an output; a value the component builds names or documents from at construction must be plain."""
    def inputs(component: str) -> dict:
        return schema["resources"][TOKEN + component]["inputProperties"]

    takes_outputs = {"Network": ["accountId", "flowLogKmsKeyArn", "permissionsBoundaryArn"],
                     "S3LoadBalancer": ["vpcId", "subnetIds", "accessLogsBucket"],
                     "ClusterTls": ["loadBalancerDnsName", "secretsKeyArn"], "ClusterDns": ["vpcId"],
                     "HardenedBucket": ["kmsKeyArn", "accessLogBucket", "policyStatements"],
                     "Audit": ["storageKeyArn", "logsKeyArn", "messagingKeyArn", "permissionsBoundaryArn"]}
    plain = {"Network": ["cidr", "azs", "logGroupPrefix"], "Audit": ["accountId", "partition", "name"],
             "ClusterDns": ["nodeNames", "domain"], "ClusterTls": ["nodeNames", "endpointNames"]}
    for component, names in takes_outputs.items():
        assert [n for n in names if inputs(component)[n].get("plain")] == [], component
    for component, names in plain.items():
        assert [n for n in names if not inputs(component)[n].get("plain")] == [], component


# --- the YAML example ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def test_the_yaml_example_matches_the_schema(example, schema):
    assert check_program(example, schema) == []
    used = {r["type"] for r in example["resources"].values()}
    assert {TOKEN + c.__name__ for c in COMPONENTS} <= used, "the example shows every served component"
    assert example["packages"][NAME] == "../../provider" and (EXAMPLE.parent / "../../provider").resolve() == \
        ROOT / "provider"


def setting(resource: str, **values):
    return lambda program: program["resources"][resource]["properties"].update(values)


def removing(resource: str, *path: str):
    def mutate(program):
        properties = program["resources"][resource]["properties"]
        for key in path[:-1]:
            properties = properties[key]
        properties.pop(path[-1])
    return mutate


@pytest.mark.parametrize("mutate, problem", [
    (removing("network", "cidr"), "network: required input cidr missing"),
    (setting("network", vpcCidr="10.0.0.0/16"), "network.vpcCidr: no such input"),
    (setting("network", flowLogRetentionDays="90"), "network.flowLogRetentionDays: expected integer"),
    (setting("network", natGateways="perAZ"), "network.natGateways: 'perAZ' is not one of"),
    (setting("network", logGroupPrefix="${keys.logGroupPrefix}"),
     "network.logGroupPrefix: plain input takes ${keys.logGroupPrefix}, an output of resource keys"),
    (setting("network", flowLogKmsKeyArn="${keys.arn}"),
     "network.flowLogKmsKeyArn: ${keys.arn}: rustfs:index:Keys has no such output"),
    (setting("endpoint", vpcId="${network.privateSubnetIds}"),
     "endpoint.vpcId: ${network.privateSubnetIds} is a list of string, the input wants string"),
    (removing("tierBucket", "lifecycle", "expirationDays"),
     "tierBucket.lifecycle: required property expirationDays missing"),
    (lambda p: p["resources"]["keys"].update(type="rustfs:index:Key"), "keys: type rustfs:index:Key is not in"),
    (lambda p: p["outputs"].update(zone="${dns.zone}"), "outputs.zone: ${dns.zone}: rustfs:index:ClusterDns has"),
])
def test_the_check_refuses_what_pulumi_would(example, schema, mutate, problem):
    program = yaml.safe_load(yaml.safe_dump(example))
    mutate(program)
    problems = check_program(program, schema)
    assert any(p.startswith(problem) for p in problems), problems


# --- the provider process, as the CLI starts it --------------------------------------------------------------

def test_the_provider_process_answers_get_schema_over_grpc(schema):
    # The language host runs `python <plugin dir> <engine address>`; GetSchema needs no engine. The checkout's
    # rustfs_aws symlink stands in for the package provider/requirements.txt installs.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(ROOT / "provider"), "127.0.0.1:1"], cwd=ROOT / "provider",
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        port = _first_line(process, timeout=60)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            served = json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30).schema)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
        assert served == schema
        assert info.version == rustfs_aws.__version__
    finally:
        process.kill()
        process.wait(timeout=10)


def _first_line(process: subprocess.Popen, timeout: float) -> int:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"no port from the provider within {timeout} s")
    line = process.stdout.readline().decode().strip()
    if not line.isdigit():
        raise AssertionError(f"provider printed {line!r}; stderr: {process.stderr.read().decode()[-2000:]}")
    return int(line)


# --- a component built from the provider's inputs -----------------------------------------------------------

NETWORK_INPUTS = {  # schema names and values as they arrive over the wire (numbers are floats)
    "cidr": "10.40.0.0/16", "azs": ["us-east-1a", "us-east-1b"], "natGateways": "perAz", "region": "us-east-1",
    "accountId": "123456789012", "partition": "aws", "flowLogKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
    "flowLogRetentionDays": 30.0, "logGroupPrefix": "/rustfs/t/", "tags": {"Project": "p"},
}


def declared(capture, prefix: str) -> list:
    """(type, name, inputs) of what was declared under ``prefix``: the prefix taken out of names and values, and
    the ids the fake AWS derives from the names (``vpc-15f2d27...``) masked."""
    def masked(inputs: dict) -> str:
        return re.sub(r"-[0-9a-f]{7,}\b", "-ID", json.dumps(inputs, sort_keys=True).replace(prefix, "X"))

    return sorted((t, n.removeprefix(prefix), masked(i)) for t, n, i in capture.recorded if n.startswith(prefix))


def test_a_component_from_the_providers_inputs_declares_what_its_args_declare(capture, provider):
    @pulumi.runtime.test  # returns once every registration has finished
    def build():
        Network("pkg", provider.map_inputs(NETWORK_INPUTS, provider._component_defs["Network"]))
        Network("py", NetworkArgs(
            cidr="10.40.0.0/16", azs=["us-east-1a", "us-east-1b"], nat_gateways="perAz", region="us-east-1",
            account_id="123456789012", partition="aws", flow_log_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
            flow_log_retention_days=30, log_group_prefix="/rustfs/t/", tags={"Project": "p"}))

    build()
    assert declared(capture, "pkg") == declared(capture, "py") and len(declared(capture, "pkg")) > 20
    assert sum(t == "aws:ec2/natGateway:NatGateway" for t, _, _ in declared(capture, "pkg")) == 2  # perAz, 2 AZs


def test_the_package_bucket_takes_statements_after_the_tls_only_deny(capture, provider):
    inputs = {"bucket": "acme-tier", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/s",
              "lifecycle": {"transitionIaDays": 30.0, "transitionGlacierDays": 90.0, "expirationDays": 365.0},
              "policyStatements": [{"Sid": "NodesRead", "Effect": "Allow", "Action": "s3:GetObject",
                                    "Principal": {"AWS": "arn:aws:iam::123456789012:role/n"},
                                    "Resource": "arn:aws:s3:::acme-tier/*"}]}

    @pulumi.runtime.test
    def build():
        HardenedBucket("tier", provider.map_inputs(inputs, provider._component_defs["HardenedBucket"]))

    build()
    policy = json.loads(capture.inputs["tier-policy"]["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["DenyInsecureTransport", "NodesRead"]
    assert capture.inputs["tier-lifecycle"]["rules"][0]["expiration"]["days"] == 365


def test_an_enum_value_the_component_does_not_know_is_refused_naming_the_field():
    fields = {f.name: NETWORK_INPUTS[camel_case(f.name)] for f in dataclasses.fields(NetworkArgs)
              if camel_case(f.name) in NETWORK_INPUTS}
    with pytest.raises(ValueError, match=r"NetworkArgs.nat_gateways: got 'both'; allowed: 'single', 'perAz', 'none'"):
        component_args(NetworkArgs, {**fields, "nat_gateways": "both"})
    with pytest.raises(TypeError, match=r"NetworkArgs: unknown field\(s\) vpc_cidr"):
        component_args(NetworkArgs, {**fields, "vpc_cidr": "10.0.0.0/16"})
    assert component_args(NetworkArgs, {**fields, "tags": None}).tags == {}  # None: the default


def test_the_readmes_python_example_runs(capture):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### From Python"):readme.index("### From TypeScript")]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]

    @pulumi.runtime.test
    def run():
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})

    run()
    assert "aws:ec2/vpc:Vpc" in capture.types and "aws:kms/key:Key" in capture.types
    (group,) = [i for t, _, i in capture.recorded if t == "aws:cloudwatch/logGroup:LogGroup"]
    assert group["name"] == "/rustfs/acme-rustfs/vpc-flow-logs" and group["kmsKeyId"].startswith("arn:aws:kms:")
