"""Every AWS call a RustFS node makes is allowed by its role, and the role grants nothing else.

1. Static: every script the dev user data installs is scanned for `aws <service> <command>`: shell scripts
   with a small shell lexer (quotes, `$(...)`, `<(...)`, continuations, `python3 -c` code), Python with the
   AST (argv lists, argv prefixes built by a wrapper class, command strings).
2. Exercised: node-bootstrap (the secret steps) and takeover.py run against a fake AWS CLI holding the recorded
   dev resources. That gives each call's real arguments and proves the static list complete.
3. Each call becomes IAM requests: the action from botocore's operation names (checked against parliament's
   copy of the Service Authorization Reference), resources and condition keys from the recording (tags,
   regions, key of each secret and volume, the Route 53 change batch). The requests are evaluated against the
   node's inline policy, the permissions boundary and the KMS key policies the dev stack really declares.
"""

from __future__ import annotations

import ast
import base64
import gzip
import importlib.util
import json
import os
import pwd
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import botocore.session
import parliament
import pytest
import yaml
from botocore import xform_name

from preflight.runner import run_stack

STACK = "dev"
NODE_ROLE_POLICY = f"rustfs-{STACK}-iam-node"  # recorded name of the node role's inline policy
BOUNDARY_POLICY = f"rustfs-{STACK}-iam-permissions-boundary"
SSM_CORE = "AmazonSSMManagedInstanceCore"
GLOBAL_SERVICES = {"route53": "us-east-1", "iam": "us-east-1"}  # signed for us-east-1 whatever --region says
OWNER = pwd.getpwuid(os.getuid()).pw_name
INSTANCE_ID = "i-0aaaaaaaaaaaaaaa1"  # the node's own instance in the fake AWS


# --- static extraction -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CliCommand:
    service: str
    command: str
    where: str  # "file:line"


class ExtractionError(AssertionError):
    pass


# Global options of the AWS CLI (v2 `aws help`, "GLOBAL OPTIONS"): they may stand before the service name.
AWS_OPTIONS_WITH_VALUE = {"--region", "--output", "--endpoint-url", "--query", "--profile", "--color",
                          "--ca-bundle", "--cli-read-timeout", "--cli-connect-timeout", "--cli-binary-format"}
AWS_FLAGS = {"--debug", "--no-verify-ssl", "--no-paginate", "--no-sign-request", "--no-cli-pager",
             "--cli-auto-prompt", "--no-cli-auto-prompt"}


def split_aws_argv(argv: list[str]) -> tuple[str, str, dict[str, str | bool], list[str]]:
    """`aws [global options] SERVICE COMMAND [args]` -> (service, command, --options, positionals)."""
    if not argv or argv[0] != "aws":
        raise ExtractionError(f"not an aws command: {argv}")
    options: dict[str, str | bool] = {}
    positionals: list[str] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        if word in AWS_FLAGS:
            options[word] = True
            i += 1
        elif word.startswith("--") and "=" in word:
            key, value = word.split("=", 1)
            options[key] = value
            i += 1
        elif word.startswith("--"):
            has_value = i + 1 < len(argv) and not argv[i + 1].startswith("--")
            options[word] = argv[i + 1] if has_value else True
            i += 2 if has_value else 1
        else:
            positionals.append(word)
            i += 1
    if len(positionals) < 2:
        raise ExtractionError(f"no service and command in {argv}")
    return positionals[0], positionals[1], options, positionals[2:]


def _words_of_static_prefix(argv: list[str | None], where: str) -> CliCommand | None:
    """argv with None for values not known statically: the service and command must be known."""
    i = 1
    while i < len(argv):
        word = argv[i]
        if word in AWS_FLAGS:
            i += 1
        elif word in AWS_OPTIONS_WITH_VALUE:
            i += 2
        elif word is not None and word.startswith("--") and "=" in word:
            i += 1
        else:
            break
    rest = argv[i:i + 2]
    if not rest:
        return None  # a prefix (global options only): the service comes from the wrapper's callers
    if len(rest) < 2 or None in rest or any(w.startswith("-") for w in rest):
        raise ExtractionError(f"{where}: aws service/command not literal: {argv}")
    return CliCommand(rest[0], rest[1], where)


# Shell: words of each simple command, with the line it starts on. Enough shell for our scripts; a word
# "aws" anywhere but in command position fails the scan, so an unsupported construct cannot hide a call.
COMMAND_PREFIXES = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "command", "exec",
                    "nohup", "sudo", "env"}


def shell_commands(script: str) -> list[tuple[int, list[str]]]:
    commands: list[tuple[int, list[str]]] = []
    stack: list[tuple[list[str], str, int, bool]] = []  # enclosing (words, word, start line, in quotes)
    words: list[str] = []
    word = ""
    started = False  # the current word has begun (an empty quoted word counts)
    start = line = 1
    in_dq = False
    i = 0

    def end_word():
        nonlocal word, started
        if started:
            words.append(word)
        word, started = "", False

    def end_command():
        nonlocal words, start
        end_word()
        if words:
            commands.append((start, words))
        words, start = [], line

    while i < len(script):
        c, nxt = script[i], script[i + 1] if i + 1 < len(script) else ""
        if c == "\\" and nxt:
            if nxt == "\n":
                line += 1
            else:
                word, started = word + nxt, True
            i += 2
            continue
        if c in "$<" and nxt == "(":  # command or process substitution: lex the inner command on its own
            stack.append((words, word + "$(...)", start, in_dq))
            words, word, started, start, in_dq = [], "", False, line, False
            i += 2
            continue
        if in_dq:
            if c == '"':
                in_dq = False
            elif c == "$" and nxt == "{":
                end = script.index("}", i)
                word += script[i:end + 1]
                i = end
            else:
                word += c
                line += c == "\n"
            i += 1
            continue
        if c == ")" and stack:
            end_command()
            words, word, start, in_dq = stack.pop()
            started = True
            i += 1
            continue
        if c == "#" and not started:
            i = script.find("\n", i)
            i = len(script) if i < 0 else i
            continue
        if c == "'":
            end = script.index("'", i + 1)
            word, started = word + script[i + 1:end], True
            line += script.count("\n", i, end)
            i = end + 1
            continue
        if c == '"':
            in_dq, started = True, True
        elif c == "$" and nxt == "{":
            end = script.index("}", i)
            word, started = word + script[i:end + 1], True
            i = end
        elif c in " \t":
            end_word()
        elif c in "\n;|&()":
            end_command()
            line += c == "\n"
            start = line
        else:
            word, started = word + c, True
        i += 1
    end_command()
    return commands


