"""Restarts as code: the cluster's two restart procedures as SSM Command documents (Run Command).

``<name>-restart-rolling`` restarts one node per invocation and succeeds only once that node answers 200 on
``/health/ready`` within ``ReadyTimeoutSeconds``. Sent to the cluster's instances with ``--max-concurrency 1
--max-errors 0``, Run Command restarts the nodes one after another and stops at the first node that does not come
back (SendCommand API: MaxErrors "when the command fails one more time beyond the value of MaxErrors, the system
stops sending the command to additional targets"; with one target at a time nothing else is in flight). Use it
after a root-key rotation, an OS update or a settings change: every other node keeps serving, so erasure sets
lose at most one node at a time (the alarms' ``tolerated_node_losses`` is at least 1 for every shipped layout).

Before it restarts anything, the rolling script requires quorum to spare, for up to ``QuorumTimeoutSeconds``: this
node's ``/minio/health/cluster`` answers 200 (every erasure set has write quorum, with IAM and lock quorum:
rustfs/rustfs 1.0.0-rc.3 ``rustfs/src/server/prefix.rs`` MINIO_HEALTH_CLUSTER_PATH, ``health.rs``
``probe_from_path`` -> ClusterWrite, ``readiness.rs`` ``storage_ready_from_runtime_state``: all sets at
``pool_write_quorum``) **and** every other node answers 200 on ``/health/ready``. The first says the cluster can
write now, not that it can lose one more node; the second says no other node is down, so the restart takes the
cluster from "all nodes" to "all but one", which every shipped layout tolerates. Peers are the hosts of
``RUSTFS_VOLUMES`` in /etc/default/rustfs, ``{a...b}`` ranges expanded as RustFS does (rustfs_model/ellipses.py;
a test compares both). If that does not hold in time the invocation fails before ``systemctl restart``, and
``--max-errors 0`` stops the rollout: restarting with another node already down would take two down at once.
A node that is itself down is repaired on its own (``systemctl restart`` on it): this document refuses then.

``<name>-restart-coordinated`` (``Phase`` = ``stop`` | ``start``) stops RustFS on every node, then starts it on
every node: the procedure after the internode RPC secret changed (``rpcSecret`` of the root-credentials secret,
``RUSTFS_RPC_SECRET``; components/security/credentials.py). RustFS signs every internode call with it (rustfs/rustfs
``crates/ecstore/src/cluster/rpc/http_auth.rs``), so a node started with a new one and a node still running
with the old one reject each other's RPCs; a rolling restart would pass through exactly that mixed state. Root
keys rotate with the rolling document: the RPC secret is generated on its own, not derived from them. Both phases
are sent to all nodes at once; ``start`` refuses to run on a node that is still running (its ``stop`` was
skipped or failed), and waits, bounded, for ``/health/ready``.

Every start re-reads the secrets (rustfs.service fetches them at each start, components/bootstrap), so both
documents pick up rotated credentials and renewed certificates.

Rejected: one coordinated document with a barrier in the script (each node waits until no peer answers before it
starts). Run Command has no barrier between targets; a script that polls peers couples the document to the
topology and, when one node's agent is offline, leaves the others waiting and then guessing. Two explicit phases,
each of which must succeed on every node (``--max-errors 0``), make the barrier the operator's (or the caller's)
``aws ssm wait`` between two commands. Rejected too: ``AWS-RunShellScript`` with commands pasted at run time -
unreviewed, untested, and a grant on ``AWS-RunShellScript`` is a grant to run anything as root.

How the scripts reach the node's health endpoint: the node serves TLS with a certificate that names its DNS name
(cluster/tls.py), not 127.0.0.1; ``curl --resolve <node>:<port>:127.0.0.1 --cacert <tls dir>/ca.crt`` asks for
the right name on the loopback address and verifies the certificate against the cluster CA, so a restart after a
renewal also proves that the node serves a valid certificate. ``-k`` would accept any certificate, expired or not.
Without TLS (no ``RUSTFS_TLS_PATH`` in /etc/default/rustfs, components/cluster/bootstrap/render.py) it asks
``http://<node>:<port>``, resolved to 127.0.0.1 the same way. Peers are asked by their DNS names, with the same CA.
``--noproxy '*'``: a proxy configured for the agent must not see these requests.

The agent runs ``sh -c <script>`` (amazon-ssm-agent agent/plugins/runscript/runshellscript.go and runscript.go),
which executes the script file by its shebang: the scripts are bash. Parameters are substituted into the text
before it runs, so every parameter has ``allowedValues`` or an ``allowedPattern`` that admits digits only.
"""

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.security.iam_documents import restart_document_names
from rustfs_aws.tagging import resource_tags

