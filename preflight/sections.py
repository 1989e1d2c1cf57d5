"""Report sections computed from the recorded resources (diagram, topology, capacity, performance, cost, quotas).

Each section has a JSON key, a function computing its value from the recording (None: not applicable),
and renderers for the human summary and the Markdown report. Modules register theirs in ``SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .runner import Recording


@dataclass(frozen=True)
class Section:
    key: str
    compute: Callable[[Recording], dict | None]
    human: Callable[[dict], list[str]]
    markdown: Callable[[dict], list[str]]


SECTIONS: list[Section] = []


def md_cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _load() -> None:
    """Import the section modules, which register themselves. Done on first use, not at import time: they
    import this module, so importing them from here at load time would be circular. Report order: diagram
    (inserts itself first), topology, capacity, performance, cost (capacity_report imports topology), EKS API
    access (EKS mode only), quotas."""
    from . import capacity_report, cost_report, diagram, eks_access_report, quota_report, topology  # noqa: F401


def compute_all(recording: Recording) -> dict[str, dict]:
    _load()
    values = {}
    for section in SECTIONS:
        value = section.compute(recording)
        if value is not None:
            values[section.key] = value
    return values


def human_lines(values: dict[str, dict]) -> list[str]:
    _load()
    return [line for s in SECTIONS if s.key in values for line in s.human(values[s.key])]


def markdown_blocks(values: dict[str, dict]) -> list[str]:
    _load()
    return [line for s in SECTIONS if s.key in values for line in s.markdown(values[s.key])]
