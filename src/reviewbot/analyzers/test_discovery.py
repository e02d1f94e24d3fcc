"""Where the tests are, as pytest and unittest would find them (C15), read from the trees.

pytest's discovery follows the repository's pytest configuration (`python_files`,
`python_classes`, `python_functions`, `testpaths` from pytest.ini, pyproject.toml, tox.ini or
setup.cfg), which is read as data and never executed; unittest's (and Django's runner's) finds
`TestCase` subclasses in `test*.py`. Test modules neither would collect are kept apart.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from reviewbot.source.inventory_model import (
    FileKind,
    Inventory,
    ModuleRole,
    PythonModule,
    dotted_name,
)

DEFAULT_FILES = ("test_*.py", "*_test.py")
_SET_UP = frozenset({"setUp", "setUpTestData", "setup_method", "setUpClass"})


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class ModuleScope:
    """Module-level names of one test module: string constants, functions and imports."""

    module: PythonModule
    constants: dict[str, ast.expr] = field(default_factory=dict)
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local -> (module, name)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)

    @classmethod
    def of(cls, module: PythonModule) -> ModuleScope:
        scope = cls(module)
        package = dotted_name(module.path).rsplit(".", 1)[0] if "/" in module.path else ""
        for node in module.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    scope.constants[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                if isinstance(node.target, ast.Name):
                    scope.constants[node.target.id] = node.value
            elif isinstance(node, FunctionNode):
                scope.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                scope.classes[node.name] = node
            elif isinstance(node, ast.ImportFrom) and node.module is not None:
                source = node.module if node.level == 0 else f"{package}.{node.module}"
                for alias in node.names:
                    scope.imports[alias.asname or alias.name] = (source.strip("."), alias.name)
        return scope


class SuiteIndex:
    """Every test module's scope, to follow names imported from one test module into another."""

    def __init__(self, modules: list[PythonModule]) -> None:
        self.scopes = {m.path: ModuleScope.of(m) for m in modules}
        self._by_dotted = {dotted_name(m.path): self.scopes[m.path] for m in modules}

    def origin(self, scope: ModuleScope, name: str) -> ModuleScope | None:
        """The test module a name was imported from (`from tests.conftest import URL`)."""
        imported = scope.imports.get(name)
        if imported is None:
            return None
        source = imported[0]
        for dotted, other in self._by_dotted.items():
            if dotted == source or dotted.endswith("." + source) or source.endswith(dotted):
                return other
        return None

    def constant(self, scope: ModuleScope, name: str) -> tuple[ast.expr, ModuleScope] | None:
        if name in scope.constants:
            return scope.constants[name], scope
        other = self.origin(scope, name)
        if other is not None and (original := scope.imports[name][1]) in other.constants:
            return other.constants[original], other
        return None

    def function(self, scope: ModuleScope, name: str) -> tuple[FunctionNode, ModuleScope] | None:
        if name in scope.functions:
            return scope.functions[name], scope
        other = self.origin(scope, name)
        if other is not None and (original := scope.imports[name][1]) in other.functions:
            return other.functions[original], other
        return None


def class_attributes(
    node: ast.ClassDef, scope: ModuleScope, seen: frozenset[str] = frozenset()
) -> dict[str, ast.expr]:
    """Class constants and `self.x = ...` set in setUp-style methods (Django/DRF tests),
    inherited from base classes of the same module."""
    attrs: dict[str, ast.expr] = {}
    for base in node.bases:
        parent = scope.classes.get(base.id) if isinstance(base, ast.Name) else None
        if parent is not None and parent.name not in seen:
            attrs.update(class_attributes(parent, scope, seen | {node.name}))
    for item in node.body:
        if isinstance(item, ast.Assign) and len(item.targets) == 1:
            if isinstance(item.targets[0], ast.Name):
                attrs[item.targets[0].id] = item.value
        elif isinstance(item, FunctionNode) and item.name in _SET_UP:
            for stmt in ast.walk(item):
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(target := stmt.targets[0], ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in ("self", "cls")
                ):
                    attrs[target.attr] = stmt.value
    return attrs


def class_methods(
    node: ast.ClassDef, scope: ModuleScope, seen: frozenset[str] = frozenset()
) -> dict[str, FunctionNode]:
    """A class's methods by name, its local base classes' included."""
    methods: dict[str, FunctionNode] = {}
    for base in node.bases:
        parent = scope.classes.get(base.id) if isinstance(base, ast.Name) else None
        if parent is not None and parent.name not in seen:
            methods.update(class_methods(parent, scope, seen | {node.name}))
    methods.update({item.name: item for item in node.body if isinstance(item, FunctionNode)})
    return methods


