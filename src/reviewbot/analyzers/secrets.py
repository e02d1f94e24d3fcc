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
from reviewbot.analyzers.secret_history import history_findings
from reviewbot.analyzers.secret_patterns import (
    SecretHit,
    env_file_kind,
    find_secrets,
    is_placeholder,
    is_secret_name,
    key_value,
)
from reviewbot.analyzers.statement_walk import Scope, Statements, walk_statements
from reviewbot.model import AnalyzerOutput, Finding, Severity
from reviewbot.rulebook import Rulebook
from reviewbot.secrets_mask import mask_secret
from reviewbot.source.inventory import module_role
from reviewbot.source.inventory_model import FileKind, ModuleRole, PythonModule, RepoFile

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
# Text files read for provider-format secrets, beyond code and configuration.
_MAX_TEXT: Final = 1_000_000
_BUDGET: Final = 50_000_000
_SECRET_SETTERS: Final = frozenset({"app", "application", "settings", "config", "conf"})
_LOGGERS: Final = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})
# Every secret name (`is_secret_name`) contains one of these: modules without any are skipped.
_SECRET_WORDS: Final = re.compile(r"pass|pwd|secret|token|key|credential", re.IGNORECASE)
# snake_case words or a dotted module path: a name, not a secret.
_IDENTIFIER: Final = re.compile(r"[a-z]+(?:[_.][a-z]+)+")
# A value written out, not an expression (`os.environ["X"]`, `secrets.token_hex(32)`).
_LITERAL: Final = re.compile(r"[^\s()\[\]]+")
_NOTEBOOK_ASSIGN: Final = re.compile(
    r"(?P<key>[A-Za-z_]\w*)\s*=\s*\\?[\"'](?P<value>[^\"'\\\s]{1,300})\\?[\"']"
)


