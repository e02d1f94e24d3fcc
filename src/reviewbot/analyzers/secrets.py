"""Secrets committed to the repository (C13): in code, `.env` files, configuration, compose
files, workflows, Dockerfiles, notebooks and documents, and in the git history.

Every message shows a secret masked (`sk-p…zfwX`, DESIGN.md decision 3); the values found
never leave this module except to be compared with the history's.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Final

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.secret_code import (
    call_name,
    env_fallbacks,
    printed_secrets,
    secret_literals,
)
from reviewbot.analyzers.secret_history import history_findings
from reviewbot.analyzers.secret_patterns import (
    SecretHit,
    env_file_kind,
    find_secrets,
    is_placeholder,
    is_secret_name,
    key_value,
)
from reviewbot.analyzers.statement_walk import walk_statements
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.secrets_mask import mask_secret
from reviewbot.source.inventory import module_role
from reviewbot.source.inventory_model import FileKind, ModuleRole, PythonModule, RepoFile

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
# Text files read for provider-format secrets, beyond code and configuration.
_MAX_TEXT: Final = 1_000_000
_BUDGET: Final = 50_000_000
# Every secret name (`is_secret_name`) contains one of these: modules without any are skipped.
_SECRET_WORDS: Final = re.compile(
    r"passw|pwd|secret|token|api_?key|apikey|passphrase|credential|(?:private|access|signing|"
    r"encryption|jwt|auth|master)_?key|_pass\b",
    re.IGNORECASE,
)
# A value written out, not an expression (`os.environ["X"]`, `secrets.token_hex(32)`).
_LITERAL: Final = re.compile(r"[^\s()\[\]]+")
_NOTEBOOK_ASSIGN: Final = re.compile(
    r"(?P<key>[A-Za-z_]\w*)\s*=\s*\\?[\"'](?P<value>[^\"'\\\s]{1,300})\\?[\"']"
)


@dataclass
class _Scan:
    """Findings so far, and every secret value seen in the files (for the history scan)."""

    book: Rulebook
    # A plain folder (not a git checkout) may hold files that were never committed.
    is_git: bool = True
    findings: list[Finding] = field(default_factory=list)
    values: set[str] = field(default_factory=set)
    seen: set[tuple[str, int]] = field(default_factory=set)

    def the(self, path: str) -> str:
        return f"the committed `{path}`" if self.is_git else f"`{path}`"

    @property
    def written(self) -> str:
        return "committed" if self.is_git else "written"

    def add(self, rule: str, path: str, line: int, severity: Severity, message: str) -> None:
        # One finding per line: a key and a URL on the same line are one mistake to fix.
        if (path, line) not in self.seen:
            self.seen.add((path, line))
            self.findings.append(self.book.finding(rule, path, line, message, severity=severity))


# --- .env files -------------------------------------------------------------------------


def _env_file(scan: _Scan, path: str, text: str, template: bool) -> None:
    name = PurePosixPath(path).name
    lines = text.splitlines()
    hits = sorted(find_secrets(text), key=lambda h: h.placeholder)  # real ones first
    scan.values.update(h.value for h in hits)
    for hit in hits:
        if template and not hit.placeholder:
            scan.add("RB1302", path, hit.line, WARNING,
                     f"The template `{name}` holds {hit.describe()}: replace it with a "
                     f"placeholder and {hit.remedy}, the template is public too.")
        elif not template:
            _env_value(scan, path, hit.line, _key_of(lines, hit.line), hit)
    if template:
        return
    for number, line in enumerate(lines, start=1):
        parsed = key_value(line)
        if parsed is None or not is_secret_name(parsed[0]) or not parsed[1]:
            continue
        key, value, column = parsed
        scan.values.add(value)
        hit = SecretHit("secret", value, number, column, is_placeholder(value, key=key), key)
        _env_value(scan, path, number, key, hit)


def _key_of(lines: list[str], line: int) -> str | None:
    parsed = key_value(lines[line - 1]) if 0 < line <= len(lines) else None
    return parsed[0] if parsed else None


def _env_value(scan: _Scan, path: str, line: int, key: str | None, hit: SecretHit) -> None:
    name = f"`{key}`" if key else f"Line {line}"
    if hit.placeholder:
        scan.add("RB1302", path, line, INFO,
                 f"{name} in {scan.the(path)} is a placeholder: nothing leaked, but name "
                 "the file `.env.example` so real values never follow it into git.")
        return
    what = hit.describe() if hit.kind != "secret" else f"a real-looking secret (`{hit.masked}`)"
    scan.add("RB1302", path, line, ERROR,
             f"{name} in {scan.the(path)} is {what}: {hit.remedy}, `git rm --cached "
             f"{path}`, and commit a `.env.example` with placeholders instead.")


# --- other configuration, Dockerfiles, notebooks and documents ---------------------------


def _config_file(scan: _Scan, repo_file: RepoFile, text: str) -> None:
    path = repo_file.path
    in_tests = module_role(path) is ModuleRole.TEST
    hits = find_secrets(text, jwt=repo_file.kind is not FileKind.DOC)
    scan.values.update(h.value for h in hits)
    for hit in hits:
        if not hit.placeholder:
            scan.add("RB1303", path, hit.line, INFO if in_tests else ERROR,
                     f"{_cap(hit.describe())} is {scan.written} in `{path}`: {hit.remedy} and pass "
                     "it in from the environment or the CI's secret store.")
    if repo_file.kind in (FileKind.DOC, FileKind.OTHER) or in_tests:
        return
    for number, key, value in _named_values(repo_file, text):
        scan.values.add(value)
        if not is_placeholder(value, key=key):
            scan.add("RB1303", path, number, WARNING,
                     f"`{key}` is set to a real-looking secret (`{mask_secret(value)}`) in "
                     f"`{path}`: {_config_fix(repo_file.kind, key)}")


def _named_values(repo_file: RepoFile, text: str) -> Iterator[tuple[int, str, str]]:
    if repo_file.path.endswith(".toml"):
        yield from _toml_values(text)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if repo_file.kind is FileKind.NOTEBOOK:
            pairs = [(m["key"], m["value"]) for m in _NOTEBOOK_ASSIGN.finditer(line)]
        else:
            parsed = key_value(line)
            pairs = [(parsed[0], parsed[1])] if parsed else []
        for key, value in pairs:
            if is_secret_name(key) and _LITERAL.fullmatch(value):
                yield number, key, value


def _toml_values(text: str) -> Iterator[tuple[int, str, str]]:
    """Secret-named string values of a TOML file, as TOML reads it: text inside multi-line
    strings (documentation, examples) is not a setting."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    lines = text.splitlines()
    tables: list[dict[str, object]] = [data]
    while tables:
        for key, value in tables.pop().items():
            if isinstance(value, dict):
                tables.append(value)
            elif isinstance(value, str) and is_secret_name(key) and _LITERAL.fullmatch(value):
                pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
                number = next((i for i, line in enumerate(lines, 1) if pattern.match(line)), 0)
                if number:
                    yield number, key, value


