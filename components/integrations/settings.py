"""The ``tiering``, ``replication`` and ``encryption`` sections of the stack configuration.

``tiering``: the S3 bucket RustFS transitions cold objects to (a RustFS remote tier of type ``s3``), its lifecycle
to colder S3 classes, the tier user's access key and how it is rotated (components/integrations/tiering.py).
``replication``: a replica of that bucket in ``replication.region`` (replication.py) and RustFS bucket replication
to other RustFS/S3 endpoints (remote targets the reconciler registers). ``encryption``: SSE of RustFS objects with
RustFS's AWS KMS backend (sse.py).

Facts behind the checks (cited where they are used): RustFS's tier names are upper case and never STANDARD or RRS
(crates/ecstore/src/services/tier/tier.rs ``add``); S3 lifecycle transition rules (Amazon S3 User Guide,
"Transitioning objects using Amazon S3 Lifecycle", constraints: Standard-IA at least 30 days after creation, the
next colder class at least 30 days after Standard-IA, no transition out of Intelligent-Tiering into Standard-IA);
S3 Intelligent-Tiering archive tiers (PutBucketIntelligentTieringConfiguration, Tiering: ARCHIVE_ACCESS 90-730 days,
DEEP_ARCHIVE_ACCESS 180-730 days); IAM allows two access keys per user (IAM User Guide, "IAM and AWS STS quotas").

Rejected: ``encryption.sse: local`` as a working mode. RustFS's local KMS backend keeps its keys in files of one
node and needs a master key in the process environment; RustFS documents it as unsupported for multi-node
deployments (docs/operations/kms-backend-security.md, "Deployment support matrix"), and every stack here has
several nodes sharing objects. The value is accepted by the parser only to refuse it with that reason (README,
"Tiering, replication and SSE-KMS": how to run it by hand on a single node). Imports nothing from the rest of the
program (config.py imports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# RustFS refuses these tier names whatever the case (tier.rs add: STANDARD and RRS are storage-class names).
RESERVED_TIER_NAMES = ("STANDARD", "RRS")
_TIER_NAME = re.compile(r"^[A-Z][A-Z0-9_-]{0,62}$")
# The prefix RustFS puts objects under in the tier bucket (warm_backend_s3.rs get_dest: "<prefix>/<object>").
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TARGET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
# host[:port] as RustFS's set-remote-target takes it (admin/handlers/replication.rs site_endpoint_for adds the scheme)
_ENDPOINT = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?$")

# The storage class RustFS writes tiered objects with (the tier's storageClass, warm_backend.rs
# build_transition_put_options); the colder classes come from the bucket's lifecycle. GLACIER and DEEP_ARCHIVE are
# not offered here: RustFS reads a tiered object with a plain GET and never restores one (crates/ecstore/src/client
# has no RestoreObject call), so writing into an archive class would make the object unreadable at once.
TIER_WRITE_CLASSES = ("STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR")
REPLICA_CLASSES = ("STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
SSE_MODES = ("aws", "local", "off")
MIN_IA_DAYS = 30  # S3: objects stay 30 days in STANDARD before Standard-IA
GAP_AFTER_IA_DAYS = 30  # S3: and 30 days in Standard-IA before the next transition
ARCHIVE_ACCESS_DAYS = (90, 730)
DEEP_ARCHIVE_ACCESS_DAYS = (180, 730)
MAX_KEY_VERSION = 1_000_000
# RustFS's remote targets take static keys only (replication.rs: "credentials.session_token is not supported").
MAX_REMOTE_TARGETS = 10


@dataclass(frozen=True)
class Transitions:
    """Days after an object reaches the tier bucket (RustFS has already waited before tiering it)."""
    standard_ia_days: int | None = 30
    glacier_ir_days: int | None = 90
    deep_archive_days: int | None = 365

    def rules(self) -> list[tuple[int, str]]:
        """(days, storage class) in order, the classes left unset omitted."""
        steps = [(self.standard_ia_days, "STANDARD_IA"), (self.glacier_ir_days, "GLACIER_IR"),
                 (self.deep_archive_days, "DEEP_ARCHIVE")]
        return [(d, c) for d, c in steps if d is not None]


@dataclass(frozen=True)
class IntelligentTiering:
    archive_days: int | None = 90  # ARCHIVE_ACCESS after this many days without access
    deep_archive_days: int | None = 180  # DEEP_ARCHIVE_ACCESS


@dataclass(frozen=True)
class TieringConfig:
    enabled: bool = False
    tier_name: str = "S3TIER"  # the RustFS tier name the lifecycle rules of RustFS buckets name
    prefix: str = "rustfs"  # objects go under <prefix>/ in the tier bucket
    storage_class: str = "STANDARD"  # what RustFS writes with
    transitions: Transitions = field(default_factory=Transitions)
    noncurrent_expiration_days: int = 30
    abort_multipart_days: int = 7
    intelligent_tiering: IntelligentTiering | None = None
    key_version: int = 1  # the access key RustFS's tier uses; bump to rotate
    previous_key_version: int | None = None  # kept during a rotation until the reconciler switched the tier
    acceleration: bool = False  # S3 Transfer Acceleration on the tier bucket (internet clients only)


@dataclass(frozen=True)
class RemoteTarget:
    """A RustFS bucket replicated to another RustFS (or S3) endpoint (admin API set-remote-target)."""
    name: str  # names the credentials secret /rustfs/<stack>/remote-targets/<name>
    bucket: str  # the RustFS bucket on this cluster
    endpoint: str  # host[:port] of the remote
    target_bucket: str
    region: str = ""
    secure: bool = True
    # The bucket's replication rule for this target (S3 PutBucketReplication, written by the reconciler): delete
    # markers and objects older than the rule replicated too; ``delete`` removes the rule (never mere omission).
    delete_markers: bool = True
    existing_objects: bool = True
    delete: bool = False


@dataclass(frozen=True)
class ReplicationConfig:
    enabled: bool = False
    region: str | None = None
    storage_class: str = "STANDARD_IA"
    delete_markers: bool = True
    replication_time_control: bool = False
    metrics: bool = False  # forced on with RTC (S3 requires both)
    remote_targets: tuple[RemoteTarget, ...] = ()


@dataclass(frozen=True)
class EncryptionConfig:
    sse: str = "off"  # aws | local | off
    default_buckets: bool = True  # the reconciler sets SSE-KMS as the default encryption of every RustFS bucket


@dataclass(frozen=True)
class IntegrationsConfig:
    tiering: TieringConfig = field(default_factory=TieringConfig)
    replication: ReplicationConfig = field(default_factory=ReplicationConfig)
    encryption: EncryptionConfig = field(default_factory=EncryptionConfig)


TIERING_KEYS = {"enabled", "tierName", "prefix", "storageClass", "transitions", "noncurrentExpirationDays",
                "abortMultipartDays", "intelligentTiering", "keyVersion", "previousKeyVersion", "acceleration"}
REPLICATION_KEYS = {"enabled", "region", "storageClass", "deleteMarkers", "replicationTimeControl", "metrics",
                    "remoteTargets"}
ENCRYPTION_KEYS = {"sse", "defaultBuckets"}


def _optional_days(p, section: dict, key: str, path: str, default: int | None, lo: int, hi: int) -> int | None:
    if key in section and section[key] is None:
        return None
    if key not in section:
        return default
    return p.integer(section, key, path, default, lo, hi, " days (null: no such transition)")


def _transitions(p, t: dict, write_class: str) -> Transitions:
    s = p.section(t, "transitions", "tiering.transitions", {"standardIaDays", "glacierIrDays", "deepArchiveDays"})
    ia_default = None if write_class in ("STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR") else 30
    gir_default = None if write_class in ("INTELLIGENT_TIERING", "GLACIER_IR") else 90
    tr = Transitions(
        standard_ia_days=_optional_days(p, s, "standardIaDays", "tiering.transitions.standardIaDays", ia_default,
                                        MIN_IA_DAYS, 36_500),
        glacier_ir_days=_optional_days(p, s, "glacierIrDays", "tiering.transitions.glacierIrDays", gir_default, 1,
                                       36_500),
        deep_archive_days=_optional_days(p, s, "deepArchiveDays", "tiering.transitions.deepArchiveDays", 365, 1,
                                         36_500))
    if write_class == "STANDARD_IA" and tr.standard_ia_days is not None:
        p.add("tiering.transitions.standardIaDays", tr.standard_ia_days, "tiering.storageClass is STANDARD_IA "
              "already; set it to null")
    if write_class == "INTELLIGENT_TIERING" and (tr.standard_ia_days is not None or tr.glacier_ir_days is not None):
        # S3 User Guide, lifecycle transitions: Intelligent-Tiering moves to One Zone-IA, Glacier classes only; its
        # own archive tiers (tiering.intelligentTiering) replace the Glacier IR step.
        p.add("tiering.transitions", {"standardIaDays": tr.standard_ia_days, "glacierIrDays": tr.glacier_ir_days},
              "with tiering.storageClass INTELLIGENT_TIERING S3 allows no transition to STANDARD_IA, and Glacier IR "
              "is left to Intelligent-Tiering's own tiers: set both to null")
    if write_class == "GLACIER_IR" and (tr.standard_ia_days is not None or tr.glacier_ir_days is not None):
        p.add("tiering.transitions", {"standardIaDays": tr.standard_ia_days, "glacierIrDays": tr.glacier_ir_days},
              "with tiering.storageClass GLACIER_IR only deepArchiveDays can follow (S3 allows no transition to a "
              "warmer class)")
    steps = tr.rules()
    for (d0, c0), (d1, c1) in zip(steps, steps[1:], strict=False):
        gap = GAP_AFTER_IA_DAYS if c0 == "STANDARD_IA" else 1
        if d1 < d0 + gap:
            p.add(f"tiering.transitions.{_KEY_OF[c1]}", d1, f"must be at least {d0 + gap} (S3 moves an object to "
                  f"{c1} only {'30 days' if gap > 1 else 'a day'} or more after its {c0} transition at day {d0})")
    return tr


_KEY_OF = {"STANDARD_IA": "standardIaDays", "GLACIER_IR": "glacierIrDays", "DEEP_ARCHIVE": "deepArchiveDays"}


def _intelligent_tiering(p, t: dict, write_class: str) -> IntelligentTiering | None:
    if "intelligentTiering" not in t:
        return None
    s = p.section(t, "intelligentTiering", "tiering.intelligentTiering", {"archiveDays", "deepArchiveDays"})
    if write_class != "INTELLIGENT_TIERING":
        p.add("tiering.intelligentTiering", s, "only with tiering.storageClass: INTELLIGENT_TIERING (the archive "
              "tiers apply to objects stored in that class)")
    it = IntelligentTiering(
        archive_days=_optional_days(p, s, "archiveDays", "tiering.intelligentTiering.archiveDays", 90,
                                    *ARCHIVE_ACCESS_DAYS),
        deep_archive_days=_optional_days(p, s, "deepArchiveDays", "tiering.intelligentTiering.deepArchiveDays", 180,
                                         *DEEP_ARCHIVE_ACCESS_DAYS))
    if it.archive_days is None and it.deep_archive_days is None:
        p.add("tiering.intelligentTiering", s, "set archiveDays, deepArchiveDays or both (an archive configuration "
              "needs at least one tier), or remove the section")
    if it.archive_days and it.deep_archive_days and it.deep_archive_days <= it.archive_days:
        p.add("tiering.intelligentTiering.deepArchiveDays", it.deep_archive_days,
              f"must be later than archiveDays ({it.archive_days})")
    return it


def parse_tiering(p, raw: dict) -> TieringConfig:
    t = p.section(raw, "tiering", "tiering", TIERING_KEYS)
    d = TieringConfig()
    enabled = p.boolean(t, "enabled", "tiering.enabled", False)
    name = p.string(t, "tierName", "tiering.tierName", d.tier_name, " upper-case tier name such as S3TIER "
                    "(RustFS refuses lower case: TierNameNotUppercase)", check=lambda v: bool(_TIER_NAME.match(v)))
    if name in RESERVED_TIER_NAMES:
        p.add("tiering.tierName", name, f"RustFS reserves {' and '.join(RESERVED_TIER_NAMES)} (storage-class names, "
              "tier.rs ERR_TIER_RESERVED_NAME); choose another")
    write_class = p.enum(t, "storageClass", "tiering.storageClass", list(TIER_WRITE_CLASSES), d.storage_class)
    key_version = p.integer(t, "keyVersion", "tiering.keyVersion", 1, 1, MAX_KEY_VERSION)
    previous = t.get("previousKeyVersion")
    if previous is not None:
        previous = p.integer(t, "previousKeyVersion", "tiering.previousKeyVersion", 1, 1, MAX_KEY_VERSION)
        if previous >= key_version:
            p.add("tiering.previousKeyVersion", previous, f"must be lower than tiering.keyVersion ({key_version}): it "
                  "is the key being retired")
    return TieringConfig(
        enabled=enabled, tier_name=name, storage_class=write_class,
        prefix=p.string(t, "prefix", "tiering.prefix", d.prefix, " key prefix of lowercase letters, digits and . _ - "
                        "(no slashes)", check=lambda v: bool(_PREFIX.match(v))),
        transitions=_transitions(p, t, write_class),
        noncurrent_expiration_days=p.integer(t, "noncurrentExpirationDays", "tiering.noncurrentExpirationDays", 30, 1,
                                             36_500, " days"),
        abort_multipart_days=p.integer(t, "abortMultipartDays", "tiering.abortMultipartDays", 7, 1, 365, " days"),
        intelligent_tiering=_intelligent_tiering(p, t, write_class),
        key_version=key_version, previous_key_version=previous,
        acceleration=p.boolean(t, "acceleration", "tiering.acceleration", False))


def _remote_targets(p, r: dict) -> tuple[RemoteTarget, ...]:
    value = r.get("remoteTargets", [])
    if not isinstance(value, list):
        p.add("replication.remoteTargets", value, "expected a list of {name, bucket, endpoint, targetBucket}")
        return ()
    if len(value) > MAX_REMOTE_TARGETS:
        p.add("replication.remoteTargets", f"{len(value)} targets", f"at most {MAX_REMOTE_TARGETS}")
    out = []
    for i, item in enumerate(value):
        path = f"replication.remoteTargets[{i}]"
        if not isinstance(item, dict):
            p.add(path, item, "expected {name, bucket, endpoint, targetBucket, region?, secure?}")
            continue
        p.unknown_keys(item, path, {"name", "bucket", "endpoint", "targetBucket", "region", "secure", "deleteMarkers",
                                    "existingObjects", "delete"})
        target = RemoteTarget(
            name=p.string(item, "name", f"{path}.name", pattern=" name of lowercase letters, digits and -, at most 31",
                          check=lambda v: bool(_TARGET_NAME.match(v))),
            bucket=p.string(item, "bucket", f"{path}.bucket", pattern=" RustFS bucket name",
                            check=lambda v: bool(_BUCKET.match(v))),
            endpoint=p.string(item, "endpoint", f"{path}.endpoint", pattern=" host[:port] of the remote RustFS or S3 "
                              "endpoint, without scheme", check=lambda v: bool(_ENDPOINT.match(v))),
            target_bucket=p.string(item, "targetBucket", f"{path}.targetBucket", pattern=" bucket name",
                                   check=lambda v: bool(_BUCKET.match(v))),
            region=p.string(item, "region", f"{path}.region", "", " region name") if item.get("region") else "",
            secure=p.boolean(item, "secure", f"{path}.secure", True),
            delete_markers=p.boolean(item, "deleteMarkers", f"{path}.deleteMarkers", True),
            existing_objects=p.boolean(item, "existingObjects", f"{path}.existingObjects", True),
            delete=p.boolean(item, "delete", f"{path}.delete", False))
        if not target.secure:
            p.add(f"{path}.secure", False, "replication sends the objects and the remote's keys: only over HTTPS")
        out.append(target)
    names = [t.name for t in out]
    for name in sorted({n for n in names if names.count(n) > 1}):
        p.add("replication.remoteTargets", name, "each target name once (it names the target's credentials secret)")
    return tuple(out)


def parse_replication(p, raw: dict, *, region: str, tiering: TieringConfig) -> ReplicationConfig:
    r = p.section(raw, "replication", "replication", REPLICATION_KEYS)
    enabled = p.boolean(r, "enabled", "replication.enabled", False)
    target = p.string(r, "region", "replication.region", None, " AWS region such as us-west-2",
                      check=lambda v: bool(_REGION.match(v)))
    if enabled and not target:
        p.add("replication.region", None, "required with replication.enabled: the region of the tier bucket's "
              "replica")
    if target and target == region:
        p.add("replication.region", target, f"must differ from aws:region ({region}): the replica is a copy in "
              "another region")
    if enabled and not tiering.enabled:
        p.add("replication.enabled", True, "replicates the tier bucket: needs tiering.enabled: true")
    rtc = p.boolean(r, "replicationTimeControl", "replication.replicationTimeControl", False)
    metrics = p.boolean(r, "metrics", "replication.metrics", rtc)
    if rtc and not metrics:
        # PutBucketReplication refuses ReplicationTime without Metrics (S3 User Guide, "Meeting compliance
        # requirements with S3 Replication Time Control": RTC requires replication metrics).
        p.add("replication.metrics", False, "S3 Replication Time Control needs replication metrics: set true, or turn "
              "replicationTimeControl off")
    return ReplicationConfig(
        enabled=enabled, region=target,
        storage_class=p.enum(r, "storageClass", "replication.storageClass", list(REPLICA_CLASSES), "STANDARD_IA"),
        delete_markers=p.boolean(r, "deleteMarkers", "replication.deleteMarkers", True),
        replication_time_control=rtc, metrics=metrics, remote_targets=_remote_targets(p, r))


def parse_encryption(p, raw: dict, *, nodes: int) -> EncryptionConfig:
    e = p.section(raw, "encryption", "encryption", ENCRYPTION_KEYS)
    sse = p.enum(e, "sse", "encryption.sse", list(SSE_MODES), "off")
    if sse == "local":
        p.add("encryption.sse", "local", "RustFS's local KMS backend keeps its keys in files of one node, which RustFS "
              f"documents as unsupported for more than one node (this cluster has {nodes}); use aws (RustFS's AWS KMS "
              "backend with the stack's sse key) or off. README, 'Tiering, replication and SSE-KMS', describes the "
              "single-node fallback")
    return EncryptionConfig(sse=sse, default_buckets=p.boolean(e, "defaultBuckets", "encryption.defaultBuckets", True))


def parse_integrations(p, raw: dict, *, region: str, platform: str, nodes: int) -> IntegrationsConfig:
    """``tiering``, ``replication``, ``encryption`` (``p`` is config.py's ``Problems``)."""
    tiering = parse_tiering(p, raw)
    replication = parse_replication(p, raw, region=region, tiering=tiering)
    encryption = parse_encryption(p, raw, nodes=nodes)
    if platform != "ec2":
        for key, on in (("tiering.enabled", tiering.enabled), ("replication.enabled", replication.enabled),
                        ("encryption.sse", encryption.sse != "off")):
            if on:
                p.add(key, True if key.endswith("enabled") else encryption.sse, f"only with cluster.platform: ec2 "
                      f"(this stack has {platform!r}): the reconciler that registers tiers and targets and the node "
                      "role that reaches KMS are the EC2 nodes'")
    return IntegrationsConfig(tiering=tiering, replication=replication, encryption=encryption)


def check_against_state(p, integrations: IntegrationsConfig, buckets: list[dict]) -> None:
    """A remote target's source bucket, when the ``rustfs`` section declares it, must be versioned: RustFS refuses a
    replication target for an unversioned source (crates/ecstore/src/bucket/bucket_target_sys.rs ``validate_target``:
    BucketReplicationSourceNotVersioned, InvalidRequest from set-remote-target), so the reconciler would fail it on
    every run. A bucket the section does not declare is the operator's: RustFS checks it when the target is set.

    A lifecycle rule's ``transitionTier`` must be the tier this stack registers (``tiering.tierName`` with
    ``tiering.enabled``): RustFS refuses a transition to a storage class no tier of it is named
    (crates/ecstore/src/bucket/lifecycle/bucket_lifecycle_ops.rs ``validate_transition_tier``), so the bucket's whole
    lifecycle would fail on every run."""
    tier = integrations.tiering.tier_name if integrations.tiering.enabled else None
    for bi, b in enumerate(buckets):
        for ri, rule in enumerate(b.get("lifecycle") or []):
            name = rule.get("transitionTier")
            if name and name != tier:
                p.add(f"rustfs.buckets[{bi}].lifecycle[{ri}].transitionTier", name,
                      f"the tier this stack registers ({tier} from tiering.tierName)" if tier else
                      "a tier this stack registers: set tiering.enabled (RustFS refuses a transition to a tier it "
                      "does not know)")
    declared = {b["name"]: b for b in buckets}
    for i, target in enumerate(integrations.replication.remote_targets):
        b = declared.get(target.bucket)
        if b is None:
            continue
        path = f"replication.remoteTargets[{i}].bucket"
        if b.get("delete"):
            p.add(path, target.bucket, "is declared with delete: true in rustfs.buckets: a replicated bucket stays")
        elif b.get("versioning") != "enabled":
            p.add(path, target.bucket, f"RustFS replicates only a versioned bucket: set versioning: enabled on "
                  f"rustfs.buckets '{target.bucket}' (RustFS refuses the remote target otherwise)")