# Run Command's own bound on one step (aws:runShellScript timeoutSeconds); ReadyTimeoutSeconds stays below it.
STEP_TIMEOUT_SECONDS = 3600
MAX_READY_TIMEOUT_SECONDS = 3000
ROLLING_READY_DEFAULT = "600"  # one node rejoining a running cluster: drives mounted, peers up
# The wait for quorum to spare before a rolling restart; with MAX_READY_TIMEOUT_SECONDS it stays within the step.
MAX_QUORUM_TIMEOUT_SECONDS = 540
ROLLING_QUORUM_DEFAULT = "300"  # the previous node's rejoin: its peers see it ready within a few health rounds
COORDINATED_READY_DEFAULT = "1200"  # every node at once: quorum forms only when enough peers are up

SHEBANG = "#!/bin/bash\nset -euo pipefail\n"
PREAMBLE = r"""# The RUSTFS_* overrides exist for tests/test_operations.py; the SSM agent sets none of them.
unit="${RUSTFS_UNIT:-rustfs.service}"
rustfs_env="${RUSTFS_ENV_FILE:-/etc/default/rustfs}"
boot_env="${RUSTFS_BOOT_ENV_FILE:-/etc/rustfs/bootstrap.env}"
poll_seconds="${RUSTFS_POLL_SECONDS:-5}"

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }

setting() { # setting FILE KEY: KEY from a systemd EnvironmentFile written by render.py; empty when unset
    [ -r "$1" ] || return 0
    # shellcheck source=/dev/null
    (set +eu; . "$1"; printf '%s' "${!2:-}")
}

if ! [[ "$ready_timeout" =~ ^[0-9]+$ ]] || [ "$ready_timeout" -lt 1 ] || [ "$ready_timeout" -gt @@MAX@@ ]; then
    log "ERROR: ReadyTimeoutSeconds must be 1..@@MAX@@, got '$ready_timeout'"
    exit 2
fi
address="$(setting "$rustfs_env" RUSTFS_ADDRESS)"
port="${address##*:}"
port="${port:-9000}"
tls_dir="$(setting "$rustfs_env" RUSTFS_TLS_PATH)"
node="$(setting "$boot_env" BOOT_NODE_NAME)"
node="${node:-$(hostname)}"

http_code() { # http_code HOST PORT PATH [ADDRESS]: HTTP status from HOST (at ADDRESS if given); 000 if none
    local probe=(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 --noproxy '*')
    [ -z "${4:-}" ] || probe+=(--resolve "$1:$2:$4")
    if [ -n "$tls_dir" ]; then
        "${probe[@]}" --cacert "$tls_dir/ca.crt" "https://$1:$2$3" || true
    else
        "${probe[@]}" "http://$1:$2$3" || true
    fi
}

ready_code() { # HTTP status of this node's /health/ready, asked by its name on the loopback address
    http_code "$node" "$port" /health/ready 127.0.0.1
}

wait_ready() { # wait_ready DEADLINE: this node's /health/ready until 200, or fail at DEADLINE (epoch seconds)
    local code
    while :; do
        code="$(ready_code)"
        if [ "$code" = 200 ]; then
            log "$node is ready (HTTP 200 on /health/ready)"
            return 0
        fi
        if [ "$(date +%s)" -ge "$1" ]; then
            log "ERROR: $node not ready within ${ready_timeout}s (last /health/ready answer: HTTP $code)"
            systemctl status "$unit" --no-pager --lines=30 || true
            return 1
        fi
        sleep "$poll_seconds"
    done
}

cycle_and_wait() { # cycle_and_wait restart|start: run it, then wait for /health/ready within ready_timeout
    local deadline
    deadline=$(( $(date +%s) + ready_timeout ))
    log "$1 $unit on $node (ready bound ${ready_timeout}s)"
    # Type=notify: systemctl returns once RustFS reports READY=1, so the old process is gone by then.
    if ! timeout "$ready_timeout" systemctl "$1" "$unit"; then
        log "ERROR: systemctl $1 $unit did not complete within ${ready_timeout}s"
        systemctl status "$unit" --no-pager --lines=30 || true
        return 1
    fi
    wait_ready "$deadline"
}
"""

