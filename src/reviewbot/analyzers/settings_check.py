"""Security settings (C13) and configuration (C14), read from the parsed code.

C13: debug mode on in settings (`DEBUG = True`, `os.getenv("DEBUG", True)`, `FastAPI(debug=
True)`), CORS open to every origin with credentials (FastAPI/Starlette, django-cors-headers,
flask-cors), `ALLOWED_HOSTS = ["*"]`. Flask's `app.run(debug=True)` is bandit's B201.
C14: which settings the code reads from the environment (the positive evidence), database
URLs written into the code, settings switched per environment by `if ENV == "prod":`, and an
example of the variables (`.env.example`) when the code reads any.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Final

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.env_reads import ENV_WORDS, ModuleReads, read_environment
from reviewbot.analyzers.secret_patterns import env_file_kind, key_value, safe_url
from reviewbot.analyzers.statement_walk import Scope, Statements, walk_statements
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.source.inventory_model import ModuleRole, PythonModule

_DEV_WORDS: Final = frozenset({"dev", "development", "local", "test", "tests", "testing", "ci"})
_TRUTHY: Final = (True, 1, "1", "true", "True", "TRUE", "yes", "on")
_DB_URL: Final = re.compile(
    r"(postgres(?:ql)?|mysql|mariadb|sqlite|mongodb|redis|rediss|amqp|mssql|oracle|"
    r"cockroachdb)(?:\+\w+)?://",
)
_IN_MEMORY: Final = ("sqlite://", "sqlite:///:memory:")
_ENV_SELECTORS: Final = frozenset(
    {"env", "environment", "app_env", "stage", "mode", "django_env", "flask_env", "profile"}
)
_ENV_NAMES: Final = frozenset(
    {"prod", "production", "dev", "development", "staging", "stage", "test", "testing", "local"}
)
_MAX_NAMES: Final = 8
# What the checks below look for always names one of these (or an ENV_WORDS word) in its line.
_WORDS: Final = re.compile(ENV_WORDS.pattern + r"|CORS|cors|debug|DEBUG|://|ALLOWED_HOSTS")


@dataclass
class _Found:
    findings: list[Finding] = field(default_factory=list)
    cors_all: list[tuple[str, int]] = field(default_factory=list)  # django-cors-headers
    cors_credentials: bool = False


def _dev_only(module: PythonModule) -> bool:
    """Settings meant for development only: `settings/dev.py`, `local_settings.py`."""
    words = set(re.split(r"[_.\-/]", PurePosixPath(module.path).with_suffix("").as_posix()))
    return bool(words & _DEV_WORDS)


def _constant(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time: the module body and its if/try blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.Try):
            yield from _top_level(statement.body + statement.orelse)
            for handler in getattr(statement, "handlers", []):
                yield from _top_level(handler.body)


# --- C13 --------------------------------------------------------------------------------


def _debug_findings(
    ctx: ScanContext, module: PythonModule, walk: Statements, reads: ModuleReads
) -> list[Finding]:
    book, found = ctx.rulebook, []
    assigned = [
        s for s in _top_level(module.tree.body)
        if isinstance(s, ast.Assign) and any(_name_of(t) == "DEBUG" for t in s.targets)
    ]
    literal = [s for s in assigned if _constant(s.value) is True]
    if literal and len(assigned) == 1 and not _dev_only(module):
        found.append(book.finding(
            "RB1311", module.path, literal[0].lineno,
            "`DEBUG = True` is hardcoded in the settings: in production it shows stack traces "
            "and configuration to anyone who triggers an error. Read it from the environment, "
            "off unless asked for: `DEBUG = os.getenv(\"DEBUG\", \"false\") == \"true\"`."))
    for line, name, default in reads.defaults:
        if name.upper().endswith("DEBUG") and default in _TRUTHY:
            found.append(book.finding(
                "RB1311", module.path, line,
                f"`{name}` defaults to on (`{default!r}`) when the variable is unset, so a "
                "deployment that forgets it runs in debug mode: make the default off."))
    for node in [*walk.calls, *(statement for statement, _ in walk.assigns)]:
        switched = _debug_switch(node)
        if switched is not None:
            found.append(book.finding(
                "RB1311", module.path, switched,
                "Debug mode is switched on in the code: it shows stack traces to every client. "
                "Take it from the settings, off by default."))
    return found


def _debug_switch(node: ast.AST) -> int | None:
    """`FastAPI(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True`,
    `app.config.update(DEBUG=True)`: the line, or None."""
    if isinstance(node, ast.Call):
        called = _name_of(node.func)
        name = "debug" if called in ("FastAPI", "Starlette", "Litestar") else "DEBUG"
        keyword = _keyword(node, name)
        if called in ("FastAPI", "Starlette", "Litestar", "update") and keyword is not None:
            return node.lineno if _constant(keyword.value) is True else None
    if isinstance(node, ast.Assign) and _constant(node.value) is True:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "debug":
                return node.lineno
            if isinstance(target, ast.Subscript) and _constant(target.slice) == "DEBUG" and (
                _name_of(target.value) == "config"
            ):
                return node.lineno
    return None


def _wildcard(node: ast.expr | None) -> bool:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(_constant(item) == "*" for item in node.elts)
    return _constant(node) in ("*", ".*")


def _cors_call(node: ast.Call, flask_cors: bool) -> tuple[int, int] | None:
    """(origins line, credentials line) of a CORS setup that allows every origin with
    credentials, or None."""
    args = node.args
    called = _name_of(node.func)
    starlette = called in ("add_middleware", "Middleware") and args and (
        _name_of(args[0]) == "CORSMiddleware"
    )
    if starlette:
        origins = _keyword(node, "allow_origins") or _keyword(node, "allow_origin_regex")
        credentials = _keyword(node, "allow_credentials")
        if origins and credentials and _wildcard(origins.value) and (
            _constant(credentials.value) is True
        ):
            return origins.value.lineno, credentials.value.lineno
    if flask_cors and called in ("CORS", "cross_origin"):
        credentials = _keyword(node, "supports_credentials")
        origins = _keyword(node, "origins")
        # flask-cors allows every origin unless `origins` or `resources` say otherwise.
        open_origins = (origins is None and _keyword(node, "resources") is None) or (
            origins is not None and _wildcard(origins.value)
        )
        if credentials and _constant(credentials.value) is True and open_origins:
            line = origins.value.lineno if origins else node.lineno
            return line, credentials.value.lineno
    return None


def _cors_findings(
    ctx: ScanContext, module: PythonModule, walk: Statements, found: _Found
) -> None:
    flask_cors = "flask_cors" in module.source
    for node in walk.calls:
        if lines := _cors_call(node, flask_cors):
            origins, credentials = lines
            where = f" (line {credentials})" if credentials != origins else ""
            found.findings.append(ctx.rulebook.finding(
                "RB1312", module.path, origins,
                f"CORS allows every origin together with credentials{where}: any website a "
                "user visits can call this API with the user's cookies or tokens. List the "
                "front-end origins you trust, from the settings."))
    if _dev_only(module):
        return
    for statement in _top_level(module.tree.body):
        if not isinstance(statement, ast.Assign) or _constant(statement.value) is not True:
            continue
        names = {_name_of(t) for t in statement.targets}
        if names & {"CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"}:
            found.cors_all.append((module.path, statement.lineno))
        if "CORS_ALLOW_CREDENTIALS" in names:
            found.cors_credentials = True


def _allowed_hosts(ctx: ScanContext, module: PythonModule) -> list[Finding]:
    if _dev_only(module):
        return []
    return [
        ctx.rulebook.finding(
            "RB1313", module.path, s.lineno,
            "`ALLOWED_HOSTS` accepts any host name: list the domains the site is served from "
            "(from the environment) so forged `Host` headers are refused.")
        for s in _top_level(module.tree.body)
        if isinstance(s, ast.Assign) and any(_name_of(t) == "ALLOWED_HOSTS" for t in s.targets)
        and _wildcard(s.value)
    ]


# --- C14 --------------------------------------------------------------------------------


def _url_literals(
    walk: Statements, settings_classes: Mapping[str, str], reads: ModuleReads
) -> Iterator[tuple[int, str, str]]:
    """(line, what, url) for database URLs written into the code: assigned at module level or
    in a (non pydantic-settings) class, or passed straight to a call."""
    def url(node: ast.expr | None) -> str | None:
        value = _constant(node)
        # A bare scheme ("sqlite:///", "postgresql://") names a kind of database, not one.
        bare = isinstance(value, str) and not value.partition("://")[2].strip("/")
        if isinstance(value, str) and _DB_URL.match(value) and value not in _IN_MEMORY:
            return None if bare else value
        return None

    assigned = [
        s for s, scope in walk.assigns
        if scope is Scope.MODULE or any(_config_key(t) for t in _targets(s))
    ] + [
        s
        for cls in walk.classes
        if cls.name not in settings_classes
        for s in cls.body
        if isinstance(s, ast.Assign | ast.AnnAssign)
    ]
    for statement in assigned:
        if found := url(statement.value):
            yield statement.lineno, f"`{ast.unparse(_targets(statement)[0])}`", found
    for call in walk.calls:
        # `url.startswith("postgresql://")` inspects a URL; it does not configure one.
        if call.lineno in reads.call_lines or _name_of(call.func) in _STRING_METHODS:
            continue
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if found := url(arg):
                yield call.lineno, f"`{_name_of(call.func)}(...)`'s URL", found


_STRING_METHODS = frozenset(
    {"startswith", "endswith", "removeprefix", "removesuffix", "split", "partition", "replace",
     "find", "index", "count"}
)


def _targets(statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return statement.targets if isinstance(statement, ast.Assign) else [statement.target]


def _config_key(target: ast.expr) -> bool:
    """`app.config["SQLALCHEMY_DATABASE_URI"]`: Flask configuration, wherever it is set."""
    return isinstance(target, ast.Subscript) and _name_of(target.value) == "config"


def _env_branches(module: PythonModule) -> Iterator[tuple[ast.If, list[str]]]:
    for statement in _top_level(module.tree.body):
        if not isinstance(statement, ast.If) or not isinstance(statement.test, ast.Compare):
            continue
        test = statement.test
        sides = [test.left, *test.comparators]
        selector = any(
            _name_of(side).lower() in _ENV_SELECTORS
            or (isinstance(side, ast.Call) and str(_constant(side.args[0] if side.args else None))
                .lower() in _ENV_SELECTORS)
            for side in sides
        )
        values = [
            item
            for side in sides
            for item in (side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side])
        ]
        named = any(str(_constant(value)).lower() in _ENV_NAMES for value in values)
        if not (selector and named):
            continue
        settings = [
            name
            for s in statement.body + statement.orelse
            if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant)
            and s.value.value is not None
            for t in s.targets
            if (name := _name_of(t)).isupper()
        ]
        if settings:
            yield statement, settings


def _config_findings(
    ctx: ScanContext,
    module: PythonModule,
    walk: Statements,
    settings_classes: Mapping[str, str],
    reads: ModuleReads,
) -> list[Finding]:
    book, found = ctx.rulebook, []
    for line, what, url in sorted(_url_literals(walk, settings_classes, reads)):
        found.append(book.finding(
            "RB1401", module.path, line,
            f"{what} is a database URL written into the code (`{safe_url(url)}`): every "
            "environment (laptop, CI, production) needs its own. Read it from the environment "
            "(`os.getenv(\"DATABASE_URL\", ...)` or a settings class), this value as the local "
            "default at most."))
    for statement, names in _env_branches(module):
        shown = ", ".join(f"`{n}`" for n in dict.fromkeys(names))
        found.append(book.finding(
            "RB1403", module.path, statement.lineno,
            f"`if {ast.unparse(statement.test)}:` hardcodes {shown} per environment: set each "
            "from environment variables instead, so one code path runs everywhere and a new "
            "environment needs no code change."))
    return found


def _documented(ctx: ScanContext, names: list[str]) -> bool:
    """The README lists (at least two thirds of) the variables."""
    readmes = [f.path for f in ctx.inventory.files if "/" not in f.path
               and f.path.lower().startswith("readme")]
    text = "".join(ctx.inventory.read_text(path) or "" for path in readmes)
    listed = sum(1 for name in names if re.search(rf"\b{re.escape(name)}\b", text))
    return bool(names) and listed * 3 >= len(names) * 2


def _example_finding(ctx: ScanContext, code_vars: list[str]) -> Finding | None:
    inventory = ctx.inventory
    names = {PurePosixPath(f.path).name: f.path for f in inventory.files}
    if any(env_file_kind(name) == "template" for name in names):
        return None
    env_paths = [path for name, path in names.items() if env_file_kind(name) == "env"]
    env_vars = sorted({
        parsed[0]
        for path in env_paths
        for line in (inventory.read_text(path) or "").splitlines()
        if (parsed := key_value(line)) is not None
    })
    if (not code_vars and not env_vars) or _documented(ctx, code_vars or env_vars):
        return None
    said = []
    if code_vars:
        said.append(f"the code reads {_names(code_vars)} from the environment")
    if env_vars:
        said.append(f"the committed `{env_paths[0]}` sets {_names(env_vars)}")
    first = (code_vars or env_vars)[0]
    return ctx.rulebook.finding(
        "RB1402", ".env.example", None,
        f"No `.env.example`: {' and '.join(said)}. Commit a `.env.example` listing every "
        f"variable with a placeholder value (`{first}=`) so others know what to set"
        + (", and keep `.env` itself out of git." if env_vars else "."))


def _names(names: list[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:_MAX_NAMES])
    more = len(names) - _MAX_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


class ConfigAnalyzer:
    name = "config"
    criteria = ("C13", "C14")

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        modules = ctx.inventory.modules
        walks = {m.path: walk_statements(m, _WORDS) for m in modules}
        reads = read_environment(modules, walks)
        found = _Found()
        for module in modules:
            if module.role is not ModuleRole.APP:
                continue
            walk, module_reads = walks[module.path], reads.per_module[module.path]
            found.findings += _debug_findings(ctx, module, walk, module_reads)
            _cors_findings(ctx, module, walk, found)
            found.findings += _allowed_hosts(ctx, module)
            found.findings += _config_findings(
                ctx, module, walk, reads.settings_classes, module_reads
            )
        if found.cors_credentials:
            found.findings += [
                ctx.rulebook.finding(
                    "RB1312", path, line,
                    "`CORS_ALLOW_ALL_ORIGINS` with `CORS_ALLOW_CREDENTIALS = True` lets any "
                    "website call this API with the user's cookies: list the trusted origins in "
                    "`CORS_ALLOWED_ORIGINS` instead.")
                for path, line in found.cors_all
            ]
        example = _example_finding(ctx, reads.variables)
        findings = sorted(found.findings, key=lambda f: (f.path, f.line or 0, f.rule))
        findings += [example] if example else []
        facts = {
            "env_sources": reads.sources,
            "env_variables": reads.variables[:50],
            "reads_env": bool(reads.sources),
            "env_example": any(
                env_file_kind(PurePosixPath(f.path).name) == "template"
                for f in ctx.inventory.files
            ),
        }
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = ConfigAnalyzer()
