"""SQL built from strings (C07): f-strings, `.format`, `%` and `+` that put values into SQL.

A hit is "executed" when the built string reaches `execute()`/`text()`/`raw()` (directly or
through a local variable of the same function) and "built" when it only looks like SQL and
goes elsewhere. Values that cannot carry user input are not counted: literals, UPPER_CASE
module constants, `int(...)`/`len(...)`, and placeholder lists such as
`",".join("?" * len(ids))`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reviewbot.analyzers.db_sessions import walk_scope
from reviewbot.analyzers.project_names import FunctionNode, FunctionRef, ProjectNames
from reviewbot.source.inventory_model import PythonModule

# Statement shapes; a string needs one of them in its literal parts to count as SQL.
_SQL_SHAPE = re.compile(
    r"\bselect\b[\s\S]+?\bfrom\b|\binsert\s+(or\s+\w+\s+)?into\b|\bupdate\s+\S+\s+set\b"
    r"|\bdelete\s+from\b|^\s*(select|with|insert|update|delete)\b",
    re.IGNORECASE,
)
_COLUMN = r"[\w.*()]+(\s+as\s+\w+)?"
_STATEMENT = re.compile(
    rf"^\s*\(?\s*(select\s+(distinct\s+)?{_COLUMN}(\s*,\s*{_COLUMN})*\s+from\s"
    r"|insert\s+(or\s+\w+\s+)?into\s|update\s+\w+\s+set\s|delete\s+from\s"
    r"|with\s+\w+\s+as\s*\()",
    re.IGNORECASE,
)
_SINK_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "exec_driver_sql",
        "raw",
        "fetch",
        "fetchrow",
        "fetchval",
        "read_sql",
        "read_sql_query",
    }
)
_TEXT_FUNCTIONS = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "sqlmodel.text",
        "django.db.models.expressions.RawSQL",
        "django.db.models.RawSQL",
    }
)
_SAFE_CALLS = frozenset({"int", "float", "len", "bool"})


@dataclass(frozen=True, slots=True)
class BuiltSql:
    """A string that puts values into SQL: how (f-string...), where, and the values."""

    how: str
    line: int
    values: tuple[str, ...]
    text: str  # the literal parts, `x` standing for each value


@dataclass(frozen=True, slots=True)
class SqlHit:
    built: BuiltSql
    line: int
    sink: str | None  # `cur.execute`, `text`; None when the string only looks like SQL
    has_params: bool
    via: str | None = None  # for a project helper: where it executes the string


def _is_placeholder_join(expr: ast.expr) -> bool:
    """`",".join("?" * n)` / `", ".join(["%s"] * len(ids))`: placeholders, not values."""
    if not (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "join"
        and len(expr.args) == 1
    ):
        return False
    inner = ast.unparse(expr.args[0])
    return any(mark in inner for mark in ("'?'", '"?"', "'%s'", '"%s"', "':", "'$"))


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a function's own assignments tell: placeholder-only names and string literals."""

    safe_names: frozenset[str] = frozenset()
    literals: Mapping[str, str] = field(default_factory=dict)

    def literal(self, expr: ast.expr) -> str | None:
        """The text of a string literal, or of a name bound to one (`QUERY % (a, b)`)."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return expr.value
        return self.literals.get(expr.id) if isinstance(expr, ast.Name) else None


_NO_SCOPE = _Scope()


def _dynamic(expr: ast.expr, scope: _Scope) -> bool:
    """Whether a value put into SQL could carry input (constants and casts can't)."""
    if isinstance(expr, ast.FormattedValue):
        expr = expr.value
    if isinstance(expr, ast.Constant) or (
        isinstance(expr, ast.Name) and expr.id in scope.safe_names
    ):
        safe = True
    elif isinstance(expr, ast.Name | ast.Attribute):
        safe = (expr.id if isinstance(expr, ast.Name) else expr.attr).isupper()
    elif isinstance(expr, ast.Call):
        cast = isinstance(expr.func, ast.Name) and expr.func.id in _SAFE_CALLS
        safe = cast or _is_placeholder_join(expr)
    else:
        safe = False
    return not safe


Parts = tuple[str, str, list[ast.expr]]  # how, text with `x` for each value, dynamic values


def _parts(expr: ast.expr, scope: _Scope = _NO_SCOPE) -> Parts | None:
    """How a string is built from values, if it is: f-string, format, `%` or `+`."""
    if isinstance(expr, ast.JoinedStr):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "x" for v in expr.values)
        values = [v.value for v in expr.values if isinstance(v, ast.FormattedValue)]
        return "an f-string", text, [v for v in values if _dynamic(v, scope)]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _concatenation(expr, scope)
    return _formatted(expr, scope)


