"""ruff on the learner's own modules (C01: clean, idiomatic Python).

ruff runs `--isolated`: the repository's `[tool.ruff]`, `ruff.toml` and `# noqa` comments never
change what reviewbot reports (DESIGN.md, decision 2). Only the target Python version is taken
from the repo, as data: `requires-python` decides which modernisations (UP) apply.

The rule selection is deliberate: rules that catch bugs or teach idiomatic Python to someone
learning backend development, without the pure-style noise a formatter settles (line length,
whitespace, quotes). Security rules (S) are bandit's (C13), complexity (C90) is radon's (C02),
FastAPI/async/logging rules belong to their own criteria's analyzers.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from reviewbot.analyzers._tools import (
    DEFAULT_PYTHON,
    PathMap,
    PythonVersion,
    batches,
    clamp,
    lowest_python,
    module_paths,
    run_tool,
)
from reviewbot.analyzers.base import AnalyzerError, ScanContext
from reviewbot.cache.codec import decode_findings, encode_findings
from reviewbot.cache.scan import per_file
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.rulebook import Rulebook
from reviewbot.source.inventory_model import ModuleRole

RULES: Final[tuple[str, ...]] = (
    # pyflakes: unused and undefined names, star imports, broken literals: nearly all bugs.
    # The %-format/.format argument checks are left out: learners write f-strings.
    "F401", "F402", "F403", "F405", "F541", "F601", "F631", "F632", "F701", "F702", "F704",
    "F706", "F707", "F811", "F821", "F823", "F841", "F901",
    # pycodestyle, only the errors that matter: imports, one statement per line, comparisons
    # to None/True, bare except, lambda assignment, ambiguous names. No line length, no
    # whitespace rules: a formatter's job, not a reviewer's.
    "E401", "E402", "E701", "E702", "E703", "E711", "E712", "E713", "E714", "E721", "E722",
    "E731", "E741",
    # An invalid escape sequence is a real bug waiting for the next Python release.
    "W605",
    # bugbear: mutable defaults, loop-variable closures, `raise` without `from`, useless code.
    # B905/B911/B912 (`strict=` on zip/map) are left out as noise for learners.
    "B003", "B005", "B006", "B007", "B008", "B011", "B012", "B015", "B016", "B017", "B018",
    "B020", "B023", "B033", "B904",
    # simplify: the idioms a reviewer points out (any/all, dict.get, context managers); not
    # SIM105/SIM108, which are taste.
    "SIM102", "SIM103", "SIM109", "SIM110", "SIM113", "SIM114", "SIM115", "SIM117", "SIM118",
    "SIM210", "SIM222", "SIM300", "SIM401",
    # comprehensions: the ones that teach what a comprehension is for; not C408 (`dict()`).
    "C400", "C401", "C403", "C404", "C405", "C414", "C416", "C419",
    # pyupgrade where it teaches modern Python (typing syntax, f-strings, super(), aliases);
    # gated by the repo's declared Python. Not PEP 695 generics: too advanced to demand.
    "UP004", "UP006", "UP007", "UP008", "UP009", "UP015", "UP017", "UP024", "UP031", "UP032",
    "UP035", "UP036", "UP045",
    # pylint errors: code that fails at runtime.
    "PLE0101", "PLE0241", "PLE0302", "PLE0604", "PLE0704", "PLE1132", "PLE1142", "PLE1205",
    "PLE1206", "PLE1507",
    # pylint refactor: functions doing too much, and comparisons that are always the same.
    # Not too-many-arguments (FastAPI endpoints take their dependencies as parameters) and
    # not magic values (HTTP status codes everywhere).
    "PLR0124", "PLR0133", "PLR0206", "PLR0911", "PLR0912", "PLR0915", "PLR1704", "PLR1711",
    "PLR1714", "PLR1722", "PLR1730", "PLR5501",
    # pylint warnings: globals, shadowed loop names, subprocess without check, eq without hash.
    "PLW0120", "PLW0127", "PLW0129", "PLW0177", "PLW0211", "PLW0406", "PLW0602", "PLW0603",
    "PLW0642", "PLW0711", "PLW1508", "PLW1510", "PLW1641", "PLW2901",
    # Iterating a set literal gives an order that changes between runs.
    "PLC0208",
    # ruff's own rules that catch bugs: dangling asyncio tasks, dataclass defaults, implicit
    # Optional, quadratic sums. Not the ambiguous-unicode rules (RUF001-003), which flag
    # learners writing in their own language, nor sorting `__all__`.
    "RUF006", "RUF008", "RUF009", "RUF013", "RUF015", "RUF017", "RUF018", "RUF019", "RUF020",
    "RUF024", "RUF026", "RUF034", "RUF051", "RUF060",
    # pep8-naming: names are the first thing a reader sees. Not N815 (Pydantic fields that
    # mirror a camelCase JSON API) nor N818 (exception suffix), which are conventions.
    "N801", "N802", "N803", "N804", "N805", "N806", "N811", "N812", "N813", "N814", "N816",
    "N817", "N999",
    # pie: duplicated class fields and enum values are bugs; the rest is idiom.
    "PIE794", "PIE796", "PIE807", "PIE810",
    # Naive datetimes are the classic backend bug: store and compare aware ones.
    "DTZ003", "DTZ005",
)  # fmt: skip

# `Depends(get_db)` as a default is how FastAPI (and Typer) declare parameters, not a bug.
IMMUTABLE_CALLS: Final = (
    "fastapi.Depends", "fastapi.Query", "fastapi.Path", "fastapi.Body", "fastapi.Header",
    "fastapi.Cookie", "fastapi.Form", "fastapi.File", "fastapi.Security",
    "fastapi.params.Depends", "fastapi.params.Query", "fastapi.params.Security",
    "typer.Option", "typer.Argument",
)  # fmt: skip

# Generated migrations are not the learner's prose; tests and scripts are.
ROLES: Final = (ModuleRole.APP, ModuleRole.TEST, ModuleRole.SCRIPT)

# Earliest and latest `--target-version` this ruff accepts.
TARGETS: Final[tuple[PythonVersion, PythonVersion]] = ((3, 7), (3, 15))


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def command_args(target: PythonVersion) -> list[str]:
    """ruff's arguments before the file list: reviewbot's rules, nothing from the repo."""
    return [
        "check",
        "--isolated",
        "--no-cache",
        "--ignore-noqa",
        "--output-format",
        "json",
        "--target-version",
        f"py{target[0]}{target[1]}",
        "--select",
        ",".join(RULES),
        "--config",
        f"lint.flake8-bugbear.extend-immutable-calls = {_toml_list(IMMUTABLE_CALLS)}",
        # Importing in a package's __init__ to re-export is a legitimate pattern.
        "--config",
        'lint.per-file-ignores = {"__init__.py" = ["F401"]}',
    ]


def _rule_id(item: dict[str, Any]) -> str:
    code = item.get("code")
    # Syntax the declared Python version can't parse comes without a rule code.
    return f"ruff:{code}" if isinstance(code, str) and code else "ruff:invalid-syntax"


def parse(output: str, paths: PathMap, rulebook: Rulebook) -> list[Finding]:
    """Findings from the JSON ruff prints with `--output-format json`."""
    try:
        items = json.loads(output or "[]")
    except json.JSONDecodeError as exc:
        raise AnalyzerError(f"ruff printed something that is not JSON: {exc}") from exc
    if not isinstance(items, list):
        raise AnalyzerError("ruff's JSON output is not a list of diagnostics")
    findings = []
    for item in items:
        path = paths.relative(str(item.get("filename", "")))
        if path is None:
            continue
        start = item.get("location") or {}
        end = item.get("end_location") or {}
        fix = item.get("fix") or {}
        findings.append(
            rulebook.finding(
                _rule_id(item),
                path,
                start.get("row"),
                str(item.get("message", "")),
                column=start.get("column"),
                end_line=end.get("row"),
                fix=fix.get("message") or None,
            )
        )
    return findings


def target_version(ctx: ScanContext) -> PythonVersion:
    """The repo's lowest declared Python, within what ruff accepts."""
    return clamp(lowest_python(ctx.inventory) or DEFAULT_PYTHON, *TARGETS)


