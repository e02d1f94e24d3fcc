"""Tests by substance (C15), from the parsed trees: nothing is collected, imported or run.

Tests are found the way pytest (its `python_files`/`python_classes`/`python_functions`, from the
repo's pytest configuration read as data) and unittest/Django's runner (`TestCase` subclasses in
`test*.py`) would find them. Each test is judged by what it checks (`test_quality`); test files
no runner collects, hollow tests, tests that reach the real network and a client shared by every
test without fixtures are reported. Facts feed the rubric's C15 adjuster: tests per app line,
hollow share, endpoints the tests call, auth and error-path tests, fixtures, coverage configured.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.route_index import call_name
from reviewbot.analyzers.routes import extract_routes
from reviewbot.analyzers.test_discovery import (
    CollectedTest,
    PytestConfig,
    Suite,
    Where,
    coverage_evidence,
    find_suite,
)
from reviewbot.analyzers.test_endpoints import is_resolved, tested_routes
from reviewbot.analyzers.test_quality import (
    AUTH_STATUSES,
    ERROR_STATUSES,
    ClientCall,
    Judge,
    Verdict,
    client_call,
)
from reviewbot.model import JSON, AnalyzerOutput, Finding
from reviewbot.source.inventory_model import PythonModule

# A test module that names one of these is assumed to fake its HTTP calls.
_MOCKING = re.compile(
    r"\b(responses|respx|requests_mock|httpretty|vcr|betamax|httpx_mock|aioresponses|"
    r"monkeypatch|patch)\b"
)
_LOCAL_HOSTS = re.compile(
    r"^https?://(localhost|127\.0\.0\.1|0\.0\.0\.0|testserver|\[::1\])(:|/|$)"
)
_HTTP_LIBRARIES = frozenset({"requests", "httpx", "urllib3"})
_HTTP_CALLS = re.compile(r"\b(requests|httpx|urllib3)\.|urlopen")
_SETUP_METHODS = frozenset({"setUp", "setUpClass", "setUpTestData", "asyncSetUp", "setup_method"})
_CLIENT_CLASSES = frozenset({"TestClient", "AsyncClient"})
MAX_UNTESTED = 10
# Signs that tests run on their own database even without fixtures.
_TEST_DATABASE = re.compile(r"dependency_overrides|TESTING|sqlite:///?[^\"']*test|:memory:")


def _backticked(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _missed_finding(
    ctx: ScanContext, path: str, tests: list[CollectedTest], config: PytestConfig
) -> Finding:
    posix = PurePosixPath(path)
    count = f"{len(tests)} test{'s' if len(tests) != 1 else ''}"
    if not any(fnmatch.fnmatch(posix.name, p) for p in config.python_files):
        patterns = " or ".join(f"`{p}`" for p in config.python_files)
        why = f"its name does not match {patterns}"
        fix = f"rename it `{posix.with_name('test_' + posix.name)}`"
    else:
        why = "it is outside the configured `testpaths` (" + ", ".join(config.testpaths) + ")"
        fix = "move it under one of them"
    names = _backticked([t.name for t in tests])
    message = f"`{path}` holds {count} ({names}) that pytest never collects: {why}; {fix}."
    return ctx.rulebook.finding("RB1502", path, None, message)


def _request_text(call: ClientCall | None) -> str:
    if call is None:
        return ""
    if call.path is None and call.url_name is None:
        return f"its `{call.method}` request"
    target = call.path if call.path is not None else f"reverse({call.url_name!r})"
    return f"`{call.method} {target}`"


def _hollow_finding(
    ctx: ScanContext, test: CollectedTest, verdict: Verdict, call: ClientCall | None
) -> Finding:
    what = f"whatever {_request_text(call)} returns" if call else "unless it crashes"
    if verdict.hollow_kind == "none":
        message = (
            f"`{test.name}` asserts nothing: it passes {what}. Assert the result it should produce"
        )
        message += " (status code and body)." if call else "."
        return ctx.rulebook.finding("RB1503", test.path, test.line, message)
    module = ctx.inventory.module(test.path)
    line = verdict.hollow_line or test.line
    source = module.line_text(line).strip() if module else ""
    if verdict.hollow_kind == "response":
        message = (
            f"`{source}` in `{test.name}` is always true: a response object is truthy even for "
            f"a 404 or a 500, so the test passes {what}. Assert `response.status_code` and "
            "the body."
        )
    else:
        message = (
            f"`{source}` in `{test.name}` can never fail: the test passes {what}. Assert the "
            "result it should produce."
        )
    return ctx.rulebook.finding("RB1503", test.path, line, message)


def _first_call(judge: Judge, test: CollectedTest) -> ClientCall | None:
    where = test.where.inside(test.node)
    for node in ast.walk(test.node):
        if isinstance(node, ast.Call):
            found = client_call(node, judge.resolver, where)
            if found is not None:
                return found
    return None


def _is_fixture(node: ast.AST) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        if node.name in _SETUP_METHODS:
            return True
        return any("fixture" in ast.unparse(d).split("(")[0] for d in node.decorator_list)
    # Django's `fixtures = ["users.json"]` on a TestCase
    return isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "fixtures" for t in node.targets
    )


def count_fixtures(modules: list[PythonModule]) -> int:
    """pytest fixtures, unittest set-up methods and Django fixture lists in the test modules
    (module level and class bodies: where they are declared)."""
    return sum(
        1
        for m in modules
        for node in m.tree.body
        for item in (node.body if isinstance(node, ast.ClassDef) else [node])
        if _is_fixture(item)
    )


def module_clients(module: PythonModule) -> Iterator[tuple[int, str]]:
    """`client = TestClient(app)` / `client = app.test_client()` at a test module's top level."""
    for node in module.tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = call_name(func)
            if name in _CLIENT_CLASSES or name == "test_client":
                yield node.lineno, ast.unparse(node)


