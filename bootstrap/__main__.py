"""rustfs-aws-bootstrap: the AWS side of the delivery workflow, once per account.

- GitHub Actions' OpenID Connect provider (``https://token.actions.githubusercontent.com``, audience
  ``sts.amazonaws.com``). No thumbprint: pulumi-aws v7 makes ``thumbprint_lists`` optional, and for GitHub IAM
  validates the provider's certificate against its own library of trusted root CAs, keeping any thumbprint given
  unused (the v7 ``aws.iam.OpenIdConnectProvider`` reference; IAM User Guide, "Create an OpenID Connect (OIDC)
  identity provider in IAM"). IAM holds one provider per URL and account: ``oidcProvider: <arn>`` reuses one.
- Per deployed stack, ``rustfs-deploy-<stack>``: trusted only by this repository's workflow running in the GitHub
  environment of that stack (``sub`` ``repo:<owner>/<repo>:environment:<stack>``, ``aud`` ``sts.amazonaws.com``),
  so only a job that passed the environment's protection rules (prod: its reviewers) can deploy; its permissions
  derived from what the stack manages (``permissions.py``), in managed policies of at most 6,144 characters, under
  the boundary ``rustfs-deploy-<stack>-permissions-boundary``.
- ``rustfs-preview``: trusted by this repository's pull-request workflows (``sub`` ``repo:<owner>/<repo>:pull_request``:
  a fork's pull request runs in the fork's context and gets no OIDC token for this repository's secrets, GitHub
  Docs "Security hardening with OpenID Connect"), reads only, under its own boundary.

Rejected: long-lived access keys in GitHub secrets (they do not expire, and leak with any workflow log or fork
mistake), and trusting ``repo:<owner>/<repo>:*`` (any branch, tag or pull request of the repository could deploy
prod). Config keys: ``repository`` (``owner/repo``), ``stacks`` (the main program's stacks the workflow deploys; their
facts come from ``bootstrap/managed.json``), ``oidcProvider`` (``create`` or an ARN), ``maxSessionSeconds``
(10,800: the `up` job's credentials must outlast its 180-minute timeout; a first prod deploy with the edge
waits up to 45 minutes for the VPC origin alone),
``tags`` (``Owner``, ``CostCenter``), ``escOrganization`` (optional: the Pulumi organization whose ESC environments
``<org>/rustfs-aws/<stack>`` may also assume each stack's deploy role, through Pulumi Cloud's OIDC provider
``https://api.pulumi.com/oidc``; examples/esc/), ``escOidcProvider`` (``create`` or the ARN of the account's provider
for that URL, which IAM also holds once per account).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws

sys.path.insert(0, str(Path(__file__).resolve().parent))
import permissions as p  # noqa: E402 (this program's own module, next to it)

DEFAULT_SESSION_SECONDS = 10_800
NAMESPACE = "rustfs-aws-bootstrap"
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")  # GitHub owner/name rules
_STACK = re.compile(r"^[a-z][a-z0-9-]{0,19}$")  # the main program's stack names (components/config.py)
_OIDC_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
_ESC_OIDC_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:oidc-provider/api\.pulumi\.com/oidc$")
_RESERVED_STACKS = {"deploy", "preview"}  # rustfs-deploy-* and rustfs-preview are the delivery's own names


class BootstrapConfigError(pulumi.RunError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid bootstrap configuration:\n" + "\n".join(f"  - {x}" for x in problems))

    def __str__(self) -> str:
        return "invalid bootstrap configuration:\n" + "\n".join(f"  - {x}" for x in self.problems)


def read_config(cfg: pulumi.Config, known: dict) -> dict:
    """The stack's settings, every problem named with its key (one error listing all of them)."""
    problems: list[str] = []
    repository = cfg.get("repository") or ""
    if not _REPOSITORY.match(repository):
        problems.append(f"{NAMESPACE}:repository: got {repository!r}; expected the GitHub repository as owner/name, "
                        "e.g. acme/rustfs-aws")
    stacks = cfg.get_object("stacks") or []
    if not isinstance(stacks, list) or not stacks or not all(isinstance(s, str) for s in stacks):
        problems.append(f"{NAMESPACE}:stacks: got {stacks!r}; expected a list of the main program's stack names")
        stacks = []
    for stack in stacks:
        if not _STACK.match(stack) or stack in _RESERVED_STACKS:
            problems.append(f"{NAMESPACE}:stacks: {stack!r} is not a usable stack name (1-20 lowercase letters, digits "
                            "and hyphens; not deploy or preview)")
        elif stack not in known:
            problems.append(f"{NAMESPACE}:stacks: {stack!r} is not in bootstrap/managed.json (stacks: "
                            f"{', '.join(sorted(known))}); run venv/bin/python bootstrap/derive.py {' '.join(stacks)}")
        for other in stacks:
            if other != stack and other.startswith(f"{stack}-"):
                problems.append(f"{NAMESPACE}:stacks: {stack!r} is a prefix of {other!r}: the role of {stack} would "
                                f"match rustfs-{other}-* resources too")
    provider = cfg.get("oidcProvider") or "create"
    if provider != "create" and not _OIDC_ARN.match(provider):
        problems.append(f"{NAMESPACE}:oidcProvider: got {provider!r}; expected create or the ARN of the account's "
                        "provider for token.actions.githubusercontent.com")
    session = cfg.get_int("maxSessionSeconds") or DEFAULT_SESSION_SECONDS
    if not 3_600 <= session <= 43_200:  # IAM CreateRole MaxSessionDuration
        problems.append(f"{NAMESPACE}:maxSessionSeconds: got {session}; allowed 3600-43200")
    esc = cfg.get("escOrganization")
    if esc is not None and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", esc):
        problems.append(f"{NAMESPACE}:escOrganization: got {esc!r}; expected a Pulumi organization name")
    esc_provider = cfg.get("escOidcProvider") or "create"
    if esc_provider != "create" and not _ESC_OIDC_ARN.match(esc_provider):
        problems.append(f"{NAMESPACE}:escOidcProvider: got {esc_provider!r}; expected create or the ARN of the "
                        "account's provider for api.pulumi.com/oidc")
    tags = cfg.get_object("tags") or {}
    for key in ("Owner", "CostCenter"):
        if not isinstance(tags, dict) or not tags.get(key):
            problems.append(f"{NAMESPACE}:tags.{key}: missing; every resource carries Project, Environment, Owner and "
                            "CostCenter")
    if problems:
        raise BootstrapConfigError(problems)
    return {"repository": repository, "stacks": stacks, "provider": provider, "session": session, "esc": esc,
            "esc_provider": esc_provider,
            "tags": {"Project": "rustfs-aws", "Environment": "prod", **tags}}