def _config_fix(kind: FileKind, key: str) -> str:
    if kind is FileKind.WORKFLOW:
        return f"store it as a repository secret and use `${{{{ secrets.{key.upper()} }}}}`."
    if kind is FileKind.COMPOSE:
        return f"reference `${{{key.upper()}}}` and keep the value in an uncommitted `.env`."
    return "read it from the environment instead, and rotate it."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dockerfile(scan: _Scan, path: str, text: str) -> None:
    hits = find_secrets(text)
    scan.values.update(h.value for h in hits)
    for hit in hits:
        if not hit.placeholder:
            scan.add("RB1304", path, hit.line, ERROR,
                     f"{_cap(hit.describe())} in the Dockerfile is baked into the image: pass "
                     f"it at run time (`docker run -e`, compose `env_file:`) and {hit.remedy}.")
    for number, instruction, key, value in dockerfile_settings(text):
        scan.values.add(value)
        if is_secret_name(key) and not is_placeholder(value, key=key):
            scan.add("RB1304", path, number, ERROR,
                     f"`{instruction} {key}` bakes a secret (`{mask_secret(value)}`) into every "
                     f"layer of the image: pass it at run time (`docker run -e {key}`, compose "
                     "`env_file:`) and rotate it.")


_INSTRUCTION: Final = re.compile(r"^\s*(ENV|ARG)\s+(.*)$", re.IGNORECASE)
_ENV_PAIR: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)")


def dockerfile_settings(text: str) -> Iterator[tuple[int, str, str, str]]:
    """(line, ENV|ARG, name, value) for each value an `ENV` or `ARG` sets, continuation lines
    (`\\`) included, each pair with its own line."""
    instruction = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        continued = line.endswith("\\")
        line = line.rstrip("\\ ")
        match = _INSTRUCTION.match(line)
        if match is not None:
            instruction, rest = match[1].upper(), match[2].strip()
        elif instruction is not None:
            rest = line.strip()
        else:
            continue
        pairs = _ENV_PAIR.findall(rest)
        if not pairs and match is not None and instruction == "ENV" and " " in rest:
            pairs = [tuple(rest.split(None, 1))]  # legacy `ENV KEY value`
        for key, value in pairs:
            yield number, instruction, key, value.strip("\"'")
        instruction = instruction if continued else None


