#!/usr/bin/env python3
"""rustfs-reconcile: apply the stack's desired RustFS state (buckets, policies, service accounts) to the cluster.

Runs on every storage node from rustfs-state.timer (components/state/state.py installs it); exactly one node acts
at a time: the one holding the lease, a DynamoDB item written only under a condition (``attribute_not_exists(pk)
OR expires < :now OR holder = :me``, DynamoDB Developer Guide, "Condition expressions"). A holder renews it
before every write and stops when a renewal fails; a holder that dies stops renewing, and after ``leaseSeconds``
the next node's timer takes over. The same item keeps the ledger, the names this reconciler created: it deletes
only what the ledger lists *and* the desired state marks ``delete: true`` (a bucket policy: ``deletePolicy: true``,
and only if it is still the very policy the ledger says it put); every ledger write is conditioned on still holding
the lease. Anything the desired state does not name is never read or written.

The desired state is the SSM parameter the program publishes (policies/rustfs_model/rustfs_state.py): no secrets,
the service accounts' keys are read from their Secrets Manager secrets. The S3 side goes through boto3; the admin
side (RustFS's ``/rustfs/admin/v3`` routes: plain JSON bodies, rustfs/src/admin/utils.rs
``read_compatible_admin_body`` decrypts only the ``/minio/admin`` compatibility prefix) is signed by botocore's
S3SigV4Auth with the root credentials, as the bootstrap reads them (components/cluster/bootstrap/node-bootstrap).
Rejected: minio-py's MinioAdmin. It is not in the AL2023 repository (this script runs on GPG-checked distribution
packages only, no PyPI on the nodes), and it speaks the /minio/admin/v3 compatibility prefix with madmin-encrypted
bodies: another code path of RustFS than the plain /rustfs/admin/v3 one (tests/rustfs_admin_stub.py replays that one).

Python 3.9 and the distribution's python3-boto3 (AL2023); stdlib otherwise. Exit 0: converged, nothing to do, or
another node holds the lease; 1: some item failed (the others were still applied); 2: unusable input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
import urllib.parse
import uuid

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError, SSLError
from botocore.httpsession import URLLib3Session

KIND, SCHEMA = "rustfs-aws/state", 1
ADMIN = "/rustfs/admin/v3"
CALL_TIMEOUT = 30
KINDS = ("buckets", "policies", "serviceAccounts")
# What the ledger records beyond KINDS: the tiers and remote targets this reconciler registered (never deleted), the
# bucket policies it wrote (bucket -> {"sha256": the normalized policy it put}; it deletes only that one) and the
# buckets whose replication config it wrote (it rewrites or removes only those).
LEDGER_KINDS = (*KINDS, "tiers", "remoteTargets", "siteReplication", "bucketPolicies", "bucketReplication")


class Unusable(Exception):
    """The input cannot be applied at all (exit 2)."""


class LeaseLost(Exception):
    """Another node holds the lease now: stop before the next write."""


def or_none(missing: str, call, **kwargs):
    """``call(**kwargs)``'s answer, or None when it fails with ``missing``, the error code that says there is none
    (NoSuchBucketPolicy, NoSuchLifecycleConfiguration, ResourceNotFoundException, ...)."""
    try:
        return call(**kwargs)
    except ClientError as e:
        if e.response["Error"]["Code"] == missing:
            return None
        raise


def log(event: str, **fields) -> None:
    """One JSON line on stderr: the journal, shipped by the node collector to the node's log group."""
    print(json.dumps({"event": event, **fields}, sort_keys=True, default=str), file=sys.stderr, flush=True)


# --- the desired state ----------------------------------------------------------------------------------------

