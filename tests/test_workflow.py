"""The delivery workflow users copy (.github/workflows/rustfs-aws.yml).

Checked four ways: the workflow schema (SchemaStore's, vendored by check-jsonschema: works offline), shellcheck on
every `run:` script, every action input against the action's real action.yml, and behaviour: each job's `if:` is
evaluated for a fork pull request, a same-repository pull request and a push to main, and the preflight, region and
comment scripts are run here (preflight for real, in a copy of the repository; `gh` faked).
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from preflight.runner import run_stack

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "rustfs-aws.yml"
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))
# The stacks CI previews against AWS, deploys and renews; the EKS-mode example (Pulumi.eks.yaml) and the DR secondary
# (Pulumi.dr.yaml, deployed after prod by hand: docs/dr.md) are preflighted only.
DEPLOYED = [s for s in STACKS if s not in ("eks", "dr")]
SAME_REPO_JOBS_ONLY = "github.event.pull_request.head.repo.full_name == github.repository"

# Inputs of each action at the tag we use, read from its action.yml at that tag's commit (fetched 2026-11-27).
KNOWN_ACTIONS: dict[str, tuple[str, set[str], set[str]]] = {  # uses -> (commit, inputs, required inputs)
    "actions/checkout@v6": ("d23441a48e516b6c34aea4fa41551a30e30af803", {
        "allow-unsafe-pr-checkout", "clean", "fetch-depth", "fetch-tags", "filter", "github-server-url", "lfs",
        "path", "persist-credentials", "ref", "repository", "set-safe-directory", "show-progress",
        "sparse-checkout", "sparse-checkout-cone-mode", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
        "submodules", "token"}, set()),
    "actions/setup-python@v6": ("ece7cb06caefa5fff74198d8649806c4678c61a1", {
        "allow-prereleases", "architecture", "cache", "cache-dependency-path", "check-latest", "freethreaded",
        "pip-install", "pip-version", "python-version", "python-version-file", "token", "update-environment"},
        set()),
    "actions/upload-artifact@v6": ("b7c566a772e6b6bfb58ed0dc250532a479d7789f", {
        "compression-level", "if-no-files-found", "include-hidden-files", "name", "overwrite", "path",
        "retention-days"}, {"path"}),
    "actions/download-artifact@v7": ("37930b1c2abaa49bbe596cd826c3c89aef350131", {
        "artifact-ids", "github-token", "merge-multiple", "name", "path", "pattern", "repository", "run-id"},
        set()),
    "aws-actions/configure-aws-credentials@v4": ("7474bc4690e29a8392af63c5b98e7449536d5c3a", {
        "audience", "aws-access-key-id", "aws-region", "aws-secret-access-key", "aws-session-token",
        "disable-retry", "http-proxy", "inline-session-policy", "managed-session-policies", "mask-aws-account-id",
        "output-credentials", "output-env-credentials", "retry-max-attempts", "role-chaining",
        "role-duration-seconds", "role-external-id", "role-session-name", "role-skip-session-tagging",
        "role-to-assume", "special-characters-workaround", "unset-current-credentials", "use-existing-credentials",
        "web-identity-token-file"}, {"aws-region"}),
    "pulumi/actions@v6": ("8582a9e8cc630786854029b4e09281acd6794b58", {
        "always-include-summary", "cloud-url", "color", "command", "comment-on-pr", "comment-on-pr-number",
        "comment-on-summary", "config-map", "continue-on-error", "debug", "diff", "edit-pr-comment", "exclude",
        "exclude-dependents", "exclude-protected", "expect-no-changes", "github-token", "log-flow",
        "log-verbosity", "message", "parallel", "plan", "policyPackConfigs", "policyPacks", "pulumi-version",
        "pulumi-version-file", "refresh", "remove", "replace", "secrets-provider", "stack-name",
        "suppress-outputs", "suppress-progress", "target", "target-dependents", "upsert", "work-dir"}, set()),
}


# --- GitHub Actions expressions: the subset this workflow uses, with GitHub's semantics -------------------------

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>&&|\|\||==|!=|[!()\[\].,])"
                    r"|(?P<name>[A-Za-z_][\w-]*))")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m and m.end() > pos, f"cannot read expression at {text[pos:]!r}"
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _truthy(value) -> bool:
    return value not in (None, False, 0, "")


def _equal(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # GitHub compares strings ignoring case
    return a == b


class _Expression:
    def __init__(self, text: str, context: dict):
        self.toks, self.i, self.ctx = _tokens(text), 0, context

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        assert expected is None or tok[1] == expected, f"expected {expected!r}, got {tok[1]!r}"
        self.i += 1
        return tok

    def value(self):
        result = self.either()
        assert self.i == len(self.toks), f"unread tokens: {self.toks[self.i:]}"
        return result

    def either(self):
        left = self.both()
        while self.peek() == "||":
            self.take()
            right = self.both()
            left = left if _truthy(left) else right
        return left

    def both(self):
        left = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            left = right if _truthy(left) else left
        return left

    def compare(self):
        left = self.unary()
        if self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.unary()
            return _equal(left, right) == (op == "==")
        return left

    def unary(self):
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if text == "(":
            inner = self.either()
            self.take(")")
            return inner
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == "(":
            return self.call(text)
        value = self.ctx.get(text)
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.either()
                self.take("]")
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def call(self, name: str):
        self.take("(")
        args = []
        while self.peek() != ")":
            args.append(self.either())
            if self.peek() == ",":
                self.take()
        self.take(")")
        if name in ("success", "failure", "always", "cancelled"):
            return self.ctx["job_status"][name]
        if name == "format":
            return re.sub(r"\{(\d+)\}", lambda m: _text(args[1 + int(m.group(1))]), args[0])
        if name == "fromJSON":
            return json.loads(args[0])
        if name == "startsWith":  # case-insensitive, as GitHub compares strings
            return str(args[0]).lower().startswith(str(args[1]).lower())
        raise AssertionError(f"function {name}() is not modelled by this test")


def evaluate(text: str, context: dict):
    text = text.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return _Expression(text, context).value()


def _text(value) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def render(text: str, context: dict) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: _text(evaluate(m.group(1), context)), text)


# --- the workflow ------------------------------------------------------------------------------------------------

def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def triggers(wf: dict) -> dict:
    return wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as True


def job_matrix_stacks(job: dict) -> list[str]:
    return job.get("strategy", {}).get("matrix", {}).get("stack", [])


def uses_steps(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def run_steps(job: dict) -> list[dict]:
    return [s for s in job["steps"] if "run" in s]


def github_context(event: str, head_repo: str | None = None, ref: str = "refs/heads/main") -> dict:
    repo = "acme/rustfs-aws"
    ctx = {"repository": repo, "event_name": event, "sha": "0" * 40, "run_id": "42", "token": "ghs_fake",
           "server_url": "https://github.com", "event": {}}
    if event == "pull_request":
        ctx["ref"] = "refs/pull/7/merge"
        ctx["event"] = {"pull_request": {"number": 7, "head": {"sha": "f" * 40, "repo": {"full_name": head_repo}}}}
    else:
        ctx["ref"] = ref  # schedules always run on the default branch
    ctx["ref_name"] = ctx["ref"].rsplit("/", 1)[-1] if ctx["ref"].startswith("refs/tags/") else \
        ctx["ref"].removeprefix("refs/heads/")
    return ctx


def jobs_that_run(wf: dict, github: dict) -> set[str]:
    """Jobs GitHub starts for this event when every job that runs succeeds (`needs` and implicit success())."""
    ran: dict[str, bool] = {}
    pending = dict(wf["jobs"])
    while pending:
        for name, job in list(pending.items()):
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if any(n not in ran for n in needs):
                continue
            condition = str(job.get("if", "success()"))
            needs_ok = all(ran[n] for n in needs)
            status = {"success": needs_ok, "failure": False, "always": True, "cancelled": False}
            ok = _truthy(evaluate(condition, {"github": github, "job_status": status, "vars": {}}))
            if not re.search(r"\b(success|failure|always|cancelled)\s*\(", condition):
                ok = ok and needs_ok
            ran[name] = ok
            del pending[name]
    return {name for name, ok in ran.items() if ok}


def sees_secrets(job: dict) -> bool:
    text = yaml.safe_dump(job)
    return ("secrets." in text or "AWS_ROLE_ARN" in text
            or job.get("permissions", {}).get("id-token") == "write")


def test_triggers_are_pull_requests_pushes_to_main_and_the_weekly_renewal_never_pull_request_target():
    on = triggers(load())
    assert set(on) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]
    assert on["push"]["tags"] == ["policy-v*"]  # a release of the policy pack
    assert on["pull_request"]["branches"] == ["main"]
    [schedule] = on["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    # Weekly: a certificate enters its 60-day renewal window at most 7 days before the check sees it.
    assert (day, month) == ("*", "*") and weekday.isdigit() and minute.isdigit() and hour.isdigit()


@pytest.mark.parametrize(("event", "head_repo", "expected"), [
    ("pull_request", "mallory/rustfs-aws", {"preflight"}),
    ("pull_request", "acme/rustfs-aws", {"preflight", "preflight-comment", "preview"}),
    ("push", None, {"preflight", "up"}),
    ("schedule", None, {"preflight", "certificates-due", "renew-certificates"}),
    ("push-tag", None, {"preflight", "policy-pack-test", "policy-publish", "policy-enable"}),
    ("workflow_dispatch", None, {"preflight", "certificates-due", "renew-certificates"}),
], ids=["fork-pull-request", "same-repo-pull-request", "push-to-main", "weekly-schedule", "policy-pack-tag",
        "manual-run-on-main"])
def test_which_jobs_run_for_each_event(event, head_repo, expected):
    github = github_context("push", ref="refs/tags/policy-v0.1.0") if event == "push-tag" else \
        github_context(event, head_repo)
    assert jobs_that_run(load(), github) == expected


def test_another_tag_releases_nothing():
    assert jobs_that_run(load(), github_context("push", ref="refs/tags/v1.2.0")) == {"preflight"}


def test_a_manual_run_from_another_branch_renews_nothing():
    github = github_context("workflow_dispatch", ref="refs/heads/feature")
    assert jobs_that_run(load(), github) == {"preflight"}


def test_forks_never_reach_a_job_with_secrets_the_aws_role_or_a_write_token():
    wf = load()
    secret_jobs = {name for name, job in wf["jobs"].items() if sees_secrets(job)}
    assert secret_jobs == {"preview", "up", "certificates-due", "renew-certificates", "policy-publish",
                           "policy-enable"}
    fork_jobs = jobs_that_run(wf, github_context("pull_request", "mallory/rustfs-aws"))
    for name in fork_jobs:
        assert not sees_secrets(wf["jobs"][name]), name
        assert set(wf["jobs"][name]["permissions"].values()) <= {"read", "none"}, name
    assert SAME_REPO_JOBS_ONLY in wf["jobs"]["preview"]["if"]
    assert SAME_REPO_JOBS_ONLY in " ".join(wf["jobs"]["preflight-comment"]["if"].split())


def test_every_job_has_a_timeout_and_least_privilege_permissions():
    wf = load()
    assert wf["permissions"] == {}
    for name, job in wf["jobs"].items():
        assert 0 < job["timeout-minutes"] <= (180 if name == "up" else 60), name
        perms = job["permissions"]
        assert isinstance(perms, dict) and perms.get("contents", "read") == "read", name
        writes = {scope for scope, level in perms.items() if level == "write"}
        needed = set()
        if uses_steps(job, "aws-actions/configure-aws-credentials"):
            needed.add("id-token")  # OIDC token for the AWS role
        if any(s.get("with", {}).get("comment-on-pr") for s in uses_steps(job, "pulumi/actions")) or any(
                "gh api" in s["run"] and "/comments" in s["run"] for s in run_steps(job)):
            needed.add("pull-requests")
        assert writes == needed, name


def test_aws_credentials_outlast_the_job_and_fit_the_roles_maximum_session():
    """configure-aws-credentials asks for 1 hour unless told (its action.yml); AssumeRoleWithWebIdentity refuses a
    duration over the role's MaxSessionDuration, which bootstrap/ sets."""
    bootstrap_main = (ROOT / "bootstrap" / "__main__.py").read_text()
    role_maximum = int(re.search(r"^DEFAULT_SESSION_SECONDS = ([0-9_]+)$", bootstrap_main, re.M).group(1))
    for name, job in load()["jobs"].items():
        for step in uses_steps(job, "aws-actions/configure-aws-credentials"):
            seconds = int(step["with"].get("role-duration-seconds", 3600))
            assert job["timeout-minutes"] * 60 <= seconds <= role_maximum, name