@dataclass
class _Scan:
    """Findings so far, and every secret value seen in the files (for the history scan)."""

    book: Rulebook
    findings: list[Finding] = field(default_factory=list)
    values: set[str] = field(default_factory=set)
    seen: set[tuple[str, int]] = field(default_factory=set)

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
                 f"{name} in the committed `{path}` is a placeholder: nothing leaked, but name "
                 "the file `.env.example` so real values never follow it into git.")
        return
    what = hit.describe() if hit.kind != "secret" else f"a real-looking secret (`{hit.masked}`)"
    scan.add("RB1302", path, line, ERROR,
             f"{name} in the committed `{path}` is {what}: {hit.remedy}, `git rm --cached "
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
                     f"{_cap(hit.describe())} is committed in `{path}`: {hit.remedy} and pass "
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
    for node, name, value in _literals(nodes):
        scan.values.add(value)
        _named_literal(scan, module, node, name, value)
    for node, name, value in _env_fallbacks(nodes.calls):
        scan.values.add(value)
        if not is_placeholder(value, key=name):
            scan.add("RB1301", module.path, node.lineno, WARNING,
                     f"`{name}` falls back to a hardcoded secret (`{mask_secret(value)}`) when "
                     "the variable is unset: drop the default so a missing secret stops the "
                     "app at startup, and rotate this value.")
    for node, shown in _printed_secrets(nodes.calls):
        severity = WARNING if role is ModuleRole.APP else INFO
        scan.add("RB1306", module.path, node.lineno, severity,
                 f"`{_call_name(node)}` writes `{shown}` to the output: logs and terminals are "
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


def _str_value(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value and " " not in node.value.strip() else None
    return None


def _target_name(target: ast.expr, in_function: bool) -> str | None:
    """The setting a target names: `SECRET_KEY`, `app.secret_key`, `app.config["SECRET_KEY"]`.
    Inside functions only settings of an app or config object count (not local variables)."""
    if isinstance(target, ast.Name) and not in_function:
        return target.id
    if isinstance(target, ast.Attribute):
        owner = target.value
        if not in_function or (isinstance(owner, ast.Name) and owner.id in _SECRET_SETTERS):
            return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        key = target.slice.value
        owner = target.value
        settings = (isinstance(owner, ast.Attribute) and owner.attr in ("config", "environ")) or (
            isinstance(owner, ast.Name) and owner.id in _SECRET_SETTERS
        )
        return key if isinstance(key, str) and (settings or not in_function) else None
    return None


def _assigned(
    node: ast.Assign | ast.AnnAssign, in_function: bool
) -> Iterator[tuple[ast.stmt, str, str]]:
    value = _str_value(node.value)
    if value is None:
        return
    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
        name = _target_name(target, in_function)
        if name is not None and is_secret_name(name):
            yield node, name, value


def _literals(nodes: Statements) -> Iterator[tuple[ast.stmt | ast.expr, str, str]]:
    """Secret-named settings assigned a string literal at module and class level (and app or
    config settings anywhere), and the secret-named entries of dict literals outside
    functions (`DATABASES = {"default": {"PASSWORD": "..."}}`)."""
    for statement, scope in nodes.assigns:
        yield from _assigned(statement, scope is Scope.FUNCTION)
    for literal, scope in nodes.dicts:
        if scope is Scope.FUNCTION:
            continue
        for key, item in zip(literal.keys, literal.values, strict=True):
            key_text, value = _str_value(key), _str_value(item)
            # Settings-style keys only (`"PASSWORD"` in `DATABASES`), and values that are not
            # names: dicts are as often lookup tables (`{"JWT_SECRET_KEY": "flask_jwt"}`).
            if key_text and key_text.isupper() and value and is_secret_name(key_text) and (
                not is_placeholder(value, key=key_text) and not _IDENTIFIER.fullmatch(value)
            ):
                yield item, key_text, value


def _env_fallbacks(calls: list[ast.Call]) -> Iterator[tuple[ast.Call, str, str]]:
    """`os.getenv("SECRET_KEY", "...")`, `os.environ.get(...)`, `config(..., default=...)`."""
    for node in calls:
        if not node.args:
            continue
        name = _str_value(node.args[0])
        if not _reads_env(node.func) or name is None or not is_secret_name(name):
            continue
        default = node.args[1] if len(node.args) > 1 else None
        default = next((k.value for k in node.keywords if k.arg == "default"), default)
        value = _str_value(default)
        if value is not None:
            yield node, name, value


def _reads_env(func: ast.expr) -> bool:
    """`os.getenv`, `getenv`, `os.environ.get`, decouple's `config`, django-environ's `env`
    and `env.str`."""
    if isinstance(func, ast.Name):
        return func.id in ("getenv", "config", "env")
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return func.attr == "getenv" or (func.attr, owner_name) in (("get", "environ"), ("str", "env"))


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else "print"


def _printed_secrets(calls: list[ast.Call]) -> Iterator[tuple[ast.Call, str]]:
    """`print(..., token)`, `logger.info("%s", user.password)`, `print(f"{api_key}")`."""
    for node in calls:
        func = node.func
        is_print = isinstance(func, ast.Name) and func.id == "print"
        is_log = isinstance(func, ast.Attribute) and func.attr in _LOGGERS and (
            isinstance(func.value, ast.Name) and "log" in func.value.id.lower()
        )
        if not (is_print or is_log):
            continue
        for arg in node.args:
            values = [v.value for v in arg.values if isinstance(v, ast.FormattedValue)] if (
                isinstance(arg, ast.JoinedStr)
            ) else [arg]
            shown = next((s for v in values if (s := _secret_expr(v))), None)
            if shown:
                yield node, shown
                break


def _secret_expr(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name) and is_secret_name(node.id):
        return node.id
    if isinstance(node, ast.Attribute) and is_secret_name(node.attr):
        return ast.unparse(node)
    return None


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

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        scan = _Scan(ctx.rulebook)
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