# Quorum to spare, shared by every document that takes a node down (here and operations/patching.py): the peers
# from RUSTFS_VOLUMES, `spare_quorum`, and `await_safe CHECK BOUND WHAT`, which retries CHECK (a function that
# sets $why when it fails) until it passes or BOUND seconds are gone, then fails the invocation.
SPARE_QUORUM = r"""
peers() { # HOST PORT of every other node: the hosts of RUSTFS_VOLUMES, {a...b} ranges expanded as RustFS does
    python3 - "$(setting "$rustfs_env" RUSTFS_VOLUMES)" "$node" <<'PY'
import itertools, re, sys
from urllib.parse import urlsplit

def values(start, end):
    base = 16 if re.search("[a-fA-F]", start + end) else 10
    pad = len(end) if base == 16 or (len(start) > 1 and start[0] == "0") else 0
    return [format(n, "x" if base == 16 else "d").zfill(pad) for n in range(int(start, base), int(end, base) + 1)]

found = set()
for arg in sys.argv[1].split(" "):
    parts = re.split(r"\{([0-9A-Fa-f]+)\.\.\.([0-9A-Fa-f]+)\}", arg)
    ranges = [values(parts[i], parts[i + 1]) for i in range(1, len(parts), 3)]
    for combo in itertools.product(*ranges):
        url = urlsplit("".join(parts[0] + "".join(v + parts[3 * k + 3] for k, v in enumerate(combo))))
        found.add((url.hostname, url.port or 9000))
if not found:
    sys.exit("RUSTFS_VOLUMES names no host")
for host, port in sorted(found):
    if host != sys.argv[2]:
        print(host, port)
PY
}

spare_quorum() { # 0 when this node may go down now; else sets $why
    local code host peer_port down=()
    code="$(http_code "$node" "$port" /minio/health/cluster 127.0.0.1)"
    [ "$code" = 200 ] || { why="the cluster has no write quorum (HTTP $code on /minio/health/cluster)"; return 1; }
    while read -r host peer_port; do
        code="$(http_code "$host" "$peer_port" /health/ready "${RUSTFS_PEER_ADDRESS:-}")"
        [ "$code" = 200 ] || down+=("$host (HTTP $code)")
    done <<< "$peer_list"
    [ "${#down[@]}" -eq 0 ] || { why="not ready: ${down[*]}"; return 1; }
}

# RUSTFS_PEER_ADDRESS (tests only) sends every peer probe to one address instead of the peers' DNS names.
peer_list="$(peers)" || { log "ERROR: cannot read the peers from RUSTFS_VOLUMES in $rustfs_env"; exit 2; }
why=""

await_safe() { # await_safe CHECK BOUND WHAT: until CHECK passes; after BOUND seconds fail, not doing WHAT
    local deadline=$(( $(date +%s) + $2 ))
    until "$1"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            log "ERROR: not $3 $node: $why after ${2}s. Taking it down now could take one node more down than" \
                "the erasure sets tolerate; bring the other nodes back first"
            exit 1
        fi
        sleep "$poll_seconds"
    done
}
"""

ROLLING_SCRIPT = (SHEBANG + 'ready_timeout="{{ ReadyTimeoutSeconds }}"\nquorum_timeout="{{ QuorumTimeoutSeconds }}"\n'
                  + PREAMBLE + r"""
if ! [[ "$quorum_timeout" =~ ^[0-9]+$ ]] || [ "$quorum_timeout" -lt 1 ] || [ "$quorum_timeout" -gt @@QMAX@@ ]; then
    log "ERROR: QuorumTimeoutSeconds must be 1..@@QMAX@@, got '$quorum_timeout'"
    exit 2
fi
""" + SPARE_QUORUM + r"""
await_safe spare_quorum "$quorum_timeout" restarting
log "write quorum and every other node ready: restarting $node"
# Run Command sends this to one node at a time (--max-concurrency 1 --max-errors 0): a node that does not
# come back fails here, and no further node is restarted.
cycle_and_wait restart
""")

COORDINATED_SCRIPT = SHEBANG + 'phase="{{ Phase }}"\nready_timeout="{{ ReadyTimeoutSeconds }}"\n' + PREAMBLE + r"""
case "$phase" in
    stop)
        log "stopping $unit on $node"
        systemctl stop "$unit"
        if systemctl is-active --quiet "$unit"; then
            log "ERROR: $unit is still active after stop"
            exit 1
        fi
        log "$unit stopped on $node; send Phase=start once every node reports success"
        ;;
    start)
        if systemctl is-active --quiet "$unit"; then
            log "ERROR: $unit is running on $node: send Phase=stop to every node first (no node may start" \
                "with new credentials while another still runs with the old ones)"
            exit 1
        fi
        cycle_and_wait start
        ;;
    *)
        log "ERROR: Phase must be stop or start, got '$phase'"
        exit 2
        ;;
esac
"""