def test_up_runs_per_stack_one_at_a_time_in_its_environment():
    wf = load()
    up = wf["jobs"]["up"]
    assert job_matrix_stacks(up) == DEPLOYED == ["dev", "prod"]  # dev first
    assert up["strategy"]["max-parallel"] == 1 and up["strategy"]["fail-fast"] is True
    assert up["needs"] == "preflight"
    assert up["environment"] == "${{ matrix.stack }}"
    assert "${{ matrix.stack }}" in up["concurrency"]["group"]
    assert up["concurrency"]["cancel-in-progress"] is False  # never interrupt a running update
    groups = {render(up["concurrency"]["group"], {"matrix": {"stack": s}}) for s in DEPLOYED}
    assert len(groups) == len(DEPLOYED)
    [pulumi] = uses_steps(up, "pulumi/actions")
    assert pulumi["with"]["command"] == "up"
    commands = {s["with"].get("command") for j in wf["jobs"].values() for s in uses_steps(j, "pulumi/actions")}
    assert commands == {"preview", "up", None}  # None: the CLI only (pulumi/actions src/main.ts, installOnly)
    assert [n for n, j in wf["jobs"].items() if "environment" in j] == ["up", "renew-certificates", "policy-enable"]


def test_preview_and_up_run_the_policy_pack_with_each_stack_config():
    wf = load()
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    for name in ("preview", "up"):
        job = wf["jobs"][name]
        assert job_matrix_stacks(job) == DEPLOYED
        [pulumi] = uses_steps(job, "pulumi/actions")
        args = pulumi["with"]
        assert args["policyPacks"] == "policies" and (ROOT / "policies" / "PulumiPolicy.yaml").is_file()
        assert str(args["pulumi-version"]) == pinned  # CLI and Python SDK are released together
        assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
        for stack in DEPLOYED:
            ctx = {"matrix": {"stack": stack}, "vars": {}}
            assert (ROOT / render(args["policyPackConfigs"], ctx)).is_file()
            assert render(args["stack-name"], ctx) == stack
            assert render(args["stack-name"], {**ctx, "vars": {"PULUMI_ORG": "acme"}}) == f"acme/{stack}"
        [aws] = uses_steps(job, "aws-actions/configure-aws-credentials")
        # Pull requests get the read-only preview role; an update the stack's deploy role, set in its environment
        # (bootstrap/: each role trusts only its own OIDC subject).
        role = "AWS_PREVIEW_ROLE_ARN" if name == "preview" else "AWS_ROLE_ARN"
        assert aws["with"]["role-to-assume"] == f"${{{{ vars.{role} }}}}"
        assert ("environment" in job) is (name == "up")
    assert uses_steps(wf["jobs"]["preview"], "pulumi/actions")[0]["with"]["comment-on-pr"] is True


