"""Inline acknowledgements: `# reviewbot: ignore[RULE, ...] reason`.

A learner can mark a finding as a known, deliberate choice. The finding is still shown and
still counts toward the grade (the repository never lowers its own bar, DESIGN.md decision 2);
it is shown as acknowledged, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from reviewbot.model import Finding
from reviewbot.source.inventory_model import Inventory

_MARK = re.compile(r"#\s*reviewbot:\s*ignore\[([^\]]+)\]\s*(.*)$")


def marks_in(source: str) -> dict[int, tuple[frozenset[str], str]]:
    """Line number a mark covers -> (rule ids, reason). A mark after code covers its own
    line; a mark alone on its line covers the next one."""
    found: dict[int, tuple[frozenset[str], str]] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        match = _MARK.search(line)
        if match:
            rules = frozenset(r.strip() for r in match.group(1).split(",") if r.strip())
            covered = number + 1 if line.lstrip().startswith("#") else number
            found[covered] = (rules, match.group(2).strip() or "no reason given")
    return found


def _applies(finding: Finding, marks: Mapping[int, tuple[frozenset[str], str]]) -> str | None:
    mark = marks.get(finding.line) if finding.line is not None else None
    if mark and (finding.rule in mark[0] or "*" in mark[0]):
        return mark[1]
    return None


def acknowledge(findings: Iterable[Finding], inventory: Inventory) -> list[Finding]:
    """The findings, with `suppressed` set to the reason where the code acknowledges them."""
    marks = {
        module.path: marks_in(module.source)
        for module in inventory.modules
        if "reviewbot:" in module.source
    }
    result = []
    for finding in findings:
        reason = _applies(finding, marks[finding.path]) if finding.path in marks else None
        result.append(replace(finding, suppressed=reason) if reason else finding)
    return result
