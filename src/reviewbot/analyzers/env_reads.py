"""Which settings a project reads from the environment, and how (C14's positive evidence).

Recognised: `os.getenv("X")`, `os.environ["X"]`, `os.environ.get("X")`, python-decouple's and
Starlette's `config("X")`, django-environ's `env("X")`/`env.str("X")`/`env.db()`,
python-dotenv's `load_dotenv()`, and pydantic-settings classes (their fields, with the class's
`env_prefix` and field aliases).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from reviewbot.analyzers.statement_walk import Statements
from reviewbot.source.inventory_model import ModuleRole, PythonModule

# Set by the shell, the platform or a tool, never by the project's own configuration.
STANDARD_VARIABLES: Final = frozenset(
    {
        "APPDATA", "CI", "COLUMNS", "DJANGO_SETTINGS_MODULE", "FORCE_COLOR", "HOME",
        "HOSTNAME", "LANG", "LINES", "LOCALAPPDATA", "NO_COLOR", "PATH", "PORT", "PWD",
        "PYTHONPATH", "SHELL", "SYSTEMROOT", "TERM", "TMP", "TMPDIR", "TEMP", "TZ", "USER",
        "USERPROFILE", "VIRTUAL_ENV",
    }
)  # fmt: skip
# Set by CI runners and desktop sessions.
STANDARD_PREFIXES: Final = ("GITHUB_", "RUNNER_", "ACTIONS_", "XDG_", "LC_")
_SETTINGS_BASES: Final = frozenset({"BaseSettings"})
_ENVIRON_TYPED: Final = frozenset(
    {"str", "bool", "int", "float", "list", "tuple", "dict", "url", "path", "json", "db",
     "db_url", "cache", "cache_url", "email", "email_url", "search_url"}
)  # fmt: skip


@dataclass
class ModuleReads:
    """What one module reads from the environment."""

    variables: list[str] = field(default_factory=list)
    # (line, variable, default) for each read with a literal default; a pydantic-settings
    # field with a default counts as one.
    defaults: list[tuple[int, str, object]] = field(default_factory=list)
    # Lines of the reading calls, whose literal arguments are defaults, not hardcoded settings.
    call_lines: set[int] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)


@dataclass
class EnvReads:
    per_module: dict[str, ModuleReads]
    # pydantic-settings classes -> their env_prefix
    settings_classes: dict[str, str]
    # Project variables read by application code and scripts, sorted.
    variables: list[str]
    # How: "os.environ", "pydantic-settings", "python-decouple", "django-environ", ...
    sources: list[str]


def _constant(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):  # BaseSettings[...] style generics
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def settings_classes(walks: Iterable[Statements]) -> dict[str, str]:
    """The classes that derive, directly or through the project's own classes, from
    pydantic's `BaseSettings`, each with its `env_prefix` (own or inherited)."""
    bases: dict[str, set[str]] = {}
    prefixes: dict[str, str | None] = {}
    for walk in walks:
        for node in walk.classes:
            bases.setdefault(node.name, set()).update(_base_name(b) for b in node.bases)
            prefixes[node.name] = _env_prefix(node)
    found: dict[str, str] = dict.fromkeys(_SETTINGS_BASES, "")
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            known = [found[p] for p in sorted(parents) if p in found]
            if name not in found and known:
                own = prefixes.get(name)
                found[name] = own if own is not None else max(known, key=len)
                grew = True
    return {name: prefix for name, prefix in found.items() if name not in _SETTINGS_BASES}