def test_every_action_is_a_known_major_tag_and_gets_only_its_real_inputs():
    wf = load()
    header = WORKFLOW.read_text()
    for name, job in wf["jobs"].items():
        for step in job["steps"]:
            if "uses" not in step:
                continue
            assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]
            assert step["uses"] in KNOWN_ACTIONS, f"{name}: record the inputs of {step['uses']} in this test"
            commit, inputs, required = KNOWN_ACTIONS[step["uses"]]
            given = set(step.get("with", {}))
            assert given <= inputs, f"{name}: {step['uses']} has no input {sorted(given - inputs)}"
            assert required <= given, f"{name}: {step['uses']} needs {sorted(required - given)}"
            assert re.search(rf"{re.escape(step['uses'])}\s+{commit}", header), f"SHA of {step['uses']} in header"


def test_run_scripts_take_no_expressions():
    # `${{ }}` inside a script is pasted into the shell before it runs (script injection); values go through env.
    for name, job in load()["jobs"].items():
        for step in run_steps(job):
            assert "${{" not in step["run"], f"{name}: {step.get('name')}"


def test_run_scripts_pass_shellcheck(tmp_path):
    shellcheck = Path(sys.executable).with_name("shellcheck")
    shellcheck = str(shellcheck) if shellcheck.exists() else shutil.which("shellcheck")
    assert shellcheck, "shellcheck missing: pip install -r requirements-dev.txt"
    findings = []
    for name, job in load()["jobs"].items():
        for i, step in enumerate(run_steps(job)):
            script = tmp_path / f"{name}-{i}.sh"
            script.write_text("#!/bin/bash\nset -eo pipefail\n" + step["run"])
            result = subprocess.run([shellcheck, "--severity=style", str(script)], capture_output=True, text=True)
            if result.returncode:
                findings.append(result.stdout)
    assert not findings, "\n".join(findings)