# --- Python code ------------------------------------------------------------------------


def _python_module(scan: _Scan, module: PythonModule) -> None:
    role = module.role
    hits = find_secrets(module.source)
    scan.values.update(h.value for h in hits)
    for hit in hits:
        if hit.placeholder:
            continue
        where = (
            "in a commented-out line" if module.line_text(hit.line).lstrip().startswith("#")
            else "in the code"
        )
        severity = ERROR if role in (ModuleRole.APP, ModuleRole.SCRIPT) else INFO
        scan.add("RB1301", module.path, hit.line, severity,
                 f"{_cap(hit.describe())} {where}: read it from the environment and "
                 f"{hit.remedy}, the old value stays in the git history.")
    if role is ModuleRole.TEST or role is ModuleRole.MIGRATION or not _SECRET_WORDS.search(
        module.source
    ):
        return
    nodes = walk_statements(module, _SECRET_WORDS)
    for node, name, value in secret_literals(nodes):
        scan.values.add(value)
        _named_literal(scan, module, node, name, value)
    for node, name, value in env_fallbacks(nodes.calls):
        scan.values.add(value)
        if not is_placeholder(value, key=name):
            scan.add("RB1301", module.path, node.lineno, WARNING,
                     f"`{name}` falls back to a hardcoded secret (`{mask_secret(value)}`) when "
                     "the variable is unset: drop the default so a missing secret stops the "
                     "app at startup, and rotate this value.")
    for node, shown in printed_secrets(nodes.calls):
        severity = WARNING if role is ModuleRole.APP else INFO
        scan.add("RB1306", module.path, node.lineno, severity,
                 f"`{call_name(node)}` writes `{shown}` to the output: logs and terminals are "
                 "read by many people; log that the event happened, never the secret itself.")


def _named_literal(
    scan: _Scan, module: PythonModule, node: ast.stmt | ast.expr, name: str, value: str
) -> None:
    script = module.role is ModuleRole.SCRIPT
    # A dict entry (`"PASSWORD"` of `DATABASES`) has no variable name of its own to suggest.
    variable = "DB_PASSWORD" if isinstance(node, ast.expr) and name == "PASSWORD" else (
        name.upper()
    )
    shown = f"`\"{name}\"`" if isinstance(node, ast.expr) else f"`{name}`"
    if value.startswith("django-insecure-"):
        severity, what = WARNING, f"Django's generated development key (`{mask_secret(value)}`)"
    elif is_placeholder(value, key=name):
        severity, what = INFO if script else WARNING, "a hardcoded placeholder"
    else:
        severity, what = WARNING if script else ERROR, f"hardcoded (`{mask_secret(value)}`)"
    scan.add("RB1301", module.path, node.lineno, severity,
             f"{shown} is {what}: read it from the environment "
             f"(`os.environ[\"{variable}\"]` or a settings class) and rotate it, the old "
             "value stays in the git history.")


# --- the analyzer -----------------------------------------------------------------------


def _scan_files(ctx: ScanContext, scan: _Scan) -> None:
    inventory, budget = ctx.inventory, _BUDGET
    for repo_file in inventory.files:
        kind = repo_file.kind
        if kind in (FileKind.PYTHON, FileKind.DATABASE, FileKind.BINARY):
            continue
        if repo_file.size > min(_MAX_TEXT, ctx.settings.max_file_bytes) or budget <= 0:
            continue
        text = inventory.read_text(repo_file.path)
        if text is None or "\0" in text[:8192]:
            continue
        budget -= len(text)
        env_kind = env_file_kind(PurePosixPath(repo_file.path).name)
        if env_kind is not None:
            _env_file(scan, repo_file.path, text, template=env_kind == "template")
        elif kind is FileKind.DOCKERFILE:
            _dockerfile(scan, repo_file.path, text)
        else:
            _config_file(scan, repo_file, text)


class SecretsAnalyzer:
    name = "secrets"
    criteria = ("C13",)
    # Reads the git history: the result cache keys it on the commit too.
    reads_history = True

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        scan = _Scan(ctx.rulebook, ctx.inventory.is_git)
        for module in ctx.inventory.modules:
            _python_module(scan, module)
        _scan_files(ctx, scan)
        history, commits = history_findings(ctx, scan.values)
        findings = sorted(scan.findings, key=lambda f: (f.path, f.line or 0, f.rule)) + history
        secrets = [f for f in findings if f.rule != "RB1306" and f.severity is not INFO]
        facts = {
            "secrets_found": len(secrets),
            "files_with_secrets": sorted({f.path for f in secrets}),
            "history_commits_scanned": commits,
        }
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = SecretsAnalyzer()