def _url_host(url: str) -> str:
    """`https://api.example.com/v1?key=...` -> `https://api.example.com`: no path, no query."""
    match = re.match(r"^(https?://)(?:[^@/]*@)?([^/?#]+)", url)
    return match.group(1) + match.group(2) if match else url


def network_calls(module: PythonModule, judge: Judge) -> Iterator[tuple[int, str, str]]:
    """(line, function, host) of real HTTP requests a test module makes to another machine."""
    if not _HTTP_CALLS.search(module.source) or _MOCKING.search(module.source):
        return
    scope = judge.index.scopes[module.path]
    for owner in module.tree.body:
        where = Where.in_class(scope, owner) if isinstance(owner, ast.ClassDef) else Where(scope)
        for node in (n for n in ast.walk(owner) if isinstance(n, ast.Call)):
            target = _http_url_argument(node)
            url = judge.resolver.text(target, where) if target is not None else None
            if url and url.startswith(("http://", "https://")) and not _LOCAL_HOSTS.match(url):
                yield node.lineno, ast.unparse(node.func), _url_host(url)


def _http_url_argument(node: ast.Call) -> ast.expr | None:
    """The URL argument of `requests.get(url)`, `httpx.request("GET", url)`, `urlopen(url)`."""
    func, args = node.func, node.args
    if isinstance(func, ast.Name) and func.id == "urlopen" and args:
        return args[0]
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in _HTTP_LIBRARIES
    ):
        return None
    index = 1 if func.attr == "request" else 0
    keyword = next((k.value for k in node.keywords if k.arg == "url"), None)
    return args[index] if len(args) > index else keyword


def _network_findings(ctx: ScanContext, suite: Suite, judge: Judge) -> list[Finding]:
    findings = []
    for path in sorted(suite.index.scopes):
        module = suite.index.scopes[path].module
        for line, call, host in network_calls(module, judge):
            message = (
                f"`{call}(...)` reaches `{host}` for real: the test is slow and fails whenever the "
                "network or that service is down. Fake the call (`respx`, `responses`, or a client "
                "injected through a fixture)."
            )
            findings.append(ctx.rulebook.finding("RB1504", path, line, message))
    return findings


def _fixture_finding(ctx: ScanContext, suite: Suite) -> list[Finding]:
    modules = [s.module for s in suite.index.scopes.values()]
    if any(_TEST_DATABASE.search(m.source) for m in modules):
        return []  # a test database is set up some other way: the claim below would be wrong
    shared = [(m.path, line, text) for m in modules for line, text in module_clients(m)]
    if (
        not suite.collected
        or not shared
        or count_fixtures(modules)
        or any(PurePosixPath(m.path).name == "conftest.py" for m in modules)
    ):
        return []
    # Name a module pytest collects first: that is the one the learner runs.
    collected = set(suite.collected_files)
    path, line, text = min(shared, key=lambda s: (s[0] not in collected, s))
    others = len({p for p, _, _ in shared}) - 1
    also = f" (and {others} other module{'s' if others != 1 else ''})" if others else ""
    folder = PurePosixPath(suite.collected[0].path).parent
    message = (
        f"No fixtures: `{text}` at `{path}:{line}`{also} is built once at import time, so every "
        "test shares one app and its real database. Build the client in a fixture in "
        f"`{folder / 'conftest.py'}`, on a test database (override the database dependency)."
    )
    return [ctx.rulebook.finding("RB1506", str(folder / "conftest.py"), None, message)]