def _schema_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_workflow_matches_the_github_workflow_schema(tmp_path):
    result = _schema_check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"  # the check is not vacuous: a misspelt job key fails it
    broken.write_text(WORKFLOW.read_text().replace("    timeout-minutes: 60\n", "    timeout-minute: 60\n", 1))
    assert broken.read_text() != WORKFLOW.read_text()
    assert _schema_check(broken).returncode != 0


# --- the scripts, run here -----------------------------------------------------------------------------------

def run_job_steps(job: dict, context: dict, cwd: Path, extra_env: dict | None = None) -> list[int]:
    """Runs a job's `run:` steps as GitHub does (bash -eo pipefail, job and step env, `if:` with status)."""
    failed, codes = False, []
    summary = cwd / "step-summary.md"
    for step in run_steps(job):
        status = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
        condition = str(step.get("if", "success()"))
        if not _truthy(evaluate(condition, {**context, "job_status": status})):
            continue
        env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(cwd / "github-output"),
                   **(extra_env or {}))
        for key, value in {**job.get("env", {}), **step.get("env", {})}.items():
            env[key] = render(str(value), context)
        script = cwd / ".step.sh"
        script.write_text(step["run"])
        code = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                              timeout=300).returncode
        codes.append(code)
        failed = failed or code != 0
    return codes


