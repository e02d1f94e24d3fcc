"""Tests as pytest would find them (C15), from the parsed trees: nothing is collected or run."""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass
from pathlib import PurePosixPath

from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.source.inventory_model import PythonModule


@dataclass(frozen=True, slots=True)
class CollectedTest:
    path: str
    name: str
    line: int
    node: ast.FunctionDef | ast.AsyncFunctionDef


def is_test_file(path: str) -> bool:
    """pytest's default `python_files`: test_*.py and *_test.py."""
    name = PurePosixPath(path).name
    return fnmatch.fnmatch(name, "test_*.py") or fnmatch.fnmatch(name, "*_test.py")


def _is_test_class(node: ast.ClassDef) -> bool:
    unittest_base = any(
        (isinstance(b, ast.Attribute) and b.attr.endswith("TestCase"))
        or (isinstance(b, ast.Name) and b.id.endswith("TestCase"))
        for b in node.bases
    )
    has_init = any(
        isinstance(item, ast.FunctionDef) and item.name == "__init__" for item in node.body
    )
    return unittest_base or (node.name.startswith("Test") and not has_init)


def collect_tests(module: PythonModule) -> list[CollectedTest]:
    """Test functions and methods in one module, the way pytest's defaults collect them."""
    found: list[CollectedTest] = []
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            found.append(CollectedTest(module.path, node.name, node.lineno, node))
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            found.extend(
                CollectedTest(module.path, f"{node.name}.{item.name}", item.lineno, item)
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            )
    return found


class SuiteAnalyzer:
    name = "tests"
    criteria = ("C15",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inv = ctx.inventory
        tests: list[CollectedTest] = []
        test_files = [m for m in inv.modules if is_test_file(m.path)]
        for module in test_files:
            tests.extend(collect_tests(module))
        findings = []
        if not tests:
            findings.append(
                ctx.rulebook.finding(
                    "RB1501",
                    "tests",
                    None,
                    "No tests that pytest would collect: add a tests/ folder with test_*.py files.",
                )
            )
        facts = {
            "test_functions": len(tests),
            "test_files": len(test_files),
            "has_conftest": any(PurePosixPath(m.path).name == "conftest.py" for m in inv.modules),
        }
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = SuiteAnalyzer()
