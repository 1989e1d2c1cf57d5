"""TLS end to end: private CA, one certificate per node naming every way clients reach it, kept secret."""

from __future__ import annotations

import json
from functools import cache

import pytest

from preflight.runner import run_stack
from rustfs_aws.cluster.tls import NODE_USES, tls_secret_name

CA = "tls:index/selfSignedCert:SelfSignedCert"
CSR = "tls:index/certRequest:CertRequest"
CERT = "tls:index/locallySignedCert:LocallySignedCert"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ACM_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
STACKS = ["dev", "prod"]


@cache
def rec(stack: str, acm: bool = False):
    return run_stack(stack, {"rustfs-aws:tls": {"mode": "acm", "certificateArn": ACM_ARN}} if acm else None)


@pytest.mark.parametrize("stack", STACKS)
def test_one_private_ca_signs_every_node_certificate(stack):
    r = rec(stack)
    ca = r.one(CA)
    assert ca.inputs["isCaCertificate"] is True and "cert_signing" in ca.inputs["allowedUses"]
    certs = r.of_type(CERT)
    assert len(certs) == len(r.outputs["nodeNames"])
    for cert in certs:
        assert cert.inputs["caCertPem"] == ca.outputs["certPem"]
        assert cert.inputs["caPrivateKeyPem"] == "[secret]"
        # Nodes serve HTTPS and call their peers over HTTPS: server and client authentication.
        assert set(cert.inputs["allowedUses"]) == set(NODE_USES) >= {"server_auth", "client_auth"}
        assert cert.inputs["earlyRenewalHours"] < cert.inputs["validityPeriodHours"]
    assert r.outputs["caCertificatePem"] == ca.outputs["certPem"]


@pytest.mark.parametrize("stack", STACKS)
def test_each_node_certificate_names_the_node_the_endpoint_and_the_load_balancer(stack):
    r = rec(stack)
    lb_dns = r.one("aws:lb/loadBalancer:LoadBalancer").outputs["dnsName"]
    endpoint = f"s3.{stack}.rustfs.internal"
    by_cn = {c.inputs["subject"]["commonName"]: c.inputs["dnsNames"] for c in r.of_type(CSR)}
    assert set(by_cn) == set(r.outputs["nodeNames"])
    for node, sans in by_cn.items():
        assert sans[0] == node
        assert {endpoint, f"*.{endpoint}", lb_dns} <= set(sans)
        assert not any(other in sans for other in by_cn if other != node)  # a node never names its peers
        assert (f"console.{stack}.rustfs.internal" in sans) == (stack == "dev")  # console on in dev only


@pytest.mark.parametrize("stack", STACKS)
def test_node_material_lives_in_one_kms_encrypted_secret_per_node(stack):
    r = rec(stack)
    secrets = {s.inputs["tags"]["rustfs:node-name"]: s for s in r.of_type(SECRET)
               if "rustfs:node-name" in s.inputs["tags"]}
    assert set(secrets) == set(r.outputs["nodeNames"])
    secrets_key = next(k.outputs["arn"] for k in r.of_type("aws:kms/key:Key")
                       if k.inputs["tags"].get("rustfs:key-purpose") == "secrets")
    for node, secret in secrets.items():
        assert secret.inputs["name"] == tls_secret_name(stack, node)
        assert secret.inputs["kmsKeyId"] == secrets_key
    versions = {v.inputs["secretId"]: v for v in r.of_type(VERSION)}
    for secret in secrets.values():
        assert versions[secret.outputs["id"]].inputs["secretString"] == "[secret]"


def test_private_keys_appear_only_as_secrets_in_the_recording():
    r = rec("prod")
    keys = [k.outputs["privateKeyPemPkcs8"] for k in r.of_type("tls:index/privateKey:PrivateKey")]
    body = [line for k in keys for line in k.splitlines() if not line.startswith("-----")]
    everything = json.dumps([[x.inputs, x.outputs if x.type != "tls:index/privateKey:PrivateKey" else {}]
                             for x in r.resources]) + json.dumps(r.outputs)
    leaked = [k for k in body if k in everything]
    assert body and not leaked


def test_ca_is_protected_in_prod_only():
    assert rec("prod").one(CA).protect and not rec("dev").one(CA).protect


def test_node_secrets_are_protected_in_prod_and_force_deleted_elsewhere():
    for stack, window in (("prod", 30), ("dev", 0)):
        secrets = rec(stack).of_type("aws:secretsmanager/secret:Secret")
        nodes = [s for s in secrets if "/tls/" in s.inputs["name"]]
        assert nodes and all(s.protect is (stack == "prod") for s in nodes), stack
        assert {s.inputs["recoveryWindowInDays"] for s in nodes} == {window}, stack


def test_acm_mode_keeps_node_certificates_for_the_hop_to_the_nodes():
    r = rec("prod", acm=True)
    assert len(r.of_type(CERT)) == 6  # internode and load balancer -> node traffic stay HTTPS
    [listener] = [x for x in r.of_type("aws:lb/listener:Listener") if x.inputs["port"] == 9000]
    assert listener.inputs["certificateArn"] == ACM_ARN