def repository_copy(dest: Path) -> Path:
    """The tracked files of the working tree (what actions/checkout gives) plus a link to the project venv."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src, dst = ROOT / rel, dest / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dst)  # keeps mtimes, so make sees venv/.runtime up to date
    (dest / "venv").symlink_to(ROOT / "venv")
    return dest


def pr_context(stack: str) -> dict:
    return {"github": github_context("pull_request", "acme/rustfs-aws"), "matrix": {"stack": stack}, "vars": {}}


def test_preflight_job_runs_the_readme_commands_and_uploads_its_reports(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "make preflight" in readme and "STACK=prod make preflight" in readme
    assert "[--json PATH] [--markdown PATH]" in readme
    job = load()["jobs"]["preflight"]
    assert job_matrix_stacks(job) == STACKS
    assert job["env"]["STACK"] == "${{ matrix.stack }}"  # `STACK=<stack> make preflight`, as in the README
    commands = [line for s in run_steps(job) for line in s["run"].splitlines() if "preflight" in line.split("#")[0]]
    assert any(re.match(r'\s*make preflight PREFLIGHT_ARGS="--json \S+ --markdown \S+"', c) for c in commands)

    repo = repository_copy(tmp_path / "repo")
    assert run_job_steps(job, pr_context("dev"), repo) == [0, 0]  # preflight, summary; the fallback skipped
    report = json.loads((repo / "out" / "preflight-dev.json").read_text())
    assert report and "mandatory" in (repo / "out" / "preflight-dev.log").read_text()
    markdown = (repo / "out" / "preflight-dev.md").read_text()
    assert markdown and markdown in (repo / "step-summary.md").read_text()
    [upload] = uses_steps(job, "actions/upload-artifact")
    uploaded = glob.glob(render(upload["with"]["path"], pr_context("dev")), root_dir=repo)
    assert sorted(uploaded) == [f"out/preflight-dev.{ext}" for ext in ("json", "log", "md")]


def test_a_preflight_that_fails_before_its_report_still_leaves_one(tmp_path):
    job = load()["jobs"]["preflight"]
    repo = repository_copy(tmp_path / "repo")
    stack_file = repo / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("    nodes: 4\n", "    nodes: 0\n", 1))
    codes = run_job_steps(job, pr_context("dev"), repo)
    assert codes[0] == 2 and codes[1:] == [0, 0]  # exit 2 (invalid config) kept by pipefail; fallback, summary
    markdown = (repo / "out" / "preflight-dev.md").read_text()
    assert "failed before writing its report" in markdown and "cluster.nodes" in markdown


def test_readme_names_every_secret_and_variable_the_workflow_reads():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Continuous delivery", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"\b(?:secrets|vars)\.(\w+)", WORKFLOW.read_text()))
    assert names == {"PULUMI_ACCESS_TOKEN", "AWS_ROLE_ARN", "AWS_PREVIEW_ROLE_ARN", "PULUMI_ORG"}
    for name in names:
        assert f"`{name}`" in section, name


@pytest.mark.parametrize("job_name", ["preview", "up", "renew-certificates"])
def test_region_step_reads_each_stack_file_and_install_step_is_the_readme_one(job_name, tmp_path):
    job = load()["jobs"][job_name]
    readme = (ROOT / "README.md").read_text()
    [install] = [s for s in run_steps(job) if "pip install" in s["run"]]
    for line in install["run"].strip().splitlines():
        assert line.strip() in readme, line
    [region_step] = [s for s in run_steps(job) if s.get("id") == "stack"]
    for stack in STACKS:
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", tmp_path)
        (tmp_path / "github-output").write_text("")
        only_region = {**job, "steps": [region_step]}
        assert run_job_steps(only_region, pr_context(stack), tmp_path) == [0]
        expected = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["aws:region"]
        assert (tmp_path / "github-output").read_text() == f"region={expected}\n"


FAKE_GH = """#!/usr/bin/env python3
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if "--method" not in args:
    jq = args[args.index("--jq") + 1]
    sys.stdout.write(subprocess.run(["jq", "-r", jq], input=open(os.environ["GH_COMMENTS"]).read(),
                                    capture_output=True, text=True, check=True).stdout)
