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
from typing import Any, ClassVar, Final, NamedTuple

from reviewbot.analyzers._tools import PathMap, batches, module_paths, run_tool
from reviewbot.analyzers.base import AnalyzerError, ScanContext
from reviewbot.cache.codec import CacheDecodeError, decode_findings, encode_findings
from reviewbot.cache.scan import per_file
from reviewbot.model import JSON, AnalyzerOutput, Finding, Severity
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


class _FileResult(NamedTuple):
    """What radon measured in one file."""

    findings: list[Finding]
    blocks: list[Block]
    score: Maintainability | None


def _encode(result: _FileResult) -> JSON:
    return {
        "findings": encode_findings(result.findings),
        "blocks": [
            [b.path, b.name, b.line, b.end_line, b.complexity, b.rank] for b in result.blocks
        ],
        "score": (
            None
            if result.score is None
            else [result.score.path, result.score.index, result.score.rank]
        ),
    }


def _decode(data: Any) -> _FileResult:
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
        raise CacheDecodeError("radon entry: not an object with blocks")
    blocks = []
    for path, name, line, end_line, complexity, rank in data["blocks"]:
        if not (isinstance(path, str) and isinstance(name, str) and isinstance(rank, str)):
            raise CacheDecodeError("radon entry: a block's names are not strings")
        if not (isinstance(line, int) and isinstance(complexity, int)):
            raise CacheDecodeError("radon entry: a block's numbers are not integers")
        if end_line is not None and not isinstance(end_line, int):
            raise CacheDecodeError("radon entry: a block's end line is not an integer")
        blocks.append(Block(path, name, line, end_line, complexity, rank))
    score = None
    if data.get("score") is not None:
        path, index, rank = data["score"]
        if not (isinstance(path, str) and isinstance(index, int | float) and isinstance(rank, str)):
            raise CacheDecodeError("radon entry: the maintainability score is malformed")
        score = Maintainability(path, float(index), rank)
    return _FileResult(decode_findings(data.get("findings")), blocks, score)


@dataclass(frozen=True, slots=True)
class RadonAnalyzer:
    name: str = "radon"
    criteria: tuple[str, ...] = ("C02",)
    # Which tool to run; a test points it at one that isn't installed.
    tool: str = "radon"
    # The scheduler gives it a thread of its own and bounds its processes by the cores.
    runs_subprocess: ClassVar[bool] = True

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        files = module_paths(ctx.inventory, ROLES)
        paths = PathMap(ctx.inventory.root)
        deadline = time.monotonic() + ctx.timeout

        def measure(missed: list[str]) -> dict[str, _FileResult]:
            # radon measures each file on its own: its results are cached per file.
            found = {path: _FileResult([], [], None) for path in missed}
            for batch in batches([paths.absolute(path) for path in missed]):
                cc = run_tool(ctx, self.tool, [*CC_ARGS, *batch], deadline=deadline)
                mi = run_tool(ctx, self.tool, [*MI_ARGS, *batch], deadline=deadline)
                for finding in parse(cc.stdout, mi.stdout, paths, ctx.rulebook):
                    found.setdefault(finding.path, _FileResult([], [], None)).findings.append(
                        finding
                    )
                for block in cc_blocks(cc.stdout, paths):
                    found.setdefault(block.path, _FileResult([], [], None)).blocks.append(block)
                for score in mi_scores(mi.stdout, paths):
                    if score.path in found:
                        found[score.path] = found[score.path]._replace(score=score)
            return found

        setup = json.dumps([self.tool, CC_ARGS, MI_ARGS])
        per_path = per_file(ctx, "radon", setup, files, measure, _encode, _decode)
        # Assembled in path order whether cached or not: the means add up the same way.
        findings = [finding for path in files for finding in per_path[path].findings]
        blocks = [block for path in files for block in per_path[path].blocks]
        scores = [s for path in files if (s := per_path[path].score) is not None]
        findings.sort(key=lambda f: (f.path, f.line or 0, f.rule))  # all batches
        return AnalyzerOutput(findings=tuple(findings), facts=facts(blocks, scores, len(files)))


ANALYZER: Final = RadonAnalyzer()