def _tags(base: dict, name: str) -> dict:
    return {**base, "Name": name}


def main() -> None:
    known = json.loads((Path(__file__).resolve().parent / "managed.json").read_text())["stacks"]
    settings = read_config(pulumi.Config(NAMESPACE), known)
    facts = [p.StackFacts.from_json(stack, known[stack]) for stack in settings["stacks"]]
    tags = settings["tags"]
    caller = aws.get_caller_identity()
    partition = aws.get_partition().partition
    account = caller.account_id

    if settings["provider"] == "create":
        provider = aws.iam.OpenIdConnectProvider(
            "github", url=f"https://{p.GITHUB_OIDC_HOST}", client_id_lists=[p.STS_AUDIENCE],
            tags=_tags(tags, "github-actions"))
        provider_arn = provider.arn
    else:
        provider_arn = pulumi.Output.from_input(settings["provider"])
    esc_arn = None
    if settings["esc"] and settings["esc_provider"] != "create":
        # One provider per URL and account (e.g. made by `pulumi env setup aws`): reuse it; its audiences must
        # include aws:<org> (aws iam add-client-id-to-open-id-connect-provider).
        esc_arn = pulumi.Output.from_input(settings["esc_provider"])
    elif settings["esc"]:
        esc_arn = aws.iam.OpenIdConnectProvider(
            "pulumi-esc", url=f"https://{p.ESC_OIDC_HOST}", client_id_lists=[p.esc_audience(settings["esc"])],
            tags=_tags(tags, "pulumi-esc")).arn

    def role(name: str, subject: str, documents: list[dict], boundary_document: dict, description: str,
             esc_stack: str | None = None):
        boundary_name = p.boundary_name(name)
        boundary = aws.iam.Policy(
            boundary_name, name=boundary_name, description=f"Ceiling of {name}", policy=p.compact(boundary_document),
            tags=_tags(tags, boundary_name))
        created = aws.iam.Role(
            name, name=name, description=description, max_session_duration=settings["session"],
            assume_role_policy=pulumi.Output.all(provider_arn, esc_arn).apply(lambda arns: p.compact(p.oidc_trust(
                provider_arn=arns[0], repository=settings["repository"], subject=subject,
                esc=(arns[1], settings["esc"], esc_stack) if arns[1] and esc_stack else None))),
            permissions_boundary=boundary.arn, tags=_tags(tags, name))
        for i, document in enumerate(documents, start=1):
            policy = aws.iam.Policy(f"{name}-{i}", name=f"{name}-{i}", policy=p.compact(document),
                                    description=f"{description} ({i}/{len(documents)})",
                                    tags=_tags(tags, f"{name}-{i}"))
            aws.iam.RolePolicyAttachment(f"{name}-{i}", role=created.name, policy_arn=policy.arn,
                                         opts=pulumi.ResourceOptions(parent=created))
        return created

    deploy = {}
    for stack in facts:
        name = f"{p.DELIVERY_PREFIX}-{stack.stack}"
        deploy[stack.stack] = role(
            name, f"environment:{stack.stack}",
            p.split(p.deploy_policy(stack, partition=partition, account=account)),
            p.deploy_boundary(stack, partition=partition, account=account),
            f"Deploys the rustfs-aws stack {stack.stack} from GitHub environment {stack.stack}",
            esc_stack=stack.stack).arn
    preview = role(p.PREVIEW_ROLE, "pull_request", p.split(p.preview_policy(facts, partition=partition)),
                   p.preview_boundary(facts), "Read-only pulumi preview of rustfs-aws pull requests")
    pulumi.export("oidcProviderArn", provider_arn)
    pulumi.export("deployRoleArns", deploy)
    pulumi.export("previewRoleArn", preview.arn)


main()