"""


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (used by the fake gh for `--jq`) is not installed")
def test_comment_job_keeps_one_comment_per_stack(tmp_path):
    job = load()["jobs"]["preflight-comment"]
    [download] = uses_steps(job, "actions/download-artifact")
    for stack in STACKS:  # download-artifact's layout: <path>/<artifact name>/<files>
        artifact = tmp_path / download["with"]["path"] / f"preflight-{stack}"
        artifact.mkdir(parents=True)
        (artifact / f"preflight-{stack}.md").write_text(f"## preflight {stack}\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(stat.S_IRWXU)
    comments = [  # dev already has its comment; a user's comment quoting the marker is not ours
        {"id": 11, "user": {"login": "octocat"}, "body": "<!-- rustfs-aws preflight: prod --> quoted"},
        {"id": 12, "user": {"login": "github-actions[bot]"}, "body": "<!-- rustfs-aws preflight: dev -->\nold"},
    ]
    (tmp_path / "comments.json").write_text(json.dumps(comments))
    log = tmp_path / "gh.log"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "GH_LOG": str(log),
           "GH_COMMENTS": str(tmp_path / "comments.json")}
    assert run_job_steps(job, pr_context("dev"), tmp_path, env) == [0]
    writes = [call for call in map(json.loads, log.read_text().splitlines()) if "--method" in call]
    assert [(c[c.index("--method") + 1], c[c.index("--method") + 2]) for c in writes] == [
        ("PATCH", "repos/acme/rustfs-aws/issues/comments/12"),
        *[("POST", "repos/acme/rustfs-aws/issues/7/comments")] * (len(STACKS) - 1),  # eks, prod: new comments
    ]
    assert all(c[-2:] == ["-F", "body=@comment.md"] for c in writes)
    body = (tmp_path / "comment.md").read_text()  # the last one written: prod's
    assert body.startswith("<!-- rustfs-aws preflight: prod -->\n") and "## preflight prod" in body
    assert "f" * 40 in body and "/actions/runs/42" in body


# --- certificate renewal: the weekly check and the targeted update ------------------------------------------------

CERT_TYPES = ("tls:index/locallySignedCert:LocallySignedCert", "tls:index/selfSignedCert:SelfSignedCert")
FAKE_PULUMI = """#!/usr/bin/env python3
import os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
if args[:3] != ["stack", "export", "--stack"]:
    sys.exit("fake pulumi: only `stack export --stack NAME`")
sys.stdout.write(open(os.path.join(os.environ["FAKE_STATES"], args[3].replace("/", "_") + ".json")).read())
"""


def _exported_state(stack: str, node_days_left: float) -> dict:
    """The stack's state as `pulumi stack export` gives it: the program's certificates (recorded URNs and inputs)
    with node certificates ending in ``node_days_left`` days and the CA in ten years."""
    now = datetime.datetime.now(datetime.UTC)
    resources = []
    for r in run_stack(stack).resources:
        if r.type not in CERT_TYPES:
            continue
        days = node_days_left if r.type == CERT_TYPES[0] else 3650
        end = (now + datetime.timedelta(days=days)).astimezone(datetime.timezone(datetime.timedelta(hours=2)))
        resources.append({"urn": r.urn, "custom": True, "type": r.type, "inputs": r.inputs,
                          "outputs": {**r.outputs, "validityEndTime": end.isoformat(), "readyForRenewal": False}})
    assert resources
    return {"version": 3, "deployment": {"manifest": {}, "resources": resources}}


def _renewal_world(tmp_path: Path, days_left: dict[str, float]) -> tuple[Path, dict]:
    repo = tmp_path / "repo"
    (repo / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "certificates_due.py", repo / "tools")
    for stack in STACKS:
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", repo)
    states, bin_dir = tmp_path / "states", tmp_path / "bin"
    states.mkdir()
    bin_dir.mkdir()
    for stack, days in days_left.items():
        (states / f"acme_{stack}.json").write_text(json.dumps(_exported_state(stack, days)))
    (bin_dir / "pulumi").write_text(FAKE_PULUMI)
    (bin_dir / "pulumi").chmod(stat.S_IRWXU)
    (repo / "github-output").write_text("")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_STATES": str(states),
           "FAKE_PULUMI_LOG": str(tmp_path / "pulumi.log")}
    return repo, env


def _outputs(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: name=value lines and name<<DELIMITER blocks."""
    out, lines = {}, path.read_text().splitlines()
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            while (item := lines.pop(0)) != delimiter:
                block.append(item)
            out[name] = "\n".join(block)
        else:
            name, value = line.split("=", 1)
            out[name] = value
    return out


