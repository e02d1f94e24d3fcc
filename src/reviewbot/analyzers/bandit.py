"""bandit on the learner's own modules with reviewbot's profile (C13: security basics).

bandit gets reviewbot's config (`-c`) and an empty `--ini`, and is given files, never folders,
so it cannot discover the repository's `.bandit` file; its `# nosec` comments are ignored
(`--ignore-nosec`): the repo cannot lower the bar (DESIGN.md, decision 2).

bandit's severity becomes the finding's: low -> info, medium -> warning, high -> error, one
step lower when bandit itself has low confidence. Hardcoded-password messages carry the value
itself; it is masked before it reaches any finding (decision 3).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

from reviewbot.analyzers._tools import PathMap, batches, module_paths, run_tool
from reviewbot.analyzers.base import AnalyzerError, ScanContext
from reviewbot.cache.codec import CacheDecodeError, decode_findings, encode_findings
from reviewbot.cache.scan import per_file
from reviewbot.model import JSON, AnalyzerOutput, Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.secrets_mask import mask_secret
from reviewbot.source.inventory_model import ModuleRole

ROLES: Final = (
    ModuleRole.APP,
    ModuleRole.TEST,
    ModuleRole.SCRIPT,
    ModuleRole.MIGRATION,  # raw SQL in a migration is still SQL
)

# Left out everywhere: "consider the security implications of importing X" says nothing a
# learner can act on; the dangerous calls themselves (pickle.loads, shell=True) are reported.
SKIPPED_TESTS: Final = ("B403", "B404", "B603")

# Not findings in test code: pytest is built on `assert` (B101), test users need passwords
# (B105-B107), tests may use temp paths (B108) and random data (B311).
SKIPPED_IN_TESTS: Final = frozenset({"B101", "B105", "B106", "B107", "B108", "B311"})

# The tests whose message quotes the literal it found: "Possible hardcoded password: 'x'".
_QUOTES_SECRET: Final = frozenset({"B105", "B106", "B107"})
_QUOTED = re.compile(r"^(?P<text>.*?: )'(?P<value>.*)'$", re.DOTALL)

_SEVERITY: Final = {"LOW": Severity.INFO, "MEDIUM": Severity.WARNING, "HIGH": Severity.ERROR}
_LOWER: Final = {
    Severity.ERROR: Severity.WARNING,
    Severity.WARNING: Severity.INFO,
    Severity.INFO: Severity.INFO,
}


def config_text() -> str:
    """reviewbot's bandit profile (YAML; JSON is valid YAML)."""
    return json.dumps({"skips": list(SKIPPED_TESTS)}, indent=2) + "\n"


def command_args(config: Path, ini: Path) -> list[str]:
    """bandit's arguments before the file list."""
    return ["-f", "json", "-q", "-c", str(config), "--ini", str(ini), "--ignore-nosec"]


def severity(bandit_severity: str, confidence: str) -> Severity:
    """bandit's severity as reviewbot's, one step lower when bandit is not confident."""
    mapped = _SEVERITY.get(bandit_severity.upper(), Severity.INFO)
    return _LOWER[mapped] if confidence.upper() == "LOW" else mapped


def message(test_id: str, text: str) -> str:
    """bandit's issue text with any quoted secret masked."""
    match = _QUOTED.match(text) if test_id in _QUOTES_SECRET else None
    if match is None:
        return text
    return f"{match['text']}'{mask_secret(match['value'])}'"