def command_words(words: list[str]) -> list[str]:
    """Drop leading assignments and prefixes (`X=1 aws ...`, `if aws ...`, `timeout 5 aws ...`)."""
    i = 0
    while i < len(words):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=.*", words[i], re.S) or words[i] in COMMAND_PREFIXES:
            i += 1
        elif words[i] == "timeout" and i + 1 < len(words):
            i += 2
        else:
            break
    return words[i:]


def shell_aws_commands(script: str, name: str) -> list[CliCommand]:
    found: list[CliCommand] = []
    for line, words in shell_commands(script):
        where = f"{name}:{line}"
        argv = command_words(words)
        if argv and argv[0] == "aws":
            service, command, _, _ = split_aws_argv(argv)
            found.append(CliCommand(service, command, where))
        elif argv and re.fullmatch(r"python3?", argv[0]) and "-c" in argv[:-1]:
            found += python_aws_commands(argv[argv.index("-c") + 1], f"{where} (python3 -c)")
        elif argv and argv[0] in ("bash", "sh") and "-c" in argv[:-1]:
            found += shell_aws_commands(argv[argv.index("-c") + 1], f"{where} ({argv[0]} -c)")
        stray = [w for w in words if re.search(r"(^|[=\s`(])aws(\s|$)", w)]
        if stray and not (argv and argv[0] == "aws" and stray == [argv[0]]):
            raise ExtractionError(f"{where}: 'aws' used in a way the scan does not follow: {words}")
    return found


def python_aws_commands(source: str, name: str) -> list[CliCommand]:
    tree = ast.parse(source)
    found: list[CliCommand] = []
    wrappers: set[str] = set()  # classes holding an argv prefix ["aws", <global options>]
    prefixes: set[int] = set()  # those prefix lists

    def literal(node: ast.expr) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in ("boto3", "botocore", "aiobotocore") for m in modules):
                raise ExtractionError(f"{name}:{node.lineno}: AWS SDK import; the scan reads AWS CLI calls only")
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
        for node in ast.walk(cls):
            if isinstance(node, ast.List | ast.Tuple) and node.elts and literal(node.elts[0]) == "aws":
                if _words_of_static_prefix([literal(e) for e in node.elts], f"{name}:{node.lineno}") is None:
                    wrappers.add(cls.name)
                    prefixes.add(id(node))
    instances: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and isinstance(node.annotation, ast.Name) and node.annotation.id in wrappers:
            instances.add(node.arg)
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id in wrappers):
            instances |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    in_fstring = {id(part) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for part in n.values}
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.List | ast.Tuple) and node.elts and literal(node.elts[0]) == "aws":
            command = _words_of_static_prefix([literal(e) for e in node.elts], where)
            if command:
                found.append(command)
            elif id(node) not in prefixes:
                raise ExtractionError(f"{where}: aws argv prefix outside a wrapper class: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and any(  # a command string built at run time, e.g. f"aws {x}"
                isinstance(a, ast.JoinedStr) and a.values and re.match(r"aws\s", literal(a.values[0]) or "")
                for a in node.args[:1]) and re.search(r"run|call|check_output|Popen|system", ast.unparse(node.func)):
            raise ExtractionError(f"{where}: aws command built from an f-string")
        elif id(node) in in_fstring:
            continue  # text of a message, e.g. f"aws {op} failed"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in instances:
            args = [literal(a) for a in node.args[:2]]
            if len(args) < 2 or None in args:
                raise ExtractionError(f"{where}: call of {node.func.id}() without a literal service and command")
            found.append(CliCommand(args[0], args[1], where))
        elif (s := literal(node)) is not None and re.match(r"aws\s", s):
            service, command, _, _ = split_aws_argv(shlex.split(s))
            found.append(CliCommand(service, command, where))
    return found


def script_kind(content: str) -> str | None:
    first = content.split("\n", 1)[0]
    if re.match(r"#!\s*/(usr/)?bin/(env\s+)?(ba)?sh\b", first):
        return "shell"
    if re.match(r"#!\s*/(usr/)?bin/(env\s+)?python3?\b", first):
        return "python"
    return None


def node_aws_commands(files: dict[str, WrittenFile], runcmd: list) -> list[CliCommand]:
    """Every AWS CLI call in what the user data installs: scripts, unit ExecStart lines, runcmd."""
    found: list[CliCommand] = []
    for path, f in files.items():
        kind = script_kind(f.content)
        if kind == "shell":
            found += shell_aws_commands(f.content, path)
        elif kind == "python":
            found += python_aws_commands(f.content, path)
        elif path.endswith(".service"):
            for n, text in enumerate(f.content.splitlines(), 1):
                if re.match(r"Exec\w*=", text):
                    found += shell_aws_commands(text.split("=", 1)[1].lstrip("-+!@:"), f"{path}:{n}")
        elif "x" in f.mode_letters:
            raise ExtractionError(f"{path}: executable without a shell or python3 shebang")
    for n, entry in enumerate(runcmd):
        text = shlex.join(entry) if isinstance(entry, list) else entry
        found += shell_aws_commands(text, f"runcmd[{n}]")
    return found


# --- CLI command -> IAM action ---------------------------------------------------------------------------

CLI_TO_BOTOCORE = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy"}
IAM_PREFIX = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy", "stepfunctions": "states"}
# API operations whose IAM action has another name (Service Authorization Reference, each service's page).
IAM_ACTION_FOR_OPERATION = {
    "s3:ListObjectsV2": "s3:ListBucket", "s3:ListObjects": "s3:ListBucket", "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject", "s3:ListObjectVersions": "s3:ListBucketVersions",
    "lambda:Invoke": "lambda:InvokeFunction",
}


@cache
def _botocore():
    return botocore.session.get_session()


@cache
def sar_privileges() -> dict[str, dict]:
    """'service:Action' (lower case) -> the Service Authorization Reference entry parliament ships."""
    out = {}
    for service in parliament.iam_definition:
        for privilege in service["privileges"]:
            out[f"{service['prefix']}:{privilege['privilege']}".lower()] = {**privilege, "_service": service}
    return out


