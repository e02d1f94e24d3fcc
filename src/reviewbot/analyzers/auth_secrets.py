"""Where a JWT signing key comes from, followed statically: a literal, an environment
variable (with or without a literal default), a constant, a settings field, `app.config`."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from reviewbot.analyzers.route_index import ModuleIndex, ProjectIndex, call_name, const_str, keyword

_MAX_DEPTH = 4
# Settings that hold a JWT signing key for libraries that sign for you.
LIBRARY_KEYS = {"JWT_SECRET_KEY": "flask_jwt_extended", "SIGNING_KEY": "rest_framework_simplejwt"}


@dataclass(frozen=True)
class Secret:
    """A key's origin: `canonical` names it ("lit:<value>", "env:NAME", "name:SECRET_KEY");
    `literal` is set when a literal value is in the code, at `path`:`line`."""

    canonical: str
    literal: str | None = None
    path: str = ""
    line: int = 0
    fallback: bool = False  # the literal is only the default of an environment lookup


def getenv(node: ast.expr) -> tuple[str, ast.expr | None] | None:
    """`os.getenv("X", d)`, `os.environ.get("X", d)`, `os.environ["X"]` -> (X, d)."""
    if isinstance(node, ast.Call) and call_name(node.func) in ("getenv", "get") and node.args:
        owner = ast.unparse(node.func)
        name = const_str(node.args[0])
        if name and ("environ" in owner or "getenv" in owner):
            default = node.args[1] if len(node.args) > 1 else keyword(node, "default")
            return name, default
    if isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
        name = const_str(node.slice)
        return (name, None) if name else None
    return None


def _from_env(index: ModuleIndex, node: ast.expr) -> Secret | None:
    env = getenv(node)
    if env is None:
        return None
    default = const_str(env[1])
    if default:
        return Secret("env:" + env[0], default, index.path, node.lineno, fallback=True)
    return Secret("env:" + env[0])


def _setting_values(module: ModuleIndex, name: str) -> list[ast.expr]:
    """Values assigned to a setting `name`: class fields and `config["name"] = ...`."""
    values: list[ast.expr] = []
    for cls in module.classes.values():
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign | ast.Assign) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                values += [stmt.value for t in targets if isinstance(t, ast.Name) and t.id == name]
    for node in ast.walk(module.module.tree):
        if isinstance(node, ast.Assign):
            values += [
                node.value
                for t in node.targets
                if isinstance(t, ast.Subscript) and const_str(t.slice) == name
            ]
    return values


class Secrets:
    """Resolves the key argument of a token call to where its value comes from."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project

    def resolve(self, index: ModuleIndex, node: ast.expr | None, depth: int = 0) -> Secret | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Call) and call_name(node.func) == "get_secret_value":
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            return self.resolve(index, owner, depth + 1)
        text = const_str(node)
        if text is not None:
            return Secret("lit:" + text, text, index.path, node.lineno)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.either(index, node, depth)
        found = _from_env(index, node)
        if found is None and isinstance(node, ast.Name | ast.Attribute):
            found = self.named(index, node, depth)
        key = const_str(node.slice) if isinstance(node, ast.Subscript) else None
        if found is None and key:
            found = self.setting(key, depth)  # app.config["SECRET_KEY"]
        return found

    def either(self, index: ModuleIndex, node: ast.BoolOp, depth: int) -> Secret | None:
        """`os.environ.get("X") or "dev-secret"`: the literal is a fallback."""
        first = self.resolve(index, node.values[0], depth + 1)
        last = const_str(node.values[-1])
        if last and first is not None:
            return Secret(first.canonical, last, index.path, node.lineno, fallback=True)
        return first

    def named(self, index: ModuleIndex, node: ast.Name | ast.Attribute, depth: int) -> Secret:
        found = self.project.value(index, node)
        resolved = self.resolve(found[0], found[1], depth + 1) if found is not None else None
        if resolved is not None:
            return resolved
        name = node.id if isinstance(node, ast.Name) else node.attr
        if isinstance(node, ast.Attribute):
            return self.setting(name, depth)  # `settings.jwt_secret`: a settings-class field
        return Secret("name:" + name.upper())

    def setting(self, name: str, depth: int) -> Secret:
        """A setting of this name anywhere in the project that holds a literal."""
        for module in self.project:
            if name not in module.module.source:
                continue
            for value in _setting_values(module, name):
                found = self.resolve(module, value, depth + 1)
                if found is not None and found.literal:
                    return found
        return Secret("name:" + name.upper())

    def library_keys(self) -> list[tuple[str, Secret]]:
        """Literal keys given to libraries that sign tokens themselves: Flask-JWT-Extended's
        `JWT_SECRET_KEY`, Simple JWT's `SIMPLE_JWT = {"SIGNING_KEY": ...}`."""
        found: list[tuple[str, Secret]] = []
        used = {origin.split(".")[0] for m in self.project for origin, _ in m.imports.values()}
        for module in self.project:
            for name, library in LIBRARY_KEYS.items():
                if library not in used or name not in module.module.source:
                    continue
                values = _setting_values(module, name) + _dict_entries(module, name)
                for value in values:
                    secret = self.resolve(module, value)
                    if secret is not None and secret.literal:
                        found.append((library, secret))
        return found


def _dict_entries(module: ModuleIndex, key: str) -> list[ast.expr]:
    """`SIMPLE_JWT = {"SIGNING_KEY": "..."}` and `app.config.update(JWT_SECRET_KEY="...")`."""
    values: list[ast.expr] = []
    for node in ast.walk(module.module.tree):
        if isinstance(node, ast.Dict):
            values += [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if k is not None and const_str(k) == key
            ]
        elif isinstance(node, ast.Call) and call_name(node.func) == "update":
            values += [kw.value for kw in node.keywords if kw.arg == key]
    return values