def _results(output: str) -> dict[str, Any]:
    try:
        data = json.loads(output or "{}")
    except json.JSONDecodeError as exc:
        raise AnalyzerError(f"bandit printed something that is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AnalyzerError("bandit's JSON output is not an object")
    return data


def parse(
    output: str, paths: PathMap, rulebook: Rulebook, test_paths: Collection[str] = ()
) -> list[Finding]:
    """Findings from bandit's `-f json` output; `test_paths` are the repo's test modules."""
    findings = []
    for item in _results(output).get("results", []):
        test_id = str(item.get("test_id", ""))
        path = paths.relative(str(item.get("filename", "")))
        if path is None or (path in test_paths and test_id in SKIPPED_IN_TESTS):
            continue
        column = item.get("col_offset")
        findings.append(
            rulebook.finding(
                f"bandit:{test_id}",
                path,
                item.get("line_number"),
                message(test_id, str(item.get("issue_text", ""))),
                severity=severity(
                    str(item.get("issue_severity", "")), str(item.get("issue_confidence", ""))
                ),
                column=column + 1 if isinstance(column, int) else None,
            )
        )
    return sorted(findings, key=lambda f: (f.path, f.line or 0, f.column or 0, f.rule))


def errors(output: str, paths: PathMap) -> list[str]:
    """Repo paths of the files bandit could not analyse."""
    found = []
    for error in _results(output).get("errors", []):
        path = paths.relative(str(error.get("filename", "")))
        if path is not None:
            found.append(path)
    return found


# One file's findings, and whether bandit could not analyse it.
_FileResult = tuple[list[Finding], bool]


def _encode(result: _FileResult) -> JSON:
    return {"findings": encode_findings(result[0]), "failed": result[1]}


def _decode(data: Any) -> _FileResult:
    if not isinstance(data, dict) or not isinstance(data.get("failed"), bool):
        raise CacheDecodeError("bandit entry: not an object with `failed`")
    return decode_findings(data.get("findings")), data["failed"]


@dataclass(frozen=True, slots=True)
class BanditAnalyzer:
    name: str = "bandit"
    criteria: tuple[str, ...] = ("C13",)
    # Which tool to run; a test points it at one that isn't installed.
    tool: str = "bandit"
    # The scheduler gives it a thread of its own and bounds its processes by the cores.
    runs_subprocess: ClassVar[bool] = True

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        files = module_paths(ctx.inventory, ROLES)
        tests = set(module_paths(ctx.inventory, (ModuleRole.TEST,)))
        paths = PathMap(ctx.inventory.root)
        ctx.workdir.mkdir(parents=True, exist_ok=True)
        config = ctx.workdir / "reviewbot-bandit.yaml"
        config.write_text(config_text(), encoding="utf-8")
        # Named explicitly so bandit never looks for a `.bandit` file of the repo's.
        ini = ctx.workdir / "reviewbot.bandit"
        ini.write_text("[bandit]\n", encoding="utf-8")
        options = command_args(config, ini)
        deadline = time.monotonic() + ctx.timeout

        def check(missed: list[str]) -> dict[str, _FileResult]:
            # bandit looks at one file at a time: its results are cached per file.
            found: dict[str, _FileResult] = {path: ([], False) for path in missed}
            for batch in batches([paths.absolute(path) for path in missed]):
                result = run_tool(ctx, self.tool, [*options, *batch], deadline=deadline)
                for finding in parse(result.stdout, paths, ctx.rulebook, tests):
                    found.setdefault(finding.path, ([], False))[0].append(finding)
                for path in errors(result.stdout, paths):
                    found[path] = (found.get(path, ([], False))[0], True)
            return found

        # The profile and the options are the configuration; a file's role is in its key.
        setup = json.dumps([self.tool, config_text(), sorted(SKIPPED_IN_TESTS)])
        per_path = per_file(ctx, "bandit", setup, files, check, _encode, _decode)
        findings = [finding for path in files for finding in per_path[path][0]]
        failed = [path for path in files if per_path[path][1]]
        findings.sort(key=lambda f: (f.path, f.line or 0, f.column or 0, f.rule))  # all batches
        return AnalyzerOutput(
            findings=tuple(findings),
            facts={
                "files_checked": len(files) - len(failed),
                "not_checked": sorted(failed),
                "findings_by_severity": {
                    level.value: sum(1 for f in findings if f.severity is level)
                    for level in Severity
                },
                "findings_by_rule": dict(sorted(Counter(f.rule for f in findings).items())),
            },
        )


ANALYZER: Final = BanditAnalyzer()
