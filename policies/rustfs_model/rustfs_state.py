"""RustFS state as code: the schema of the desired state (buckets, RustFS policies, service accounts), the rules
RustFS applies to each field, and the document the program publishes to SSM Parameter Store for the reconciler on
the nodes (components/state/). Pure and stdlib only: the program validates the stack config with it, the policy
pack reads the published parameter with it.

What RustFS accepts (rustfs/rustfs 1.0.0-rc.3):
- Bucket names: ``check_valid_bucket_name_strict`` (crates/ecstore/src/bucket/utils.rs, what CreateBucket uses): 3-63
  characters of ``[a-z0-9.-]``, a letter or digit at both ends, no ``..``, ``.-`` or ``-.``, not an IP address, not
  ``rustfs``. The names S3 reserves (S3 User Guide, "General purpose bucket naming rules": prefixes ``xn--``,
  ``sthree-``, ``amzn-s3-demo-``, suffixes ``-s3alias``, ``--ol-s3``, ``.mrap``, ``--x-s3``, ``--table-s3``) are
  refused too, so a bucket declared here can be replicated or migrated to S3 under the same name.
- Object lock: at creation (``CreateBucket`` ``ObjectLockEnabledForBucket``, rustfs/src/app/bucket_usecase.rs
  ``execute_create_bucket_inner``) or later on a versioned bucket (``put_object_lock_configuration`` in
  rustfs/src/storage/ecfs.rs refuses "Object Lock configuration cannot be enabled on existing buckets" only while
  versioning is off); a default retention is GOVERNANCE or COMPLIANCE with Days or Years.
- Bucket policy (``policy``; ``deletePolicy: true`` removes the one the reconciler put): what PutBucketPolicy
  accepts (rustfs/src/storage/ecfs.rs ``put_bucket_policy`` -> rustfs/src/app/bucket_usecase.rs
  ``execute_put_bucket_policy``: crates/policy/src/policy/policy.rs ``BucketPolicy`` and statement.rs
  ``BPStatement``), plus S3's rules that every action is an s3 one and every resource this bucket
  (``bucket_policy_problems``).
- Quota: hard quotas in bytes through the admin API (rustfs/src/admin/handlers/quota.rs: ``quota_type`` must be
  HARD).
- Policies: ``Policy::parse_config`` (crates/policy/src/policy/policy.rs, statement.rs, action.rs, resource.rs):
  only ``ID``/``Version``/``Statement`` (deny_unknown_fields), Version empty or 2012-10-17 (the admin handler
  AddCannedPolicy requires it), Statement a list; per statement only Sid/Effect/Action/NotAction/Resource/
  NotResource/Condition, Action xor NotAction, one action family per statement (s3, admin, sts or kms), Resource
  xor NotResource and required except for admin/sts/kms statements, ``arn:aws:s3:::<pattern>`` (a pattern not
  starting with ``/``) or ``arn:aws:kms:::...`` only with kms actions; the actions are exactly the strum names of
  action.rs (data/rustfs_policy.json, written by policies/tools/rustfs_policy_model.py; ``*`` means ``s3:*``).
  Policy names carry no whitespace (AddCannedPolicy ``has_space_be``) and no comma (``MappedPolicy`` splits a
  name list on commas, InfoCannedPolicy: "too many policies"); the built-in names (``DEFAULT_POLICIES``) are
  refused, so a declared policy never replaces readwrite or consoleAdmin.
- Service accounts: name at most 32 characters, a letter first, then letters, digits, ``_`` and ``-``
  (crates/madmin/src/user.rs ``validate_service_account_name``), description at most 256 bytes; access key 3-128
  and secret key 8-40 characters (crates/policy/src/auth/credentials.rs). A root-parented service account
  without a session policy has root's power (rustfs/src/auth.rs ``has_root_access``: the parent is root and no
  session-policy claim), so every service account here carries the policy it names as its session policy, and
  that policy may not grant admin or sts actions.

The published document (``document``) holds no secret: each service account's keys live in its Secrets Manager
secret and the document names the secret's ARN. ``revision`` is the SHA-256 of the document without it, so the
reconciler refuses a hand-edited parameter, and the State Manager association carries the same hash.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "rustfs_policy.json"
KIND = "rustfs-aws/state"
SCHEMA = 1
# SSM parameter values: Standard 4 KB, Advanced 8 KB (SSM User Guide, "Managing parameter tiers").
STANDARD_BYTES, ADVANCED_BYTES = 4 * 1024, 8 * 1024

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^(\d+\.){3}\d+$")
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_POLICY_NAME = re.compile(r"^[A-Za-z0-9_.+=@-]{1,128}$")
_SERVICE_ACCOUNT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_RULE_ID = re.compile(r"^[^\s][^\n]{0,254}$")
_S3_RESOURCE, _KMS_RESOURCE = "arn:aws:s3:::", "arn:aws:kms:::"
POLICY_VERSION = "2012-10-17"
STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
FAMILIES = {"s3:": "S3Action", "admin:": "AdminAction", "sts:": "StsAction", "kms:": "KmsAction"}
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
VERSIONING = ("enabled", "suspended")
MAX_LIFECYCLE_RULES = 1_000  # S3 PutBucketLifecycleConfiguration
MAX_DAYS = 36_500
BUCKET_KEYS = {"name", "versioning", "objectLock", "quotaGiB", "lifecycle", "delete", "policy", "deletePolicy"}
# A bucket policy (S3 PutBucketPolicy): RustFS's BucketPolicy and BPStatement (crates/policy/src/policy/policy.rs,
# statement.rs, principal.rs; both deny_unknown_fields). Its id key is "Id", not the IAM policy's "ID".
BUCKET_POLICY_KEYS = {"Id", "Version", "Statement"}
BUCKET_STATEMENT_KEYS = STATEMENT_KEYS | {"Principal"}
# S3: a bucket policy is at most 20 KB (S3 User Guide, "Bucket policies for Amazon S3"); the SSM parameter's 8 KB
# bound (ADVANCED_BYTES) is the tighter one here anyway.
MAX_BUCKET_POLICY_BYTES = 20 * 1024
RULE_KEYS = {"id", "prefix", "enabled", "expirationDays", "noncurrentExpirationDays", "abortIncompleteMultipartDays",
             "transitionDays", "transitionTier"}
# A RustFS remote tier's name as a lifecycle transition's storage class (tier.rs add: upper case, never STANDARD/RRS).
_TIER_NAME = re.compile(r"^(?!(STANDARD|RRS)$)[A-Z][A-Z0-9_-]{0,62}$")
POLICY_KEYS = {"name", "document", "delete"}
ACCOUNT_KEYS = {"name", "policy", "description", "version", "delete"}


@cache
def rustfs_policy_model() -> dict:
    return json.loads(DATA_FILE.read_text())


def known_actions() -> frozenset[str]:
    model = rustfs_policy_model()
    return frozenset(a for names in model["actions"].values() for a in names) | frozenset(model["wildcard"])


def builtin_policies() -> frozenset[str]:
    return frozenset(rustfs_policy_model()["defaultPolicies"])


def action_family(action: str) -> str | None:
    if action == "*":
        return "S3Action"
    return next((f for prefix, f in FAMILIES.items() if action.startswith(prefix)), None)


def bucket_name_problem(name) -> str | None:
    """Why RustFS (or S3) would refuse this bucket name, or None."""
    if not isinstance(name, str) or not _BUCKET.match(name):
        return "3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if ".." in name or ".-" in name or "-." in name:
        return "no '..', '.-' or '-.'"
    if _IP.match(name):
        try:
            ipaddress.IPv4Address(name)
            return "not an IP address"
        except ValueError:
            return "not shaped like an IP address"
    if name == "rustfs":
        return "'rustfs' is reserved by RustFS"
    if name.startswith(S3_RESERVED_PREFIXES) or name.endswith(S3_RESERVED_SUFFIXES):
        return (f"S3 reserves the prefixes {', '.join(S3_RESERVED_PREFIXES)} and the suffixes "
                f"{', '.join(S3_RESERVED_SUFFIXES)}")
    return None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _statements(document: dict, statement_keys: set[str], out: list[str]):
    """What a canned policy and a bucket policy check alike (Policy and BucketPolicy ``is_valid``): the Version, a
    non-empty Statement list, and per statement its keys, Effect, Action xor NotAction and known action names.
    Appends those problems to ``out`` and yields ``(where, statement, actions)`` for the checks of each kind."""
    if document.get("Version") != POLICY_VERSION:
        out.append(f"Version: must be {POLICY_VERSION!r} (got {document.get('Version')!r})")
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        out.append("Statement: a non-empty list of statements (RustFS does not take a single object)")
        return
    known = known_actions()
    for i, st in enumerate(statements):
        where = f"Statement[{i}]"
        if not isinstance(st, dict):
            out.append(f"{where}: expected an object")
            continue
        out += [f"{where}.{k}: unknown key; allowed: {', '.join(sorted(statement_keys))}"
                for k in sorted(set(st) - statement_keys)]
        if st.get("Effect") not in ("Allow", "Deny"):
            out.append(f"{where}.Effect: Allow or Deny (got {st.get('Effect')!r})")
        if ("Action" in st) == ("NotAction" in st):
            out.append(f"{where}: exactly one of Action and NotAction")
        actions = [a for key in ("Action", "NotAction") for a in _as_list(st.get(key, []))]
        bad = [a for a in actions if not isinstance(a, str) or a not in known]
        if bad:
            out.append(f"{where}: actions RustFS does not know {bad} (exact names only, such as s3:GetObject, "
                       "s3:*; RustFS has no partial wildcards like s3:Get*)")
        yield where, st, actions


def policy_problems(document) -> list[str]:
    """What ``Policy::parse_config`` (and AddCannedPolicy) would refuse in this document, each naming the field."""
    if not isinstance(document, dict):
        return ["expected an IAM-style policy object (Version, Statement)"]
    out = [f"{k}: unknown key; RustFS takes ID, Version and Statement" for k in sorted(set(document) - {
        "ID", "Version", "Statement"})]
    for where, st, _actions in _statements(document, STATEMENT_KEYS, out):
        families = {action_family(a) for a in _as_list(st.get("Action", [])) if isinstance(a, str)}
        if len(families) > 1:
            out.append(f"{where}.Action: mixes action families {sorted(f for f in families if f)} (RustFS: "
                       "MixedActionFamilies); split the statement")
        if "Resource" in st and "NotResource" in st:
            out.append(f"{where}: at most one of Resource and NotResource")
        resources = [r for key in ("Resource", "NotResource") for r in _as_list(st.get(key, []))]
        if not resources and not (families and families <= {"AdminAction", "StsAction", "KmsAction"}):
            out.append(f"{where}: Resource is required for s3 actions (arn:aws:s3:::bucket or arn:aws:s3:::bucket/*)")
        for r in resources:
            if not isinstance(r, str) or not (r.startswith(_S3_RESOURCE) or r.startswith(_KMS_RESOURCE)):
                out.append(f"{where}.Resource: {r!r} is neither arn:aws:s3:::<pattern> nor arn:aws:kms:::<key> "
                           "(RustFS writes the partition as aws and no region or account)")
            elif r.startswith(_S3_RESOURCE) and (not r[len(_S3_RESOURCE):] or r[len(_S3_RESOURCE)] == "/"):
                out.append(f"{where}.Resource: {r!r} names no bucket pattern")
            elif r.startswith(_KMS_RESOURCE) and families != {"KmsAction"}:
                out.append(f"{where}.Resource: a kms resource only with kms actions (KmsResourceWithNonKmsAction)")
        if "Condition" in st and not isinstance(st["Condition"], dict):
            out.append(f"{where}.Condition: expected an object of operator -> {{key: value}}")
    return out


def grants_admin(document) -> list[str]:
    """The admin/sts actions a document allows (a service account may hold none of them)."""
    out = []
    for st in document.get("Statement") or [] if isinstance(document, dict) else []:
        if isinstance(st, dict) and st.get("Effect") == "Allow":
            if "NotAction" in st:
                out.append("NotAction (allows every action it does not list, admin ones included)")
            out += [a for a in _as_list(st.get("Action", [])) if isinstance(a, str)
                    and action_family(a) in ("AdminAction", "StsAction")]
    return out



def _principal_problem(principal) -> str | None:
    """crates/policy/src/policy/principal.rs: ``"*"`` or an object of ``AWS`` and/or ``Service`` (a string or a list
    of strings, deny_unknown_fields), at least one of them not empty (``Principal is empty``)."""
    if principal == "*":
        return None
    if not isinstance(principal, dict) or not principal or set(principal) - {"AWS", "Service"}:
        return "'*' or an object of AWS and/or Service"
    for key, value in principal.items():
        values = _as_list(value)
        if not values or not all(isinstance(v, str) and v for v in values):
            return f"{key}: a string or a list of strings"
    return None


def bucket_policy_problems(document, bucket: str) -> list[str]:
    """What RustFS's PutBucketPolicy (rustfs/src/app/bucket_usecase.rs ``execute_put_bucket_policy``, called by
    rustfs/src/storage/ecfs.rs ``put_bucket_policy``) would refuse in this bucket policy: ``serde_json`` into
    ``BucketPolicy`` (Id/Version/Statement, deny_unknown_fields; InvalidArgument "parse policy failed"), then
    ``is_valid`` (MalformedPolicy): Version empty or 2012-10-17, and per BPStatement (deny_unknown_fields) a valid
    Effect, a non-empty Principal, Action xor NotAction, no kms action or resource (KmsUnsupportedInBucketPolicy),
    Resource xor NotResource and required. The actions are action.rs's names. Two rules are S3's (PutBucketPolicy
    MalformedPolicy), which RustFS does not check but which make a statement dead in RustFS too: the actions are
    s3 ones (a bucket policy is evaluated for the bucket's S3 requests only), and every resource is this bucket
    (``arn:aws:s3:::<bucket>`` or ``arn:aws:s3:::<bucket>/<key pattern>``; statement.rs ``build_resource`` builds
    the resource from the request's bucket, so another bucket's never matches)."""
    if not isinstance(document, dict):
        return ["expected a bucket policy object (Version, Statement)"]
    out = [f"{k}: unknown key; a bucket policy takes Id, Version and Statement (Id, not ID)"
           for k in sorted(set(document) - BUCKET_POLICY_KEYS)]
    if len(canonical(document).encode()) > MAX_BUCKET_POLICY_BYTES:
        out.append(f"Statement: the policy is over {MAX_BUCKET_POLICY_BYTES // 1024} KB (S3's bucket policy limit)")
    known = known_actions()
    arn, key_prefix = f"{_S3_RESOURCE}{bucket}", f"{_S3_RESOURCE}{bucket}/"
    for where, st, actions in _statements(document, BUCKET_STATEMENT_KEYS, out):
        if "Sid" in st and not isinstance(st["Sid"], str):
            out.append(f"{where}.Sid: a string")
        if "Principal" not in st:
            out.append(f"{where}.Principal: required in a bucket policy ('*' for anonymous requests, or "
                       "{AWS: [...]})")
        else:
            problem = _principal_problem(st["Principal"])
            if problem:
                out.append(f"{where}.Principal: {problem} (got {st['Principal']!r})")
        other = sorted({a for a in actions if isinstance(a, str) and a in known and action_family(a) != "S3Action"})
        if other:
            out.append(f"{where}: {other} are not s3 actions: a bucket policy holds s3 actions only (kms ones: "
                       "KmsUnsupportedInBucketPolicy)")
        if ("Resource" in st) == ("NotResource" in st):
            out.append(f"{where}: exactly one of Resource and NotResource")
        for r in (r for key in ("Resource", "NotResource") for r in _as_list(st.get(key, []))):
            if not isinstance(r, str) or not (r == arn or r.startswith(key_prefix)):
                out.append(f"{where}.Resource: {r!r} is not this bucket: {arn} or {key_prefix}<key pattern>")
        if "Condition" in st and not (isinstance(st["Condition"], dict) and all(
                isinstance(v, dict) for v in st["Condition"].values())):
            out.append(f"{where}.Condition: expected an object of operator -> {{key: value}}")
    return out

# --- the stack config's ``rustfs`` section, as plain data ------------------------------------------------------

class _Collect:
    """Problems as (path under ``rustfs``, value, what is allowed)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, object, str]] = []

    def add(self, path: str, value, allowed: str) -> None:
        self.items.append((path, value, allowed))

    def unknown(self, obj: dict, path: str, known: set[str]) -> None:
        for k in sorted(set(obj) - known):
            self.add(f"{path}.{k}", obj[k], f"unknown key; known keys here: {', '.join(sorted(known))}")

    def days(self, obj: dict, key: str, path: str) -> int | None:
        if key not in obj:
            return None
        v = obj[key]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_DAYS:
            self.add(f"{path}.{key}", v, f"a whole number of days, 1-{MAX_DAYS:,}")
            return None
        return v

    def flag(self, obj: dict, key: str, path: str, default: bool) -> bool:
        v = obj.get(key, default)
        if not isinstance(v, bool):
            self.add(f"{path}.{key}", v, "true or false")
            return default
        return v