def canonical(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def load_document(text: str) -> dict:
    """The published document, refused unless its kind, schema and revision (SHA-256 of the rest) hold."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise Unusable(f"the desired state is not JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND or doc.get("schema") != SCHEMA:
        raise Unusable(f"not a {KIND} document of schema {SCHEMA}")
    body = {k: v for k, v in doc.items() if k != "revision"}
    if hashlib.sha256(canonical(body).encode()).hexdigest() != doc.get("revision"):
        raise Unusable("the desired state's revision does not match its content (edited by hand?)")
    return doc


def _sorted_strings(value) -> list:
    return sorted(str(v) for v in (value if isinstance(value, list) else [value]))


def normalize_policy(doc) -> dict:
    """A policy as RustFS stores it, for comparison: lists sorted, ``*`` as ``s3:*`` (crates/policy action.rs),
    empty Sid and ID (a bucket policy's Id) dropped, condition values as sorted string lists; a bucket policy's
    Principal ``"*"`` as ``{"AWS": ["*"]}`` (crates/policy/src/policy/principal.rs reads both as the same set)."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    statements = []
    for st in doc.get("Statement") or []:
        out = {"Effect": st.get("Effect")}
        for key in ("Action", "NotAction"):
            if st.get(key):
                out[key] = sorted({"s3:*" if a == "*" else a for a in _sorted_strings(st[key])})
        for key in ("Resource", "NotResource"):
            if st.get(key):
                out[key] = _sorted_strings(st[key])
        if st.get("Sid"):
            out["Sid"] = st["Sid"]
        if st.get("Principal"):
            p = st["Principal"]
            out["Principal"] = {"AWS": ["*"]} if p == "*" else {k: _sorted_strings(v) for k, v in p.items() if v}
        if st.get("Condition"):
            out["Condition"] = {op: {k: _sorted_strings(v) for k, v in (kv or {}).items()}
                                for op, kv in st["Condition"].items()}
        statements.append(out)
    norm = {"Version": doc.get("Version") or "2012-10-17",
            "Statement": sorted(statements, key=canonical)}
    if doc.get("ID") or doc.get("Id"):
        norm["ID"] = doc.get("ID") or doc["Id"]
    return norm


def policy_digest(doc) -> str:
    return hashlib.sha256(canonical(normalize_policy(doc)).encode()).hexdigest()


# --- the lease and the ledger ------------------------------------------------------------------------------

class Lease:
    """One DynamoDB item per cluster: ``holder``, ``expires`` (epoch seconds) and ``ledger`` (JSON)."""

    def __init__(self, dynamodb, table: str, key: str, holder: str, seconds: int, clock=time.time):
        self.db, self.table, self.key, self.holder, self.seconds, self.clock = (
            dynamodb, table, key, holder, seconds, clock)
        self.expires = 0.0

    def _update(self, expression: str, condition: str, values: dict) -> dict:
        return self.db.update_item(
            TableName=self.table, Key={"pk": {"S": self.key}}, UpdateExpression=expression,
            ConditionExpression=condition, ExpressionAttributeNames={"#h": "holder", "#e": "expires"},
            ExpressionAttributeValues=values, ReturnValues="ALL_NEW")

    def acquire(self) -> bool:
        now = self.clock()
        try:
            item = self._update("SET #h = :me, #e = :exp",
                                "attribute_not_exists(pk) OR #e < :now OR #h = :me",
                                {":me": {"S": self.holder}, ":exp": {"N": str(int(now + self.seconds))},
                                 ":now": {"N": str(int(now))}})["Attributes"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self.expires = now + self.seconds
        self.ledger = json.loads(item.get("ledger", {}).get("S", "{}"))
        for kind in LEDGER_KINDS:
            self.ledger.setdefault(kind, {})
        return True

    def ensure(self) -> None:
        """Before a write: renew when less than half the lease is left; LeaseLost when another node has it."""
        now = self.clock()
        if self.expires - now >= self.seconds / 2:
            return
        self._renew({}, "")

    def _renew(self, extra_values: dict, extra_set: str) -> None:
        now = self.clock()
        try:
            self._update(f"SET #e = :exp{extra_set}", "#h = :me AND #e >= :now",
                         {":me": {"S": self.holder}, ":exp": {"N": str(int(now + self.seconds))},
                          ":now": {"N": str(int(now))}, **extra_values})
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise LeaseLost("the lease expired or another node took it") from None
            raise
        self.expires = now + self.seconds

    def record(self, kind: str, name: str, meta: dict | None = None) -> None:
        self.ledger[kind][name] = meta or {}
        self._save()

    def forget(self, kind: str, name: str) -> None:
        if self.ledger[kind].pop(name, None) is not None:
            self._save()

    def _save(self) -> None:
        self._renew({":l": {"S": canonical(self.ledger)}}, ", ledger = :l")

    def release(self) -> None:
        try:
            self._update("SET #e = :zero", "#h = :me", {":me": {"S": self.holder}, ":zero": {"N": "0"}})
        except ClientError as e:  # expired and taken meanwhile: nothing of ours to release
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


# --- the admin API ------------------------------------------------------------------------------------------

class AdminError(Exception):
    def __init__(self, status: int, body: bytes, what: str):
        self.status = status
        super().__init__(f"{what}: HTTP {status}: {body[:300].decode(errors='replace')}")


class Admin:
    """RustFS's admin API under /rustfs/admin/v3, SigV4-signed (service s3, the cluster's region)."""

    def __init__(self, endpoint: str, region: str, access_key: str, secret_key: str, verify, host: str = ""):
        self.endpoint, self.region, self.verify, self.host = endpoint.rstrip("/"), region, verify, host
        self.credentials = Credentials(access_key, secret_key)
        self.http = URLLib3Session(verify=verify, timeout=CALL_TIMEOUT)

    def call(self, method: str, route: str, query: dict | None = None, body=None, ok=(200, 204)) -> bytes:
        url = f"{self.endpoint}{ADMIN}/{route}"
        if query:
            url += "?" + urllib.parse.urlencode(sorted(query.items()), quote_via=urllib.parse.quote)
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **({"Host": self.host} if self.host else {})}
        request = AWSRequest(method=method, url=url, data=data, headers=headers)  # SigV4 signs the Host given
        S3SigV4Auth(self.credentials, "s3", self.region).add_auth(request)
        response = self.http.send(request.prepare())
        if response.status_code not in ok:
            raise AdminError(response.status_code, response.content, f"{method} {route}")
        return response.content

    def json(self, method: str, route: str, query: dict | None = None, body=None):
        content = self.call(method, route, query, body)
        return json.loads(content) if content else None


# --- applying ------------------------------------------------------------------------------------------------

class Run:
    """One reconciliation: counts writes (changes), differences found on existing items (drift) and errors."""

    def __init__(self, s3, admin: Admin, secrets, lease: Lease, region: str, check: bool = False,
                 secrets_in=None):
        self.s3, self.admin, self.secrets, self.lease, self.region, self.check = (
            s3, admin, secrets, lease, region, check)
        # Secrets Manager of another Region (a DR primary's credentials); default: this Region's client only.
        self.secrets_in = secrets_in or (lambda r: self.secrets)
        self.changes, self.drift, self.errors = 0, 0, []

    def write(self, what: str, fn, *args, **kwargs):
        """A write, unless --check; the lease is renewed (or lost) first."""
        self.changes += 1
        log("change", what=what, applied=not self.check)
        if self.check:
            return None
        self.lease.ensure()
        return fn(*args, **kwargs)

    def drifted(self, what: str, have, want) -> None:
        self.drift += 1
        log("drift", what=what, found=have, desired=want)

    def each(self, kind: str, items: list, fn) -> None:
        for item in items:
            self.guarded(kind, item.get("name"), fn, item)

    def guarded(self, kind: str, name, fn, *args) -> None:
        """One step: its failure is reported and counted, and the next step still runs."""
        try:
            fn(*args)
        except LeaseLost:
            raise
        except (ClientError, BotoCoreError, AdminError, KeyError, ValueError) as e:
            self.errors.append(f"{kind} {name or ''}: {e}")
            log("error", kind=kind, name=name, error=str(e))

    def refuse(self, kind: str, name: str, why: str) -> None:
        self.errors.append(f"{kind} {name}: {why}")
        log("refused", kind=kind, name=name, reason=why)

    # -- buckets

    def _exists(self, bucket: str) -> bool:
        try:
            self.s3.head_bucket(Bucket=bucket)
            return True
        except ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise

    def bucket(self, b: dict) -> None:
        name = b["name"]
        exists = self._exists(name)
        if b.get("delete"):
            self._delete_bucket(name, exists)
            return
        if not exists:
            params = {"Bucket": name}
            if self.region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            if b.get("objectLock"):
                params["ObjectLockEnabledForBucket"] = True
            self.write(f"create bucket {name}", self.s3.create_bucket, **params)
            if not self.check:
                self.lease.record("buckets", name)
        self._versioning(b, exists)
        self._object_lock(b, exists)
        self._lifecycle(b, exists)
        self._quota(b, exists)
        self._bucket_policy(b, exists)

    def _delete_bucket(self, name: str, exists: bool) -> None:
        if not exists:
            if not self.check:
                self.lease.forget("buckets", name)
            return
        if name not in self.lease.ledger["buckets"]:
            self.refuse("bucket", name, "delete: true, but this reconciler did not create it: left in place")
            return
        listing = self.s3.list_object_versions(Bucket=name, MaxKeys=1)
        if listing.get("Versions") or listing.get("DeleteMarkers"):
            self.refuse("bucket", name, "delete: true, but it still holds objects (or versions): empty it first")
            return
        self.write(f"delete bucket {name}", self.s3.delete_bucket, Bucket=name)
        if not self.check:
            self.lease.forget("buckets", name)
            self.lease.forget("bucketPolicies", name)  # went with the bucket

    def _versioning(self, b: dict, exists: bool) -> None:
        want = b.get("versioning")
        if want is None:
            return
        have = (self.s3.get_bucket_versioning(Bucket=b["name"]).get("Status") or "").lower() if exists else ""
        if have != want and not (self.check and not exists):
            if exists:
                self.drifted(f"bucket {b['name']} versioning", have or "never enabled", want)
            self.write(f"bucket {b['name']} versioning {want}", self.s3.put_bucket_versioning, Bucket=b["name"],
                       VersioningConfiguration={"Status": want.capitalize()})

    def _object_lock(self, b: dict, exists: bool) -> None:
        lock = b.get("objectLock")
        if not lock:
            return
        retention = {"Mode": lock["mode"], **({"Days": lock["days"]} if "days" in lock else {"Years": lock["years"]})}
        want = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}
        answer = or_none("ObjectLockConfigurationNotFoundError", self.s3.get_object_lock_configuration,
                         Bucket=b["name"]) if exists else None
        have = answer["ObjectLockConfiguration"] if answer else None
        if self._retention(have) != self._retention(want):
            if exists:
                self.drifted(f"bucket {b['name']} object lock", have, want)
            self.write(f"bucket {b['name']} object lock {retention}", self.s3.put_object_lock_configuration,
                       Bucket=b["name"], ObjectLockConfiguration=want)

    @staticmethod
    def _retention(config) -> tuple | None:
        """(enabled, mode, days, years): S3 answers with Days or Years, some servers with the other as 0."""
        if not config:
            return None
        r = (config.get("Rule") or {}).get("DefaultRetention") or {}
        return config.get("ObjectLockEnabled"), r.get("Mode"), r.get("Days") or None, r.get("Years") or None

    @staticmethod
    def _rule(rule: dict) -> dict:
        out = {"ID": rule["id"], "Status": "Enabled" if rule.get("enabled", True) else "Disabled",
               "Filter": {"Prefix": rule.get("prefix", "")}}
        if "expirationDays" in rule:
            out["Expiration"] = {"Days": rule["expirationDays"]}
        if "noncurrentExpirationDays" in rule:
            out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrentExpirationDays"]}
        if "abortIncompleteMultipartDays" in rule:
            out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule["abortIncompleteMultipartDays"]}
        if "transitionTier" in rule:  # to a RustFS remote tier: its name is the transition's storage class
            out["Transitions"] = [{"Days": rule["transitionDays"], "StorageClass": rule["transitionTier"]}]
        return out

    @staticmethod
    def _comparable(rules: list) -> list:
        keep = ("ID", "Status", "Filter", "Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload",
                "Transitions")
        out = []
        for r in rules:
            r = {k: r[k] for k in keep if k in r}
            if "Prefix" in r.get("Filter", {}) or not r.get("Filter"):
                r["Filter"] = {"Prefix": (r.get("Filter") or {}).get("Prefix", "")}
            out.append(r)
        return sorted(out, key=lambda r: r["ID"])

    def _lifecycle(self, b: dict, exists: bool) -> None:
        if "lifecycle" not in b:
            return
        want = self._comparable([self._rule(r) for r in b["lifecycle"]])
        answer = or_none("NoSuchLifecycleConfiguration", self.s3.get_bucket_lifecycle_configuration,
                         Bucket=b["name"]) if exists else None
        have = self._comparable(answer["Rules"]) if answer else []
        if have == want:
            return
        if exists:
            self.drifted(f"bucket {b['name']} lifecycle", have, want)
        if want:
            self.write(f"bucket {b['name']} lifecycle ({len(want)} rules)",
                       self.s3.put_bucket_lifecycle_configuration, Bucket=b["name"],
                       LifecycleConfiguration={"Rules": want})
        else:
            self.write(f"bucket {b['name']} lifecycle removed", self.s3.delete_bucket_lifecycle, Bucket=b["name"])

    def _quota(self, b: dict, exists: bool) -> None:
        """rustfs/src/admin/handlers/quota.rs: GET get-bucket-quota (compat shape, no usage needed), PUT/DELETE
        quota/{bucket} with {"quota": bytes, "quota_type": "HARD"}."""
        if "quotaBytes" not in b:
            return
        want = b["quotaBytes"]
        have = 0
        if exists:
            have = int((self.admin.json("GET", "get-bucket-quota", {"bucket": b["name"]}) or {}).get("quota") or 0)
        if have == want:
            return
        if exists:
            self.drifted(f"bucket {b['name']} quota", have, want)
        route = f"quota/{urllib.parse.quote(b['name'])}"
        if want:
            self.write(f"bucket {b['name']} quota {want} bytes", self.admin.call, "PUT", route,
                       body={"quota": want, "quota_type": "HARD"})
        else:
            self.write(f"bucket {b['name']} quota removed", self.admin.call, "DELETE", route)

    def _stored_policy(self, bucket: str):
        answer = or_none("NoSuchBucketPolicy", self.s3.get_bucket_policy, Bucket=bucket)
        return json.loads(answer["Policy"]) if answer else None

    def _bucket_policy(self, b: dict, exists: bool) -> None:
        """S3 Get/Put/DeleteBucketPolicy (rustfs/src/storage/ecfs.rs ``put_bucket_policy`` and friends, in
        rustfs/src/app/bucket_usecase.rs: ``execute_get_bucket_policy`` answers the JSON as it was put, or
        NoSuchBucketPolicy; ``execute_put_bucket_policy`` parses it into BucketPolicy, see rustfs_state.py
        ``bucket_policy_problems``). ``policy``: put when the stored one differs, compared normalized; the ledger
        records the digest of what was put. ``deletePolicy: true``: deleted only when the stored policy is the one
        the ledger says this reconciler put; a policy put by anyone else stays. Neither key: never read."""
        name, want = b["name"], b.get("policy")
        if want is None and not b.get("deletePolicy"):
            return
        have = self._stored_policy(name) if exists else None
        mine = self.lease.ledger["bucketPolicies"].get(name, {}).get("sha256")
        if want is None:  # deletePolicy
            if have is None:
                if mine and not self.check:
                    self.lease.forget("bucketPolicies", name)
            elif mine != policy_digest(have):
                self.refuse("bucket policy", name, "deletePolicy: true, but the policy on the bucket is not one this "
                            "reconciler put: left in place")
            else:
                self.write(f"bucket {name} policy removed", self.s3.delete_bucket_policy, Bucket=name)
                if not self.check:
                    self.lease.forget("bucketPolicies", name)
            return
        digest = policy_digest(want)
        if have is not None and policy_digest(have) == digest:
            return
        if have is not None:
            self.drifted(f"bucket {name} policy", have, want)
        try:
            self.write(f"bucket {name} policy", self.s3.put_bucket_policy, Bucket=name, Policy=canonical(want))
        except ClientError as e:
            # execute_put_bucket_policy: an Allow to Principal "*" under the bucket's public access block with
            # BlockPublicPolicy on is AccessDenied, even for the root credentials (no block, RustFS's default: allowed)
            if e.response["Error"]["Code"] != "AccessDenied":
                raise
            self.refuse("bucket policy", name, "PutBucketPolicy: AccessDenied - with a Principal \"*\" statement "
                        "that is the bucket's public access block with BlockPublicPolicy on: turn it off (s3api "
                        "put-public-access-block, or delete-public-access-block), see README, The edge")
            return
        if not self.check:
            self.lease.record("bucketPolicies", name, {"sha256": digest})

    # -- policies (rustfs/src/admin/handlers/policies.rs)

    def policies(self, wanted: list) -> None:
        existing = self.admin.json("GET", "list-canned-policies") or {}

        def one(p: dict) -> None:
            name = p["name"]
            if p.get("delete"):
                if name not in existing:
                    if not self.check:
                        self.lease.forget("policies", name)
                elif name not in self.lease.ledger["policies"]:
                    self.refuse("policy", name, "delete: true, but this reconciler did not create it: left in place")
                else:
                    self.write(f"delete policy {name}", self.admin.call, "DELETE", "remove-canned-policy",
                               {"name": name})
                    if not self.check:
                        self.lease.forget("policies", name)
                return
            if name in existing:
                if normalize_policy(existing[name]) == normalize_policy(p["document"]):
                    return
                self.drifted(f"policy {name}", existing[name], p["document"])
            self.write(f"policy {name}", self.admin.call, "PUT", "add-canned-policy", {"name": name},
                       body=p["document"])
            if name not in existing and not self.check:
                self.lease.record("policies", name)

        self.each("policy", wanted, one)

    # -- service accounts (rustfs/src/admin/handlers/service_account.rs)

    def service_accounts(self, wanted: list, documents: dict) -> None:
        listed = (self.admin.json("GET", "list-service-accounts") or {}).get("accounts") or []
        by_name: dict = {}
        for account in listed:
            by_name.setdefault(account.get("name") or "", []).append(account)

        def one(a: dict) -> None:
            name = a["name"]
            mine = name in self.lease.ledger["serviceAccounts"]
            if a.get("delete"):
                if by_name.get(name) and not mine:
                    self.refuse("service account", name, "delete: true, but this reconciler did not create it")
                    return
                for old in by_name.get(name, []):
                    self.write(f"delete service account {name}", self.admin.call, "DELETE",
                               "delete-service-account", {"accessKey": old["accessKey"]})
                if not self.check:
                    self.lease.forget("serviceAccounts", name)
                return
            secret = self.secrets.get_secret_value(SecretId=a["secretArn"])
            keys = json.loads(secret["SecretString"])
            version = secret.get("VersionId", "")
            policy = documents[a["policy"]]
            current = [x for x in by_name.get(name, []) if x.get("accessKey") == keys["accessKey"]]
            if not current:
                self.write(f"create service account {name}", self.admin.call, "PUT", "add-service-account", body={
                    "accessKey": keys["accessKey"], "secretKey": keys["secretKey"], "name": name,
                    "description": a["description"], "policy": policy})
                if not self.check:
                    self.lease.record("serviceAccounts", name, {"secretVersion": version})
            else:
                self._update_account(a, keys, version, policy, mine)
            if mine:  # keys rotated (a new version): the account of the old keys goes
                for old in by_name.get(name, []):
                    if old.get("accessKey") != keys["accessKey"]:
                        self.write(f"delete service account {name} (rotated keys)", self.admin.call, "DELETE",
                                   "delete-service-account", {"accessKey": old["accessKey"]})

        self.each("service account", wanted, one)

    def _update_account(self, a: dict, keys: dict, version: str, policy: dict, mine: bool) -> None:
        info = self.admin.json("GET", "info-service-account", {"accessKey": keys["accessKey"]}) or {}
        update = {}
        # impliedPolicy: no session policy, the parent's (root's) power (rustfs/src/admin/access_key_identity.rs).
        if info.get("impliedPolicy") or not info.get("policy") or \
                normalize_policy(info["policy"]) != normalize_policy(policy):
            update["newPolicy"] = policy
        if (info.get("description") or "") != (a["description"] or ""):  # RustFS omits an empty one
            update["newDescription"] = a["description"]
        if info.get("accountStatus") != "on":  # crates/policy/src/auth/credentials.rs ACCOUNT_ON
            update["newStatus"] = "on"
        recorded = self.lease.ledger["serviceAccounts"].get(a["name"], {}).get("secretVersion")
        if mine and recorded and recorded != version:
            update["newSecretKey"] = keys["secretKey"]
        if update:
            self.drifted(f"service account {a['name']}", sorted(update), "as declared")
            self.write(f"service account {a['name']} {sorted(update)}", self.admin.call, "POST",
                       "update-service-account", {"accessKey": keys["accessKey"]}, body=update)
        if mine and recorded != version and not self.check:
            self.lease.record("serviceAccounts", a["name"], {"secretVersion": version})

    # -- remote tiers, remote targets, default encryption (components/integrations/: the desired state's "tiers",
    # "remoteTargets" and "encryption"; never deleted here: RustFS refuses to remove a tier that still holds objects,
    # and a forced removal strands them)

    def _keys(self, secret_arn: str) -> dict | None:
        """``{"accessKey", "secretKey"}`` from a secret; None when it has no value yet (ResourceNotFound)."""
        answer = or_none("ResourceNotFoundException", self.secrets.get_secret_value, SecretId=secret_arn)
        return json.loads(answer["SecretString"]) if answer else None

    def tiers(self, wanted: list) -> None:
        """rustfs/src/admin/handlers/tier.rs: GET tier lists TierConfig JSON (secret key REDACTED, access key kept);
        PUT tier adds ``{"type": "s3", "s3": TierS3}``; POST tier/{name} edits only the credentials (TierCreds)."""
        if not wanted:
            return
        listed = {}
        for t in self.admin.json("GET", "tier") or []:
            section = t.get(t.get("type")) or {}
            listed[section.get("name", "")] = {"type": t.get("type"), **section}

        def one(t: dict) -> None:
            name, keys = t["name"], self._keys(t["credentialsSecretArn"])
            if keys is None:
                self.refuse("tier", name, "its credentials secret has no value yet")
                return
            have = listed.get(name)
            if have is None:
                self.write(f"add tier {name}", self.admin.call, "PUT", "tier", body={"type": "s3", "s3": {
                    "name": name, "endpoint": t["endpoint"], "accessKey": keys["accessKey"],
                    "secretKey": keys["secretKey"], "bucket": t["bucket"], "prefix": t["prefix"],
                    "region": t["region"], "storageClass": t["storageClass"]}})
                if not self.check:
                    self.lease.record("tiers", name)
                return
            fixed = ("type", "endpoint", "bucket", "prefix", "region", "storageClass")
            differs = {f: have.get(f) for f in fixed if (have.get(f) or "") != ({**t, "type": "s3"}.get(f) or "")}
            if differs:  # RustFS edits a tier's credentials only: a person moves the rules to a new tier
                self.drifted(f"tier {name}", differs, {f: t.get(f) for f in differs})
                self.refuse("tier", name, f"{sorted(differs)} differ and RustFS cannot change them in place")
            elif have.get("accessKey") != keys["accessKey"]:  # a rotated key (tiering.keyVersion)
                self.drifted(f"tier {name} access key", have.get("accessKey"), keys["accessKey"])
                self.write(f"tier {name} credentials", self.admin.call, "POST",
                           f"tier/{urllib.parse.quote(name, safe='')}",
                           body={"accessKey": keys["accessKey"], "secretKey": keys["secretKey"]})

        self.each("tier", wanted, one)

    def remote_targets(self, wanted: list) -> None:
        """rustfs/src/admin/handlers/replication.rs: PUT set-remote-target?bucket= (RemoteTargetRequest, static keys
        only) answers the target's ARN; with update=true&creds=true and the arn it replaces the credentials."""
        def one(t: dict) -> None:
            if t.get("delete"):  # its rule goes (replication); RustFS drops the target with the bucket's last rule
                return
            name, keys = t["name"], self._keys(t["credentialsSecretArn"])
            if keys is None:
                self.refuse("remote target", name, "its secret has no value yet: put the remote's keys in it")
                return
            listed = self.admin.json("GET", "list-remote-targets", {"bucket": t["bucket"], "type": "replication"})
            match = [x for x in listed or [] if x.get("endpoint") == t["endpoint"]
                     and x.get("targetbucket") == t["targetBucket"]]
            body = {"sourcebucket": t["bucket"], "endpoint": t["endpoint"], "targetbucket": t["targetBucket"],
                    "credentials": {"accessKey": keys["accessKey"], "secretKey": keys["secretKey"]},
                    "secure": t.get("secure", True), "type": "replication", "region": t.get("region", "")}
            if not match:
                self.write(f"remote target {name}", self.admin.call, "PUT", "set-remote-target",
                           {"bucket": t["bucket"]}, body=body)
                if not self.check:
                    self.lease.record("remoteTargets", name)
            elif (match[0].get("credentials") or {}).get("accessKey") != keys["accessKey"]:
                self.drifted(f"remote target {name} access key", (match[0].get("credentials") or {}).get("accessKey"),
                             keys["accessKey"])
                self.write(f"remote target {name} credentials", self.admin.call, "PUT", "set-remote-target",
                           {"bucket": t["bucket"], "update": "true", "creds": "true"},
                           body={**body, "arn": match[0]["arn"]})

        self.each("remote target", wanted, one)

    def replication(self, targets: list) -> None:
        """Each target's rule in its bucket's replication config (S3 PutBucketReplication; rustfs/src/app/
        bucket_usecase.rs execute_put_bucket_replication, crates/replication/src/config.rs): Role empty, the
        destination the target's ARN, unique priorities; refused unless versioning is on and every ARN is a target of
        the bucket. A config this reconciler did not write is left alone; its own is removed only when every target
        of the bucket is ``delete: true`` (DeleteBucketReplication also drops the targets it names)."""
        by_bucket: dict = {}
        for t in targets:
            by_bucket.setdefault(t["bucket"], []).append(t)
        for bucket, ts in sorted(by_bucket.items()):
            self.guarded("bucket replication", bucket, self._replication, bucket, sorted(ts, key=lambda t: t["name"]))

    @staticmethod
    def _repl(config) -> tuple:
        on = lambda r, k: (r.get(k) or {}).get("Status") or "Disabled"  # noqa: E731
        return (config.get("Role") or "", sorted((r.get("ID"), r.get("Priority") or 0, r.get("Status"),
                (r.get("Filter") or {}).get("Prefix", r.get("Prefix", "")), on(r, "DeleteMarkerReplication"),
                on(r, "ExistingObjectReplication"), r["Destination"]["Bucket"]) for r in config.get("Rules", [])))

    @staticmethod
    def _rule_arns(config) -> set:
        """The ARNs a config names (crates/replication/src/config.rs ``replication_target_arns``: the Role when set,
        else each enabled rule's Destination.Bucket)."""
        if not config:
            return set()
        if (config.get("Role") or "").strip():
            return {config["Role"].strip()}
        return {r["Destination"]["Bucket"].strip() for r in config.get("Rules", [])
                if r.get("Status") != "Disabled" and r["Destination"]["Bucket"].strip()}

    def _replication(self, bucket: str, targets: list) -> None:
        arns = {(x.get("endpoint"), x.get("targetbucket")): x.get("arn") for x in
                self.admin.json("GET", "list-remote-targets", {"bucket": bucket, "type": "replication"}) or []}
        on = lambda v: "Enabled" if v else "Disabled"  # noqa: E731
        live = [t for t in targets if not t.get("delete") and (t["endpoint"], t["targetBucket"]) in arns]
        want = {"Role": "", "Rules": [{
            "ID": f"rustfs-aws-{t['name']}", "Priority": i + 1, "Status": "Enabled", "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": on(t.get("deleteMarkers", True))},
            "ExistingObjectReplication": {"Status": on(t.get("existingObjects", True))},
            "Destination": {"Bucket": arns[(t["endpoint"], t["targetBucket"])]}} for i, t in enumerate(live)]}
        answer = or_none("ReplicationConfigurationNotFoundError", self.s3.get_bucket_replication, Bucket=bucket)
        have = answer["ReplicationConfiguration"] if answer else None
        mine = bucket in self.lease.ledger["bucketReplication"]
        if have and not mine:
            self.refuse("bucket replication", bucket, "holds a replication config this reconciler did not write: "
                        "left in place (delete it to hand the bucket over)")
            return
        named = set()  # the ARNs the config names once this step is done
        if not live:
            if have and all(t.get("delete") for t in targets):
                self.write(f"bucket {bucket} replication removed", self.s3.delete_bucket_replication, Bucket=bucket)
                gone = self._rule_arns(have)  # DeleteBucketReplication drops these targets itself
                if not self.check:
                    self.lease.forget("bucketReplication", bucket)
                    for t in targets:
                        if arns.get((t["endpoint"], t["targetBucket"])) in gone:
                            self.lease.forget("remoteTargets", t["name"])
                arns = {k: v for k, v in arns.items() if v not in gone}
            else:
                named = self._rule_arns(have)
        elif not have or self._repl(have) != self._repl(want):
            if have:
                self.drifted(f"bucket {bucket} replication", self._repl(have), self._repl(want))
            self.write(f"bucket {bucket} replication ({len(live)} rules)", self.s3.put_bucket_replication,
                       Bucket=bucket, ReplicationConfiguration=want)
            if not mine and not self.check:
                self.lease.record("bucketReplication", bucket)
            named = self._rule_arns(want)
        else:
            named = self._rule_arns(have)
        # A delete: true target whose rule is gone: PutBucketReplication leaves the target registered (only
        # DeleteBucketReplication drops the ones it names), so remove it - after its rule, as RustFS refuses to
        # remove a target a rule still uses (crates/ecstore/src/bucket/bucket_target_sys.rs remove_target:
        # BucketRemoteRemoveDisallowed; DELETE remove-remote-target?bucket=&arn=, admin/handlers/replication.rs).
        # Only one this reconciler registered (its ledger); another's stays.
        for t in targets:
            arn = arns.get((t["endpoint"], t["targetBucket"]))
            if not t.get("delete") or not arn or arn in named or t["name"] not in self.lease.ledger["remoteTargets"]:
                continue
            self.write(f"remote target {t['name']} removed", self.admin.call, "DELETE", "remove-remote-target",
                       {"bucket": bucket, "arn": arn})
            if not self.check:
                self.lease.forget("remoteTargets", t["name"])

    def encryption(self, spec: dict, buckets: list) -> None:
        """With ``encryption.defaultBuckets``: SSE-KMS with the stack's key as every declared bucket's default
        (S3 PutBucketEncryption; RustFS stores it as the bucket's SSE config, app/bucket_usecase.rs)."""
        if spec.get("sse") != "aws" or not spec.get("defaultBuckets"):
            return
        want = spec["bucketEncryption"]

        def one(b: dict) -> None:
            answer = or_none("ServerSideEncryptionConfigurationNotFoundError", self.s3.get_bucket_encryption,
                             Bucket=b["name"])
            have = answer["ServerSideEncryptionConfiguration"] if answer else None
            rules = [{"ApplyServerSideEncryptionByDefault": r.get("ApplyServerSideEncryptionByDefault")}
                     for r in (have or {}).get("Rules", [])]
            if rules == want["Rules"]:
                return
            if have:
                self.drifted(f"bucket {b['name']} encryption", rules, want["Rules"])
            self.write(f"bucket {b['name']} SSE-KMS", self.s3.put_bucket_encryption, Bucket=b["name"],
                       ServerSideEncryptionConfiguration=want)

        self.each("bucket encryption", buckets, one)

    def apply(self, doc: dict) -> None:
        """Creations and updates in dependency order (tiers, buckets, encryption, remote targets, policies,
        accounts); deletions in reverse."""
        keep = {k: [x for x in doc.get(k, []) if not x.get("delete")] for k in KINDS}
        gone = {k: [x for x in doc.get(k, []) if x.get("delete")] for k in KINDS}
        documents = {p["name"]: p["document"] for p in keep["policies"]}
        # A failed listing stops its section only (guarded); a lost lease stops the run.
        self.guarded("tiers", None, self.tiers, doc.get("tiers", []))  # transition rules name tiers RustFS must know
        self.each("bucket", keep["buckets"], self.bucket)
        self.guarded("encryption", None, self.encryption, doc.get("encryption", {}), keep["buckets"])
        self.guarded("remote targets", None, self.remote_targets, doc.get("remoteTargets", []))
        self.guarded("bucket replication", None, self.replication, doc.get("remoteTargets", []))
        self.guarded("policies", None, self.policies, keep["policies"])
        self.guarded("service accounts", None, self.service_accounts, keep["serviceAccounts"], documents)
        self.guarded("service accounts", None, self.service_accounts, gone["serviceAccounts"], documents)
        self.guarded("policies", None, self.policies, gone["policies"])
        self.each("bucket", gone["buckets"], self.bucket)
        self.guarded("site replication", None, self.site_replication, doc.get("siteReplication"))

    # -- site replication (components/dr/replication.py: the desired state's "siteReplication" on a DR secondary)

    @staticmethod
    def _site_key(endpoint: str) -> str:
        parts = urllib.parse.urlsplit(endpoint)
        return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or 443}"

    def site_replication(self, spec) -> None:
        """rustfs/src/admin/handlers/site_replication.rs: GET site-replication/info (``enabled``, ``sites`` with each
        peer's ``endpoint``); PUT site-replication/add with every site's ``PeerSite`` (name, ``endpoints``, an admin's
        keys, ``caCertPem``). Sent to this node as the local site's endpoint (the Host): RustFS knows the local site
        by the request's Host. Started once; another peer set is reported, never changed (a person does: docs/dr.md)."""
        if not spec:
            return
        local = next(s for s in spec["sites"] if s.get("local"))
        admin = Admin(self.admin.endpoint, self.region, self.admin.credentials.access_key,
                      self.admin.credentials.secret_key, self.admin.verify,
                      host=urllib.parse.urlsplit(local["endpoint"]).netloc)
        info = admin.json("GET", "site-replication/info") or {}
        want = sorted(self._site_key(s["endpoint"]) for s in spec["sites"])
        have = sorted(self._site_key(p.get("endpoint", "")) for p in info.get("sites") or [])
        if info.get("enabled"):
            if not set(want) - set(have):
                return
            self.drifted("site replication peers", have, want)
            self.refuse("site replication", local["name"], "already on with other peers: a person changes the "
                        "membership (site-replication/remove, then add; docs/dr.md)")
            return
        sites = []
        for s in spec["sites"]:
            if s.get("local"):
                ca = ""  # this site's CA, which the other site must trust (none on a plain-HTTP endpoint)
                if isinstance(self.admin.verify, str):
                    with open(self.admin.verify) as f:
                        ca = f.read()
                keys = {"accessKey": self.admin.credentials.access_key, "secretKey": self.admin.credentials.secret_key}
            else:
                region = s["credentialsSecretArn"].split(":")[3]
                try:
                    keys = json.loads(self.secrets_in(region).get_secret_value(
                        SecretId=s["credentialsSecretArn"])["SecretString"])
                except ClientError as e:
                    self.refuse("site replication", s["name"], f"its credentials cannot be read: {e}")
                    return
                ca = base64.b64decode(s["caCertificateBase64"]).decode()
            sites.append({"name": s["name"], "endpoints": s["endpoint"], "accessKey": keys["accessKey"],
                          "secretKey": keys["secretKey"], "caCertPem": ca})
        query = {"replicateILMExpiry": "true"} if spec.get("replicateIlmExpiry") else None
        others = ", ".join(s["name"] for s in spec["sites"] if not s.get("local"))
        answer = self.write(f"site replication of {local['name']} with {others}", admin.json, "PUT",
                            "site-replication/add", query, sites)
        if self.check:
            return
        if not (answer or {}).get("success"):
            raise ValueError(f"site-replication/add answered {answer!r}")
        if answer.get("initialSyncErrorMessage"):
            log("site-replication-initial-sync", error=answer["initialSyncErrorMessage"])
        self.lease.record("siteReplication", local["name"], {"peers": want})


