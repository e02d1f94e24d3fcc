"""Logging and observability (C16), from the parsed trees: nothing is imported or run.

Findings: `print()` for diagnostics in application code, exceptions swallowed without a trace
(`except Exception: pass`), logging configured in more than one place, no logging at all in an
app of some size, no health endpoint in a web app. Facts (positive evidence for the rubric):
where logging is configured, module loggers, the health endpoint, metrics, tracing and error
tracking in use.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.route_index import call_name
from reviewbot.analyzers.routes import extract_routes
from reviewbot.model import JSON, AnalyzerOutput, Finding, Severity
from reviewbot.source.inventory_model import Inventory, ModuleRole, PythonModule

# An app smaller than this (non-blank lines of app code) is not expected to log yet.
MIN_LOGGING_LINES = 150
_WEB_FRAMEWORKS = frozenset({"fastapi", "django", "flask", "litestar", "other"})
_BROAD = frozenset({"Exception", "BaseException"})
_CLI_MODULES = frozenset({"argparse", "click", "typer", "fire"})
_LOGGING_MODULES = frozenset({"logging", "loguru", "structlog", "logbook"})
_CONFIGURE_CALLS = frozenset({"basicConfig", "dictConfig", "fileConfig"})
# Imported module -> what it shows. sentry_sdk counts once `sentry_sdk.init` is called.
_TELEMETRY = {
    "prometheus_client": "metrics",
    "prometheus_fastapi_instrumentator": "metrics",
    "starlette_exporter": "metrics",
    "starlette_prometheus": "metrics",
    "django_prometheus": "metrics",
    "prometheus_flask_exporter": "metrics",
    "statsd": "metrics",
    "datadog": "metrics",
    "opentelemetry": "tracing",
    "ddtrace": "tracing",
    "newrelic": "tracing",
    "elasticapm": "tracing",
    "sentry_sdk": "error tracking",
    "rollbar": "error tracking",
    "bugsnag": "error tracking",
}
_HEALTH_WORDS = (
    "health|healthz|healthcheck|health-check|health_check|ping|status|ready|readyz|readiness|"
    "live|livez|liveness|alive|heartbeat"
)
# `/health`, `health/`, `^healthz$`, `/api/v1/health`: the probe word last, after at most an
# `api` and a version segment, so `/orders/{id}/status` is not taken for a probe.
_HEALTH_PATH = re.compile(rf"^\^?/?((api|v\d+)/){{0,2}}({_HEALTH_WORDS})/?\$?$", re.IGNORECASE)
_DJANGO_SETTINGS = frozenset({"LOGGING", "INSTALLED_APPS", "MIDDLEWARE"})
_HEALTH_PACKAGES = frozenset({"health_check", "fastapi_health", "flask_healthz", "healthcheck"})
_ROUTE_CALLS = frozenset(
    {"get", "head", "route", "api_route", "path", "re_path", "url", "add_api_route", "add_url_rule"}
)


@dataclass
class Observations:
    """What one walk over the app modules saw."""

    prints: list[tuple[str, int, str, bool]] = field(default_factory=list)  # path, line, fn, except
    swallowed: list[tuple[PythonModule, int, str, str]] = field(default_factory=list)
    configured: list[tuple[str, int, str]] = field(default_factory=list)
    # Set-ups in entry points (CLI commands, `__main__` blocks): one per program is right.
    entry_configured: list[tuple[str, int, str]] = field(default_factory=list)
    module_loggers: list[str] = field(default_factory=list)
    logging_modules: set[str] = field(default_factory=set)
    health: list[tuple[str, int, str]] = field(default_factory=list)
    telemetry: dict[str, list[str]] = field(default_factory=dict)


def _imports(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(root module, local name) for every import in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], alias.asname or alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.module.split(".")[0], alias.asname or alias.name


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _broad_handler(handler: ast.ExceptHandler) -> str | None:
    """`except:` / `except Exception:` (also in a tuple): the text of the clause, else None."""
    kind = handler.type
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind] if kind is not None else []
    if kind is None:
        return "except:"
    if any(isinstance(n, ast.Name | ast.Attribute) and call_name(n) in _BROAD for n in names):
        return f"except {ast.unparse(kind)}:"
    return None


def _silent_body(body: list[ast.stmt]) -> ast.stmt | None:
    """The `pass`/`continue`/`...` that makes up a handler's whole body, else None."""
    real = [
        s
        for s in body
        if not (
            isinstance(s, ast.Expr)
            and isinstance(s.value, ast.Constant)
            and isinstance(s.value.value, str)
        )
    ]
    if len(real) != 1:
        return None
    stmt = real[0]
    ellipsis = (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and stmt.value.value is Ellipsis
    )
    return stmt if isinstance(stmt, ast.Pass | ast.Continue) or ellipsis else None