def _entries(c: _Collect, raw: dict, key: str, what: str) -> list[tuple[str, dict]]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        c.add(key, value, f"a list of {what}")
        return []
    out = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            c.add(f"{key}[{i}]", entry, f"an object describing one of the {what}")
        else:
            out.append((f"{key}[{i}]", entry))
    return out


def _delete_only(c: _Collect, entry: dict, path: str, name_key: str = "name") -> bool:
    """``delete: true`` entries: only the name and the flag (nothing else is applied to what is deleted)."""
    if not c.flag(entry, "delete", path, False):
        return False
    for k in sorted(set(entry) - {name_key, "delete"}):
        c.add(f"{path}.{k}", entry[k], "an entry with delete: true takes only its name")
    return True


def _lifecycle(c: _Collect, rules, path: str) -> list[dict] | None:
    if rules is None:
        return None
    if not isinstance(rules, list) or len(rules) > MAX_LIFECYCLE_RULES:
        c.add(path, rules, f"a list of at most {MAX_LIFECYCLE_RULES:,} rules ([] removes every rule)")
        return None
    out, ids = [], set()
    for j, rule in enumerate(rules):
        where = f"{path}[{j}]"
        if not isinstance(rule, dict):
            c.add(where, rule, "a rule object (id, prefix, expirationDays, noncurrentExpirationDays, "
                  "abortIncompleteMultipartDays)")
            continue
        c.unknown(rule, where, RULE_KEYS)
        rid = rule.get("id")
        if not isinstance(rid, str) or not _RULE_ID.match(rid):
            c.add(f"{where}.id", rid, "1-255 characters, not starting with a space (S3 LifecycleRule ID)")
        elif rid in ids:
            c.add(f"{where}.id", rid, "rule ids must be unique in a bucket")
        ids.add(rid)
        prefix = rule.get("prefix", "")
        if not isinstance(prefix, str) or len(prefix.encode()) > 1024:
            c.add(f"{where}.prefix", prefix, "an object-key prefix of at most 1,024 bytes ('' for the whole bucket)")
        actions = {k: c.days(rule, k, where) for k in ("expirationDays", "noncurrentExpirationDays",
                                                      "abortIncompleteMultipartDays", "transitionDays")}
        if not any(k in rule for k in actions):
            c.add(where, rule, "a rule needs at least one of expirationDays, noncurrentExpirationDays, "
                  "abortIncompleteMultipartDays, transitionDays")
        # A transition moves current objects to a RustFS remote tier (the tiering section's tierName): both keys
        # together; the reconciler registers the tier before it puts the rule (RustFS checks the tier exists).
        tier = rule.get("transitionTier")
        if ("transitionDays" in rule) != ("transitionTier" in rule):
            c.add(where, rule, "transitionDays and transitionTier go together (the days after creation an object "
                  "moves to the remote tier of that name)")
        elif tier is not None and (not isinstance(tier, str) or not _TIER_NAME.match(tier)):
            c.add(f"{where}.transitionTier", tier, "an upper-case RustFS tier name (not STANDARD or RRS), e.g. S3TIER")
        out.append({"id": rid, "prefix": prefix if isinstance(prefix, str) else "",
                    "enabled": c.flag(rule, "enabled", where, True),
                    **{k: v for k, v in actions.items() if v is not None},
                    **({"transitionTier": tier} if isinstance(tier, str) and "transitionDays" in rule else {})})
    return out