# --- the node ------------------------------------------------------------------------------------------------

def env_file(path: str) -> dict:
    out = {}
    try:
        with open(path) as f:
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep and not key.startswith("#"):
                    out[key] = value.strip("'\"")
    except OSError as e:
        raise Unusable(f"{path}: {e}") from None
    return out


def put_metrics(cloudwatch, doc: dict, run: Run | None, acted: bool) -> None:
    dims = [{"Name": "ClusterId", "Value": doc["cluster"]}]
    data = [{"MetricName": "StateReconcilerActed", "Value": 1.0 if acted else 0.0, "Unit": "Count", "Dimensions": dims}]
    if run is not None:
        data += [{"MetricName": name, "Value": float(value), "Unit": "Count", "Dimensions": dims} for name, value in (
            ("StateDrift", run.drift), ("StateChanges", run.changes), ("StateErrors", len(run.errors)))]
    cloudwatch.put_metric_data(Namespace=doc["metrics"]["namespace"], MetricData=data)


def main(argv: list | None = None, clock=time.time) -> int:
    parser = argparse.ArgumentParser(description="Apply the desired RustFS state (one node at a time).")
    parser.add_argument("--parameter", required=True, help="SSM parameter holding the desired state")
    parser.add_argument("--boot-env", default="/etc/rustfs/bootstrap.env")
    parser.add_argument("--endpoint", help="RustFS S3/admin endpoint (default https://<node name>:9000)")
    parser.add_argument("--ca", help="CA bundle for RustFS (default <BOOT_TLS_DIR>/ca.crt)")
    parser.add_argument("--aws-endpoint", default=os.environ.get("AWS_ENDPOINT_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    args = parser.parse_args(argv)
    try:
        boot = env_file(args.boot_env)
        region, node = boot["BOOT_REGION"], boot["BOOT_NODE_NAME"]
        endpoint = args.endpoint or f"https://{node}:9000"
        verify = args.ca or os.path.join(boot.get("BOOT_TLS_DIR", "/etc/rustfs/tls"), "ca.crt")
        if endpoint.startswith("http://"):
            verify = False
        aws = boto3.session.Session(region_name=region)
        config = Config(connect_timeout=10, read_timeout=CALL_TIMEOUT, retries={"max_attempts": 3, "mode": "standard"})
        client = lambda service: aws.client(service, endpoint_url=args.aws_endpoint, config=config)  # noqa: E731
        doc = load_document(client("ssm").get_parameter(Name=args.parameter)["Parameter"]["Value"])
        root = json.loads(client("secretsmanager").get_secret_value(
            SecretId=boot["BOOT_CREDENTIALS_SECRET_ARN"])["SecretString"])
    except (Unusable, KeyError, ValueError) as e:
        log("unusable", error=str(e))
        return 2
    except (ClientError, BotoCoreError) as e:  # first boot: the parameter or an IAM grant not there yet; next timer
        log("error", kind="startup", error=str(e))
        return 1
    try:  # first boot: RustFS not listening yet (connection refused) is not ready either
        ready = URLLib3Session(verify=verify, timeout=CALL_TIMEOUT).send(
            AWSRequest("GET", f"{endpoint}/health/ready").prepare()).status_code
    except SSLError as e:  # a certificate this node's CA does not verify is no boot race: it stays
        log("error", kind="tls", error=str(e))
        return 1
    except BotoCoreError as e:
        ready = type(e).__name__
    if ready != 200:
        log("skipped", reason=f"this node's RustFS is not ready ({ready}): a ready node acts")
        return 0
    lock = doc["lock"]
    lease = Lease(client("dynamodb"), lock["table"], lock["key"], f"{node}/{uuid.uuid4()}", lock["leaseSeconds"],
                  clock)
    try:
        acquired = lease.acquire()
    except (ClientError, BotoCoreError) as e:  # e.g. AccessDenied while the node role's new grant propagates
        log("error", kind="lease", error=str(e))
        return 1
    if not acquired:
        log("skipped", reason="another node holds the lease", revision=doc["revision"])
        put_metrics(client("cloudwatch"), doc, None, False)
        return 0
    s3 = aws.client("s3", endpoint_url=endpoint, verify=verify, aws_access_key_id=root["accessKey"],
                    aws_secret_access_key=root["secretKey"],
                    config=Config(connect_timeout=10, read_timeout=CALL_TIMEOUT, s3={"addressing_style": "path"},
                                  retries={"max_attempts": 3, "mode": "standard"}))
    admin = Admin(endpoint, region, root["accessKey"], root["secretKey"], verify)
    run = Run(s3, admin, client("secretsmanager"), lease, region, check=args.check,
              secrets_in=lambda r: aws.client("secretsmanager", region_name=r, endpoint_url=args.aws_endpoint,
                                              config=config))
    try:
        run.apply(doc)
    except LeaseLost as e:
        run.errors.append(str(e))
        log("lease-lost", error=str(e))
    finally:
        lease.release()
    log("done", revision=doc["revision"], changes=run.changes, drift=run.drift, errors=len(run.errors),
        check=args.check)
    put_metrics(client("cloudwatch"), doc, run, True)
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