def iam_action(service: str, command: str, positionals: list[str] = ()) -> str:
    model = _botocore().get_service_model(CLI_TO_BOTOCORE.get(service, service))
    if command == "wait":
        waiters = _botocore().get_waiter_model(model.service_name)
        by_cli = {xform_name(w, "-"): w for w in waiters.waiter_names}
        operation = waiters.get_waiter(by_cli[positionals[0]]).operation
    else:
        by_cli = {xform_name(op, "-"): op for op in model.operation_names}
        if command not in by_cli:
            raise KeyError(f"aws {service} {command}: not an API operation of {model.service_name} "
                           "(a CLI customization: add it here with the IAM actions it needs)")
        operation = by_cli[command]
    action = f"{IAM_PREFIX.get(service, service)}:{operation}"
    action = IAM_ACTION_FOR_OPERATION.get(action, action)
    if action.lower() not in sar_privileges():
        raise KeyError(f"{action} (from aws {service} {command}) is not an IAM action; map it explicitly")
    return action


def required_resource_types(action: str) -> set[str]:
    types = [t["resource_type"] for t in sar_privileges()[action.lower()]["resource_types"]]
    return {t.rstrip("*").lower() for t in types if t.endswith("*")}


def sar_arn_format(action: str, resource_type: str) -> str:
    service = sar_privileges()[action.lower()]["_service"]
    [fmt] = [r["arn"] for r in service["resources"] if r["resource"].lower() == resource_type]
    return fmt


def arn_fits(sar_format: str, arn: str) -> bool:
    """'arn:${Partition}:ec2:${Region}:${Account}:volume/${VolumeId}' fits a concrete volume ARN."""
    regex = "".join(".+" if part.startswith("${") else re.escape(part)
                    for part in re.split(r"(\$\{[^}]+\})", sar_format))
    return re.fullmatch(regex, arn) is not None


# --- IAM evaluation --------------------------------------------------------------------------------------

def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, text: str, ignore_case: bool) -> bool:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, re.S | (re.I if ignore_case else 0)) is not None


NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
           "NumericNotEquals", "DateNotEquals"}
COMPARE = {
    "StringEquals": lambda p, v: p == v, "StringNotEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _glob(p, v, False), "StringNotLike": lambda p, v: _glob(p, v, False),
    "ArnEquals": lambda p, v: p == v, "ArnNotEquals": lambda p, v: p == v,
    "ArnLike": lambda p, v: _glob(p, v, False), "ArnNotLike": lambda p, v: _glob(p, v, False),
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
}