def _renewal_context(stack: str | None = None, **needs_outputs) -> dict:
    return {"github": github_context("schedule"), "secrets": {"PULUMI_ACCESS_TOKEN": "pul-fake"},
            "vars": {"PULUMI_ORG": "acme"}, "matrix": {"stack": stack},
            "needs": {"certificates-due": {"outputs": needs_outputs}}}


def test_weekly_check_lists_only_stacks_with_certificates_in_their_renewal_window(tmp_path):
    job = load()["jobs"]["certificates-due"]
    # dev's certificates have 400 days left; prod's 45, inside the 60-day early-renewal window.
    repo, env = _renewal_world(tmp_path, {"dev": 400, "prod": 45})
    assert run_job_steps(job, _renewal_context(), repo, env) == [0]
    assert _outputs(repo / "github-output") == {"stacks": '["prod"]'}
    assert (tmp_path / "pulumi.log").read_text().splitlines() == [
        "stack export --stack acme/dev", "stack export --stack acme/prod"]  # no --show-secrets
    summary = (repo / "step-summary.md").read_text()
    assert summary.count("| prod |") == 7 and summary.count("**yes**") == 6  # 6 nodes due, the CA not
    assert job["outputs"]["stacks"] == "${{ steps.due.outputs.stacks }}"
    assert set(job["permissions"].values()) == {"read"} and "id-token" not in job["permissions"]


def test_renewal_runs_per_due_stack_and_not_at_all_when_nothing_is_due():
    renew = load()["jobs"]["renew-certificates"]
    for stacks, runs in (('["prod"]', True), ('["dev", "prod"]', True), ("[]", False)):
        ctx = {**_renewal_context(stacks=stacks), "job_status": {"success": True}}
        assert _truthy(evaluate(renew["if"], ctx)) is runs
        if runs:
            assert evaluate(renew["strategy"]["matrix"]["stack"], ctx) == json.loads(stacks)


def test_renewal_goes_through_the_same_gates_as_every_update():
    jobs = load()["jobs"]
    renew, up = jobs["renew-certificates"], jobs["up"]
    assert renew["needs"] == ["preflight", "certificates-due"]
    assert renew["environment"] == up["environment"] == "${{ matrix.stack }}"  # prod waits for its reviewers
    assert renew["concurrency"] == up["concurrency"]  # never beside or instead of an update of the stack
    assert renew["strategy"]["max-parallel"] == 1 and renew["strategy"]["fail-fast"] is True
    [install, targeted] = uses_steps(renew, "pulumi/actions")
    [full] = uses_steps(up, "pulumi/actions")
    assert "command" not in install["with"]
    same = ("stack-name", "pulumi-version", "policyPacks", "policyPackConfigs")
    assert {k: targeted["with"][k] for k in same} == {k: full["with"][k] for k in same}
    assert targeted["with"]["command"] == "up" and targeted["with"]["target-dependents"] is True
    assert targeted["with"]["target"] == "${{ steps.due.outputs.urns }}"
    assert targeted["env"] == full["env"]
    [aws] = uses_steps(renew, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    assert aws["if"] == targeted["if"] == "steps.due.outputs.urns != ''"


@pytest.mark.parametrize(("days_left", "due"), [(45, 6), (400, 0)])
def test_renewal_targets_exactly_the_due_certificates(tmp_path, days_left, due):
    renew = load()["jobs"]["renew-certificates"]
    [step] = [s for s in run_steps(renew) if s.get("id") == "due"]
    repo, env = _renewal_world(tmp_path, {"prod": days_left})
    assert run_job_steps({**renew, "steps": [step]}, _renewal_context("prod", stacks='["prod"]'), repo, env) == [0]
    urns = _outputs(repo / "github-output")["urns"]
    state = json.loads((tmp_path / "states" / "acme_prod.json").read_text())
    nodes = sorted(r["urn"] for r in state["deployment"]["resources"] if r["type"] == CERT_TYPES[0])
    assert sorted(filter(None, urns.splitlines())) == (nodes if due else [])
    assert len(nodes) == 6
    runs = _truthy(evaluate(renew["steps"][-1]["if"], {"steps": {"due": {"outputs": {"urns": urns}}}}))
    assert runs is bool(due)


# --- the policy pack: tag -> tests -> publish -> enable per stack -------------------------------------------------

POLICY_JOBS = ("policy-pack-test", "policy-publish", "policy-enable")


def _tag_context(stack: str | None = None, **needs_outputs) -> dict:
    return {"github": github_context("push", ref="refs/tags/policy-v0.1.0"), "matrix": {"stack": stack},
            "secrets": {"PULUMI_ACCESS_TOKEN": "pul-fake"}, "vars": {"PULUMI_ORG": "acme"},
            "needs": {"policy-publish": {"outputs": needs_outputs}}}


def test_the_pack_is_tested_then_published_then_enabled_dev_before_prod_after_approval():
    jobs = load()["jobs"]
    test, publish, enable = (jobs[n] for n in POLICY_JOBS)
    assert "needs" not in test and publish["needs"] == "policy-pack-test" and enable["needs"] == "policy-publish"
    assert job_matrix_stacks(enable) == job_matrix_stacks(jobs["up"])  # the stacks the workflow deploys
    assert enable["strategy"]["max-parallel"] == 1 and enable["strategy"]["fail-fast"] is True
    # The approval: one environment per stack, whose required reviewers (on policy-prod) gate prod's enablement.
    assert [render(enable["environment"], {"matrix": {"stack": s}}) for s in ("dev", "prod")] == [
        "policy-dev", "policy-prod"]
    assert enable["concurrency"]["cancel-in-progress"] is False
    assert "environment" not in test and "environment" not in publish
    # The test job runs the pack's own tests, the ones that go through the pack process.
    [tests] = [s for s in run_steps(test) if "pytest" in s["run"]]
    for name in ("test_policy_cases.py", "test_policy_pack_metadata.py", "test_policy_protocol.py"):
        assert f"tests/{name}" in tests["run"] and (ROOT / "tests" / name).is_file()
    # No AWS anywhere in the pack's release: Pulumi Cloud applies the pack; the token is the Pulumi one.
    for job in (test, publish, enable):
        assert not uses_steps(job, "aws-actions/configure-aws-credentials") and "id-token" not in job["permissions"]


@pytest.mark.parametrize(("tag", "code"), [("policy-v0.1.0", 0), ("policy-v0.2.0", 1)])
def test_the_tag_must_name_the_packs_version(tmp_path, tag, code):
    job = load()["jobs"]["policy-pack-test"]
    [step] = [s for s in run_steps(job) if "PulumiPolicy.yaml" in s["run"]]
    (tmp_path / "policies").mkdir()
    shutil.copy(ROOT / "policies" / "PulumiPolicy.yaml", tmp_path / "policies")
    version = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())["version"]
    context = _tag_context()
    context["github"] = {**context["github"], "ref_name": tag.replace("0.1.0", version) if code == 0 else tag}
    assert run_job_steps({**job, "steps": [step]}, context, tmp_path) == [code]


