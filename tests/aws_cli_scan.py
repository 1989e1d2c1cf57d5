"""Static scan for the AWS CLI calls (`aws <service> <command>`) a node's scripts make.

Shell scripts go through shell_lexer; Python through the AST (argv lists, argv prefixes built by a
wrapper class, command strings). A construct the scan cannot follow raises ExtractionError, so an
unsupported construct cannot hide a call.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass

from shell_lexer import command_words, shell_commands


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


# A word "aws" anywhere but in command position fails the scan, so an unsupported construct cannot hide a
# call.
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


@dataclass(frozen=True)
class WrittenFile:  # an entry of cloud-init write_files
    content: str
    mode: str

    @property
    def mode_letters(self) -> str:
        return "x" if int(self.mode, 8) & 0o111 else ""


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