class _ModuleWalk(ast.NodeVisitor):
    """One pass over one module, recording into the shared Observations."""

    def __init__(self, module: PythonModule, seen: Observations) -> None:
        self.module = module
        self.seen = seen
        imports = list(_imports(module.tree))
        roots = {root for root, _ in imports}
        self.is_app = module.role is ModuleRole.APP
        # A CLI (`__main__.py`, argparse...) prints its output; a module with its own `print` isn't
        # calling the builtin.
        self.prints_allowed = (
            module.path.endswith("__main__.py")
            or bool(roots & _CLI_MODULES)
            or any(local == "print" for _, local in imports)
            or any(isinstance(n, ast.FunctionDef) and n.name == "print" for n in module.tree.body)
        )
        if self.is_app:
            seen.logging_modules |= {module.path} if roots & _LOGGING_MODULES else set()
            for root in sorted(roots & set(_TELEMETRY)):
                if root != "sentry_sdk":
                    seen.telemetry.setdefault(_TELEMETRY[root], []).append(
                        f"{root} ({module.path})"
                    )
            if roots & _HEALTH_PACKAGES:
                seen.health.append((module.path, 1, "a health-check package"))
        self.function = "module level"
        self.in_main = False
        # One entry per enclosing `except` block: True when that block re-raises.
        self.handlers: list[bool] = []

    def run(self) -> None:
        for node in self.module.tree.body:
            self.in_main = _is_main_guard(node)
            self.visit(node)

    @property
    def entry_point(self) -> bool:
        """Code that runs as a program: a CLI module or a `__main__` block, where printing and
        setting up logging are its job."""
        return self.prints_allowed or self.in_main

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        clause = _broad_handler(node)
        silent = _silent_body(node.body)
        if clause is not None and silent is not None:
            statement = ast.unparse(silent)
            self.seen.swallowed.append(
                (self.module, silent.lineno, self.function, f"{clause} {statement}")
            )
        self.handlers.append(any(isinstance(n, ast.Raise) for n in ast.walk(node)))
        self.generic_visit(node)
        self.handlers.pop()

    def visit_Call(self, node: ast.Call) -> None:
        name = call_name(node.func)
        if self.is_app:
            self._app_call(node, name)
        self.generic_visit(node)

    def _app_call(self, node: ast.Call, name: str) -> None:
        path = self.module.path
        if name == "print" and isinstance(node.func, ast.Name) and not self.entry_point:
            swallowing = bool(self.handlers) and not self.handlers[-1]
            self.seen.prints.append((path, node.lineno, self.function, swallowing))
        elif name in _CONFIGURE_CALLS or (
            name == "configure" and "structlog" in ast.unparse(node.func)
        ):
            where = self.seen.entry_configured if self.entry_point else self.seen.configured
            where.append((path, node.lineno, ast.unparse(node.func)))
        elif name in ("getLogger", "get_logger") and any(
            isinstance(a, ast.Name) and a.id == "__name__" for a in node.args
        ):
            self.seen.module_loggers.append(path)
        elif name == "init" and ast.unparse(node.func) == "sentry_sdk.init":
            self.seen.telemetry.setdefault("error tracking", []).append(f"sentry_sdk ({path})")
        elif name in _ROUTE_CALLS and node.args and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            if isinstance(value, str) and _HEALTH_PATH.match(value):
                self.seen.health.append((path, node.lineno, value))

    def visit_Assign(self, node: ast.Assign) -> None:
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if self.is_app and names & _DJANGO_SETTINGS:
            self._django_setting(node, names)
        self.generic_visit(node)

    def _django_setting(self, node: ast.Assign, names: set[str]) -> None:
        path = self.module.path
        # `LOGGING = {...}` is logging configured; apps listed in settings are in use.
        if "LOGGING" in names:
            self.seen.configured.append((path, node.lineno, "LOGGING"))
            self.seen.logging_modules.add(path)
            return
        for item in ast.walk(node.value):
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                root = item.value.split(".", 1)[0]
                if root in _TELEMETRY:
                    self.seen.telemetry.setdefault(_TELEMETRY[root], []).append(f"{root} ({path})")
                elif root in _HEALTH_PACKAGES:
                    self.seen.health.append((path, item.lineno, "a health-check package"))


