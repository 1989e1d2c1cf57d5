"""Just enough of systemd to start the node's rendered oneshot units in a test and follow their OnFailure=.

What it does as systemd does (systemd.service(5), systemd.unit(5), systemd.kill(5)):
- ``ExecStart=`` lines run in order with the unit's ``EnvironmentFile=`` settings; a ``-`` prefix ignores a
  failure; the first failing line fails the unit ("exit-code").
- ``TimeoutStartSec=`` bounds the start: at expiry every process of the unit gets SIGTERM, SIGKILL after a few
  seconds, and the unit fails ("timeout"). The unit's processes are those that inherited its marker variable (a
  cgroup stands in: ``timeout`` and others leave the process group, as they would not leave a cgroup).
- A unit that fails starts each of its ``OnFailure=`` units.
The host has no running systemd (tests/test_bootstrap_render.py checks the same files with systemd-analyze).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

KILL_GRACE_SECONDS = 3  # stands in for TimeoutStopSec (systemd's default is 90 s)


@dataclass
class UnitRun:
    unit: str
    result: str  # "success" | "exit-code" | "timeout"
    stderr: str
    elapsed: float


def unit_settings(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def seconds(value: str) -> float:
    """A systemd time span as the node's units write them: "90", "126s", "5min", "6h"."""
    number, unit = re.fullmatch(r"(\d+)\s*(s|min|h)?", value).groups()
    return int(number) * {"s": 1, None: 1, "min": 60, "h": 3600}[unit]


def _unit_pids(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _kill_unit(marker: str, sig: int) -> None:
    for pid in _unit_pids(marker):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class Systemd:
    """``units``: name -> rendered text; ``paths``: path in an Exec line -> local path; ``environment_files``: path
    named by EnvironmentFile= -> its settings; ``base_env``: the rest of the environment (PATH, endpoints)."""

    def __init__(self, units: dict[str, str], paths: dict[str, str], environment_files: dict[str, dict[str, str]],
                 base_env: dict[str, str], start_timeouts: dict[str, float] | None = None):
        self.units, self.paths, self.environment_files = units, paths, environment_files
        self.base_env, self.start_timeouts = base_env, start_timeouts or {}

    def start(self, name: str) -> list[UnitRun]:
        """`systemctl start NAME`: the unit's run, then those of the OnFailure= units it started."""
        settings = unit_settings(self.units[name])
        run = self._run(name, settings)
        runs = [run]
        if run.result != "success":
            for other in " ".join(settings.get("OnFailure", [])).split():
                runs += self.start(other)
        return runs

    def _run(self, name: str, settings: dict[str, list[str]]) -> UnitRun:
        marker = f"TEST_SYSTEMD_UNIT={name}-{uuid.uuid4().hex}"
        env = {**self.base_env, marker.split("=", 1)[0]: marker.split("=", 1)[1]}
        for path in settings.get("EnvironmentFile", []):
            env |= self.environment_files[path.lstrip("-")]
        bound = self.start_timeouts.get(name, seconds(settings.get("TimeoutStartSec", ["90s"])[0]))
        started, stderr = time.monotonic(), ""
        for line in settings.get("ExecStart", []):
            ignore_failure = line.startswith("-")
            argv = [self.paths.get(word, word) for word in shlex.split(line.lstrip("-+!@:"))]
            process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                       start_new_session=True)
            try:
                _, err = process.communicate(timeout=max(0.1, bound - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                _kill_unit(marker, signal.SIGTERM)
                deadline = time.monotonic() + KILL_GRACE_SECONDS
                while _unit_pids(marker) and time.monotonic() < deadline:
                    time.sleep(0.1)
                _kill_unit(marker, signal.SIGKILL)
                _, err = process.communicate()
                return UnitRun(name, "timeout", stderr + err, time.monotonic() - started)
            stderr += err
            if process.returncode != 0 and not ignore_failure:
                return UnitRun(name, "exit-code", stderr, time.monotonic() - started)
        return UnitRun(name, "success", stderr, time.monotonic() - started)

    def leftover_processes(self) -> list[int]:
        return _unit_pids("TEST_SYSTEMD_UNIT=")