def _bucket(c: _Collect, path: str, b: dict) -> dict:
    c.unknown(b, path, BUCKET_KEYS)
    name = b.get("name")
    problem = bucket_name_problem(name)
    if problem:
        c.add(f"{path}.name", name, f"a bucket name RustFS accepts: {problem}")
    if _delete_only(c, b, path):
        return {"name": name, "delete": True}
    out: dict = {"name": name, "delete": False}
    versioning = b.get("versioning")
    if versioning is not None and versioning not in VERSIONING:
        c.add(f"{path}.versioning", versioning, "enabled | suspended (unset: this bucket's versioning is left as "
              "it is; S3 and RustFS cannot turn it off once enabled)")
    elif versioning is not None:
        out["versioning"] = versioning
    lock = b.get("objectLock")
    if lock is not None:
        if not isinstance(lock, dict):
            c.add(f"{path}.objectLock", lock, "an object: mode (GOVERNANCE | COMPLIANCE) and days or years")
        else:
            c.unknown(lock, f"{path}.objectLock", {"mode", "days", "years"})
            if lock.get("mode") not in LOCK_MODES:
                c.add(f"{path}.objectLock.mode", lock.get("mode", "missing"), "GOVERNANCE | COMPLIANCE (the "
                      "default retention of new object versions)")
            spans = [k for k in ("days", "years") if k in lock]
            if len(spans) != 1:
                c.add(f"{path}.objectLock", lock, "exactly one of days and years")
            else:
                hi = MAX_DAYS if spans[0] == "days" else 100
                v = lock[spans[0]]
                if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= hi:
                    c.add(f"{path}.objectLock.{spans[0]}", v, f"a whole number, 1-{hi:,}")
            if versioning != "enabled":
                c.add(f"{path}.versioning", versioning if versioning is not None else "missing",
                      "object lock needs versioning: enabled (S3 and RustFS lock object versions)")
            out["objectLock"] = {k: lock.get(k) for k in ("mode", *spans)}
    quota = b.get("quotaGiB")
    if quota is not None:
        if isinstance(quota, bool) or not isinstance(quota, int) or not 0 <= quota <= 2 ** 34:
            c.add(f"{path}.quotaGiB", quota, "a hard quota in GiB, 1 or more (0 removes the quota)")
        else:
            out["quotaBytes"] = quota * 2 ** 30
    rules = _lifecycle(c, b.get("lifecycle"), f"{path}.lifecycle")
    if rules is not None:
        out["lifecycle"] = rules
    policy = _bucket_policy(c, path, b, name)
    if policy is not None:
        out["policy"] = policy
    if c.flag(b, "deletePolicy", path, False):
        if "policy" in b:
            c.add(f"{path}.deletePolicy", True, "either policy (the bucket policy to apply) or deletePolicy: true "
                  "(remove the one this reconciler applied), not both")
        out["deletePolicy"] = True
    return out


