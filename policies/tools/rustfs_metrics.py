"""Writes policies/rustfs_model/data/rustfs_metrics.json: the metrics RustFS pushes over OTLP at a release, read
from its sources (names, types and labels only: facts, no code). Run from the repo root:

    python policies/tools/rustfs_metrics.py [--repo /work/.mirror/rustfs+rustfs/repo] [--tag 1.0.0-rc.3]

How RustFS names its metrics (all paths at the tag):
- ``crates/obs/src/metrics/schema/*.rs`` declares descriptors (``new_counter_md`` / ``new_gauge_md`` /
  ``new_histogram_md``: name, help, labels, subsystem). The full name is ``<namespace>_<subsystem>_<name>``
  (``schema/entry/descriptor.rs`` ``get_full_metric_name``): namespace ``rustfs`` (``entry/namespace.rs``), the
  subsystem's path with ``/`` and ``-`` turned into ``_`` (``entry/subsystem.rs``, ``entry/path_utils.rs``), the
  name from ``entry/metric_name.rs`` ``as_str`` or a ``Custom`` string.
- The collectors (``crates/obs/src/metrics/collectors/*.rs``) turn them into ``PrometheusMetric``s whose name is
  that full name (``report.rs`` ``from_descriptor``), handed to the ``metrics`` crate (``report_metrics``).
- The OTLP bridge (``crates/obs/src/telemetry/recorder.rs``) builds each OpenTelemetry instrument with the
  ``metrics`` key's name unchanged (``meter.u64_counter(key.name())``, ``f64_gauge``, ``f64_histogram``): the
  exported instrument is ``rustfs_cluster_health_drives_offline_count``, underscores, not dotted.
- The HTTP server records its own instruments directly (``rustfs/src/server/http.rs``, ``METRIC_HTTP_SERVER_*``);
  the alarms read two of them, so they are listed here too (``source`` says where each one comes from).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "rustfs_model" / "data" / "rustfs_metrics.json"
SCHEMA = "crates/obs/src/metrics/schema"
COLLECTORS = "crates/obs/src/metrics/collectors"
HTTP = "rustfs/src/server/http.rs"

_STATIC = re.compile(r"pub static (\w+_MD): LazyLock<MetricDescriptor> =\s*LazyLock::new\(\|\|\s*\{?\s*"
                     r"new_(counter|gauge|histogram)_md\((.*?)\)\s*\}?\);", re.S)
_STR_CONST = re.compile(r"const (\w+): &str = \"([^\"]*)\";")
_ARR_CONST = re.compile(r"const (\w+): (?:\[&str; \d+\]|&\[&str\]) = &?\[(.*?)\];", re.S)
_NAME_ARM = re.compile(r"Self::(\w+) => \"([^\"]+)\"\.to_string\(\)")
_PATH_ARM = re.compile(r"Self::(\w+) => \"(/[^\"]*)\",")
_SUBSYSTEM_CONST = re.compile(r"pub const (\w+): MetricSubsystem = MetricSubsystem::(\w+);")
_BASE_CONST = re.compile(r"pub const (\w+): &str = \"(/[^\"]*)\";")
_UNITS = (("_bytes", "Bytes"), ("_bytes_total", "Bytes"), ("_seconds", "Seconds"), ("_secs", "Seconds"),
          ("_millis", "Milliseconds"), ("_ms", "Milliseconds"), ("_micros", "Microseconds"), ("_perc", "Percent"),
          ("_percent", "Percent"))


def show(repo: str, tag: str, path: str) -> str:
    return subprocess.run(["git", "-C", repo, "show", f"{tag}:{path}"], check=True, capture_output=True,
                          text=True).stdout


def ls(repo: str, tag: str, path: str) -> list[str]:
    out = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only", f"{tag}", f"{path}/"], check=True,
                         capture_output=True, text=True).stdout
    return [p for p in out.split() if p.endswith(".rs")]


def _split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments of a call (brackets and strings nest)."""
    args, depth, current, in_str = [], 0, "", False
    for ch in text:
        if ch == '"' and not current.endswith("\\"):
            in_str = not in_str
        if not in_str:
            depth += ch in "([{"
            depth -= ch in ")]}"
            if ch == "," and depth == 0:
                args.append(current.strip())
                current = ""
                continue
        current += ch
    if current.strip():
        args.append(current.strip())
    return args


