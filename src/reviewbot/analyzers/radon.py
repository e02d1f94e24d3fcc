"""radon's cyclomatic complexity and maintainability index (C02: complexity, maintainability).

Runs on the product code (app modules and scripts): tests and generated migrations are not
where complexity hurts. radon reads no configuration from the repository since it runs in
the analyzer's work directory and is given files.

Findings: functions of rank C (info), D or E (warning), F (error); modules whose
maintainability index is rank C (warning). The facts carry the whole distribution.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from reviewbot.analyzers._tools import PathMap, batches, module_paths, run_tool
from reviewbot.analyzers.base import AnalyzerError, ScanContext
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.source.inventory_model import ModuleRole

ROLES: Final = (ModuleRole.APP, ModuleRole.SCRIPT)

CC_SEVERITY: Final = {
    "C": Severity.INFO,
    "D": Severity.WARNING,
    "E": Severity.WARNING,
    "F": Severity.ERROR,
}
RANKS: Final = ("A", "B", "C", "D", "E", "F")

# radon's arguments before the file list: complexity with scores, maintainability index.
CC_ARGS: Final = ("cc", "-j", "-s")
MI_ARGS: Final = ("mi", "-j")


@dataclass(frozen=True, slots=True)
class Block:
    """One function or method as radon measured it."""

    path: str
    name: str  # qualified: `Class.method`, `outer.inner`
    line: int
    end_line: int | None
    complexity: int
    rank: str


@dataclass(frozen=True, slots=True)
class Maintainability:
    path: str
    index: float
    rank: str


def _json(output: str, command: str) -> dict[str, Any]:
    try:
        data = json.loads(output or "{}")
    except json.JSONDecodeError as exc:
        raise AnalyzerError(f"radon {command} printed something that is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AnalyzerError(f"radon {command}'s JSON output is not an object")
    return data


def _walk(path: str, item: dict[str, Any], prefix: str, into: dict[tuple[int, str], Block]) -> None:
    name = f"{prefix}{item.get('name', '?')}"
    line = int(item.get("lineno", 0))
    into.setdefault(
        (line, name),
        Block(
            path,
            name,
            line,
            item.get("endline"),
            int(item.get("complexity", 0)),
            str(item.get("rank", "")),
        ),
    )
    for closure in item.get("closures", []):
        _walk(path, closure, f"{name}.", into)


def cc_blocks(output: str, paths: PathMap) -> list[Block]:
    """Functions and methods from `radon cc -j -s`, each once.

    radon lists a class's methods both inside the class entry and again at the top level;
    only the top-level function and method entries (and their closures) are kept. Classes
    themselves are not functions and are left out.
    """
    blocks: list[Block] = []
    for reported, items in _json(output, "cc").items():
        path = paths.relative(reported)
        if path is None or not isinstance(items, list):
            continue  # {"error": ...}: radon could not parse it
        found: dict[tuple[int, str], Block] = {}
        for item in items:
            if item.get("type") == "function":
                _walk(path, item, "", found)
            elif item.get("type") == "method":
                _walk(path, item, f"{item.get('classname', '?')}.", found)
        blocks.extend(sorted(found.values(), key=lambda b: (b.line, b.name)))
    return blocks


def mi_scores(output: str, paths: PathMap) -> list[Maintainability]:
    """Per-module maintainability index from `radon mi -j`."""
    scores = []
    for reported, item in _json(output, "mi").items():
        path = paths.relative(reported)
        if path is not None and isinstance(item, dict) and "mi" in item:
            scores.append(Maintainability(path, float(item["mi"]), str(item.get("rank", ""))))
    return scores


def parse(cc_output: str, mi_output: str, paths: PathMap, rulebook: Rulebook) -> list[Finding]:
    """Findings from `radon cc -j -s` and `radon mi -j` output."""
    findings = [
        rulebook.finding(
            "radon:cc",
            block.path,
            block.line,
            f"`{block.name}` has cyclomatic complexity {block.complexity} (rank {block.rank})",
            severity=CC_SEVERITY[block.rank],
            end_line=block.end_line,
        )
        for block in cc_blocks(cc_output, paths)
        if block.rank in CC_SEVERITY
    ]
    findings.extend(
        rulebook.finding(
            "radon:mi",
            score.path,
            None,
            f"maintainability index {score.index:.1f} (rank C): hard to change safely",
        )
        for score in mi_scores(mi_output, paths)
        if score.rank == "C"
    )
    return sorted(findings, key=lambda f: (f.path, f.line or 0, f.rule))


def facts(blocks: list[Block], scores: list[Maintainability], files: int) -> dict[str, Any]:
    """The distribution the rubric weighs: ranks, mean complexity, mean MI."""
    ranks = Counter(block.rank for block in blocks)
    return {
        "files_checked": files,
        "functions": len(blocks),
        "complexity_ranks": {rank: ranks.get(rank, 0) for rank in RANKS},
        "mean_complexity": (
            round(sum(b.complexity for b in blocks) / len(blocks), 2) if blocks else None
        ),
        "mean_maintainability": (
            round(sum(s.index for s in scores) / len(scores), 2) if scores else None
        ),
        "maintainability_ranks": {
            rank: sum(1 for s in scores if s.rank == rank) for rank in ("A", "B", "C")
        },
    }


@dataclass(frozen=True, slots=True)
class RadonAnalyzer:
    name: str = "radon"
    criteria: tuple[str, ...] = ("C02",)
    # Which tool to run; a test points it at one that isn't installed.
    tool: str = "radon"

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        files = module_paths(ctx.inventory, ROLES)
        paths = PathMap(ctx.inventory.root)
        deadline = time.monotonic() + ctx.timeout
        findings: list[Finding] = []
        blocks: list[Block] = []
        scores: list[Maintainability] = []
        for batch in batches([paths.absolute(path) for path in files]):
            cc = run_tool(ctx, self.tool, [*CC_ARGS, *batch], deadline=deadline)
            mi = run_tool(ctx, self.tool, [*MI_ARGS, *batch], deadline=deadline)
            findings.extend(parse(cc.stdout, mi.stdout, paths, ctx.rulebook))
            blocks.extend(cc_blocks(cc.stdout, paths))
            scores.extend(mi_scores(mi.stdout, paths))
        findings.sort(key=lambda f: (f.path, f.line or 0, f.rule))  # all batches
        return AnalyzerOutput(findings=tuple(findings), facts=facts(blocks, scores, len(files)))


ANALYZER: Final = RadonAnalyzer()