def _bucket_policy(c: _Collect, path: str, b: dict, name) -> dict | None:
    """``policy``: the bucket's policy (an object or its JSON). Unset: a policy on the bucket is left as it is."""
    if "policy" not in b:
        return None
    document = b["policy"]
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as e:
            c.add(f"{path}.policy", document, f"JSON of a bucket policy ({e})")
            return None
    if not isinstance(document, dict):
        c.add(f"{path}.policy", document, "a bucket policy object (Version, Statement with Principal) or its JSON; "
              "to remove the policy this reconciler applied, deletePolicy: true")
        return None
    for problem in bucket_policy_problems(document, name if isinstance(name, str) else ""):
        c.add(f"{path}.policy", problem.split(":")[0], f"RustFS or S3 would refuse it: {problem}")
    return document


def _policy(c: _Collect, path: str, p: dict) -> dict:
    c.unknown(p, path, POLICY_KEYS)
    name = p.get("name")
    if not isinstance(name, str) or not _POLICY_NAME.match(name):
        c.add(f"{path}.name", name, "1-128 letters, digits and _ . + = @ - (no spaces or commas)")
    elif name in builtin_policies():
        c.add(f"{path}.name", name, f"a built-in RustFS policy ({', '.join(sorted(builtin_policies()))}); declare "
              "your own under another name")
    if _delete_only(c, p, path):
        return {"name": name, "delete": True}
    document = p.get("document")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as e:
            c.add(f"{path}.document", document, f"JSON of an IAM-style policy ({e})")
            document = None
    if document is not None:
        for problem in policy_problems(document):
            c.add(f"{path}.document", problem.split(":")[0], f"RustFS would refuse it: {problem}")
    else:
        c.add(f"{path}.document", "missing", "the policy as an object (Version, Statement) or its JSON")
    return {"name": name, "document": document, "delete": False}


