"""One AWS account as the fake AWS sees it across program runs: its account- and Region-level singletons.

AWS keeps some things once per account and Region however many stacks deploy there: one AWS Config
configuration recorder and one delivery channel, one EBS encryption-by-default setting and default key, and
(IAM being global) one service-linked role per service for the whole account. A second stack that declares
one fails, or worse, silently takes it over. ``FakeAws`` takes a ``FakeAccount``; two program runs given the
same one deploy two stacks into one account (tests/test_account_singletons.py). Without one, every run gets
a fresh account that takes the stack's ``existing`` on trust, as preflight of a single stack must.

Rejected: keeping this state in ``FakeAws``: it lives for one program run, and two stacks are two runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from .fake_usage import AccountUsage
from .fake_zones import UnknownToFake

ACCOUNT_ID = "123456789012"
OUTSIDE_PULUMI = "outside this project"
CONTROL_TOWER = "AWS Control Tower"

# The CloudTrail quota "Trails per Region": 5, not adjustable; a multi-region trail counts in every Region
# (CloudTrail User Guide, "Quotas in AWS CloudTrail"). Trails are a quota, not a singleton: every stack may
# have its own.
TRAILS_PER_REGION = 5

_HINT = ("one stack per account and Region owns the account's resources (rustfs-aws:account."
         "ownsAccountResources: true); every other stack there says existing")


class AccountConflict(Exception):
    """What AWS answers when a stack declares what the account already has (or cannot have)."""


@dataclass(frozen=True)
class Holder:
    """Who declared a singleton: a stack's resource, or something outside this project."""

    stack: str
    resource: str  # the logical name of the stack's resource, or the physical name outside Pulumi
    physical_name: str = ""

    def describe(self) -> str:
        if self.stack in (OUTSIDE_PULUMI, CONTROL_TOWER):
            return f"'{self.resource}' ({self.stack})"
        return f"resource '{self.resource}' of stack '{self.stack}'"


@dataclass(frozen=True)
class Singleton:
    what: str
    error: str  # the error AWS answers, with its source
    regional: bool = True


# EnableEbsEncryptionByDefault and ModifyEbsDefaultKmsKeyId succeed for anyone (EC2 API Reference): AWS does
# not refuse the second stack, but the two stacks then manage one setting of the account, and destroying
# either turns it off for both: the resource's delete calls DisableEbsEncryptionByDefault ("Removing this
# resource disables default EBS encryption", pulumi-aws aws.ebs.EncryptionByDefault) or
# ResetEbsDefaultKmsKeyId (back to the AWS managed key for everyone). The fake refuses it.
_EBS_FIGHT = ("not refused by AWS, but two stacks would manage one account setting and the destroy of either "
              "resets it for the other")
_EBS_DEFAULT = Singleton("EBS encryption by default", f"SettingConflict ({_EBS_FIGHT})")
SINGLETONS: dict[str, Singleton] = {
    # "You can create only one customer managed configuration recorder for each account for each AWS Region"
    # (AWS Config API Reference, PutConfigurationRecorder; error MaxNumberOfConfigurationRecordersExceeded).
    # The call is idempotent by name: a second stack using the same name would take the recorder over.
    "aws:cfg/recorder:Recorder": Singleton(
        "AWS Config configuration recorder", "MaxNumberOfConfigurationRecordersExceededException: You have "
        "reached the limit of the number of configuration recorders you can create"),
    # "You can have only one delivery channel for each account for each AWS Region" (PutDeliveryChannel).
    "aws:cfg/deliveryChannel:DeliveryChannel": Singleton(
        "AWS Config delivery channel", "MaxNumberOfDeliveryChannelsExceededException: You have reached the "
        "limit of the number of delivery channels you can create"),
    "aws:ebs/encryptionByDefault:EncryptionByDefault": _EBS_DEFAULT,
    "aws:ec2/ebsEncryptionByDefault:EbsEncryptionByDefault": _EBS_DEFAULT,
    "aws:ebs/defaultKmsKey:DefaultKmsKey": Singleton("EBS default KMS key", f"SettingConflict ({_EBS_FIGHT})"),
}
# Documents that exist once per account and Region by their name. SSM-SessionManagerRunShell holds the account's
# Session Manager preferences: Session Manager uses it for every session that names no document, and creates it
# when someone first saves preferences in the console (Systems Manager User Guide, "Start a default shell session by
# specifying the default session document in IAM policies"). CreateDocument of a name the account has fails with
# DocumentAlreadyExists ("The specified document already exists", SSM API Reference).
DOCUMENT = "aws:ssm/document:Document"
NAMED_SINGLETONS: dict[tuple[str, str], Singleton] = {
    (DOCUMENT, "SSM-SessionManagerRunShell"): Singleton(
        "Session Manager preferences (SSM-SessionManagerRunShell)",
        "DocumentAlreadyExists: The specified document already exists"),
}
# IAM names a service-linked role after its service; one per account, for every Region. Creating it again
# fails with this message (IAM CreateServiceLinkedRole; e.g. terraform-aws-hasura#17 for ECS's role).
SERVICE_LINKED_ROLES = {"config.amazonaws.com": "AWSServiceRoleForConfig"}
SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
CONFIG_RULE = "aws:cfg/rule:Rule"
TRAIL = "aws:cloudtrail/trail:Trail"
RECORDER = "aws:cfg/recorder:Recorder"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"


