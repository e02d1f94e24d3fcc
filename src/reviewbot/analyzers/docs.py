"""Documentation (C19): a README that is not a template, covers what a newcomer needs,
names only files that exist; and a license.

The sections are recognised by their headings or by what they contain (an install command
is an install section whatever its heading says). The configure, test and API-docs sections
are only expected when the project reads the environment, has tests, or is an API.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.readme import Readme, parse_readme
from reviewbot.analyzers.readme_references import missing_references
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.source.inventory import imported_roots
from reviewbot.source.inventory_model import Inventory, ModuleRole

_README_NAMES = (
    "readme.md", "readme.rst", "readme.txt", "readme.markdown", "readme", "readme.adoc",
)
_LICENSE_NAMES = re.compile(r"^(licen[cs]e|copying|unlicense)([.-].*)?$", re.IGNORECASE)
_MIN_WORDS = 25
# Text that only a template or generator leaves in a README.
_TEMPLATE_PHRASES = re.compile(
    r"a short description of (the|your) project|one paragraph of project description"
    r"|lorem ipsum|bootstrapped with \[?create react app|getting started with create react app"
    r"|\{\{\s*cookiecutter\.|to make it easy for you to get started with gitlab"
    r"|describe your project here|add your project description|todo: ?write (a|the) readme"
    r"|write something about (your|the) project|replace this (text|readme)",
    re.IGNORECASE,
)
_TEMPLATE_TITLES = {
    "project title", "project name", "title", "your project name", "my project", "project-name",
    "project_name", "repository name", "repo name",
}
_ENV_READERS = re.compile(r"os\.environ|os\.getenv|BaseSettings|environ\.Env|decouple|dotenv")
_API_LIBRARIES = {"rest_framework", "ninja", "flask_restx", "flask_smorest", "flask_restful",
                  "apifairy", "flasgger", "spectree", "fastapi"}

Predicate = Callable[[Readme], bool]


def _heading(*words: str) -> Predicate:
    pattern = re.compile(r"\b(" + "|".join(words) + r")", re.IGNORECASE)
    return lambda readme: any(pattern.search(h.text) for h in readme.headings)


def _title(pattern: str) -> Predicate:
    """A heading that starts with the words: "API" opens a section, "Notes API" is a title."""
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda readme: any(compiled.search(h.text.strip()) for h in readme.headings)


def _content(pattern: str) -> Predicate:
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda readme: bool(compiled.search(readme.text()))


def _either(*tests: Predicate) -> Predicate:
    return lambda readme: any(test(readme) for test in tests)


def _has_description(readme: Readme) -> bool:
    paragraphs = [t for _, t in readme.prose[:60] if not t.lstrip().startswith(("[!", "!["))]
    return any(len(text.split()) >= 12 for text in paragraphs)


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    present: Predicate
    message: str


SECTIONS = (
    Section(
        "what",
        _either(_has_description, _heading("about", "overview", "description", "introduction")),
        "The README does not say what the project is: open with a short paragraph on what it "
        "does and for whom.",
    ),
    Section(
        "stack",
        _either(
            _heading("stack", "tech", "built with", "tools", "requirements", "prerequisites",
                     "dependencies"),
            _content(r"\b(fastapi|django|flask|sqlalchemy|sqlmodel|postgres(ql)?|mysql|sqlite"
                     r"|mongodb|redis|pydantic|celery|python ?3)\b"),
        ),
        "The README does not name the stack: list the framework, database and main libraries "
        "(e.g. FastAPI, SQLAlchemy, PostgreSQL) and the Python version.",
    ),
    Section(
        "install",
        _either(
            _heading("install", "setup", "set up", "getting started", "quick ?start",
                     "local development", "development"),
            _content(r"\b(pip3? install|poetry install|uv sync|pipenv install|pdm install"
                     r"|docker[ -]compose up|docker build)\b"),
        ),
        "The README has no install steps: show how to create a virtualenv and install the "
        "dependencies (`pip install -r requirements.txt`).",
    ),
    Section(
        "configure",
        _either(
            _heading("config", "environment", "env var", "settings", "variables"),
            _content(r"\.env\b|environment variable|\bexport [A-Z_]+=|\benv_file\b"),
        ),
        "The README does not say how to configure the app: list the environment variables it "
        "reads (and provide a `.env.example`).",
    ),
    Section(
        "run",
        _either(
            _heading("run", "usage", "start", "getting started", "quick ?start", "launch",
                     "how to use"),
            _content(r"\b(uvicorn|gunicorn|flask\b.*\brun|runserver|fastapi (dev|run)"
                     r"|docker[ -]compose up|docker run|make run|poetry run|uv run)\b"
                     r"|python3? \S+\.py|\./\S+\.sh"),
        ),
        "The README does not say how to run the app: give the command (e.g. `uvicorn main:app`) "
        "and the URL it serves.",
    ),
    Section(
        "test",
        _either(
            _heading("test"),
            _content(r"\b(pytest|manage\.py test|unittest|tox|nox|make test)\b"),
        ),
        "The README does not say how to run the tests: add a Testing section with the command "
        "(`pytest`).",
    ),
    Section(
        "api_docs",
        _either(
            _title(r"^(api|endpoints|routes)\b"),
            _content(r"/docs\b|/redoc\b|swagger|openapi|postman|insomnia|\bcurl\b|\bhttpie\b"
                     r"|\b(GET|POST|PUT|PATCH|DELETE)\s+`?/"),
        ),
        "The README does not point to the API docs: link the interactive docs (`/docs` for "
        "FastAPI) or show example requests with `curl`.",
    ),
)


def find_readme(inv: Inventory) -> str | None:
    roots = {f.path.lower(): f.path for f in inv.files if "/" not in f.path}
    return next((roots[name] for name in _README_NAMES if name in roots), None)


def _template_signal(readme: Readme) -> tuple[int, str] | None:
    titles = [h for h in readme.headings if h.text.strip().lower() in _TEMPLATE_TITLES]
    phrases = [
        (number, match.group(0))
        for number, text in enumerate(readme.lines, start=1)
        if (match := _TEMPLATE_PHRASES.search(text))
    ]
    signals = sorted([(h.line, h.text.strip()) for h in titles] + phrases)
    if signals:
        shown = ", ".join(f'"{text}" (line {line})' for line, text in signals[:2])
        return signals[0][0], f"{readme.path} is still a template ({shown})"
    if readme.words < _MIN_WORDS:
        return 1, f"{readme.path} has only {readme.words} words"
    return None


def _expected(inv: Inventory) -> set[str]:
    expected = {"what", "stack", "install", "run"}
    app = [m for m in inv.modules if m.role is not ModuleRole.TEST]
    reads_env = any(_ENV_READERS.search(m.source) for m in app)
    if reads_env or any(f.path.startswith(".env") for f in inv.files):
        expected.add("configure")
    if any(m.role is ModuleRole.TEST for m in inv.modules):
        expected.add("test")
    if any(imported_roots(m.tree) & _API_LIBRARIES for m in app):
        expected.add("api_docs")
    return expected


def _has_license(inv: Inventory) -> bool:
    if any("/" not in f.path and _LICENSE_NAMES.match(f.path) for f in inv.files):
        return True
    try:
        pyproject = tomllib.loads(inv.read_text("pyproject.toml") or "")
    except tomllib.TOMLDecodeError:
        pyproject = {}
    project = pyproject.get("project")
    if isinstance(project, dict) and (project.get("license") or project.get("license-files")):
        return True
    poetry = pyproject.get("tool", {}).get("poetry", {}) if isinstance(pyproject, dict) else {}
    if isinstance(poetry, dict) and poetry.get("license"):
        return True
    setup_cfg = inv.read_text("setup.cfg") or ""
    return bool(re.search(r"^\s*license\s*=\s*\S", setup_cfg, re.MULTILINE))


class DocsAnalyzer:
    name = "docs"
    criteria = ("C19",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inv, book = ctx.inventory, ctx.rulebook
        findings: list[Finding] = []
        path = find_readme(inv)
        text = inv.read_text(path) if path else None
        facts: dict[str, object] = {"readme": path, "license": _has_license(inv)}
        if path is None or text is None:
            findings.append(book.finding(
                "RB1901", "README.md", None,
                "No README: add a README.md that says what the project is, its stack, and how "
                "to install, configure, run and test it.",
            ))
        else:
            readme = parse_readme(path, text)
            template = _template_signal(readme)
            if template is not None:
                line, what = template
                findings.append(book.finding(
                    "RB1902", path, line,
                    f"{what}: replace it with what the project does, its stack, and how to "
                    "install, configure, run and test it.",
                ))
            present = [s.key for s in SECTIONS if s.present(readme)]
            expected = _expected(inv)
            for section in SECTIONS:
                skip = section.key == "what" and template is not None
                if section.key in expected and section.key not in present and not skip:
                    findings.append(book.finding("RB1903", path, None, section.message))
            findings += [
                book.finding("RB1904", path, missing.line, missing.message)
                for missing in missing_references(readme, inv)
            ]
            facts |= {"readme_words": readme.words, "readme_sections": present}
        if not facts["license"]:
            findings.append(book.finding(
                "RB1905", "LICENSE", None,
                "No license: add a LICENSE file (MIT is a common choice for portfolio projects) "
                "so others know how they may use the code.",
            ))
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = DocsAnalyzer()