def observe(inv: Inventory) -> Observations:
    seen = Observations()
    for module in inv.modules:
        if module.role in (ModuleRole.APP, ModuleRole.SCRIPT):
            _ModuleWalk(module, seen).run()
    if not seen.health:
        # Probes mounted under a router prefix (`APIRouter(prefix="/health")` + `@get("")`).
        seen.health += [
            (route.file, route.line, route.path)
            for route in extract_routes(inv).routes
            if route.method == "GET" and _HEALTH_PATH.match(route.path)
        ]
    return seen


def _print_finding(
    ctx: ScanContext, path: str, line: int, function: str, in_except: bool
) -> Finding:
    where = f"in `{function}`" if function != "module level" else "at module level"
    if in_except:
        message = (
            f"`print()` {where} reports a caught error on stdout and loses its traceback: log "
            "it with `logger.exception(...)` so the error, its stack and its time are recorded."
        )
    else:
        message = (
            f"`print()` {where} writes diagnostics to stdout, with no level, time or module: "
            "use a module logger (`logger = logging.getLogger(__name__)`, then `logger.info(...)`)."
        )
    return ctx.rulebook.finding("RB1601", path, line, message)


def _swallow_finding(
    ctx: ScanContext, module: PythonModule, line: int, function: str, text: str
) -> Finding:
    where = f"in `{function}`" if function != "module level" else "at module level"
    message = (
        f"`{text}` {where} swallows every error without a trace: catch the exception you "
        "expect and log it (`logger.exception(...)`), or let it propagate."
    )
    severity = Severity.INFO if module.role is ModuleRole.SCRIPT else None
    return ctx.rulebook.finding("RB1602", module.path, line, message, severity=severity)


def _repo_findings(ctx: ScanContext, seen: Observations, app_loc: int) -> list[Finding]:
    book, inv = ctx.rulebook, ctx.inventory
    findings = []
    configured = sorted(seen.configured)
    first = configured[0] if configured else ("", 0, "")
    for path, line, call in configured[1:]:
        message = (
            f"Logging is configured again here (`{call}`), after `{first[0]}:{first[1]}`: "
            "configure it once at start-up and only get loggers (`logging.getLogger(__name__)`) "
            "elsewhere."
        )
        findings.append(book.finding("RB1603", path, line, message))
    if not seen.logging_modules and app_loc >= MIN_LOGGING_LINES:
        message = (
            f"No logging anywhere in the app's {app_loc} lines: errors and events leave no trace "
            "once it runs on a server. Configure `logging` once at start-up and log through "
            "`logger = logging.getLogger(__name__)` in each module."
        )
        findings.append(book.finding("RB1604", ".", None, message))
    if set(inv.frameworks) & _WEB_FRAMEWORKS and not seen.health:
        message = (
            "No health endpoint (`/health`, `/healthz`): load balancers, Docker `HEALTHCHECK` "
            "and orchestrators have nothing to probe. Add a cheap `GET /health` that also checks "
            "the database."
        )
        findings.append(book.finding("RB1605", ".", None, message))
    return findings


class ObservabilityAnalyzer:
    name = "observability"
    criteria = ("C16",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inv = ctx.inventory
        seen = observe(inv)
        app_loc = inv.app_loc
        findings = [_print_finding(ctx, *p) for p in sorted(seen.prints)]
        findings += [
            _swallow_finding(ctx, *s)
            for s in sorted(seen.swallowed, key=lambda s: (s[0].path, s[1]))
        ]
        findings += _repo_findings(ctx, seen, app_loc)
        app_modules = sum(1 for m in inv.modules if m.role is ModuleRole.APP)
        facts: dict[str, JSON] = {
            "prints": len(seen.prints),
            "swallowed_exceptions": len(seen.swallowed),
            "logging_configured": [
                f"{p}:{line}" for p, line, _ in sorted(seen.configured + seen.entry_configured)
            ],
            "module_loggers": len(set(seen.module_loggers)),
            "logging_modules": len(seen.logging_modules),
            "app_modules": app_modules,
            "health_endpoint": next(
                (f"{p}:{line} {what}" for p, line, what in sorted(seen.health)), None
            ),
            "telemetry": {kind: sorted(where) for kind, where in sorted(seen.telemetry.items())},
            "web_app": bool(set(inv.frameworks) & _WEB_FRAMEWORKS),
        }
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = ObservabilityAnalyzer()
