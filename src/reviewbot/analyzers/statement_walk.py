"""One cheap pass over a module for the secrets and configuration checks.

Walking every expression node of every module is the slow part of an AST check (a
100,000-line repository has millions of nodes). These checks look for calls and literals
that always name something recognisable in the source text (`getenv`, `CORS`, `://`,
`SECRET`), so the walk visits every statement but descends into a statement's expressions
only when its lines mention one of the words the caller asks for.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field
from enum import StrEnum

from reviewbot.source.inventory_model import PythonModule


class Scope(StrEnum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"


@dataclass
class Statements:
    """What one walk found. `assigns` and `classes` are complete; `calls`, `subscripts` and
    `dicts` come only from statements whose lines matched the words."""

    assigns: list[tuple[ast.Assign | ast.AnnAssign, Scope]] = field(default_factory=list)
    classes: list[ast.ClassDef] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)
    subscripts: list[ast.Subscript] = field(default_factory=list)
    dicts: list[tuple[ast.Dict, Scope]] = field(default_factory=list)


def _marked_lines(source: str, words: re.Pattern[str]) -> set[int]:
    starts = [0] + [m.end() for m in re.finditer("\n", source)]
    return {bisect.bisect_right(starts, m.start()) for m in words.finditer(source)}


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _blocks(node: ast.AST) -> list[ast.AST]:
    """The statements (and except/case clauses) nested directly in `node`, without visiting
    any of its expressions."""
    nested: list[ast.AST] = []
    for name in _BLOCKS:
        block = getattr(node, name, None)
        if isinstance(block, list):
            nested += block
    return nested


def walk_statements(module: PythonModule, words: re.Pattern[str]) -> Statements:
    """Every assignment and class of `module`, and the calls, subscripts and dict literals
    of the statements whose text matches `words`."""
    found = Statements()
    marked = _marked_lines(module.source, words)
    stack: list[tuple[ast.AST, Scope]] = [(module.tree, Scope.MODULE)]
    while stack:
        node, scope = stack.pop()
        for child in _blocks(node):
            inner = scope
            if isinstance(child, ast.ClassDef):
                found.classes.append(child)
                inner = Scope.CLASS
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = Scope.FUNCTION
            elif isinstance(child, ast.Assign | ast.AnnAssign):
                found.assigns.append((child, scope))
            if isinstance(child, ast.stmt) and marked:
                nested = _blocks(child)
                # A compound statement's own text ends where its first nested statement starts.
                last = (
                    max(child.lineno, getattr(nested[0], "lineno", child.lineno) - 1)
                    if nested
                    else child.end_lineno or child.lineno
                )
                if any(line in marked for line in range(child.lineno, last + 1)):
                    _expressions(child, scope, found)
            stack.append((child, inner))
    return found


def _expressions(statement: ast.stmt, scope: Scope, found: Statements) -> None:
    for child in ast.iter_child_nodes(statement):
        if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
            continue
        for node in ast.walk(child):
            if isinstance(node, ast.Call):
                found.calls.append(node)
            elif isinstance(node, ast.Subscript):
                found.subscripts.append(node)
            elif isinstance(node, ast.Dict):
                found.dicts.append((node, scope))
