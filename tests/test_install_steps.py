"""The nodes' Command documents share their opening steps from one home (components/install_steps.py): the wait for
bootstrap.env, the pinned dnf install and the SHA-256 check are the same text in the collector's and the state
reconciler's scripts, so a fix to one reaches both."""

from __future__ import annotations

from rustfs_aws import install_steps as steps
from rustfs_aws.observability import collector
from rustfs_aws.state import state


def test_both_documents_open_with_the_shared_steps():
    scripts = {"collector": collector.install_script(), "state": state.install_script()}
    for name, script in scripts.items():
        assert steps.wait_for_boot_env() in script, name
        assert 'rpm -q "' in script and 'dnf install -y --releasever="$release_version" "' in script, name
        assert '    exit 1\nfi' in script and 'actual_sha="$(sha256sum "$tmp"' in script, name
        assert "@@" not in script, name
    assert steps.dnf_install(f"{collector.PACKAGE}-$package_version") in scripts["collector"]
    assert steps.dnf_install(state.PACKAGE) in scripts["state"]
    assert steps.sha256_check("$tmp", "$expected_sha", "parameter $parameter", "not applied") in scripts["collector"]
    assert steps.sha256_check("$tmp", "$script_sha", "the reconciler", "not installed") in scripts["state"]


def test_no_document_keeps_a_copy_of_its_own():
    for module in (collector, state):
        text = module.INSTALL_SCRIPT
        assert "seq 1 60" not in text and "dnf install" not in text and "sha256sum" not in text, module.__name__
