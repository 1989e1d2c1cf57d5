"""RustFS root credentials: generated, stored once (encrypted with the secrets key), leaked nowhere."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from google.protobuf import json_format

from preflight.runner import run_stack
from rustfs_aws.config import ConfigError, parse
from rustfs_aws.security.credentials import ACCESS_KEY_LENGTH, RPC_SECRET_LENGTH, SECRET_KEY_LENGTH, secret_name

PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


@cache
def recording(stack: str = "dev", version: int | None = None):
    overrides = {"rustfs-aws:security": {"rootCredentialsVersion": version}} if version else None
    return run_stack(stack, overrides=overrides)


def generated(rec) -> dict[str, str]:
    prefix = f"rustfs-{rec.settings.stack}-root-credentials-"
    passwords = {r.name.rsplit("-", 2)[-2]: r for r in rec.of_type(PASSWORD) if r.name.startswith(prefix)}
    assert set(passwords) == {"access", "secret", "rpc"}
    return {kind: r.outputs["result"] for kind, r in passwords.items()}


def root_secret(rec):
    return rec.one(SECRET, f"rustfs-{rec.settings.stack}-root-credentials-secret")


def root_version(rec):
    return rec.one(VERSION, f"rustfs-{rec.settings.stack}-root-credentials-secret-version")


def test_generated_values_are_long_alphanumeric_and_distinct():
    values = generated(recording())
    assert len(values["access"]) >= ACCESS_KEY_LENGTH >= 20
    assert len(values["secret"]) >= SECRET_KEY_LENGTH >= 40
    assert re.fullmatch(r"[A-Z0-9]+", values["access"]), values["access"]
    assert re.fullmatch(r"[A-Za-z0-9]+", values["secret"]), values["secret"]
    assert values["access"] != values["secret"]
    assert "rustfsadmin" not in values.values()
    assert len(values["rpc"]) >= RPC_SECRET_LENGTH >= 32 and re.fullmatch(r"[A-Za-z0-9]+", values["rpc"])
    assert len(set(values.values())) == 3


def test_one_secret_encrypted_with_the_secrets_key():
    rec = recording()
    secret = root_secret(rec)
    secrets_key = next(r for r in rec.of_type("aws:kms/key:Key")
                       if r.inputs["tags"]["rustfs:key-purpose"] == "secrets")
    assert secret.inputs["kmsKeyId"] == secrets_key.outputs["arn"]
    assert secret.inputs["name"] == secret_name("dev") == "rustfs/dev/root-credentials"
    # Force-deleted outside prod: a window would keep the fixed name reserved (test_destroy_recreate.py).
    assert secret.inputs["recoveryWindowInDays"] == 0 and secret.protect is False
    assert root_version(rec).inputs["secretId"] == secret.outputs["id"]


def test_secret_version_holds_both_values_as_a_secret():
    rec = recording()
    values = generated(rec)
    wire = json_format.MessageToDict(root_version(rec).wire_inputs)["secretString"]
    assert wire["4dabf18193072939515e22adb298388d"] == _SECRET_SIG  # marked secret on the wire
    assert json.loads(wire["value"]) == {"accessKey": values["access"], "secretKey": values["secret"],
                                         "rpcSecret": values["rpc"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_generated_values_appear_in_no_other_resource_and_no_output(stack):
    rec = recording(stack)
    values = generated(rec)
    version = root_version(rec)
    for res in rec.resources:
        if res.type == PASSWORD:
            continue  # the generator itself
        raw_inputs = json_format.MessageToJson(res.wire_inputs)
        raw_outputs = json_format.MessageToJson(res.wire_outputs)
        for kind, value in values.items():
            if res is not version:
                assert value not in raw_inputs, f"{kind} key leaks into inputs of {res.type} {res.name}"
                assert value not in raw_outputs, f"{kind} key leaks into outputs of {res.type} {res.name}"
    stack_outputs = json.dumps(rec.wire_outputs, default=str)
    assert not any(v in stack_outputs for v in values.values()), "a credential is exported"


def test_prod_secret_is_protected_with_the_longest_recovery_window():
    secret = root_secret(recording("prod"))
    assert secret.protect is True and secret.inputs["recoveryWindowInDays"] == 30


def test_bumping_the_version_changes_the_generators_keepers():
    for rec, version in ((recording(version=2), "2"), (recording(), "1")):
        ours = [r for r in rec.of_type(PASSWORD) if "-root-credentials-" in r.name]
        root_keys = [r for r in ours if not r.name.endswith("-rpc-secret")]
        assert len(root_keys) == 2 and len(ours) == 3
        for res in root_keys:
            assert res.inputs["keepers"] == {"rootCredentialsVersion": version}
        # The internode RPC secret stays through a root-key rotation, so the rotation can be rolling.
        [rpc] = [r for r in ours if r.name.endswith("-rpc-secret")]
        assert not rpc.inputs.get("keepers")


BASE = {"environment": "dev", "tags": {"Owner": "o", "CostCenter": "c"}}


def test_root_credentials_version_config():
    assert parse(BASE, stack="dev", region="us-east-1").security.root_credentials_version == 1
    cfg = parse({**BASE, "security": {"rootCredentialsVersion": 3}}, stack="dev", region="us-east-1")
    assert cfg.security.root_credentials_version == 3
    with pytest.raises(ConfigError, match=r"rustfs-aws:security\.rootCredentialsVersion"):
        parse({**BASE, "security": {"rootCredentialsVersion": 0}}, stack="dev", region="us-east-1")