def _account(c: _Collect, path: str, a: dict) -> dict:
    c.unknown(a, path, ACCOUNT_KEYS)
    name = a.get("name")
    if not isinstance(name, str) or not _SERVICE_ACCOUNT.match(name):
        c.add(f"{path}.name", name, "1-32 characters: a letter, then letters, digits, _ and - (RustFS service "
              "account names)")
    if _delete_only(c, a, path):
        return {"name": name, "delete": True}
    description = a.get("description", f"application {name}, managed by rustfs-aws")
    if not isinstance(description, str) or len(description.encode()) > 256:
        c.add(f"{path}.description", description, "at most 256 bytes")
    version = a.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 1_000_000:
        c.add(f"{path}.version", version, "a whole number from 1; raise it to generate new keys (rotation)")
    policy = a.get("policy")
    if not isinstance(policy, str) or not policy:
        c.add(f"{path}.policy", policy if policy is not None else "missing", "the name of a policy of "
              "rustfs.policies: a service account without one would have root's power in RustFS")
    return {"name": name, "policy": policy, "description": description, "version": version, "delete": False}


def _unique(c: _Collect, key: str, entries: list[dict]) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if isinstance(e.get("name"), str) and e["name"] in seen:
            c.add(f"{key}[{i}].name", e["name"], "declared twice")
        seen.add(e.get("name"))


