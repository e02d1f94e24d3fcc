"""How much of the app code is typed (C03), from the parsed trees alone: no tool is run.

Facts: the share of app functions with every parameter and the return annotated, how often
`Any` is written, `# type: ignore` comments, whether the repo has a mypy configuration (its
presence is evidence; it is never read as configuration) and whether Pydantic models are used.
Findings: one info per public app function with no annotation at all, capped so a fully
untyped Django project doesn't drown the review; the rest are counted in the facts.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.source.inventory_model import Inventory, ModuleRole, PythonModule

RULE: Final = "RB0301"
MAX_FINDINGS: Final = 10

# Direct bases that make a class a Pydantic model (SQLModel tables are Pydantic models too).
PYDANTIC_BASES: Final = frozenset({"BaseModel", "RootModel", "SQLModel"})
PYDANTIC_MODULES: Final = ("pydantic", "sqlmodel")

_TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore\b")

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class FunctionTyping:
    """How one function is annotated."""

    path: str
    name: str  # qualified: `Class.method`
    line: int
    public: bool
    annotated: int  # parameters and return that carry an annotation
    annotatable: int  # parameters (not self/cls) and the return

    @property
    def fully_annotated(self) -> bool:
        return self.annotated == self.annotatable

    @property
    def unannotated(self) -> bool:
        return self.annotated == 0


def _parameters(node: Function, is_method: bool) -> list[ast.arg]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    if is_method and positional and not static:
        positional = positional[1:]  # self / cls: their type is obvious
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*positional, *args.kwonlyargs, *extra]


def _typing_of(
    path: str, node: Function, qualname: str, public: bool, is_method: bool
) -> FunctionTyping:
    params = _parameters(node, is_method)
    annotated = sum(1 for a in params if a.annotation is not None)
    # mypy treats `__init__` with typed parameters as typed without `-> None`.
    needs_return = not (node.name == "__init__" and annotated)
    returns = 1 if node.returns is not None else 0
    return FunctionTyping(
        path,
        qualname,
        node.lineno,
        public,
        annotated + returns,
        len(params) + (1 if needs_return or returns else 0),
    )


def functions(module: PythonModule) -> Iterator[FunctionTyping]:
    """Module-level functions and methods of module-level classes (not nested functions)."""
    for node in module.tree.body:
        if isinstance(node, Function):
            yield _typing_of(module.path, node, node.name, not node.name.startswith("_"), False)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, Function):
                    public = not node.name.startswith("_") and not item.name.startswith("_")
                    name = f"{node.name}.{item.name}"
                    yield _typing_of(module.path, item, name, public, True)


def any_uses(module: PythonModule) -> int:
    """How often `Any` (or `typing.Any`) is written in the module, imports aside."""
    return sum(
        1
        for node in ast.walk(module.tree)
        if (isinstance(node, ast.Name) and node.id == "Any")
        or (isinstance(node, ast.Attribute) and node.attr == "Any")
    )


def _base_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for written in node.bases:
        base = written.value if isinstance(written, ast.Subscript) else written  # RootModel[X]
        if isinstance(base, ast.Name):
            names.add(base.id)
        elif isinstance(base, ast.Attribute):
            names.add(base.attr)
    return names


def _imports_pydantic(module: PythonModule) -> bool:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in PYDANTIC_MODULES:
                return True
        elif isinstance(node, ast.Import) and any(
            alias.name.split(".")[0] in PYDANTIC_MODULES for alias in node.names
        ):
            return True
    return False


def pydantic_models(modules: list[PythonModule]) -> int:
    """Classes deriving from a Pydantic model, directly or through the repo's own models."""
    classes = [
        (node.name, _base_names(node), _imports_pydantic(module))
        for module in modules
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ClassDef)
    ]
    models = {name for name, bases, pydantic in classes if pydantic and bases & PYDANTIC_BASES}
    while True:  # `class UserCreate(UserBase)` where `UserBase(BaseModel)`
        more = {name for name, bases, _ in classes if bases & models} - models
        if not more:
            return sum(1 for name, _, _ in classes if name in models)
        models |= more


def mypy_config(inventory: Inventory) -> str | None:
    """The repo file that configures mypy, if any. Looked at, never used as configuration."""
    for path in ("mypy.ini", ".mypy.ini"):
        if inventory.has(path):
            return path
    try:
        pyproject = tomllib.loads(inventory.read_text("pyproject.toml") or "")
    except tomllib.TOMLDecodeError:
        pyproject = {}
    tool = pyproject.get("tool")
    if isinstance(tool, dict) and "mypy" in tool:
        return "pyproject.toml"
    setup_cfg = inventory.read_text("setup.cfg") or ""
    if re.search(r"^\s*\[mypy[\]-]", setup_cfg, re.MULTILINE):
        return "setup.cfg"
    return None


@dataclass(frozen=True, slots=True)
class TypingCoverageAnalyzer:
    name: str = "typing"
    criteria: tuple[str, ...] = ("C03",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        app = sorted(
            (m for m in ctx.inventory.modules if m.role is ModuleRole.APP), key=lambda m: m.path
        )
        typed = [f for module in app for f in functions(module)]
        untyped_public = [f for f in typed if f.public and f.unannotated]
        findings: list[Finding] = [
            ctx.rulebook.finding(
                RULE,
                f.path,
                f.line,
                f"`{f.name}` has no type annotations: annotate its parameters and return type",
            )
            for f in untyped_public[:MAX_FINDINGS]
        ]
        fully = sum(1 for f in typed if f.fully_annotated)
        facts: dict[str, Any] = {
            "functions": len(typed),
            "fully_annotated": fully,
            "annotated_share": round(fully / len(typed), 3) if typed else None,
            "unannotated": sum(1 for f in typed if f.unannotated),
            "unannotated_public": len(untyped_public),
            "unannotated_public_not_reported": max(0, len(untyped_public) - MAX_FINDINGS),
            "any_uses": sum(any_uses(m) for m in app),
            "type_ignores": sum(len(_TYPE_IGNORE.findall(m.source)) for m in app),
            "mypy_config": mypy_config(ctx.inventory),
            "pydantic_models": pydantic_models(app),
        }
        facts["uses_pydantic"] = facts["pydantic_models"] > 0
        return AnalyzerOutput(findings=tuple(findings), facts=facts)


ANALYZER: Final = TypingCoverageAnalyzer()
