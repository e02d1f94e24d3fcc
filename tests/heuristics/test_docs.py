"""Documentation (C19): README presence, template text, sections, names that must exist, license."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.analyzers import docs
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.readme import parse_readme
from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "docs"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, int | None, str, str]
Analyze = Callable[[Files], AnalyzerOutput]

FASTAPI = "from fastapi import FastAPI\n\napp = FastAPI()\n"
FLASK = "from flask import Flask\n\napp = Flask(__name__)\n"
DRF = "from rest_framework import viewsets\n"
LICENSE = "MIT License\n"
NO_LICENSE = (
    "RB1905", "LICENSE", None, "info",
    "No license: add a LICENSE file (MIT is a common choice for portfolio projects) so others "
    "know how they may use the code.",
)
MISSING_TESTS = (
    "RB1903", "README.md", None, "info",
    "The README does not say how to run the tests: add a Testing section with the command "
    "(`pytest`).",
)
MISSING_API = (
    "RB1903", "README.md", None, "info",
    "The README does not point to the API docs: link the interactive docs (`/docs` for FastAPI) "
    "or show example requests with `curl`.",
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=False)
    return docs.ANALYZER.run(ScanContext(inventory, default_rulebook(), Settings(), root, 60.0))


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.severity.value, f.message) for f in output.findings]


@pytest.fixture
def analyze(tmp_path: Path) -> Analyze:
    return lambda files: run_on(write_tree(tmp_path / "repo", files))


def test_learner_example_readme_is_a_template_naming_a_missing_script() -> None:
    assert rows(run_on(EXAMPLES / "learner-api")) == [
        ("RB1902", "README.md", 1, "warning",
         'README.md is still a template ("Project title" (line 1), "A short description of the '
         'project" (line 3)): replace it with what the project does, its stack, and how to '
         "install, configure, run and test it."),
        ("RB1903", "README.md", None, "info",
         "The README does not name the stack: list the framework, database and main libraries "
         "(e.g. FastAPI, SQLAlchemy, PostgreSQL) and the Python version."),
        ("RB1903", "README.md", None, "info",
         "The README does not say how to configure the app: list the environment variables it "
         "reads (and provide a `.env.example`)."),
        MISSING_TESTS,
        MISSING_API,
        ("RB1904", "README.md", 10, "warning",
         "The README runs `./run.sh`, but there is no `run.sh` in the repository: add it or fix "
         "the instructions."),
        NO_LICENSE,
    ]


def test_good_example_documents_everything() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts["license"] is True
    assert output.facts["readme_sections"] == [
        "what", "stack", "install", "configure", "run", "test", "api_docs"]


def test_django_readme_with_cd_clone_make_and_links_is_silent(analyze: Analyze) -> None:
    output = analyze({
        "README.md": fixture("django_readme.md"),
        "LICENSE": LICENSE,
        "Makefile": "test:\n\tpytest --cov\n",
        "requirements/dev.txt": "django==5.1\n",
        ".env.example": "DATABASE_URL=\n",
        "backend/manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'x')\n",
        "backend/recipes/settings.py": "import os\nDATABASES = os.environ['DATABASE_URL']\n",
        "backend/recipes/api.py": DRF,
        "backend/recipes/tests/test_api.py": "def test_ok():\n    assert True\n",
        "docs/CONTRIBUTING.md": "# Contributing\n",
    })
    assert rows(output) == []


def test_flask_rst_readme_with_literal_blocks_is_silent(analyze: Analyze) -> None:
    output = analyze({
        "README.rst": fixture("flask_readme.rst"),
        "pyproject.toml": '[project]\nname = "notes"\nlicense = "MIT"\n',
        "requirements.txt": "flask==3.0.3\n",
        "notes/__init__.py": FLASK + "import os\nKEY = os.getenv('SECRET_KEY')\n",
        "tests/test_notes.py": "def test_ok():\n    assert True\n",
    })
    assert rows(output) == []
    assert output.facts["readme_sections"] == [
        "what", "stack", "install", "configure", "run", "test"]


def test_readme_instructions_that_do_not_match_the_repository(analyze: Analyze) -> None:
    output = analyze({
        "README.md": fixture("broken_readme.md"),
        "requirements.txt": "fastapi==0.115.0\n",
        "Makefile": "test:\n\tpytest\n",
        "shop/__init__.py": "",
        "shop/app.py": FASTAPI,
        "tests/test_app.py": "def test_ok():\n    assert True\n",
    })
    runs = "The README runs `{}`, but there is no `{}` in the repository: add it or fix the "
    assert rows(output) == [
        MISSING_TESTS,
        MISSING_API,
        ("RB1904", "README.md", 9, "warning",
         runs.format("pip install -r requirements-dev.txt", "requirements-dev.txt")
         + "instructions."),
        ("RB1904", "README.md", 10, "warning",
         runs.format("./scripts/bootstrap.sh", "scripts/bootstrap.sh") + "instructions."),
        ("RB1904", "README.md", 16, "warning",
         runs.format("docker compose up --build", "docker-compose.yml") + "instructions."),
        ("RB1904", "README.md", 17, "warning",
         runs.format("uvicorn shop.main:app --reload", "shop/main.py") + "instructions."),
        ("RB1904", "README.md", 18, "warning",
         "The README runs `make serve`, but the Makefile has no `serve` target: add it or fix "
         "the instructions."),
        ("RB1904", "README.md", 21, "warning",
         "The README links to `docs/api.md`, which is not in the repository: add it or fix the "
         "link."),
        ("RB1904", "README.md", 21, "warning",
         "The README names `docs/architecture.md`, which is not in the repository: add it or "
         "fix the text."),
        NO_LICENSE,
    ]


def test_no_readme(analyze: Analyze) -> None:
    output = analyze({"main.py": FASTAPI, "COPYING": "GPL\n"})
    assert rows(output) == [
        ("RB1901", "README.md", None, "error",
         "No README: add a README.md that says what the project is, its stack, and how to "
         "install, configure, run and test it."),
    ]


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("# shop\n\nTODO\n", 1, "README.md has only 2 words"),
        ("# {{ cookiecutter.project_name }}\n\n" + "Words about it. " * 20 + "\n", 1,
         'README.md is still a template ("{{ cookiecutter." (line 1))'),
        ("# Notes\n\n" + "Lorem ipsum dolor sit amet, consectetur adipiscing. " * 6 + "\n", 3,
         'README.md is still a template ("Lorem ipsum" (line 3))'),
    ],
)
def test_template_and_stub_readmes(analyze: Analyze, text: str, line: int, what: str) -> None:
    output = analyze({"main.py": FLASK, "README.md": text, "LICENSE": LICENSE})
    template = [r for r in rows(output) if r[0] == "RB1902"]
    assert template == [
        ("RB1902", "README.md", line, "warning",
         f"{what}: replace it with what the project does, its stack, and how to install, "
         "configure, run and test it."),
    ]


def test_names_the_readme_creates_or_that_are_not_paths_are_not_checked(
    analyze: Analyze,
) -> None:
    readme = (
        "# Tasks API\n\nA FastAPI service that keeps a team's task lists with due dates, "
        "written to learn SQLAlchemy and background jobs properly.\n\n"
        "```bash\npip install -e .\npip freeze > requirements.lock\npython -m venv venv\n"
        "cp .env.example .env\n"
        "cd frontend\n./build.sh\n```\n\n"
        "```python\nexec(open('bootstrap.py').read())\n```\n\n"
        "Create a `local_settings.py` to override settings. Run `python -m pytest` with "
        "`DATABASE_URL=sqlite:///test.db`; the OpenAPI schema is at `/openapi.json` and "
        "`httpx.AsyncClient` does the outbound calls. Start with `uvicorn app.main:app`.\n"
    )
    output = analyze({
        "README.md": readme,
        "LICENSE": LICENSE,
        ".env.example": "DATABASE_URL=\n",
        "app/main.py": FASTAPI,
    })
    assert rows(output) == []


def test_readme_parser_keeps_lines_of_headings_code_and_spans() -> None:
    readme = parse_readme(
        "README.md",
        "Title\n=====\n\nText with `a.py` and [link](docs/x.md).\n\n```console\n"
        "(venv) $ pip install -r req.txt\n# comment\n```\n\n## Next\n",
    )
    assert [(h.line, h.text) for h in readme.headings] == [(1, "Title"), (11, "Next")]
    assert readme.spans == [(4, "a.py")]
    assert readme.links == [(4, "docs/x.md")]
    assert [(c.line, c.text) for c in readme.commands] == [(7, "pip install -r req.txt")]


def test_bare_file_names_are_checked_only_when_projects_commit_them(analyze: Analyze) -> None:
    readme = (
        "# Tasks API\n\nA FastAPI service that keeps a team's task lists with due dates, "
        "written to learn SQLAlchemy and background jobs properly.\n\n"
        "The tools are pinned in `requirements-dev.txt`; ask a colleague for their "
        "`settings_local.py` and `docker-compose.override.yml`. Run it with `uvicorn main:app`.\n"
        "Install with `pip install -e .`.\n"
    )
    output = analyze({"README.md": readme, "LICENSE": LICENSE, "main.py": FASTAPI})
    assert [r for r in rows(output) if r[0] == "RB1904"] == [
        ("RB1904", "README.md", 5, "warning",
         "The README names `requirements-dev.txt`, which is not in the repository: add it or "
         "fix the text."),
    ]


def test_file_names_in_prose_that_describe_other_things_are_not_checked(
    analyze: Analyze,
) -> None:
    readme = (
        "# Tasks API\n\nA FastAPI service that keeps a team's task lists with due dates, "
        "written to learn SQLAlchemy and background jobs properly.\n\n"
        "It never runs `setup.py` or a `conftest.py`, and there is no `requirements.txt`: "
        "dependencies live in `pyproject.toml`.\nInstall with `pip install -e .` and start it "
        "with `uvicorn main:app`.\n"
    )
    output = analyze({"README.md": readme, "LICENSE": LICENSE, "main.py": FASTAPI})
    assert [r for r in rows(output) if r[0] == "RB1904"] == []