def parse_state(raw: dict) -> tuple[dict, list[tuple[str, object, str]]]:
    """The ``rustfs`` section (buckets, policies, serviceAccounts) as normalized plain data, and its problems
    as (path under ``rustfs``, value, what is allowed). The caller checks unknown top-level keys."""
    c = _Collect()
    buckets = [_bucket(c, path, b) for path, b in _entries(c, raw, "buckets", "buckets")]
    policies = [_policy(c, path, p) for path, p in _entries(c, raw, "policies", "policies")]
    accounts = [_account(c, path, a) for path, a in _entries(c, raw, "serviceAccounts", "service accounts")]
    for key, entries in (("buckets", buckets), ("policies", policies), ("serviceAccounts", accounts)):
        _unique(c, key, entries)
    live = {p["name"]: p for p in policies if not p["delete"]}
    deleted = {p["name"] for p in policies if p["delete"]}
    for i, a in enumerate(accounts):
        if a["delete"] or not isinstance(a.get("policy"), str) or not a["policy"]:
            continue
        path = f"serviceAccounts[{i}].policy"
        if a["policy"] in deleted:
            c.add(path, a["policy"], "that policy is being deleted (delete: true); name a kept one")
        elif a["policy"] not in live:
            c.add(path, a["policy"], f"not a policy of rustfs.policies (declared: {', '.join(sorted(live)) or 'none'})")
        elif grants_admin(live[a["policy"]]["document"]):
            c.add(path, a["policy"], "that policy allows admin or sts actions "
                  f"({', '.join(grants_admin(live[a['policy']]['document']))}); an application's service account "
                  "may hold S3 (and kms) actions only")
    return {"buckets": buckets, "policies": policies, "serviceAccounts": accounts}, c.items