def script_lines(text: str) -> list[str]:
    """A script as runCommand lines, with the scripts' bounds filled in."""
    return (text.replace("@@MAX@@", str(MAX_READY_TIMEOUT_SECONDS))
            .replace("@@QMAX@@", str(MAX_QUORUM_TIMEOUT_SECONDS)).splitlines())


def _timeout_parameter(default: str, what: str) -> dict:
    return {"type": "String", "default": default, "allowedPattern": "^[1-9][0-9]{0,3}$",
            "description": f"Seconds {what} may take to answer 200 on /health/ready (1..{MAX_READY_TIMEOUT_SECONDS})."}


def shell_step(name: str, script: str, timeout_seconds: int = STEP_TIMEOUT_SECONDS) -> dict:
    """One aws:runShellScript step (Linux only) of a schema 2.2 Command document."""
    return {"action": "aws:runShellScript", "name": name, "precondition": {"StringEquals": ["platformType", "Linux"]},
            "inputs": {"timeoutSeconds": str(timeout_seconds), "runCommand": script_lines(script)}}


def command_document(description: str, parameters: dict, step: str, script: str) -> dict:
    """A schema 2.2 Command document with one aws:runShellScript step (Linux only)."""
    return {"schemaVersion": "2.2", "description": description, "parameters": parameters,
            "mainSteps": [shell_step(step, script)]}


def rolling_restart_document(cluster_id: str) -> dict:
    return command_document(
        f"RustFS cluster {cluster_id}: restart rustfs.service on this node and wait for /health/ready. Send with "
        "--max-concurrency 1 --max-errors 0 to restart the cluster one node at a time (README, Day 2).",
        {"ReadyTimeoutSeconds": _timeout_parameter(ROLLING_READY_DEFAULT, "the restarted node"),
         "QuorumTimeoutSeconds": {
             "type": "String", "default": ROLLING_QUORUM_DEFAULT, "allowedPattern": "^[1-9][0-9]{0,3}$",
             "description": "Seconds to wait, before restarting, until the cluster has write quorum and every other "
                            f"node answers 200 on /health/ready (1..{MAX_QUORUM_TIMEOUT_SECONDS}); then fail."}},
        "rollingRestart", ROLLING_SCRIPT)


def coordinated_restart_document(cluster_id: str) -> dict:
    return command_document(
        f"RustFS cluster {cluster_id}: coordinated restart after the internode RPC secret changed. Send Phase=stop to "
        "every node, wait until all succeed, then Phase=start to every node (README, Day 2).",
        {"Phase": {"type": "String", "allowedValues": ["stop", "start"],
                   "description": "stop on every node first; start on every node once all have stopped."},
         "ReadyTimeoutSeconds": _timeout_parameter(COORDINATED_READY_DEFAULT, "each node, once started,")},
        "coordinatedRestart", COORDINATED_SCRIPT)


@dataclass
class RestartDocumentsArgs:
    """Inputs of ``RestartDocuments``."""

    cluster_id: str
    """The cluster's name (``rustfs-dev``): prefixes the document names; the documents act only on instances
    tagged ``rustfs:cluster`` with it."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the documents, next to each one's ``Name``."""


class RestartDocuments(pulumi.ComponentResource):
    """The cluster's restarts as SSM Command documents: ``rolling`` (one node at a time, each back to ready
    before the next) and ``coordinated`` (stop every node, then start every node)."""

    document_names: dict[str, str]
    """Document name by purpose (``rolling``, ``coordinated``)."""
    document_arns: dict[str, pulumi.Output[str]]
    """Document ARN by purpose."""

    def __init__(self, name: str, args: RestartDocumentsArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(RestartDocumentsArgs, args)
        super().__init__("rustfs:operations:RestartDocuments", name, None, opts)
        contents = {"rolling": rolling_restart_document(args.cluster_id),
                    "coordinated": coordinated_restart_document(args.cluster_id)}
        # The operator policy grants SendCommand on exactly these names (iam_documents.operator_policy).
        self.document_names = restart_document_names(args.cluster_id)
        self.document_arns: dict[str, pulumi.Output[str]] = {}
        for purpose, document_name in self.document_names.items():
            # No `permissions`: the documents stay private to the account (never shared, let alone publicly).
            document = aws.ssm.Document(
                f"{name}-{purpose}", name=document_name, document_type="Command", document_format="JSON",
                content=json.dumps(contents[purpose], indent=2), target_type="/AWS::EC2::Instance",
                tags=resource_tags(args.tags, document_name, args.stack, {"rustfs:cluster": args.cluster_id}),
                opts=pulumi.ResourceOptions(parent=self))
            self.document_arns[purpose] = document.arn
        self.register_outputs({"documentNames": self.document_names, "documentArns": self.document_arns})