def _labels(expr: str, consts: dict[str, str], arrays: dict[str, list[str]]) -> list[str]:
    expr = expr.strip()
    if expr.endswith(".concat()"):  # &[&A[..], &["state"]].concat()
        inner = expr[expr.index("[") + 1:expr.rindex("]")]
        return [label for part in _split_args(inner) for label in _labels(part, consts, arrays)]
    expr = expr.lstrip("&").removesuffix("[..]")
    if expr in arrays:
        return arrays[expr]
    if expr.startswith("["):
        items = _split_args(expr[1:-1])
        return [i.strip('"') if i.startswith('"') else consts[i] for i in items]
    raise ValueError(f"labels {expr!r} not understood")


def unit_from_name(name: str) -> str | None:
    for suffix, unit in sorted(_UNITS, key=lambda u: -len(u[0])):
        if name.endswith(suffix) or f"{suffix}_" in name:
            return unit
    if name.endswith(("_total", "_count")):
        return "Count"
    return None


def schema_metrics(repo: str, tag: str) -> list[dict]:
    entry = f"{SCHEMA}/entry"
    names = dict(_NAME_ARM.findall(show(repo, tag, f"{entry}/metric_name.rs")))
    subsystem_src = show(repo, tag, f"{entry}/subsystem.rs")
    paths = dict(_PATH_ARM.findall(subsystem_src.split("pub fn as_str")[0]))
    subsystems = {const: paths[variant] for const, variant in _SUBSYSTEM_CONST.findall(subsystem_src)}
    subsystems.update(dict(_BASE_CONST.findall(subsystem_src)))
    collector_src = {p: show(repo, tag, p).split("#[cfg(test)]")[0] for p in ls(repo, tag, COLLECTORS)}
    sources = {path: show(repo, tag, path) for path in ls(repo, tag, SCHEMA)}
    # Label constants are shared between schema files (use crate::...::SERVER_LABEL): a file's own win.
    shared = {k: v for src in sources.values() for k, v in _STR_CONST.findall(src)}
    out = []
    for path, src in sources.items():
        consts = {**shared, **dict(_STR_CONST.findall(src))}
        arrays = {n: [consts.get(i.strip(), i.strip().strip('"')) for i in body.split(",") if i.strip()]
                  for n, body in _ARR_CONST.findall(src)}
        for static, kind, body in _STATIC.findall(src):
            name_expr, help_expr, labels_expr, subsystem_expr = _split_args(body)
            custom = re.match(r'MetricName::Custom\("([^"]+)"\.to_string\(\)\)', name_expr)
            from_const = re.match(r"MetricName::from\((\w+)\)", name_expr)  # From<&str>: Custom
            name = (custom.group(1) if custom else consts[from_const.group(1)] if from_const
                    else names[name_expr.removeprefix("MetricName::")])
            if subsystem_expr.startswith("subsystems::"):
                sub_path = subsystems[subsystem_expr.removeprefix("subsystems::")]
            elif subsystem_expr.startswith("MetricSubsystem::new("):
                sub_path = re.search(r'"([^"]+)"', subsystem_expr).group(1)
            else:
                sub_path = paths[subsystem_expr.removeprefix("MetricSubsystem::")]
            full = f"rustfs_{sub_path.lstrip('/').replace('/', '_').replace('-', '_')}_{name}"
            emitters = sorted(p for p, s in collector_src.items() if re.search(rf"\b{static}\b", s))
            preamble = src[:src.index(f"pub static {static}")].rsplit(";", 1)[-1]
            declared_only = "dead_code" in preamble
            out.append({"name": full, "type": kind, "unit": unit_from_name(full),
                        "labels": _labels(labels_expr, consts, arrays),
                        "help": re.sub(r'^"|"$', "", help_expr), "source": f"{path} {static}",
                        "emitted_by": emitters, "emitted": bool(emitters) and not declared_only})
    return out


# The request collector (collectors/request.rs collect_request_metrics) pushes the request totals for every stat, but
# its lifecycle (in flight, errors, 4xx, 5xx, canceled), TTFB and traffic metrics only for stats whose
# supported_metrics allow them; at this release its one producer, stats_collector.rs collect_api_request_stats,
# builds every ApiRequestStats with TOTALS_ONLY. So of its descriptors only these two reach OTLP.
_REQUEST_TOTALS_ONLY = ("crates/obs/src/metrics/stats_collector.rs", "ApiRequestMetricSupport::TOTALS_ONLY")
_REQUEST_COLLECTOR = f"{COLLECTORS}/request.rs"
_REQUEST_UNCONDITIONAL = {"API_REQUESTS_TOTAL_MD", "API_REQUESTS_TOTAL_BY_SERVER_MD"}