class SuiteAnalyzer:
    name = "tests"
    criteria = ("C15",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inv = ctx.inventory
        suite = find_suite(inv)
        judge = Judge(suite.index)
        findings: list[Finding] = []
        if not suite.collected:
            findings.append(
                ctx.rulebook.finding(
                    "RB1501",
                    "tests",
                    None,
                    "No tests that pytest would collect: add a tests/ folder with test_*.py files.",
                )
            )
        suite.missed = _real_missed(suite, judge)
        for path, tests in sorted(suite.missed.items()):
            findings.append(_missed_finding(ctx, path, tests, suite.config))
        verdicts: list[tuple[CollectedTest, Verdict]] = []
        for test in sorted(
            [*suite.collected, *(t for ts in suite.missed.values() for t in ts)],
            key=lambda t: (t.path, t.line),
        ):
            verdict = judge.judge(test.node, test.where)
            verdicts.append((test, verdict))
            if verdict.hollow and not _skipped(test):
                findings.append(_hollow_finding(ctx, test, verdict, _first_call(judge, test)))
        findings += _network_findings(ctx, suite, judge)
        findings += _fixture_finding(ctx, suite)
        # Requests made by modules that run: not by test files no runner collects.
        calls = [
            call
            for path, scope in sorted(suite.index.scopes.items())
            if path not in suite.missed
            for call in judge.client_calls(scope.module)
        ]
        missed_calls = {
            path: judge.client_calls(suite.index.scopes[path].module) for path in suite.missed
        }
        endpoints, untested = _endpoint_coverage(ctx, suite, calls, missed_calls)
        facts = {**_facts(ctx, suite, verdicts, calls), **endpoints}
        return AnalyzerOutput(tuple(findings + untested), facts)


def _returns_value(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(function))


def _real_missed(suite: Suite, judge: Judge) -> dict[str, list[CollectedTest]]:
    """Uncollected modules that really hold tests: `test_*` functions that return nothing
    (helpers and factories return data), at least one of which checks something."""
    real = {}
    for path, tests in suite.missed.items():
        kept = [t for t in tests if not _returns_value(t.node)]
        if any(judge.judge(t.node, t.where).checks for t in kept):
            real[path] = kept
    return real


def _skipped(test: CollectedTest) -> bool:
    """`@pytest.mark.skip` / `@unittest.skip`: placeholders, not hollow tests."""
    return any(ast.unparse(d).split("(")[0].endswith(".skip") for d in test.node.decorator_list)


def _endpoint_coverage(
    ctx: ScanContext,
    suite: Suite,
    calls: list[ClientCall],
    missed_calls: dict[str, list[ClientCall]],
) -> tuple[dict[str, JSON], list[Finding]]:
    """Facts on the routes the tests call, and one finding per untested route (capped) when
    every request the tests make could be resolved: otherwise the count is only a floor."""
    routes = sorted(extract_routes(ctx.inventory).routes, key=lambda r: (r.file, r.line, r.method))
    if not routes:
        return {}, []
    tested = tested_routes(routes, calls)
    unresolved = sum(1 for call in calls if not is_resolved(call))
    facts: dict[str, JSON] = {
        "endpoints": len(routes),
        "endpoints_tested": len(tested),
        "unresolved_requests": unresolved,
    }
    if not suite.collected or unresolved:
        return facts, []
    # Routes only uncollected test files call: the fix is to make those files run.
    only_missed = {
        i: path
        for path, found in sorted(missed_calls.items(), reverse=True)
        for i in tested_routes(routes, found)
    }
    findings: list[Finding] = []
    for i, route in enumerate(routes):
        if i in tested or len(findings) == MAX_UNTESTED:
            continue
        endpoint = f"`{route.method} {route.path}` (`{route.handler}`)"
        if i in only_missed:
            message = (
                f"{endpoint} is only called from `{only_missed[i]}`, which pytest never "
                "collects: rename that file so its tests run."
            )
        else:
            message = (
                f"{endpoint} is never called by a test: add one that checks its status code "
                "and body, and its error cases."
            )
        findings.append(ctx.rulebook.finding("RB1505", route.file, route.line, message))
    return facts, findings


def _facts(
    ctx: ScanContext,
    suite: Suite,
    verdicts: list[tuple[CollectedTest, Verdict]],
    calls: list[ClientCall],
) -> dict[str, JSON]:
    inv = ctx.inventory
    collected = {(t.path, t.name) for t in suite.collected}
    judged = [(t, v) for t, v in verdicts if (t.path, t.name) in collected]
    modules = [s.module for s in suite.index.scopes.values()]
    coverage = coverage_evidence(inv, suite.config)
    return {
        "test_functions": len(suite.collected),
        "test_files": len(suite.collected_files),
        "has_conftest": any(PurePosixPath(m.path).name == "conftest.py" for m in inv.modules),
        "fixtures": count_fixtures(modules),
        "assertions": sum(v.checks for _, v in judged),
        "hollow_tests": sum(1 for t, v in judged if v.hollow and not _skipped(t)),
        "auth_tests": sum(1 for _, v in judged if v.statuses & AUTH_STATUSES),
        "error_path_tests": sum(1 for _, v in judged if v.statuses & ERROR_STATUSES),
        "uncollected_tests": sum(len(ts) for ts in suite.missed.values()),
        "uncollected_files": sorted(suite.missed),
        "client_calls": len(calls),
        "coverage_configured": coverage is not None,
        "coverage_config": coverage,
        "pytest_config": suite.config.source,
    }


ANALYZER = SuiteAnalyzer()