def condition_holds(operator: str, key: str, policy_values, context: dict) -> bool:
    """One condition entry, IAM semantics (IAM User Guide, "IAM JSON policy elements: Condition operators"
    and "Multivalued context keys"): a missing key fails a positive operator and satisfies a negated one;
    ...IfExists is true when the key is missing; ForAllValues is true for a missing key, ForAnyValue false."""
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    wanted = [str(v) if not isinstance(v, bool) else str(v).lower() for v in as_list(policy_values)]
    present = key in context
    if op == "Null":
        return wanted[0].lower() == ("false" if present else "true")
    if op not in COMPARE:
        raise ValueError(f"condition operator {operator} not implemented in this evaluator")
    values = [str(v) for v in as_list(context.get(key, []))]
    negated = op in NEGATED

    def match(value: str) -> bool:
        hit = any(COMPARE[op](p, value) for p in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(match(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(match(v) for v in values)
    if not present:
        return if_exists or negated
    if len(values) != 1:
        raise ValueError(f"{key} is multivalued: a policy must use ForAllValues/ForAnyValue with it")
    return match(values[0])


@dataclass(frozen=True)
class Request:
    action: str
    resource: str  # ARN, or "*" when the action has no resource-level permission
    context: tuple[tuple[str, object], ...]  # condition keys
    why: str

    @property
    def ctx(self) -> dict:
        return dict(self.context)


def statement_applies(stmt: dict, req: Request, principal: str | None = None, account: str | None = None) -> bool:
    if "Action" in stmt and not any(_glob(a, req.action, True) for a in as_list(stmt["Action"])):
        return False
    if "NotAction" in stmt and any(_glob(a, req.action, True) for a in as_list(stmt["NotAction"])):
        return False
    for key in ("Resource", "NotResource"):
        for pattern in as_list(stmt.get(key, [])):
            if "${" in pattern:
                raise ValueError(f"policy variable in {pattern}: not implemented in this evaluator")
    if "Resource" in stmt and not any(_glob(r, req.resource, False) for r in as_list(stmt["Resource"])):
        return False
    if "NotResource" in stmt and any(_glob(r, req.resource, False) for r in as_list(stmt["NotResource"])):
        return False
    if principal is not None:  # resource-based policy: the node role, directly or through its account
        named = stmt.get("Principal", {})
        named = as_list(named.get("AWS", [])) if isinstance(named, dict) else as_list(named)
        if not any(p in ("*", principal, account, f"arn:aws:iam::{account}:root") for p in named):
            return False
    return all(condition_holds(op, key, values, req.ctx)
               for op, entries in stmt.get("Condition", {}).items() for key, values in entries.items())


@dataclass
class Verdict:
    allowed_by: list[str] = field(default_factory=list)  # Sids of identity Allow statements
    denied_by: list[str] = field(default_factory=list)  # "policy/Sid" of every matching Deny
    boundary_allows: bool = False
    resource_policy_allows: bool | None = None  # None: no resource policy takes part

    @property
    def allowed(self) -> bool:
        return (bool(self.allowed_by) and not self.denied_by and self.boundary_allows
                and self.resource_policy_allows is not False)


def evaluate(req: Request, identity: dict, boundary: dict, resource_policy: dict | None = None,
             principal: str = "", account: str = "") -> Verdict:
    v = Verdict()
    for label, doc in (("identity", identity), ("boundary", boundary)):
        for stmt in doc["Statement"]:
            if statement_applies(stmt, req):
                if stmt["Effect"] == "Deny":
                    v.denied_by.append(f"{label}/{stmt.get('Sid', '?')}")
                elif label == "identity":
                    v.allowed_by.append(stmt.get("Sid", "?"))
                else:
                    v.boundary_allows = True
    if resource_policy is not None:
        v.resource_policy_allows = False
        for stmt in resource_policy["Statement"]:
            if statement_applies(stmt, req, principal, account):
                if stmt["Effect"] == "Deny":
                    v.denied_by.append(f"key-policy/{stmt.get('Sid', '?')}")
                else:
                    v.resource_policy_allows = True
    return v


def granted_actions(policy: dict) -> set[str]:
    out = set()
    for stmt in policy["Statement"]:
        if stmt["Effect"] == "Allow":
            for action in as_list(stmt["Action"]):
                out |= {f"{a['service']}:{a['action']}" for a in parliament.expand_action(action)}
    return out


# --- the dev node, from the recording --------------------------------------------------------------------

@dataclass(frozen=True)
class WrittenFile:
    content: str
    mode: str

    @property
    def mode_letters(self) -> str:
        return "x" if int(self.mode, 8) & 0o111 else ""


@dataclass
class Node:
    name: str
    files: dict[str, WrittenFile]
    runcmd: list
    boot_env: dict[str, str]
    instance_tags: dict[str, str]


@dataclass
class World:
    region: str
    account: str
    role_arn: str
    node_policy: dict
    boundary: dict
    role_attachments: list[str]
    nodes: list[Node]
    volumes: dict[str, dict]  # id -> {"az", "tags", "kms_key"}
    secrets: dict[str, dict]  # arn -> {"tags", "kms_key"}
    keys: dict[str, dict]  # arn -> {"tags", "policy"}
    zones: dict[str, dict]  # zone id -> {"name", "tags"}


def decode_user_data(text: str) -> str:
    raw = base64.b64decode(text)
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()


@cache
def world() -> World:
    r = run_stack(STACK)
    [policy] = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == NODE_ROLE_POLICY]
    [boundary] = [p for p in r.of_type("aws:iam/policy:Policy") if p.name == BOUNDARY_POLICY]
    [role] = [x for x in r.of_type("aws:iam/role:Role") if x.inputs.get("name") == policy.inputs["role"]]
    assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"], "node role is not under the boundary"
    attachments = [a.inputs["policyArn"] for a in r.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                   if a.inputs["role"] == role.inputs["name"]]
    inline = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.inputs["name"]]
    assert len(inline) == 1, "the node role has more than one inline policy: evaluate them all"
    groups = {g.inputs["launchTemplate"]["name"]: g for g in r.of_type("aws:autoscaling/group:Group")}
    nodes = []
    for lt in r.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert lt.inputs["iamInstanceProfile"]["arn"].endswith(f"/{role.inputs['name']}")
        cloud = yaml.safe_load(decode_user_data(lt.inputs["userData"]))
        files = {f["path"]: WrittenFile(f["content"], str(f["permissions"])) for f in cloud["write_files"]}
        [spec] = [t for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "instance"]
        propagated = {t["key"]: t["value"] for t in groups[lt.inputs["name"]].inputs.get("tags", [])
                      if t.get("propagateAtLaunch")}
        boot_env = dict(w.split("=", 1) for w in shlex.split(files["/etc/rustfs/bootstrap.env"].content))
        nodes.append(Node(spec["tags"]["rustfs:node-name"], files, cloud.get("runcmd", []), boot_env,
                          {**spec["tags"], **propagated}))
    account = role.outputs["arn"].split(":")[4]
    return World(
        region=r.settings.region, account=account, role_arn=role.outputs["arn"],
        node_policy=json.loads(policy.inputs["policy"]), boundary=json.loads(boundary.inputs["policy"]),
        role_attachments=attachments, nodes=sorted(nodes, key=lambda n: n.name),
        volumes={v.outputs["id"]: {"az": v.inputs["availabilityZone"], "tags": v.inputs["tags"],
                                   "kms_key": v.inputs.get("kmsKeyId")} for v in r.of_type("aws:ebs/volume:Volume")},
        secrets={s.outputs["arn"]: {"tags": s.inputs.get("tags", {}), "kms_key": s.inputs.get("kmsKeyId")}
                 for s in r.of_type("aws:secretsmanager/secret:Secret")},
        keys={k.outputs["arn"]: {"tags": k.inputs.get("tags", {}), "policy": json.loads(k.inputs["policy"])}
              for k in r.of_type("aws:kms/key:Key")},
        zones={z.outputs["zoneId"]: {"name": z.inputs["name"], "tags": z.inputs.get("tags", {})}
               for z in r.of_type("aws:route53/zone:Zone")},
    )


# --- running the node's scripts against a fake AWS CLI ---------------------------------------------------

class FakeAwsCli:
    """Answers the node's AWS CLI calls from the recorded resources; records every argv."""

    def __init__(self, w: World, node: Node, instance_id: str, holders: dict[str, tuple[str, str]] = ()):
        self.calls: list[list[str]] = []
        self.instances = {instance_id: "running", **{h: state for h, state in dict(holders).values()}}
        self.volumes = {}
        for vid, v in w.volumes.items():
            held = dict(holders).get(vid)
            self.volumes[vid] = {
                "VolumeId": vid, "AvailabilityZone": v["az"], "State": "in-use" if held else "available",
                "Tags": [{"Key": k, "Value": val} for k, val in v["tags"].items()],
                "Attachments": [{"InstanceId": held[0], "State": "attached"}] if held else []}

    def __call__(self, argv: list[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        service, command, opts, _ = split_aws_argv(argv)
        filters = [a for a in argv if a.startswith("Name=")]
        if (service, command) == ("ec2", "describe-volumes"):
            def keep(v):
                tags = {t["Key"]: t["Value"] for t in v["Tags"]}
                for f in filters:
                    name, values = re.fullmatch(r"Name=tag:([^,]+),Values=(.*)", f).groups()
                    if tags.get(name) not in values.split(","):
                        return False
                return True
            return 0, json.dumps({"Volumes": [v for v in self.volumes.values() if keep(v)]})
        if (service, command) == ("ec2", "describe-instances"):
            iid = opts["--instance-ids"]
            return 0, json.dumps({"Reservations": [{"Instances": [
                {"InstanceId": iid, "State": {"Name": self.instances[iid]}}]}]})
        if (service, command) == ("ec2", "attach-volume"):
            v = self.volumes[opts["--volume-id"]]
            v["State"], v["Attachments"] = "in-use", [{"InstanceId": opts["--instance-id"], "State": "attached"}]
            return 0, "{}"
        if (service, command) == ("ec2", "detach-volume"):
            v = self.volumes[opts["--volume-id"]]
            v["State"], v["Attachments"] = "available", []
            return 0, "{}"
        if (service, command) == ("route53", "list-resource-record-sets"):
            return 0, json.dumps({"ResourceRecordSets": []})
        if (service, command) == ("route53", "change-resource-record-sets"):
            return 0, json.dumps({"ChangeInfo": {"Id": "/change/C0FAKE", "Status": "PENDING"}})
        return 255, ""


def load_takeover(node: Node, tmp_path: Path):
    path = tmp_path / "takeover.py"
    path.write_text(node.files["/usr/local/lib/rustfs/takeover.py"].content)
    spec = importlib.util.spec_from_file_location(f"takeover_{node.name.split('.')[0]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_takeover(node: Node, fake: FakeAwsCli, instance_id: str, tmp_path: Path, *extra: str) -> None:
    takeover = load_takeover(node, tmp_path)

    def fake_run(argv, **_):
        rc, out = fake(argv)
        return subprocess.CompletedProcess(argv, rc, out, "" if rc == 0 else "fake aws: unsupported call")

    takeover.subprocess = SimpleNamespace(run=fake_run)  # this module's view only, not the real module
    env = node.boot_env
    rc = takeover.main([
        "--cluster-id", env["BOOT_CLUSTER_ID"], "--node-index", env["BOOT_NODE_INDEX"],
        "--drives", env["BOOT_DRIVES"], "--hosted-zone-id", env["BOOT_HOSTED_ZONE_ID"],
        "--record-name", env["BOOT_NODE_NAME"], "--region", env["BOOT_REGION"],
        "--instance-id", instance_id, "--availability-zone", node_az(node), "--private-ip", "10.0.0.10",
        "--initial-delay", "0", "--max-delay", "0", "--timeout", "5", *extra])
    assert rc == 0, f"takeover failed on the recorded resources of {node.name}"


def node_az(node: Node) -> str:
    w = world()
    azs = {v["az"] for v in w.volumes.values() if v["tags"].get("rustfs:node-name") == node.name}
    [az] = azs
    return az


SECRET_JSON = json.dumps({"accessKey": "AKIAFAKENODEACCESS", "secretKey": "fake-secret-key-0123456789",
                          "certificate": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
                          "privateKey": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----"})


def run_secret_steps(node: Node, tmp_path: Path) -> list[list[str]]:
    """node-bootstrap's steps that call AWS, as rendered, with an `aws` shim that records its argv."""
    script = tmp_path / "node-bootstrap"
    script.write_text(node.files["/usr/local/lib/rustfs/node-bootstrap"].content)
    script.chmod(0o755)
    log = tmp_path / "aws-calls"
    shim = tmp_path / "bin" / "aws"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\n"
                    f"for a in \"$@\"; do printf '%s\\037' \"$a\"; done >> {log}\nprintf '\\036' >> {log}\n"
                    f"cat <<'EOF'\n{SECRET_JSON}\nEOF\n")
    shim.chmod(0o755)
    (tmp_path / "etc").mkdir()
    env = {**os.environ, **node.boot_env, "PATH": f"{shim.parent}:{os.environ['PATH']}",
           "BOOT_CONFIG_DIR": str(tmp_path / "etc"), "BOOT_TLS_DIR": str(tmp_path / "etc" / "tls"),
           "BOOT_SERVICE_USER": OWNER}
    result = subprocess.run([str(script), "write_credentials", "write_tls"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [["aws", *record.split("\037")[:-1]] for record in log.read_text().split("\036") if record]


@cache
def exercised_calls(node_name: str) -> tuple[tuple[str, ...], ...]:
    """Every argv the node's scripts send to the AWS CLI, over the scenarios that reach every call."""
    with tempfile.TemporaryDirectory() as tmp:
        return _exercise(node_name, Path(tmp))


def _exercise(node_name: str, base: Path) -> tuple[tuple[str, ...], ...]:
    [node] = [n for n in world().nodes if n.name == node_name]
    calls: list[list[str]] = []
    me = INSTANCE_ID
    # Fresh start: every volume available.
    (base / "fresh").mkdir(parents=True)
    fresh = FakeAwsCli(world(), node, me)
    run_takeover(node, fresh, me, base / "fresh")
    calls += fresh.calls
    # Replacement: drive 0 still attached to the terminated predecessor (same launch template, same tags).
    (base / "replace").mkdir()
    drive0 = next(vid for vid, v in world().volumes.items()
                  if v["tags"].get("rustfs:node-name") == node.name and v["tags"].get("rustfs:drive") == "0")
    replace = FakeAwsCli(world(), node, me, {drive0: ("i-0dead00000000000d", "terminated")})
    run_takeover(node, replace, me, base / "replace", "--force-detach-dead")
    calls += replace.calls
    (base / "secrets").mkdir()
    calls += run_secret_steps(node, base / "secrets")
    return tuple(tuple(c) for c in calls)


# --- calls -> IAM requests -------------------------------------------------------------------------------

# The resource each CLI parameter names, per call (resource types as in the Service Authorization Reference).
RESOURCE_PARAMETERS = {
    ("ec2", "attach-volume"): {"volume": "--volume-id", "instance": "--instance-id"},
    ("ec2", "detach-volume"): {"volume": "--volume-id", "instance": "--instance-id"},
    ("route53", "list-resource-record-sets"): {"hostedzone": "--hosted-zone-id"},
    ("route53", "change-resource-record-sets"): {"hostedzone": "--hosted-zone-id"},
    ("secretsmanager", "get-secret-value"): {"secret": "--secret-id"},
}


def tag_context(service: str, tags: dict[str, str]) -> dict:
    out = {}
    for k, v in tags.items():
        out[f"aws:ResourceTag/{k}"] = v
        out[f"{service}:ResourceTag/{k}"] = v
    return out


def requests_for(argv: list[str], node: Node, instance_id: str, w: World) -> list[Request]:
    service, command, opts, positionals = split_aws_argv(argv)
    action = iam_action(service, command, positionals)
    region = GLOBAL_SERVICES.get(service) or opts.get("--region")
    assert region, f"{shlex.join(argv)}: no --region (the node has no default region configured)"
    base = {"aws:RequestedRegion": region, "aws:PrincipalArn": w.role_arn, "aws:PrincipalAccount": w.account,
            "aws:SecureTransport": "true"}
    why = shlex.join(argv[:1] + [service, command])
    params = RESOURCE_PARAMETERS.get((service, command), {})
    required = required_resource_types(action)
    assert required <= set(params), f"{action} needs resources {required}; RESOURCE_PARAMETERS names {params}"
    if not params:
        return [Request(action, "*", tuple(base.items()), why)]
    out = []
    for rtype, param in params.items():
        value = opts[param]
        extra: dict = {}
        if rtype == "volume":
            arn, tags = f"arn:aws:ec2:{region}:{w.account}:volume/{value}", w.volumes[value]["tags"]
        elif rtype == "instance":
            # The node itself or a predecessor of the same group: both launched from this launch template.
            assert value.startswith("i-")
            arn, tags = f"arn:aws:ec2:{region}:{w.account}:instance/{value}", node.instance_tags
        elif rtype == "hostedzone":
            arn, tags = f"arn:aws:route53:::hostedzone/{value}", w.zones[value]["tags"]
            if command == "change-resource-record-sets":
                changes = json.loads(opts["--change-batch"])["Changes"]
                extra = {  # Route 53 normalizes names: lower case, no trailing dot (Route 53 Developer Guide)
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames":
                        [c["ResourceRecordSet"]["Name"].lower().rstrip(".") for c in changes],
                    "route53:ChangeResourceRecordSetsRecordTypes": [c["ResourceRecordSet"]["Type"] for c in changes],
                    "route53:ChangeResourceRecordSetsActions": [c["Action"] for c in changes]}
        elif rtype == "secret":
            assert value in w.secrets, f"{value}: not a secret ARN of the stack"
            arn, tags = value, w.secrets[value]["tags"]
            extra = {"secretsmanager:SecretId": value}
        assert arn_fits(sar_arn_format(action, rtype), arn), (action, rtype, arn)
        out.append(Request(action, arn, tuple({**base, **tag_context(service, tags), **extra}.items()), why))
        out += implied_kms_requests(action, rtype, value, region, base, w)
    return out


def implied_kms_requests(action: str, rtype: str, value: str, region: str, base: dict, w: World) -> list[Request]:
    """KMS calls a service makes with the node's credentials for it (kms:ViaService)."""
    if action == "secretsmanager:GetSecretValue" and w.secrets[value]["kms_key"]:
        # Secrets Manager decrypts a secret under a customer managed key as the caller (AWS KMS Developer
        # Guide, "How AWS Secrets Manager uses AWS KMS").
        key = w.secrets[value]["kms_key"]
        return [Request("kms:Decrypt", key, tuple({
            **base, **tag_context("kms", w.keys[key]["tags"]), "kms:CallerAccount": w.account,
            "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}.items()), f"{action} (secret key)")]
    if action == "ec2:AttachVolume" and rtype == "volume" and w.volumes[value]["kms_key"]:
        # EC2 creates a grant for the instance on the caller's behalf when it attaches a volume encrypted
        # with a customer managed key (AWS KMS Developer Guide, "How Amazon EBS uses AWS KMS").
        key = w.volumes[value]["kms_key"]
        return [Request("kms:CreateGrant", key, tuple({
            **base, **tag_context("kms", w.keys[key]["tags"]), "kms:CallerAccount": w.account,
            "kms:ViaService": f"ec2.{region}.amazonaws.com", "kms:GrantIsForAWSResource": "true"}.items()),
            f"{action} (volume key grant)")]
    return []


@cache
def node_requests(node_name: str) -> tuple[Request, ...]:
    [node] = [n for n in world().nodes if n.name == node_name]
    out: dict[tuple, Request] = {}
    for argv in exercised_calls(node_name):
        for req in requests_for(list(argv), node, INSTANCE_ID, world()):
            out[(req.action, req.resource, json.dumps(req.context))] = req
    return tuple(out.values())


def verdict(req: Request, w: World) -> Verdict:
    key_policy = w.keys[req.resource]["policy"] if req.action.startswith("kms:") else None
    return evaluate(req, w.node_policy, w.boundary, key_policy, w.role_arn, w.account)


# --- what the role may grant beyond the node's own calls ------------------------------------------------

# Granted actions no node script calls, each with the AWS-managed agent or service that needs it.
JUSTIFIED_GRANTS = {
    # EBS encryption with a customer managed key: EC2 uses the key with the caller's permissions. The EBS
    # User Guide ("Requirements for Amazon EBS encryption", permissions for users) lists kms:CreateGrant,
    # Decrypt, DescribeKey, GenerateDataKeyWithoutPlaintext and ReEncrypt; all scoped by kms:ViaService=ec2.
    "kms:Decrypt": "EBS attach of a CMK-encrypted volume (via ec2); also the secrets key via secretsmanager",
    "kms:DescribeKey": "EBS encryption with a CMK (via ec2), EBS User Guide permissions for users",
    "kms:GenerateDataKeyWithoutPlaintext": "EBS encryption with a CMK (via ec2), EBS User Guide",
    "kms:ReEncryptFrom": "EBS encryption with a CMK (via ec2), EBS User Guide ('kms:ReEncrypt*')",
    "kms:ReEncryptTo": "EBS encryption with a CMK (via ec2), EBS User Guide ('kms:ReEncrypt*')",
    # Log shipping by the CloudWatch agent / OTel collector (AWS managed CloudWatchAgentServerPolicy grants
    # these three logs actions; the collector comes with the Image Builder AMI, FEATURES.md).
    "logs:CreateLogStream": "CloudWatch agent / OTel collector (awscloudwatchlogs exporter)",
    "logs:DescribeLogStreams": "CloudWatch agent / OTel collector (awscloudwatchlogs exporter)",
    "logs:PutLogEvents": "CloudWatch agent / OTel collector (awscloudwatchlogs exporter)",
    "cloudwatch:PutMetricData": "CloudWatch agent / OTel collector (awsemf exporter), namespace RustFS only",
    # The AWS managed AWSXrayWriteOnlyAccess policy: what the X-Ray daemon / OTel awsxray exporter calls.
    "xray:PutTraceSegments": "X-Ray daemon / OTel awsxray exporter (AWSXrayWriteOnlyAccess)",
    "xray:PutTelemetryRecords": "X-Ray daemon / OTel awsxray exporter (AWSXrayWriteOnlyAccess)",
    "xray:GetSamplingRules": "X-Ray daemon / OTel awsxray sampler (AWSXrayWriteOnlyAccess)",
    "xray:GetSamplingTargets": "X-Ray daemon / OTel awsxray sampler (AWSXrayWriteOnlyAccess)",
    "xray:GetSamplingStatisticSummaries": "X-Ray daemon (AWSXrayWriteOnlyAccess)",
}


# === tests =================================================================================================

# --- the extractor ---

def test_shell_scan_follows_continuations_globals_and_substitutions():
    script = (
        "#!/bin/bash\n"
        "# aws s3 ls in a comment is no call\n"
        "value=\"$(aws --region \"$R\" --output text \\\n   secretsmanager get-secret-value --secret-id x)\"\n"
        "AWS_PAGER= aws ec2 describe-volumes --filters Name=tag:a,Values=b | jq .\n"
        "if aws sts get-caller-identity >/dev/null; then :; fi\n"
        "while read -r v; do echo \"$v\"; done < <(aws --endpoint-url=http://x route53 list-hosted-zones)\n"
        "python3 -c 'import subprocess; subprocess.run([\"aws\", \"s3api\", \"list-buckets\"])'\n"
        "echo 'no cli here: amazonaws.com'\n"
    )
    found = [(c.service, c.command, c.where) for c in shell_aws_commands(script, "s")]
    assert found == [("secretsmanager", "get-secret-value", "s:3"), ("ec2", "describe-volumes", "s:5"),
                     ("sts", "get-caller-identity", "s:6"), ("route53", "list-hosted-zones", "s:7"),
                     ("s3api", "list-buckets", "s:8 (python3 -c):1")]


def test_shell_scan_refuses_an_aws_word_it_cannot_place():
    with pytest.raises(ExtractionError, match="does not follow"):
        shell_aws_commands('CLI=aws\n$CLI ec2 describe-volumes\n', "s")


def test_python_scan_follows_a_wrapper_class_and_refuses_dynamic_commands():
    source = (
        "import subprocess\n"
        "class Cli:\n"
        "    def __init__(self, region):\n"
        "        self.base = ['aws', '--region', region, '--output', 'json']\n"
        "    def __call__(self, *args):\n"
        "        return subprocess.run([*self.base, *args])\n"
        "def f(cli: Cli):\n"
        "    cli('ec2', 'attach-volume', '--volume-id', 'v')\n"
        "other = Cli('r')\n"
        "other('route53', 'get-change', '--id', 'c')\n"
        "subprocess.run(['aws', 'sts', 'get-caller-identity'])\n"
        "subprocess.run('aws s3 ls', shell=True)\n"
    )
    found = [(c.service, c.command) for c in python_aws_commands(source, "p")]
    assert sorted(found) == sorted([("ec2", "attach-volume"), ("route53", "get-change"),
                                    ("sts", "get-caller-identity"), ("s3", "ls")])
    with pytest.raises(ExtractionError, match="literal"):
        python_aws_commands(source + "def g(cli: Cli, op):\n    cli('ec2', op)\n", "p")
    with pytest.raises(ExtractionError, match="SDK"):
        python_aws_commands("import boto3\n", "p")
    with pytest.raises(ExtractionError, match="f-string"):
        python_aws_commands("import os\nos.system(f'aws ec2 {op}')\n", "p")
    with pytest.raises(ExtractionError, match="outside a wrapper"):
        python_aws_commands("base = ['aws', '--region', r]\n", "p")
    assert python_aws_commands("raise RuntimeError(f'aws {op} failed')\n", "p") == []


@pytest.mark.parametrize("cli, action", [
    ("ec2 describe-volumes", "ec2:DescribeVolumes"),
    ("secretsmanager get-secret-value", "secretsmanager:GetSecretValue"),
    ("route53 change-resource-record-sets", "route53:ChangeResourceRecordSets"),
    ("route53 wait resource-record-sets-changed", "route53:GetChange"),  # a waiter polls its operation
    ("ec2 wait volume-in-use", "ec2:DescribeVolumes"),
    ("s3api list-objects-v2", "s3:ListBucket"),  # IAM action named differently from the API operation
    ("s3api head-object", "s3:GetObject"),
    ("configservice describe-config-rules", "config:DescribeConfigRules"),
    ("logs put-log-events", "logs:PutLogEvents"),
])
def test_cli_commands_map_to_iam_actions(cli, action):
    service, command, *rest = cli.split()
    assert iam_action(service, command, rest) == action


def test_cli_customizations_without_an_api_operation_are_refused():
    with pytest.raises(KeyError, match="customization"):
        iam_action("s3", "sync")


# --- the evaluator (it must be able to say no) ---

def req(action: str, resource: str = "*", **ctx) -> Request:
    return Request(action, resource, tuple(ctx.items()), "test")


def test_evaluator_condition_semantics():
    ctx = {"aws:ResourceTag/t": "a", "k:names": ["x.dom", "y.dom"]}
    assert condition_holds("StringEquals", "aws:ResourceTag/t", "a", ctx)
    assert not condition_holds("StringEquals", "aws:ResourceTag/missing", "a", ctx)
    assert condition_holds("StringNotEquals", "aws:ResourceTag/missing", "a", ctx)  # absent key: negated holds
    assert condition_holds("StringEqualsIfExists", "aws:ResourceTag/missing", "a", ctx)
    assert condition_holds("ForAllValues:StringLike", "k:names", "*.dom", ctx)
    assert not condition_holds("ForAllValues:StringLike", "k:names", "x.*", ctx)
    assert condition_holds("ForAllValues:StringLike", "k:missing", "x.*", ctx)  # vacuous truth
    assert not condition_holds("ForAnyValue:StringLike", "k:missing", "x.*", ctx)
    assert condition_holds("Null", "k:missing", "true", ctx)
    with pytest.raises(ValueError, match="multivalued"):
        condition_holds("StringLike", "k:names", "*", ctx)
    with pytest.raises(ValueError, match="not implemented"):
        condition_holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", ctx)


def test_evaluator_deny_wins_and_the_boundary_caps():
    allow = {"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}
    everything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    deny = {"Statement": [*everything["Statement"], {"Sid": "D", "Effect": "Deny", "Action": "ec2:*",
                                                     "NotResource": "arn:aws:ec2:*:*:volume/vol-1"}]}
    assert evaluate(req("ec2:DescribeVolumes"), allow, everything).allowed
    assert not evaluate(req("ec2:DescribeVolumes"), allow, deny).allowed
    assert not evaluate(req("ec2:AttachVolume"), allow, everything).allowed
    assert not evaluate(req("ec2:DescribeVolumes"), allow, {"Statement": []}).allowed


def test_the_real_policies_refuse_what_the_node_must_not_do():
    """The same evaluation that allows the node's calls refuses near misses (other stack, zone, domain)."""
    w = world()
    node = w.nodes[0]
    [vol] = [v for v, d in w.volumes.items() if d["tags"]["rustfs:node-name"] == node.name
             and d["tags"]["rustfs:drive"] == "0"]
    volume = f"arn:aws:ec2:{w.region}:{w.account}:volume/{vol}"
    base = {"aws:RequestedRegion": w.region}
    other_stack = {**tag_context("ec2", w.volumes[vol]["tags"]), "aws:ResourceTag/rustfs:stack": "prod",
                   "ec2:ResourceTag/rustfs:stack": "prod"}
    other_cluster = {**tag_context("ec2", w.volumes[vol]["tags"]), "aws:ResourceTag/rustfs:cluster": "x"}
    zone_id = node.boot_env["BOOT_HOSTED_ZONE_ID"]
    upsert = {"route53:ChangeResourceRecordSetsRecordTypes": ["A"],
              "route53:ChangeResourceRecordSetsActions": ["UPSERT"]}
    secret = next(iter(w.secrets))
    refused = [
        req("ec2:AttachVolume", volume, **base, **other_stack),
        req("ec2:AttachVolume", volume, **base, **other_cluster),
        req("ec2:DeleteVolume", volume, **base, **tag_context("ec2", w.volumes[vol]["tags"])),
        req("ec2:DescribeVolumes", **{"aws:RequestedRegion": "eu-west-1"}),
        req("route53:ChangeResourceRecordSets", f"arn:aws:route53:::hostedzone/{zone_id}", **upsert,
            **{"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["evil.example.com"]}),
        req("route53:ChangeResourceRecordSets", f"arn:aws:route53:::hostedzone/{zone_id}",
            **{**upsert, "route53:ChangeResourceRecordSetsActions": ["DELETE"],
               "route53:ChangeResourceRecordSetsNormalizedRecordNames": [node.name]}),
        req("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHERZONE", **upsert,
            **{"route53:ChangeResourceRecordSetsNormalizedRecordNames": [node.name]}),
        req("secretsmanager:GetSecretValue", secret, **base, **tag_context(
            "secretsmanager", {**w.secrets[secret]["tags"], "rustfs:stack": "prod"})),
        req("secretsmanager:GetSecretValue", secret.replace("rustfs/", "other/"), **base),
    ]
    for r in refused:
        assert not evaluate(r, w.node_policy, w.boundary).allowed, r


# --- the dev node's real calls ---

def test_node_role_has_only_its_inline_policy_and_the_ssm_core_policy():
    # Verdicts below come from the inline policy alone; the only managed policy is SSM's, which grants
    # ssm/ssmmessages/ec2messages actions (Systems Manager agent) and none of the calls tested here.
    assert [a.rsplit("/", 1)[1] for a in world().role_attachments] == [SSM_CORE]


def test_every_executable_the_user_data_installs_is_scanned():
    for node in world().nodes:
        executables = {p for p, f in node.files.items() if f.mode_letters}
        assert executables, node.name
        for path in executables:
            assert script_kind(node.files[path].content), f"{path}: no shell or python3 shebang"


def test_static_calls_are_exactly_the_exercised_calls():
    """The scenarios reach every call the scripts contain, and the scan misses none the scripts make."""
    for node in world().nodes:
        static = {(c.service, c.command) for c in node_aws_commands(node.files, node.runcmd)}
        exercised = {split_aws_argv(list(a))[:2] for a in exercised_calls(node.name)}
        assert static == exercised, node.name
        assert static == {("ec2", "describe-volumes"), ("ec2", "describe-instances"), ("ec2", "attach-volume"),
                          ("ec2", "detach-volume"), ("route53", "list-resource-record-sets"),
                          ("route53", "change-resource-record-sets"), ("secretsmanager", "get-secret-value")}


def test_each_node_reads_exactly_its_own_secrets_and_attaches_exactly_its_own_volumes():
    for node in world().nodes:
        calls = [split_aws_argv(list(a)) for a in exercised_calls(node.name)]
        read = {o["--secret-id"] for s, c, o, _ in calls if c == "get-secret-value"}
        assert read == {node.boot_env["BOOT_CREDENTIALS_SECRET_ARN"], node.boot_env["BOOT_TLS_SECRET_ARN"]}
        attached = {o["--volume-id"] for s, c, o, _ in calls if c == "attach-volume"}
        assert attached == {v for v, d in world().volumes.items() if d["tags"]["rustfs:node-name"] == node.name}


def test_every_call_of_every_node_is_allowed_and_not_denied_by_the_boundary():
    w = world()
    problems = []
    for node in w.nodes:
        for r in node_requests(node.name):
            v = verdict(r, w)
            if not v.allowed:
                problems.append(f"{node.name}: {r.action} on {r.resource} ({r.why}): allowed by {v.allowed_by}, "
                                f"denied by {v.denied_by}, boundary allows {v.boundary_allows}, "
                                f"key policy allows {v.resource_policy_allows}")
    assert not problems, "\n".join(problems)


def test_regional_calls_name_the_stack_region():
    for node in world().nodes:
        for argv in exercised_calls(node.name):
            service, _, opts, _ = split_aws_argv(list(argv))
            if service not in GLOBAL_SERVICES:
                assert opts.get("--region") == world().region, shlex.join(argv)


def test_the_role_grants_only_what_the_node_calls_or_a_listed_agent_needs():
    w = world()
    used = {r.action for node in w.nodes for r in node_requests(node.name)}
    granted = granted_actions(w.node_policy)
    unjustified = granted - used - set(JUSTIFIED_GRANTS)
    assert not unjustified, f"granted, never called by a node script, not justified: {sorted(unjustified)}"
    assert set(JUSTIFIED_GRANTS) <= granted, f"stale justifications: {sorted(set(JUSTIFIED_GRANTS) - granted)}"
    # kms:Decrypt serves both: the node's secret reads (used) and EBS (justified).
    assert not (set(JUSTIFIED_GRANTS) - {"kms:Decrypt"}) & used, "a justified grant is used by a script"