@dataclass(frozen=True, slots=True)
class RuffAnalyzer:
    name: str = "ruff"
    criteria: tuple[str, ...] = ("C01",)
    # Which tool to run; a test points it at one that isn't installed.
    tool: str = "ruff"
    # The scheduler gives it a thread of its own and bounds its processes by the cores.
    runs_subprocess: ClassVar[bool] = True

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        files = module_paths(ctx.inventory, ROLES)
        target = target_version(ctx)
        paths = PathMap(ctx.inventory.root)
        deadline = time.monotonic() + ctx.timeout
        options = command_args(target)

        def check(missed: list[str]) -> dict[str, list[Finding]]:
            # ruff's findings for a file depend on that file alone: cached per file.
            found: dict[str, list[Finding]] = {path: [] for path in missed}
            for batch in batches([paths.absolute(path) for path in missed]):
                result = run_tool(ctx, self.tool, [*options, *batch], deadline=deadline)
                for finding in parse(result.stdout, paths, ctx.rulebook):
                    found.setdefault(finding.path, []).append(finding)
            return found

        config = json.dumps([self.tool, options])
        per_path = per_file(ctx, "ruff", config, files, check, encode_findings, decode_findings)
        findings = [finding for path in files for finding in per_path[path]]
        findings.sort(key=lambda f: (f.path, f.line or 0, f.column or 0, f.rule))
        by_rule = Counter(finding.rule for finding in findings)
        return AnalyzerOutput(
            findings=tuple(findings),
            facts={
                "files_checked": len(files),
                "target_version": f"{target[0]}.{target[1]}",
                "findings_by_rule": dict(sorted(by_rule.items())),
            },
        )


ANALYZER: Final = RuffAnalyzer()
