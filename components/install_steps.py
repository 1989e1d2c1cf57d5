"""Shell steps that the nodes' State Manager Command documents share, in one place: the node collector's
(observability/collector.py) and the state reconciler's (state/state.py). Each document's script starts the same
way: it waits for the node's bootstrap to write its environment, installs a package from the AL2023 repository at
the pinned release, and installs what it carries only if its SHA-256 is the one the association names.

Each function returns bash text for the script's body; the script defines ``log`` (one prefixed line on stderr),
``$boot_env`` and ``$release_version`` (a document parameter with an allowedPattern) before using them. Pure text,
no ``{{`` (SSM would take it for a document parameter).
"""

from __future__ import annotations

# cloud-init may still be writing bootstrap.env when State Manager first runs a new instance's association: five
# minutes, polled every five seconds.
BOOT_ENV_TRIES, BOOT_ENV_INTERVAL_SECONDS = 60, 5


def wait_for_boot_env() -> str:
    """Wait for ``$boot_env``; exit 1 on a machine whose bootstrap never wrote it (not a node of this cluster)."""
    return (f'for _ in $(seq 1 {BOOT_ENV_TRIES}); do [ -s "$boot_env" ] && break; sleep {BOOT_ENV_INTERVAL_SECONDS};'
            ' done\n'
            '[ -s "$boot_env" ] || { log "no $boot_env: not a RustFS node of this cluster, or its bootstrap never '
            'ran"; exit 1; }')


def dnf_install(package: str) -> str:
    """Install ``package`` (a shell word, e.g. ``name-$package_version``) unless rpm knows it, from the repository
    at ``$release_version`` (``dnf --releasever``; dnf checks the GPG signature, gpgcheck=1 in amazonlinux.repo)."""
    return (f'if ! rpm -q "{package}" >/dev/null 2>&1; then\n'
            f'    dnf install -y --releasever="$release_version" "{package}"\n'
            'fi')


def sha256_check(file: str, expected: str, what: str, refused: str) -> str:
    """Exit 1 unless the SHA-256 of ``file`` is ``expected`` (shell words); ``what`` names the checked thing in the
    log line, ``refused`` says what did not happen."""
    return (f'actual_sha="$(sha256sum "{file}" | cut -d\' \' -f1)"\n'
            f'if [ "$actual_sha" != "{expected}" ]; then\n'
            f'    log "{what} has SHA-256 $actual_sha, this association expects {expected}: {refused}"\n'
            '    exit 1\n'
            'fi')