@dataclass
class Where:
    """The place an expression is read: its module, its class (for `self.x`) and helper
    parameters (unknown values)."""

    scope: ModuleScope
    class_attrs: dict[str, ast.expr] = field(default_factory=dict)
    unknown: frozenset[str] = frozenset()
    # Methods of the class being read (with its local bases'), for `self.helper(...)`.
    methods: dict[str, FunctionNode] = field(default_factory=dict)
    # Names assigned exactly once in the function being read (`url = f"/posts/{post.id}"`).
    local_values: dict[str, ast.expr] = field(default_factory=dict)

    def inside(self, function: FunctionNode) -> Where:
        """The same place, seen from inside `function`: its single-assignment locals known."""
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(function):
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(target, ast.Name)
            ):
                assigned.setdefault(target.id, []).append(node.value)
        values = {name: found[0] for name, found in assigned.items() if len(found) == 1}
        return replace(self, local_values=values)

    @classmethod
    def in_class(cls, scope: ModuleScope, node: ast.ClassDef) -> Where:
        return cls(scope, class_attributes(node, scope), methods=class_methods(node, scope))


@dataclass(frozen=True, slots=True)
class PytestConfig:
    """What the repo's pytest configuration says about discovery (read as data, never run)."""

    python_files: tuple[str, ...] = DEFAULT_FILES
    python_classes: tuple[str, ...] = ("Test",)
    python_functions: tuple[str, ...] = ("test",)
    testpaths: tuple[str, ...] = ()
    addopts: str = ""
    source: str | None = None