# --- the published document ----------------------------------------------------------------------------------

def canonical(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def revision(body: dict) -> str:
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "revision"}).encode()).hexdigest()


def document(body: dict) -> dict:
    """``body`` with ``kind``, ``schema`` and its ``revision``."""
    doc = {"kind": KIND, "schema": SCHEMA, **{k: v for k, v in body.items() if k != "revision"}}
    return {**doc, "revision": revision(doc)}


def document_text(doc: dict) -> str:
    return canonical(doc)


def parameter_tier(text: str) -> str:
    size = len(text.encode())
    if size > ADVANCED_BYTES:
        raise ValueError(f"the desired state is {size} bytes; an SSM parameter holds at most {ADVANCED_BYTES}")
    return "Standard" if size <= STANDARD_BYTES else "Advanced"


# --- values that must never be in the parameter (the policy pack's check) ------------------------------------

_SECRET_KEYS = re.compile(r"(secret|secret.?(access.?)?key|access.?key(.?id)?|password|passwd|private.?key|"
                          r"session.?token|credentials?)$", re.I)
_SECRET_VALUES = (
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a PEM private key"),
    # 40 characters of the base64 alphabet mixing upper case, lower case and digits (AWS's and RustFS's secret keys).
    (re.compile(r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])"
                r"(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), "a 40-character secret key"),
)
_ARN = re.compile(r"^arn:aws[a-z-]*:")


def secret_like(value, path: str = "") -> list[str]:
    """Paths of values that look like credentials: a key named like a secret holding a non-ARN string, or a
    string shaped like an access key, a private key or a 40-character secret key."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            if _SECRET_KEYS.search(str(k)) and isinstance(v, str) and v and not _ARN.match(v):
                out.append(f"{where} (a key named like a secret)")
            out += secret_like(v, where)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += secret_like(v, f"{path}[{i}]")
    elif isinstance(value, str) and not _ARN.match(value):
        out += [f"{path} ({what})" for pattern, what in _SECRET_VALUES if pattern.search(value)]
    return out