FAKE_PULUMI_POLICY = """#!/usr/bin/env python3
import os, sys
with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(os.path.basename(os.getcwd()) + " " + " ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:] == ["whoami"]:
    print("octocat")
"""


def test_publish_then_enable_with_each_stacks_config(tmp_path):
    jobs = load()["jobs"]
    deployed = job_matrix_stacks(jobs["policy-enable"])
    repo = tmp_path / "repo"
    (repo / "policies" / "config").mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "PulumiPolicy.yaml", repo / "policies")
    for stack in deployed:
        shutil.copy(ROOT / "policies" / "config" / f"{stack}.json", repo / "policies" / "config")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(FAKE_PULUMI_POLICY)
    (bin_dir / "pulumi").chmod(stat.S_IRWXU)
    log = tmp_path / "pulumi.log"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_PULUMI_LOG": str(log)}
    publish = jobs["policy-publish"]
    [step] = [s for s in run_steps(publish) if s.get("id") == "publish"]
    (repo / "github-output").write_text("")
    assert run_job_steps({**publish, "steps": [step]}, _tag_context(), repo, env) == [0]
    version = _outputs(repo / "github-output")["version"]
    assert version == yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())["version"]
    assert publish["outputs"]["version"] == "${{ steps.publish.outputs.version }}"
    enable = jobs["policy-enable"]
    for stack in deployed:
        assert run_job_steps(enable, _tag_context(stack, version=version), repo, env) == [0]
    pack = re.search(r'PolicyPack\(\s*name="([^"]+)"', (ROOT / "policies" / "__main__.py").read_text()).group(1)
    assert log.read_text().splitlines() == [
        "policies policy publish acme",
        *(f"repo policy enable acme/{pack} {version} --policy-group rustfs-aws-{s} --config policies/config/{s}.json"
          for s in deployed)]
    # Without PULUMI_ORG the token's own organization (its user's) is the one.
    log.write_text("")
    context = {**_tag_context(), "vars": {}}
    assert run_job_steps({**publish, "steps": [step]}, context, repo, env) == [0]
    assert log.read_text().splitlines() == ["repo whoami", "policies policy publish octocat"]