def _words(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return tuple(str(value).split()) if value else ()


def _config_values(inv: Inventory) -> tuple[dict[str, Any], str] | None:
    """pytest's own precedence: pytest.ini, pyproject.toml, tox.ini, setup.cfg."""
    for path, section in (
        ("pytest.ini", "pytest"),
        ("pyproject.toml", None),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        text = inv.read_text(path) if inv.has(path) else None
        if text is None:
            continue
        if section is None:
            try:
                tool = tomllib.loads(text).get("tool", {})
            except tomllib.TOMLDecodeError:
                continue
            pytest = tool.get("pytest", {}) if isinstance(tool, dict) else {}
            if isinstance(pytest, dict) and pytest:
                options = pytest.get("ini_options", pytest)
                return (dict(options), path) if isinstance(options, dict) else None
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        if parser.has_section(section):
            return dict(parser.items(section)), path
    return None


def read_pytest_config(inv: Inventory) -> PytestConfig:
    found = _config_values(inv)
    if found is None:
        return PytestConfig()
    values, source = found
    default = PytestConfig()
    return PytestConfig(
        python_files=_words(values.get("python_files")) or default.python_files,
        python_classes=_words(values.get("python_classes")) or default.python_classes,
        python_functions=_words(values.get("python_functions")) or default.python_functions,
        testpaths=tuple(p.strip("/") for p in _words(values.get("testpaths"))),
        addopts=" ".join(_words(values.get("addopts"))),
        source=source,
    )


def name_matches(name: str, patterns: tuple[str, ...]) -> bool:
    """pytest's rule for python_classes/python_functions: a glob, else a name prefix."""
    return any(
        fnmatch.fnmatchcase(name, p) if any(c in p for c in "*?[") else name.startswith(p)
        for p in patterns
    )


def is_test_file(path: str, config: PytestConfig | None = None) -> bool:
    """Whether pytest, run bare at the repo root, collects this file."""
    config = config or PytestConfig()
    posix = PurePosixPath(path)
    if posix.name == "conftest.py" or not any(
        fnmatch.fnmatch(posix.name, p) for p in config.python_files
    ):
        return False
    return not config.testpaths or any(
        path.startswith(t + "/") or fnmatch.fnmatch(str(posix.parent), t) for t in config.testpaths
    )


def unittest_file(path: str) -> bool:
    """unittest's (and Django's runner's) default discovery pattern."""
    return fnmatch.fnmatch(PurePosixPath(path).name, "test*.py")


def testcase_classes(modules: list[PythonModule]) -> set[str]:
    """Names of classes that are unittest `TestCase`s, through local base classes too."""
    bases: dict[str, set[str]] = {}
    for module in modules:
        for node in module.tree.body:
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                )
    cases = {
        name for name, parents in bases.items() if any(p.endswith("TestCase") for p in parents)
    }
    grown = True
    while grown:
        more = {name for name, parents in bases.items() if parents & cases} - cases
        cases |= more
        grown = bool(more)
    return cases


@dataclass(frozen=True, slots=True)
class CollectedTest:
    path: str
    name: str
    line: int
    node: FunctionNode
    where: Where


def collect_tests(
    module: PythonModule,
    scope: ModuleScope,
    config: PytestConfig,
    cases: set[str],
    *,
    by_pytest: bool,
    by_unittest: bool,
) -> list[CollectedTest]:
    """Test functions and methods in one module, as the runners that read it collect them."""
    found: list[CollectedTest] = []
    for node in module.tree.body:
        if (
            isinstance(node, FunctionNode)
            and by_pytest
            and name_matches(node.name, config.python_functions)
        ):
            found.append(CollectedTest(module.path, node.name, node.lineno, node, Where(scope)))
        elif isinstance(node, ast.ClassDef):
            is_case = node.name in cases
            has_init = any(
                isinstance(i, ast.FunctionDef) and i.name == "__init__" for i in node.body
            )
            as_pytest = (
                by_pytest and name_matches(node.name, config.python_classes) and not has_init
            )
            if not (is_case and (by_pytest or by_unittest)) and not as_pytest:
                continue
            prefixes = ("test",) if is_case else config.python_functions
            where = Where.in_class(scope, node)
            found.extend(
                CollectedTest(module.path, f"{node.name}.{item.name}", item.lineno, item, where)
                for item in node.body
                if isinstance(item, FunctionNode) and name_matches(item.name, prefixes)
            )
    return found


@dataclass
class Suite:
    """The test suite as the runners see it."""

    config: PytestConfig
    index: SuiteIndex
    collected: list[CollectedTest] = field(default_factory=list)
    collected_files: list[str] = field(default_factory=list)
    missed: dict[str, list[CollectedTest]] = field(default_factory=dict)


def find_suite(inv: Inventory) -> Suite:
    config = read_pytest_config(inv)
    candidates = [
        m
        for m in inv.modules
        if m.role is ModuleRole.TEST or is_test_file(m.path, config) or unittest_file(m.path)
    ]
    suite = Suite(config, SuiteIndex(candidates))
    cases = testcase_classes(candidates)
    for module in candidates:
        scope = suite.index.scopes[module.path]
        by_pytest, by_unittest = is_test_file(module.path, config), unittest_file(module.path)
        tests = collect_tests(
            module, scope, config, cases, by_pytest=by_pytest, by_unittest=by_unittest
        )
        if tests:
            suite.collected += tests
            suite.collected_files.append(module.path)
        elif module.role is ModuleRole.TEST and PurePosixPath(module.path).name != "conftest.py":
            missed = collect_tests(module, scope, config, cases, by_pytest=True, by_unittest=True)
            if missed:
                suite.missed[module.path] = missed
    return suite


_COVERAGE_RUN = re.compile(r"--cov\b|\bcoverage run\b|\bcoverage report\b")
# Files whose text may run the tests under coverage: CI, task runners, tox.
_RUNNER_FILES = (
    "Makefile",
    "makefile",
    "justfile",
    "tox.ini",
    "noxfile.py",
    "Taskfile.yml",
    ".pre-commit-config.yaml",
)


def coverage_evidence(inv: Inventory, config: PytestConfig) -> str | None:
    """Where coverage measurement is configured (a path), or None."""
    if inv.has(".coveragerc"):
        return ".coveragerc"
    pyproject = inv.read_text("pyproject.toml") if inv.has("pyproject.toml") else None
    if pyproject and re.search(r"^\[tool\.coverage[.\]]", pyproject, re.MULTILINE):
        return "pyproject.toml"
    for path in ("setup.cfg", "tox.ini"):
        text = inv.read_text(path) if inv.has(path) else None
        if text and re.search(r"^\[coverage:", text, re.MULTILINE):
            return path
    if "--cov" in config.addopts and config.source:
        return config.source
    runners = [
        f.path
        for f in inv.files
        if f.kind is FileKind.WORKFLOW or PurePosixPath(f.path).name in _RUNNER_FILES
    ]
    for path in sorted(runners):
        text = inv.read_text(path)
        if text and _COVERAGE_RUN.search(text):
            return path
    return None