@dataclass
class FakeAccount:
    """``trust_existing``: a dependency on something the stack does not declare (a Config rule needs the
    Region's recorder) is assumed met, as for a single preflight run against an account nobody can see;
    False (the default): only what this account was given or what stacks declared in it exists."""

    account_id: str = ACCOUNT_ID
    trust_existing: bool = False
    preexisting_trails: dict[str, int] = field(default_factory=dict)  # Region -> trails made outside Pulumi
    usage: AccountUsage = field(default_factory=AccountUsage)  # EIPs, VPCs, load balancers (preflight/fake_usage.py)
    # (Region, name) -> value of the account's own SSM parameters, e.g. an image pipeline's output
    # (preflight/fake_imagebuilder.py); with trust_existing every one is taken on trust.
    parameters: dict[tuple[str, str], str] = field(default_factory=dict)
    _held: dict[tuple[str, str], Holder] = field(default_factory=dict, init=False, repr=False)  # by slot
    _trails: dict[Holder, tuple[str, bool]] = field(default_factory=dict, init=False, repr=False)
    _role_tags: dict[str, dict] = field(default_factory=dict, init=False, repr=False)  # service -> its role's tags

    @classmethod
    def control_tower(cls, regions: Iterable[str], account_id: str = ACCOUNT_ID) -> FakeAccount:
        """An account that already records: AWS Control Tower enables a configuration recorder with a delivery
        channel in every enrolled account and governed Region (AWS Prescriptive Guidance, "Managing the
        configuration of AWS resources" in the Control Tower landing-zone guide)."""
        account = cls(account_id)
        # Config has been enabled in the account, so its service-linked role is there (IAM creates it the first
        # time Config, a conformance pack or a Security Hub control needs it; Control Tower enables Security Hub
        # and organization Config rules in enrolled accounts); the stack must use it, never create another.
        account.preexisting(SERVICE_LINKED_ROLE, "", "config.amazonaws.com", CONTROL_TOWER)
        for region in regions:
            account.preexisting(RECORDER, region, "aws-controltower-BaselineConfigRecorder", CONTROL_TOWER)
            account.preexisting(DELIVERY_CHANNEL, region, "aws-controltower-BaselineConfigDeliveryChannel",
                                CONTROL_TOWER)
        return account

    def preexisting(self, type_token: str, region: str, name: str, by: str = OUTSIDE_PULUMI) -> FakeAccount:
        """Marks a singleton as already in the account: ``name`` is its physical name (for a named singleton, the
        name that makes it one), or for a service-linked role its service (``region`` is then ignored: IAM is
        global)."""
        shown = SERVICE_LINKED_ROLES.get(name, name) if type_token == SERVICE_LINKED_ROLE else name
        self._held[self._slot(type_token, region, name)] = Holder(by, shown, shown)
        return self

    def holder(self, type_token: str, region: str, aws_service_name: str = "") -> Holder | None:
        return self._held.get(self._slot(type_token, region, aws_service_name))

    # --- what AWS checks when a resource is created ---------------------------------------------

    def declare(self, region: str, type_token: str, stack: str, name: str, inputs: dict) -> None:
        """Raises ``AccountConflict`` as AWS would fail the create; re-declaring one's own is an update."""
        me = Holder(stack, name, inputs.get("name") if isinstance(inputs.get("name"), str) else name)
        self.usage.record(region, type_token, stack, name, inputs)
        if type_token in SINGLETONS or type_token == SERVICE_LINKED_ROLE or self._named(type_token, inputs):
            self._claim(region, type_token, me, inputs)
        if type_token == DELIVERY_CHANNEL:
            # "Before you can create a delivery channel, you must create a configuration recorder."
            self._needs_recorder(region, f"delivery channel '{name}'")
        elif type_token == RECORDER_STATUS:
            self._check_status(region, me, inputs)
        elif type_token == CONFIG_RULE:
            # PutConfigRule fails with NoAvailableConfigurationRecorderException in a Region without one.
            self._needs_recorder(region, f"Config rule '{name}'")
        elif type_token == TRAIL:
            self._count_trail(region, me, inputs.get("isMultiRegionTrail") is True)

    @staticmethod
    def _named(type_token: str, inputs: dict) -> Singleton | None:
        name = inputs.get("name")
        return NAMED_SINGLETONS.get((type_token, name)) if isinstance(name, str) else None

    def _slot(self, type_token: str, region: str, key: str) -> tuple[str, str]:
        if type_token == SERVICE_LINKED_ROLE:
            return (f"service-linked-role:{key}", "")
        if (type_token, key) in NAMED_SINGLETONS:
            return (NAMED_SINGLETONS[type_token, key].what, region)
        return (SINGLETONS[type_token].what, region)

    def _claim(self, region: str, type_token: str, me: Holder, inputs: dict) -> None:
        if type_token == SERVICE_LINKED_ROLE:
            service = inputs.get("awsServiceName")
            role = SERVICE_LINKED_ROLES.get(service)
            if role is None:
                known = ", ".join(SERVICE_LINKED_ROLES)
                raise AccountConflict(f"the fake AWS knows the service-linked roles of {known}, not {service!r}; "
                                      "add it to preflight/fake_account.py")
            slot, where = self._slot(type_token, region, service), "the account (IAM is global)"
            error = f"InvalidInput: Service role name {role} has been taken in this account, please try a " \
                    "different suffix"
        elif (named := self._named(type_token, inputs)) is not None:
            slot, error, where = self._slot(type_token, region, inputs["name"]), named.error, region
        else:
            slot, error, where = self._slot(type_token, region, ""), SINGLETONS[type_token].error, region
        held = self._held.get(slot)
        if held is not None and (held.stack, held.resource) != (me.stack, me.resource):
            raise AccountConflict(f"{error}. {slot[0]} of {where} is already {held.describe()}; "
                                  f"{me.describe()} declares another. {_HINT}.")
        self._held[slot] = me
        if type_token == SERVICE_LINKED_ROLE:
            tags = inputs.get("tags")
            self._role_tags[inputs["awsServiceName"]] = dict(tags) if isinstance(tags, dict) else {}

    # --- what IAM answers about the account's service-linked roles --------------------------------

    def service_linked_roles(self, path_prefix: str) -> dict[str, tuple[str, dict]]:
        """Role name -> (its path, its tags) of the service-linked roles under ``path_prefix`` (ListRoles
        PathPrefix matches the start of the path). Only service-linked roles are modelled: the stack's own
        roles are never looked up, so any other prefix fails loudly."""
        if not path_prefix.startswith("/aws-service-role/"):
            raise UnknownToFake(f"the fake AWS answers ListRoles for service-linked role paths only, not "
                                f"{path_prefix!r}; add it to preflight/fake_account.py")
        found = {}
        for service, role in SERVICE_LINKED_ROLES.items():
            path = f"/aws-service-role/{service}/"
            if path.startswith(path_prefix) and self.holder(SERVICE_LINKED_ROLE, "", service) is not None:
                found[role] = (path, self._role_tags.get(service, {}))
        return found


    def _needs_recorder(self, region: str, what: str) -> None:
        if self.trust_existing or self._held.get(self._slot(RECORDER, region, "")) is not None:
            return
        raise AccountConflict(f"NoAvailableConfigurationRecorderException: There are no customer managed "
                              f"configuration recorders available to record your resources ({what} in "
                              f"{region}). The stack that owns the account's resources creates the recorder, or "
                              "the organization provides one (audit.config: existing claims it does).")

    def _check_status(self, region: str, me: Holder, inputs: dict) -> None:
        recorder = self._held.get(self._slot(RECORDER, region, ""))
        name = inputs.get("name")
        if not isinstance(name, str):
            return  # unknown during a first preview
        if recorder is None or recorder.physical_name != name:
            if self.trust_existing and recorder is None:
                return
            raise AccountConflict(f"NoSuchConfigurationRecorderException: You have specified a configuration "
                                  f"recorder that does not exist ('{name}' in {region}).")
        if recorder.stack != me.stack:
            # Starting or stopping another stack's recorder: the destroy of this status stops its recording.
            raise AccountConflict(f"the recorder '{name}' of {region} is {recorder.describe()}; resource "
                                  f"'{me.resource}' of stack '{me.stack}' would start and stop it. {_HINT}.")
        if self._held.get(self._slot(DELIVERY_CHANNEL, region, "")) is None:
            # "You must have created a delivery channel to successfully start the ... recorder."
            raise AccountConflict(f"NoAvailableDeliveryChannelException: There is no delivery channel "
                                  f"available to record configurations ({region}).")

    def _count_trail(self, region: str, me: Holder, multi_region: bool) -> None:
        trails = {**self._trails, me: (region, multi_region)}
        regions = {region} | ({r for r, _ in trails.values()} | set(self.preexisting_trails) if multi_region else set())
        for r in sorted(regions):
            ours = sum(1 for where, multi in trails.values() if multi or where == r)
            total = self.preexisting_trails.get(r, 0) + ours
            if total > TRAILS_PER_REGION:
                raise AccountConflict(
                    f"MaximumNumberOfTrailsExceededException: trail '{me.resource}' of stack '{me.stack}' would make "
                    f"{total} trails in {r} (at most {TRAILS_PER_REGION} per Region, not adjustable; a multi-region "
                    "trail counts in every Region): set audit.cloudTrail: existing in the stacks of an account that "
                    "already has an organization or account trail.")
        self._trails = trails