def _request_support(repo: str, tag: str, metrics: list[dict]) -> None:
    path, marker = _REQUEST_TOTALS_ONLY
    if marker not in show(repo, tag, path):
        raise SystemExit(f"{path} no longer builds request stats with {marker}: re-read {_REQUEST_COLLECTOR}")
    for m in metrics:
        if m["emitted_by"] == [_REQUEST_COLLECTOR] and m["source"].split()[-1] not in _REQUEST_UNCONDITIONAL:
            m["emitted"] = False
            m["not_emitted_because"] = (f"{_REQUEST_COLLECTOR} emits it only for stats whose supported_metrics "
                                        f"allow it; {path} collect_api_request_stats sets TOTALS_ONLY")


def http_metrics(repo: str, tag: str) -> list[dict]:
    src = show(repo, tag, HTTP)
    consts = dict(_STR_CONST.findall(src))
    out = {}
    for macro, const, rest in re.findall(r"\b(counter|gauge|histogram)!\((METRIC_HTTP_SERVER_\w+)([^)]*)\)", src):
        labels = [consts[k] for k in re.findall(r"(LABEL_\w+)\s*=>", rest)]
        name = consts[const]
        entry = out.setdefault(name, {"name": name, "type": macro, "unit": unit_from_name(name), "labels": [],
                                      "help": "", "source": f"{HTTP} {const}", "emitted_by": [HTTP],
                                      "emitted": True})
        entry["labels"] = sorted(set(entry["labels"]) | set(labels))
    labels = re.search(r"HTTP_STATUS_CLASS_LABELS: \[&str; \d+\] = \[(.*?)\];", src).group(1)
    for entry in out.values():
        if "status_class" in entry["labels"]:
            entry["label_values"] = {"status_class": [v.strip().strip('"') for v in labels.split(",")]
                                     + (["transport"] if entry["name"].endswith("_failures_total") else [])}
    return sorted(out.values(), key=lambda m: m["name"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", default="/work/.mirror/rustfs+rustfs/repo")
    parser.add_argument("--tag", default="1.0.0-rc.3")
    a = parser.parse_args()
    commit = subprocess.run(["git", "-C", a.repo, "rev-list", "-n1", a.tag], check=True, capture_output=True,
                            text=True).stdout.strip()
    metrics = schema_metrics(a.repo, a.tag)
    _request_support(a.repo, a.tag, metrics)
    metrics = sorted(metrics, key=lambda m: m["name"]) + http_metrics(a.repo, a.tag)
    doc = {
        "what": "The metrics RustFS pushes over OTLP, read from its sources at source.tag (names, types, labels "
                "and help only). Generated by policies/tools/rustfs_metrics.py; the dashboard and alarm tests check "
                "every RustFS metric they reference against this list.",
        "source": {"repo": "rustfs/rustfs", "tag": a.tag, "commit": commit},
        "naming": "OTLP instrument name = <namespace>_<subsystem>_<name> with underscores "
                  "(crates/obs/src/metrics/schema/entry/descriptor.rs get_full_metric_name; the OTLP bridge "
                  "crates/obs/src/telemetry/recorder.rs keeps the metrics-crate key name unchanged).",
        "units": "RustFS describes its metrics without a unit (report.rs describe_counter!/describe_gauge!/"
                 "describe_histogram! with help only), so the OTLP unit is empty and CloudWatch stores unit None; "
                 "`unit` is what the name's suffix says.",
        "temporality": "Cumulative (crates/obs/src/telemetry/otel.rs build_meter_provider: "
                       "with_temporality(Temporality::default())), exported every 30 s by default (METER_INTERVAL, "
                       "crates/config/src/constants/app.rs); the cluster and node collectors run every 60 s "
                       "(RUSTFS_METRICS_CLUSTER_INTERVAL_SEC / RUSTFS_METRICS_NODE_INTERVAL_SEC, "
                       "crates/obs/src/metrics/config.rs).",
        "labels_note": "Every series also carries the OTLP resource (service.name = RUSTFS_OBS_SERVICE_NAME, "
                       "default APP_NAME \"RustFS\"; rustfs.node / service.instance.id = the node's identity, "
                       "crates/obs/src/telemetry/resource.rs). Cluster-wide gauges (rustfs_cluster_*) are computed "
                       "by every node from its own view of the cluster.",
        "emitted": "false where the schema declares a descriptor that no collector emits at this tag (dead_code, "
                   "or a collector path its only producer never takes: not_emitted_because).",
        "metrics": metrics,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{OUT}: {len(metrics)} metrics ({sum(m['emitted'] for m in metrics)} emitted)")


if __name__ == "__main__":
    main()