class _Reader:
    def __init__(self, module: PythonModule, walk: Statements, classes: dict[str, str]) -> None:
        self.reads = ModuleReads()
        source = module.source
        self.decouple = "decouple" in source or "starlette.config" in source
        self.django_environ = "import environ" in source
        for call in walk.calls:
            self._call(call)
        for subscript in walk.subscripts:
            if _is_environ(subscript.value) and isinstance(subscript.ctx, ast.Load):
                self._read(subscript.lineno, _constant(subscript.slice), "os.environ")
        for node in walk.classes:
            if node.name in classes:
                self._settings_class(node, classes[node.name])

    def _read(self, line: int, name: object, source: str, default: ast.expr | None = None) -> None:
        if not isinstance(name, str) or not name:
            return
        self.reads.variables.append(name)
        self.reads.sources.add(source)
        self.reads.call_lines.add(line)
        if isinstance(default, ast.Constant):
            self.reads.defaults.append((line, name, default.value))

    def _call(self, node: ast.Call) -> None:
        func, args = node.func, node.args
        first = _constant(args[0]) if args else None
        keyword_default = next((k.value for k in node.keywords if k.arg == "default"), None)
        default = args[1] if len(args) > 1 else keyword_default
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value if isinstance(func, ast.Attribute) else None
        if name == "getenv" or (name == "get" and owner is not None and _is_environ(owner)):
            self._read(node.lineno, first, "os.environ", default)
        elif name in ("load_dotenv", "dotenv_values"):
            self.reads.sources.add("python-dotenv")
        elif name == "config" and owner is None and self.decouple:
            self._read(node.lineno, first, "python-decouple", keyword_default)
        elif self.django_environ and _is_env(func):
            if name == "db" and not args:
                first = "DATABASE_URL"
            self._read(node.lineno, first, "django-environ", keyword_default)

    def _settings_class(self, node: ast.ClassDef, prefix: str) -> None:
        self.reads.sources.add("pydantic-settings")
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(
                statement.target, ast.Name
            ):
                continue
            field_name = statement.target.id
            if field_name == "model_config" or "ClassVar" in ast.unparse(statement.annotation):
                continue
            variable = _alias(statement.value) or (prefix + field_name).upper()
            self.reads.variables.append(variable)
            if isinstance(statement.value, ast.Constant):
                self.reads.defaults.append((statement.lineno, variable, statement.value.value))


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _is_env(func: ast.expr) -> bool:
    """`env(...)` or `env.str(...)` on django-environ's `env = environ.Env()`."""
    if isinstance(func, ast.Name):
        return func.id == "env"
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _ENVIRON_TYPED
        and isinstance(func.value, ast.Name)
        and func.value.id == "env"
    )


def _env_prefix(node: ast.ClassDef) -> str | None:
    """The class's own `env_prefix` (`model_config = SettingsConfigDict(env_prefix=...)` or
    pydantic v1's inner `class Config: env_prefix = ...`); None when it sets none."""
    for statement in node.body:
        if isinstance(statement, ast.ClassDef) and statement.name == "Config":
            return _env_prefix(statement)
        if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
            continue
        value = statement.value
        names = [_base_name(t) for t in _targets(statement)]
        if "env_prefix" in names:
            prefix = _constant(value)
            return prefix if isinstance(prefix, str) else ""
        if "model_config" in names and isinstance(value, ast.Call | ast.Dict):
            return _prefix_in(value)
    return None


def _prefix_in(config: ast.Call | ast.Dict) -> str | None:
    pairs: list[tuple[object, ast.expr]]
    if isinstance(config, ast.Call):
        pairs = [(k.arg, k.value) for k in config.keywords]
    else:
        pairs = [(_constant(k), v) for k, v in zip(config.keys, config.values, strict=True)]
    for key, value in pairs:
        if key == "env_prefix":
            prefix = _constant(value)
            return prefix if isinstance(prefix, str) else ""
    return None


def _targets(statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return statement.targets if isinstance(statement, ast.Assign) else [statement.target]


def _alias(value: ast.expr | None) -> str | None:
    """`Field(alias="X")`, `Field(validation_alias="X")`, pydantic v1's `Field(env="X")`."""
    if not isinstance(value, ast.Call):
        return None
    for keyword in value.keywords:
        alias = _constant(keyword.value)
        if keyword.arg in ("alias", "validation_alias", "env") and isinstance(alias, str):
            return alias
    return None


# Every way of reading the environment above names one of these on its line.
ENV_WORDS: Final = re.compile(r"environ|getenv|dotenv|config|env")


def read_environment(modules: Iterable[PythonModule], walks: dict[str, Statements]) -> EnvReads:
    """What every module reads; the project's variables come from app code and scripts.
    `walks` are the modules' statement walks, made with (at least) `ENV_WORDS`."""
    modules = list(modules)
    classes = settings_classes(walks.values())
    per_module = {m.path: _Reader(m, walks[m.path], classes).reads for m in modules}
    own = [m for m in modules if m.role in (ModuleRole.APP, ModuleRole.SCRIPT)]
    variables = sorted(
        v
        for v in {v for m in own for v in per_module[m.path].variables} - STANDARD_VARIABLES
        if not v.startswith(STANDARD_PREFIXES)
    )
    sources = sorted({s for m in own for s in per_module[m.path].sources})
    return EnvReads(per_module, classes, variables, sources)