def get_roles(fake, args: dict) -> dict:
    """``aws.iam.get_roles``: an empty list, never an error, when nothing matches (ListRoles)."""
    prefix = args.get("pathPrefix") or "/"
    if args.get("nameRegex"):
        raise UnknownToFake("the fake AWS's get_roles does not model name_regex; add it to preflight/fake_account.py")
    roles = fake.account.service_linked_roles(prefix)
    return {"id": fake.region, "pathPrefix": prefix, "names": sorted(roles),
            "arns": [f"arn:{fake.partition}:iam::{fake.account_id}:role{path}{name}"
                     for name, (path, _) in sorted(roles.items())]}


def get_role(fake, args: dict):
    """``aws.iam.get_role``: GetRole fails with NoSuchEntity for a role the account does not have."""
    name = args.get("name") or ""
    roles = fake.account.service_linked_roles("/aws-service-role/")
    if name not in roles:
        return {}, [("name", f"reading IAM Role ({name}): NoSuchEntity: The role with name {name} cannot be found.")]
    path, tags = roles[name]
    return {"id": name, "name": name, "path": path, "tags": tags,
            "arn": f"arn:{fake.partition}:iam::{fake.account_id}:role{path}{name}",
            "uniqueId": "AROA" + hashlib.sha256(f"slr/{name}".encode()).hexdigest()[:17].upper(),
            "description": "", "maxSessionDuration": 3600,
            "assumeRolePolicy": "", "createDate": "2026-01-01T00:00:00Z", "permissionsBoundary": "",
            "roleLastUseds": []}
