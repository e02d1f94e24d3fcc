"""Repository hygiene (C05, C06): manifests and pinning, committed artifacts, .gitignore.

Reads only the inventory: file names, sizes and the text of manifests and .gitignore.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from pathlib import PurePosixPath

from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.source.inventory_model import FileKind, Inventory, ModuleRole, RepoFile

_LOCK_FILES = ("poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock")
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults")
_LARGE_FILE = 5_000_000
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
# What a Python .gitignore should keep out, with the patterns that cover each.
_GITIGNORE_NEEDS = {
    "__pycache__/": ("__pycache__", "*.pyc", "*.py[cod]", "*.py[co]"),
    ".env": (".env", ".env*", "*.env", ".env.*"),
    "virtualenvs (.venv/)": (".venv", "venv", "env/", ".venv/", "venv/", "*venv*", ".env/"),
}


def _requirements(inv: Inventory, path: str) -> list[tuple[int, str, bool]]:
    """(line, name, pinned) for each requirement line of a requirements file."""
    text = inv.read_text(path) or ""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", ".")):
            continue
        match = _REQUIREMENT.match(line)
        if match:
            spec = match.group(3).split(";", 1)[0]
            found.append((number, match.group(1), "==" in spec or "===" in spec))
    return found


def _pyproject_dependencies(inv: Inventory, path: str) -> list[tuple[int, str, bool]]:
    text = inv.read_text(path) or ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    project = data.get("project", {})
    deps = project.get("dependencies", []) if isinstance(project, dict) else []
    lines = text.splitlines()
    found = []
    for dep in deps if isinstance(deps, list) else []:
        if not isinstance(dep, str):
            continue
        match = _REQUIREMENT.match(dep)
        if not match:
            continue
        number = next((i for i, line in enumerate(lines, 1) if dep in line), None)
        spec = match.group(3)
        found.append((number or 1, match.group(1), bool(re.search(r"[<>=~]", spec))))
    return found


Dependency = tuple[str, int, str, bool]  # manifest path, line, name, pinned


def _dependencies(inv: Inventory, manifests: list[str]) -> list[Dependency]:
    deps: list[Dependency] = []
    for path in manifests:
        name = PurePosixPath(path).name
        # requirements*.in are pip-tools inputs: ranges are expected, the .txt is the lock.
        if name.startswith("requirements") and name.endswith(".txt"):
            deps += [(path, *dep) for dep in _requirements(inv, path)]
        elif name == "pyproject.toml":
            deps += [(path, *dep) for dep in _pyproject_dependencies(inv, path)]
    return deps


def _has_lock(manifests: list[str], deps: list[Dependency]) -> bool:
    names = {PurePosixPath(p).name for p in manifests}
    if names & set(_LOCK_FILES) or any(name.endswith(".lock") for name in names):
        return True
    requirements = [d for d in deps if not d[0].endswith(".toml")]
    has_requirements = any(n.startswith("requirements") and n.endswith(".txt") for n in names)
    return has_requirements and all(pinned for *_, pinned in requirements)


def _manifest_findings(ctx: ScanContext) -> tuple[list[Finding], dict[str, object]]:
    inv, book = ctx.inventory, ctx.rulebook
    manifests = sorted(f.path for f in inv.of_kind(FileKind.MANIFEST))
    deps = _dependencies(inv, manifests)
    findings: list[Finding] = []
    if not manifests:
        message = (
            "No dependency manifest: add requirements.txt or a pyproject.toml so others can "
            "install the project."
        )
        findings.append(book.finding("RB0503", ".", None, message))
    findings += [
        book.finding(
            "RB0504",
            path,
            line,
            f"`{name}` is not pinned: pin an exact version (`{name}==X.Y.Z`) so installs are "
            "reproducible.",
        )
        for path, line, name, pinned in deps
        if not pinned and not path.endswith("pyproject.toml")
    ]
    has_lock = _has_lock(manifests, deps)
    if manifests and not has_lock:
        message = "No lock file: dependencies resolve differently on every install."
        findings.append(book.finding("RB0505", manifests[0], None, message))
    pinned_share = sum(1 for d in deps if d[3]) / len(deps) if deps else None
    return findings, {"manifests": manifests, "lock_file": has_lock, "pinned_share": pinned_share}


def _structure_findings(ctx: ScanContext) -> tuple[list[Finding], dict[str, object]]:
    inv = ctx.inventory
    app = [m for m in inv.modules if m.role is ModuleRole.APP]
    total = sum(m.lines for m in app)
    packages = {str(PurePosixPath(m.path).parent) for m in app}
    findings = []
    if app and total >= 300:
        biggest = max(app, key=lambda m: m.lines)
        if biggest.lines / total >= 0.8:
            findings.append(
                ctx.rulebook.finding(
                    "RB0506",
                    biggest.path,
                    None,
                    f"{biggest.lines} of the app's {total} lines are in this one module: split "
                    "it by concern (routers, models, schemas, services).",
                )
            )
    return findings, {"app_modules": len(app), "app_packages": len(packages), "app_loc": total}


def _artifact_findings(ctx: ScanContext) -> list[Finding]:
    inv, book = ctx.inventory, ctx.rulebook
    where = "committed" if inv.is_git else "in the scanned folder"
    findings = []
    for tree in inv.vendored:
        if tree.kind == "virtualenv":
            findings.append(
                book.finding("RB0501", tree.path, None, f"A virtualenv is {where}: `{tree.path}/`.")
            )
        elif tree.kind == "cache" and PurePosixPath(tree.path).name == "__pycache__":
            findings.append(
                book.finding("RB0502", tree.path, None, f"Bytecode cache {where}: `{tree.path}/`.")
            )
    for repo_file in inv.files:
        findings += _file_findings(ctx, repo_file, where)
    return findings


def is_env_file(name: str) -> bool:
    """`.env`, `.env.production`...: not templates such as `.env.example`, not `.envrc`."""
    return name.startswith(".env") and not name.endswith(_ENV_TEMPLATES) and name != ".envrc"


def _file_findings(ctx: ScanContext, repo_file: RepoFile, where: str) -> list[Finding]:
    book, path = ctx.rulebook, repo_file.path
    name = PurePosixPath(path).name
    findings = []
    if name.endswith((".pyc", ".pyo")):
        findings.append(book.finding("RB0502", path, None, f"Bytecode file {where}."))
    elif is_env_file(name):
        message = f"Environment file {where}: `{path}` usually holds secrets."
        findings.append(book.finding("RB0603", path, None, message))
    elif repo_file.kind is FileKind.DATABASE:
        findings.append(book.finding("RB0604", path, None, f"Database file {where}."))
    elif repo_file.kind is FileKind.NOTEBOOK and _notebook_has_outputs(ctx.inventory, path):
        findings.append(book.finding("RB0606", path, None, "Notebook committed with its outputs."))
    if repo_file.size > _LARGE_FILE:
        size = f"{repo_file.size / 1_000_000:.1f} MB"
        findings.append(book.finding("RB0605", path, None, f"Large file {where} ({size})."))
    return findings


def _notebook_has_outputs(inv: Inventory, path: str) -> bool:
    text = inv.read_text(path, limit=20_000_000)
    try:
        cells = json.loads(text or "{}").get("cells", [])
    except (json.JSONDecodeError, AttributeError):
        return False
    return any(isinstance(c, dict) and c.get("outputs") for c in cells)


def _gitignore_findings(ctx: ScanContext) -> tuple[list[Finding], dict[str, object]]:
    inv = ctx.inventory
    if not inv.has(".gitignore"):
        return [
            ctx.rulebook.finding(
                "RB0601",
                ".gitignore",
                None,
                "No .gitignore: caches, virtualenvs and .env files end up committed.",
            )
        ], {"gitignore": False}
    text = inv.read_text(".gitignore") or ""
    entries = {line.strip().strip("/") for line in text.splitlines()}
    missing = [
        need
        for need, patterns in _GITIGNORE_NEEDS.items()
        if not entries & {p.strip("/") for p in patterns}
    ]
    findings = []
    if missing:
        findings.append(
            ctx.rulebook.finding(
                "RB0602",
                ".gitignore",
                None,
                ".gitignore does not cover: " + ", ".join(missing) + ".",
            )
        )
    return findings, {"gitignore": True}


class HygieneAnalyzer:
    name = "hygiene"
    criteria = ("C05", "C06")

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        manifest, manifest_facts = _manifest_findings(ctx)
        structure, structure_facts = _structure_findings(ctx)
        gitignore, gitignore_facts = _gitignore_findings(ctx)
        findings = manifest + structure + _artifact_findings(ctx) + gitignore
        kinds = Counter(f.kind.value for f in ctx.inventory.files)
        facts = {**manifest_facts, **structure_facts, **gitignore_facts, "file_kinds": kinds}
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = HygieneAnalyzer()
