"""Hygiene (C05, C06): exact findings on small trees (test presence, C15, is in
tests/heuristics/test_testsuite.py)."""

from __future__ import annotations

from collections.abc import Callable

from reviewbot.analyzers import hygiene
from reviewbot.model import AnalyzerOutput

Run = Callable[..., AnalyzerOutput]

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
GOOD_GITIGNORE = "__pycache__/\n.venv/\n.env\n"


def rows(output: AnalyzerOutput) -> list[tuple[str, str, int | None, str]]:
    return [(f.rule, f.path, f.line, f.message) for f in output.findings]


def test_learner_mistakes_are_found_with_their_places(analyze: Run) -> None:
    output = analyze(
        hygiene.ANALYZER,
        {
            "main.py": APP,
            "requirements.txt": "fastapi==0.115.0\n# web\nsqlalchemy>=2.0\nrequests\n-e .\n",
            ".env": "DATABASE_URL=postgres://u:p@h/db\n",
            ".env.example": "DATABASE_URL=\n",
            "app.db": b"SQLite format 3\x00",
            "__pycache__/main.cpython-311.pyc": b"\x00",
            ".venv/pyvenv.cfg": "home = /usr\n",
            "notes.ipynb": '{"cells": [{"cell_type": "code", "outputs": [{"text": "1"}]}]}',
        },
    )
    assert rows(output) == [
        ("RB0504", "requirements.txt", 3,
         "`sqlalchemy` is not pinned: pin an exact version (`sqlalchemy==X.Y.Z`) so installs "
         "are reproducible."),
        ("RB0504", "requirements.txt", 4,
         "`requests` is not pinned: pin an exact version (`requests==X.Y.Z`) so installs are "
         "reproducible."),
        ("RB0505", "requirements.txt", None,
         "No lock file: dependencies resolve differently on every install."),
        ("RB0501", ".venv", None, "A virtualenv is committed: `.venv/`."),
        ("RB0502", "__pycache__", None, "Bytecode cache committed: `__pycache__/`."),
        ("RB0603", ".env", None, "Environment file committed: `.env` usually holds secrets."),
        ("RB0604", "app.db", None, "Database file committed."),
        ("RB0606", "notes.ipynb", None, "Notebook committed with its outputs."),
        ("RB0601", ".gitignore", None,
         "No .gitignore: caches, virtualenvs and .env files end up committed."),
    ]
    assert output.facts["pinned_share"] == 1 / 3
    assert output.facts["lock_file"] is False


def test_a_tidy_repo_has_no_hygiene_findings(analyze: Run) -> None:
    output = analyze(
        hygiene.ANALYZER,
        {
            "app/main.py": APP,
            "app/models.py": "x = 1\n",
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["fastapi>=0.110"]\n',
            "uv.lock": "version = 1\n",
            ".gitignore": GOOD_GITIGNORE,
        },
    )
    assert rows(output) == []
    assert output.facts["manifests"] == ["pyproject.toml", "uv.lock"]
    assert output.facts["lock_file"] is True


def test_missing_manifest_incomplete_gitignore_and_single_module(analyze: Run) -> None:
    big = APP + "".join(f"def f{i}():\n    return {i}\n" for i in range(160))
    output = analyze(
        hygiene.ANALYZER,
        {"main.py": big, "helpers.py": "x = 1\n", ".gitignore": "*.log\n/.venv\n"},
    )
    assert rows(output) == [
        ("RB0503", ".", None,
         "No dependency manifest: add requirements.txt or a pyproject.toml so others can "
         "install the project."),
        ("RB0506", "main.py", None,
         "322 of the app's 323 lines are in this one module: split it by concern (routers, "
         "models, schemas, services)."),
        ("RB0602", ".gitignore", None, ".gitignore does not cover: __pycache__/, .env."),
    ]


def test_outside_git_the_message_says_folder(analyze: Run) -> None:
    output = analyze(
        hygiene.ANALYZER,
        {"main.py": APP, "requirements.txt": "flask==3.0.0\n", ".gitignore": GOOD_GITIGNORE,
         "db.sqlite3": b"x"},
        is_git=False,
    )
    assert rows(output) == [("RB0604", "db.sqlite3", None, "Database file in the scanned folder.")]
