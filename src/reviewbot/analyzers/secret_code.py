"""Secrets in Python code, read from the parsed tree: secret-named settings assigned a
literal, environment reads that fall back to a literal secret, and secrets printed or logged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Final

from reviewbot.analyzers.secret_patterns import is_placeholder, is_secret_name
from reviewbot.analyzers.statement_walk import Scope, Statements

_SECRET_SETTERS: Final = frozenset({"app", "application", "settings", "config", "conf"})
_LOGGERS: Final = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})
# snake_case words or a dotted module path: a name, not a secret.
_IDENTIFIER: Final = re.compile(r"[a-z]+(?:[_.][a-z]+)+")


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


def secret_literals(nodes: Statements) -> Iterator[tuple[ast.stmt | ast.expr, str, str]]:
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


def env_fallbacks(calls: list[ast.Call]) -> Iterator[tuple[ast.Call, str, str]]:
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


def call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else "print"


def printed_secrets(calls: list[ast.Call]) -> Iterator[tuple[ast.Call, str]]:
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
