"""Following an expression back to the query that produced its rows (C09).

`Resolver.origin(expr, line)` answers "which model are these rows, from which query, and
which relations did that query load?" for `posts`, `db.query(Post).all()`,
`session.scalars(select(Post).options(selectinload(Post.author)))`, `Post.objects.filter(...)`,
`post.comments` (inside a loop over posts) and the names assigned from them.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from reviewbot.analyzers.n_plus_one_queries import (
    _NOT_ROWS,
    _SINGLE,
    Origin,
    Scope,
    Step,
    eager_of_call,
    flatten,
    is_model_name,
    receiver_of,
    with_eager,
)
from reviewbot.analyzers.orm_fields import call_name

_PASS_THROUGH: Final = frozenset({"list", "sorted", "reversed", "tuple", "set", "iter",
                                  "enumerate"})
_CURSOR_READS: Final = frozenset({"execute", "fetchall", "fetchmany"})
_SESSION_READS: Final = frozenset(
    {"execute", "exec", "scalars", "scalar", "first_or_404", "one_or_404"}
)
_MAX_DEPTH: Final = 12


class Resolver:
    """Origins of expressions in one scope, given the loop variables bound so far."""

    def __init__(self, scope: Scope, bindings: Mapping[str, Origin]) -> None:
        self.scope = scope
        self.bindings = bindings

    def origin(self, expr: ast.expr, line: int, depth: int = 0) -> Origin | None:
        """The rows `expr` holds at `line`, or None when they don't come from a known query."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Await):
            return self.origin(expr.value, line, depth + 1)
        if isinstance(expr, ast.Name):
            return self._name(expr.id, line, depth)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
            return self._function_call(expr, line, depth)
        if isinstance(expr, ast.ListComp | ast.GeneratorExp) and len(expr.generators) == 1:
            # [p for p in posts if p.published]: the same rows, filtered
            generator = expr.generators[0]
            same = isinstance(expr.elt, ast.Name) and isinstance(generator.target, ast.Name) and (
                expr.elt.id == generator.target.id
            )
            return self.origin(generator.iter, line, depth + 1) if same else None
        base, steps = flatten(expr)
        start, rest = self._start(base, steps, line, depth) if steps else (None, [])
        return self._apply(start, rest)

    def _name(self, name: str, line: int, depth: int) -> Origin | None:
        bound = self.bindings.get(name)
        if bound is not None:
            return bound
        found = [
            o for at, value in self.scope.values(name, line)
            if (o := self.origin(value, at, depth + 1)) is not None
        ]
        if not found:
            return None
        latest = found[-1]
        same = [o for o in found if o.root is latest.root and o.model is latest.model]
        eager = frozenset().union(*(o.eager for o in same))
        return replace(latest, eager=eager, all_eager=any(o.all_eager for o in same))

    def _function_call(self, call: ast.Call, line: int, depth: int) -> Origin | None:
        name = call_name(call) or ""
        first = call.args[0] if call.args else None
        if name in _PASS_THROUGH and first is not None:
            return self.origin(first, line, depth + 1)
        if name in ("get_object_or_404", "get_list_or_404") and first is not None:
            if is_model_name(first, self.scope.index) and isinstance(first, ast.Name):
                model = self.scope.model(first.id)
                found = Origin(model, model, (), frozenset(), False, call.lineno) if model else None
            else:
                found = self.origin(first, line, depth + 1)
            many = name == "get_list_or_404"
            return replace(found, many=many) if found else None
        if name == "select" and len(call.args) == 1 and isinstance(first, ast.Name):
            # select(Post); select(Post.id) or select(Post, User) give rows, not models
            model = self.scope.model(first.id)
            return Origin(model, model, (), frozenset(), False, call.lineno) if model else None
        return None

    def _start(self, base: ast.expr, steps: list[Step], line: int,
               depth: int) -> tuple[Origin | None, list[Step]]:
        """The origin at the start of a chain, and the steps still to apply to it."""
        first = next((i for i, step in enumerate(steps) if step[0] == "call"), None)
        if first is not None and all(step[0] == "attr" for step in steps[:first]):
            _, name, node = steps[first]
            if isinstance(node, ast.Call):
                found = self._receiver_start(name, node, line, depth)
                if found is not None:
                    return found[0], steps[first + found[1]:]
        if isinstance(base, ast.Name | ast.Call):
            return self.origin(base, line, depth + 1), steps
        return None, []

    def _receiver_start(self, name: str, node: ast.Call, line: int,
                        depth: int) -> tuple[Origin | None, int] | None:
        """The origin a chain's first method call starts, and how many steps it used."""
        receiver = receiver_of(node)
        if name == "select":  # db.select(Post), sa.select(Post)
            return self._function_call(node, line, depth), 1
        if (
            isinstance(receiver, ast.Attribute)
            and receiver.attr in ("objects", "query")
            and isinstance(receiver.value, ast.Name)
            and is_model_name(receiver.value, self.scope.index)
        ):
            model = self.scope.model(receiver.value.id)
            found = Origin(model, model, (), frozenset(), False, node.lineno) if model else None
            return found, 0
        if self.scope.is_session(receiver):
            return self._session_call(name, node, line, depth), 1
        if name in _CURSOR_READS and self.scope.is_cursor(receiver):
            return Origin(None, None, (), frozenset(), False, node.lineno), 1
        return None

    def _session_call(self, method: str, call: ast.Call, line: int,
                      depth: int) -> Origin | None:
        first = call.args[0] if call.args else None
        if method in ("query", "get", "get_or_404", "get_one"):
            model = self.scope.model(first.id) if isinstance(first, ast.Name) else None
            if model is None or (method == "query" and len(call.args) > 1):
                return None
            found = Origin(model, model, (), frozenset(), False, call.lineno,
                           many=method == "query")
            return with_eager(found, *eager_of_call(call))
        if method not in _SESSION_READS or first is None:
            return None
        raw = isinstance(first, ast.Constant | ast.JoinedStr | ast.BinOp) or (
            call_name(first) == "text"
        )
        rows = (
            Origin(None, None, (), frozenset(), False, call.lineno)
            if raw
            else self.origin(first, line, depth + 1)
        )
        if rows is None or rows.raw:
            return rows
        many = method in ("exec", "scalars", "execute")
        return replace(rows, rows=method == "execute", many=many, line=call.lineno)

    def _apply(self, origin: Origin | None, steps: list[Step]) -> Origin | None:
        for kind, name, node in steps:
            if origin is None:
                return None
            if kind == "index":
                is_slice = isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)
                origin = origin if is_slice else replace(origin, many=False)
            elif kind == "attr":
                origin = self._attribute(origin, name)
            else:
                origin = self._method(origin, name, node)
        return origin

    def _method(self, origin: Origin, name: str, node: ast.expr) -> Origin | None:
        if name in _NOT_ROWS:
            return None
        changed = origin
        if name in ("scalars", "scalar_one", "scalar_one_or_none", "scalar"):
            changed = replace(changed, rows=False)
        if name in _SINGLE:
            changed = replace(changed, many=False)
        if isinstance(node, ast.Call):
            changed = with_eager(changed, *eager_of_call(node))
        return changed

    def _attribute(self, origin: Origin, name: str) -> Origin | None:
        if origin.raw or origin.rows or origin.many:
            # Flask-SQLAlchemy `Post.query.paginate(...).items`: the page's rows
            return origin if name == "items" and origin.many else None
        relation = origin.model.relation(name) if origin.model else None
        target = self.scope.model(relation.target) if relation else None
        if relation is None or target is None:
            return None
        return Origin(target, origin.root, (*origin.prefix, name), origin.eager,
                      origin.all_eager, origin.line)
