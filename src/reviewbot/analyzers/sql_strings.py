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
from dataclasses import dataclass

from reviewbot.analyzers.db_sessions import walk_scope
from reviewbot.analyzers.project_names import FunctionNode, ProjectNames
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


def _dynamic(expr: ast.expr, safe_names: frozenset[str]) -> bool:
    """Whether a value put into SQL could carry input (constants and casts can't)."""
    if isinstance(expr, ast.FormattedValue):
        expr = expr.value
    if isinstance(expr, ast.Constant) or (isinstance(expr, ast.Name) and expr.id in safe_names):
        safe = True
    elif isinstance(expr, ast.Name | ast.Attribute):
        safe = (expr.id if isinstance(expr, ast.Name) else expr.attr).isupper()
    elif isinstance(expr, ast.Call):
        cast = isinstance(expr.func, ast.Name) and expr.func.id in _SAFE_CALLS
        safe = cast or _is_placeholder_join(expr)
    else:
        safe = False
    return not safe


def _parts(
    expr: ast.expr, safe_names: frozenset[str] = frozenset()
) -> tuple[str, str, list[ast.expr]] | None:
    """(how, text with `x` for each value, dynamic values) of a string built from values."""
    if isinstance(expr, ast.JoinedStr):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "x" for v in expr.values)
        values = [v.value for v in expr.values if isinstance(v, ast.FormattedValue)]
        return "an f-string", text, [v for v in values if _dynamic(v, safe_names)]
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "format"
        and isinstance(expr.func.value, ast.Constant)
        and isinstance(expr.func.value.value, str)
    ):
        values = [*expr.args, *(k.value for k in expr.keywords)]
        text = re.sub(r"\{[^{}]*\}", "x", expr.func.value.value)
        return "`.format()`", text, [v for v in values if _dynamic(v, safe_names)]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        if isinstance(expr.left, ast.Constant) and isinstance(expr.left.value, str):
            right = expr.right
            values = list(right.elts) if isinstance(right, ast.Tuple) else [right]
            text = re.sub(r"%(\([^)]*\))?[sdifr]", "x", expr.left.value)
            return "`%` formatting", text, [v for v in values if _dynamic(v, safe_names)]
        return None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _concatenation(expr, safe_names)
    return None


def _concatenation(
    expr: ast.BinOp, safe_names: frozenset[str]
) -> tuple[str, str, list[ast.expr]] | None:
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
        nested = _parts(piece, safe_names) if isinstance(piece, ast.JoinedStr) else None
        if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
            text += piece.value
            literal = True
        elif nested is not None:
            text += nested[1]
            values += nested[2]
            literal = True
        else:
            text += "x"
            if _dynamic(piece, safe_names):
                values.append(piece)
    return ("concatenation (`+`)", text, values) if literal else None


def built_sql(
    expr: ast.expr, *, strict: bool = False, safe_names: frozenset[str] = frozenset()
) -> BuiltSql | None:
    """The SQL an expression builds from values, if it does.

    `strict`: the text must start as a whole statement (`SELECT cols FROM`...), for strings
    that are not seen reaching an `execute()` and could be prose."""
    found = _parts(expr, safe_names)
    if found is None:
        return None
    how, text, values = found
    shape = _STATEMENT if strict else _SQL_SHAPE
    if not values or not shape.search(text):
        return None
    shown = tuple(dict.fromkeys(ast.unparse(v) for v in values))
    return BuiltSql(how, expr.lineno, shown, text)


def _safe_names(body: list[ast.AST]) -> frozenset[str]:
    """Local names only ever bound to placeholders (`marks = ",".join("?" * len(ids))`)."""
    safe: set[str] = set()
    unsafe: set[str] = set()
    for node in body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    placeholder = _is_placeholder_join(node.value)
                    (safe if placeholder else unsafe).add(target.id)
    return frozenset(safe - unsafe)


def _local_strings(body: list[ast.AST], safe_names: frozenset[str]) -> dict[str, BuiltSql]:
    """Local names holding built SQL: `q = f"..."`, or a SQL literal extended with `q += x`."""
    literal: dict[str, str] = {}
    found: dict[str, BuiltSql] = {}
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if not isinstance(target, ast.Name):
                continue
            built = built_sql(node.value, safe_names=safe_names)
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
            built = built_sql(combined, safe_names=safe_names)
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


def sql_hits(
    names: ProjectNames, module: PythonModule, function: FunctionNode | None
) -> list[SqlHit]:
    """SQL built from values in one function's own body (or the module's top level)."""
    body = walk_scope(function) if function is not None else _module_scope(module)
    safe_names = _safe_names(body)
    local = _local_strings(body, safe_names)
    hits: list[SqlHit] = []
    reached: set[str] = set()
    executed_lines: set[int] = set()
    for node in body:
        if not isinstance(node, ast.Call) or not node.args:
            continue
        sink = _sink(names, module, node)
        if sink is None:
            continue
        arg = node.args[0]
        built = built_sql(arg, safe_names=safe_names)
        if built is None and isinstance(arg, ast.Name) and arg.id in local:
            built = local[arg.id]
            reached.add(arg.id)
        if built is not None:
            has_params = len(node.args) > 1 or bool(node.keywords)
            hits.append(SqlHit(built, node.lineno, sink, has_params))
            executed_lines.add(built.line)
    # Built and handed on (kept in a variable, returned): only whole statements count.
    built_only = [b for name, b in local.items() if name not in reached]
    built_only += [
        b
        for node in body
        if isinstance(node, ast.Return) and node.value is not None
        if (b := built_sql(node.value, strict=True, safe_names=safe_names)) is not None
    ]
    for built in built_only:
        if built.line not in executed_lines and _STATEMENT.search(built.text):
            hits.append(SqlHit(built, built.line, None, False))
    return _one_per_statement(hits)


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