def _formatted(expr: ast.expr, scope: _Scope) -> Parts | None:
    """`"...{}".format(x)` and `"... %s" % x`, also on a name bound to the template."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        template = scope.literal(expr.func.value) if expr.func.attr == "format" else None
        values = [*expr.args, *(k.value for k in expr.keywords)]
        how, pattern = "`.format()`", r"\{[^{}]*\}"
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        template = scope.literal(expr.left)
        right = expr.right
        values = list(right.elts) if isinstance(right, ast.Tuple) else [right]
        how, pattern = "`%` formatting", r"%(\([^)]*\))?[sdifr]"
    else:
        return None
    if template is None:
        return None
    return how, re.sub(pattern, "x", template), [v for v in values if _dynamic(v, scope)]


def _concatenation(expr: ast.BinOp, scope: _Scope) -> Parts | None:
    pieces: list[ast.expr] = []
    stack: list[ast.expr] = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
            stack += [item.right, item.left]
        else:
            pieces.append(item)
    text, values, literal = "", [], False
    for piece in pieces:
        nested = _parts(piece, scope) if isinstance(piece, ast.JoinedStr) else None
        if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
            text += piece.value
            literal = True
        elif nested is not None:
            text += nested[1]
            values += nested[2]
            literal = True
        else:
            text += "x"
            if _dynamic(piece, scope):
                values.append(piece)
    return ("concatenation (`+`)", text, values) if literal else None


def built_sql(
    expr: ast.expr, *, strict: bool = False, scope: _Scope = _NO_SCOPE
) -> BuiltSql | None:
    """The SQL an expression builds from values, if it does.

    `strict`: the text must start as a whole statement (`SELECT cols FROM`...), for strings
    that are not seen reaching an `execute()` and could be prose."""
    found = _parts(expr, scope)
    if found is None:
        return None
    how, text, values = found
    shape = _STATEMENT if strict else _SQL_SHAPE
    if not values or not shape.search(text):
        return None
    shown = tuple(dict.fromkeys(ast.unparse(v) for v in values))
    return BuiltSql(how, expr.lineno, shown, text)


def module_literals(module: PythonModule) -> dict[str, str]:
    """Module-level names bound to a string literal (`FIND_USER = "SELECT ..."`)."""
    literals: dict[str, str] = {}
    for statement in module.tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
            for target in statement.targets:
                if isinstance(target, ast.Name) and isinstance(statement.value.value, str):
                    literals[target.id] = statement.value.value
    return literals


def _scope(body: Sequence[ast.AST], module_literals: Mapping[str, str]) -> _Scope:
    """Placeholder-only names, and names bound to one string literal (module or local)."""
    safe: set[str] = set()
    unsafe: set[str] = set()
    literals = dict(module_literals)
    for node in body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if not isinstance(target, ast.Name):
                    continue
                (safe if _is_placeholder_join(node.value) else unsafe).add(target.id)
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    literals[target.id] = value.value
                else:
                    literals.pop(target.id, None)
    return _Scope(frozenset(safe - unsafe), literals)


def _local_strings(body: Sequence[ast.AST], scope: _Scope) -> dict[str, BuiltSql]:
    """Local names holding built SQL: `q = f"..."`, or a SQL literal extended with `q += x`."""
    literal: dict[str, str] = {}
    found: dict[str, BuiltSql] = {}
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if not isinstance(target, ast.Name):
                continue
            built = built_sql(node.value, scope=scope)
            if built is not None:
                found[target.id] = built
            elif isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                literal[target.id] = node.value.value
        elif (
            isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add)
            and isinstance(node.target, ast.Name)
        ):
            name = node.target.id
            prefix = literal.get(name, "")
            combined = ast.BinOp(ast.Constant(prefix), ast.Add(), node.value)
            ast.copy_location(combined, node)
            built = built_sql(combined, scope=scope)
            if built is not None and name not in found:
                found[name] = built
    return found


def _sink(names: ProjectNames, module: PythonModule, call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _SINK_METHODS:
        return f"{ast.unparse(func)}" if len(ast.unparse(func)) <= 40 else func.attr
    qualified = names.qualify(module, func)
    if qualified in _TEXT_FUNCTIONS:
        return qualified.rsplit(".", 1)[-1]
    return None


# Cheap test on a module's text: SQL is written in a string that starts with its keyword
# (`"SELECT ...`, `f"select ...`, `"""\n  UPDATE ...`), or in capitals anywhere.
_MAY_HOLD_SQL = re.compile(
    r"""(?i:["']\s*(select|insert|update|delete|with)\b)"""
    r"|\bSELECT\b[\s\S]{0,400}?\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
)


def may_hold_sql(module: PythonModule) -> bool:
    """Whether a module's text could build SQL at all (skips most modules of a big repo)."""
    return _MAY_HOLD_SQL.search(module.source) is not None


class SqlScan:
    """SQL built from values, per function, following one level into the project's helpers
    (`run_query(f"SELECT ...")` where `run_query` hands its parameter to `execute`)."""

    def __init__(self, names: ProjectNames) -> None:
        self.names = names
        self._helpers: dict[tuple[str, str], str | None] = {}
        self._literals: dict[int, dict[str, str]] = {}

    def hits(self, module: PythonModule, function: FunctionNode | None) -> list[SqlHit]:
        """SQL built from values in one function's own body (or the module's top level)."""
        if id(module) not in self._literals:
            self._literals[id(module)] = module_literals(module)
        body = walk_scope(function) if function is not None else _module_scope(module)
        scope = _scope(body, self._literals[id(module)])
        local = _local_strings(body, scope)
        hits: list[SqlHit] = []
        reached: set[str] = set()
        handed: list[BuiltSql] = []
        for node in body:
            if not isinstance(node, ast.Call):
                continue
            for arg, sink, via, has_params in self._sinks(module, node):
                built = built_sql(arg, scope=scope)
                if built is None and isinstance(arg, ast.Name) and arg.id in local:
                    built = local[arg.id]
                    reached.add(arg.id)
                if built is not None and sink is not None:
                    hits.append(SqlHit(built, node.lineno, sink, has_params, via))
                elif built is not None:
                    handed.append(built)
        executed = {hit.built.line for hit in hits}
        # Built and handed on (kept, returned, given to a helper that does not execute it):
        # only whole statements count.
        built_only = [b for name, b in local.items() if name not in reached] + handed
        built_only += [
            b
            for node in body
            if isinstance(node, ast.Return) and node.value is not None
            if (b := built_sql(node.value, strict=True, scope=scope)) is not None
        ]
        for built in built_only:
            if built.line not in executed and _STATEMENT.search(built.text):
                hits.append(SqlHit(built, built.line, None, False))
        return _one_per_statement(hits)

    def _sinks(
        self, module: PythonModule, call: ast.Call
    ) -> list[tuple[ast.expr, str | None, str | None, bool]]:
        """(argument, sink, via, has parameters) for each argument that may end up as SQL."""
        sink = _sink(self.names, module, call)
        if sink is not None:
            if not call.args:
                return []
            return [(call.args[0], sink, None, len(call.args) > 1 or bool(call.keywords))]
        ref = self.names.function(self.names.qualify(module, call.func))
        if ref is None:
            return []
        params = [a.arg for a in [*ref.node.args.posonlyargs, *ref.node.args.args]]
        given = list(zip(params, call.args, strict=False))
        given += [(k.arg, k.value) for k in call.keywords if k.arg]
        found: list[tuple[ast.expr, str | None, str | None, bool]] = []
        for param, arg in given:
            via = self._helper_sink(ref, param)
            found.append((arg, ref.node.name if via else None, via, False))
        return found

    def _helper_sink(self, ref: FunctionRef, param: str) -> str | None:
        """Where a helper executes one of its parameters: "`cur.execute()` at db.py:12"."""
        key = (ref.qualname, param)
        if key not in self._helpers:
            self._helpers[key] = None
            for node in walk_scope(ref.node):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                first = node.args[0]
                sink = _sink(self.names, ref.module, node)
                if sink is not None and isinstance(first, ast.Name) and first.id == param:
                    self._helpers[key] = f"`{sink}()` at {ref.module.path}:{node.lineno}"
                    break
        return self._helpers[key]


def _one_per_statement(hits: list[SqlHit]) -> list[SqlHit]:
    """One hit per (place, string): the same string met twice is one mistake."""
    kept: dict[tuple[int, int], SqlHit] = {}
    for hit in hits:
        kept.setdefault((hit.line, hit.built.line), hit)
    return sorted(kept.values(), key=lambda h: (h.line, h.built.line))


def _module_scope(module: PythonModule) -> list[ast.AST]:
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(module.tree.body))
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found
