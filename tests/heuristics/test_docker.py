"""Containerization (C17): Dockerfiles parsed with exact lines, .dockerignore, compose files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.analyzers import docker
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.dockerfile_syntax import assignments, parse
from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "docker"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, int | None, str, str]
Analyze = Callable[[Files], AnalyzerOutput]

FASTAPI = "from fastapi import FastAPI\n\napp = FastAPI()\n"
FLASK = "from flask import Flask\n\napp = Flask(__name__)\n"
DJANGO = "from django.db import models\n\n\nclass Post(models.Model):\n    pass\n"
IGNORE = ".env\n.git\n.venv\n__pycache__/\n"
SLIM_APP = (
    "FROM python:3.12-slim\nENV PYTHONUNBUFFERED=1\nWORKDIR /app\n"
    "COPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n"
    "COPY . .\nRUN useradd app\nUSER app\nEXPOSE 8000\n"
    "HEALTHCHECK CMD curl -f http://localhost:8000/health\n"
    'CMD ["uvicorn", "main:app", "--host", "0.0.0.0"]\n'
)
NO_ROOT = (
    "The image never switches to a non-root `USER`, so the app runs as root: add "
    "`RUN useradd --create-home app` and `USER app` before `CMD`."
)
HEALTH = (
    "No `HEALTHCHECK`: Docker cannot tell a hung server from a healthy one. Add one that calls "
    "a health endpoint, e.g. `HEALTHCHECK CMD python -c \"import urllib.request; "
    "urllib.request.urlopen('http://127.0.0.1:8000/health')\"`."
)
UNBUFFERED = (
    "No `ENV PYTHONUNBUFFERED=1`: Python buffers stdout in a container, so logs show up late or "
    "are lost when it crashes."
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=False)
    return docker.ANALYZER.run(ScanContext(inventory, default_rulebook(), Settings(), root, 60.0))


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.severity.value, f.message) for f in output.findings]


@pytest.fixture
def analyze(tmp_path: Path) -> Analyze:
    return lambda files: run_on(write_tree(tmp_path / "repo", files))


def test_learner_example_shows_every_planted_container_mistake() -> None:
    output = run_on(EXAMPLES / "learner-api")
    assert rows(output) == [
        ("RB1703", "Dockerfile", None, "warning", NO_ROOT),
        ("RB1701", "Dockerfile", 1, "warning",
         "`FROM python:latest` changes under you with every release: pin a version, e.g. "
         "`FROM python:3.12-slim` (a digest `@sha256:…` pins it best)."),
        ("RB1702", "Dockerfile", 1, "warning",
         "Single-stage image on the full `python:latest` base, which ships compilers and build "
         "tools the app never uses (about 1 GB): use `python:3.12-slim`, or build in a first "
         "stage and copy the result into a slim one."),
        ("RB1704", "Dockerfile", 5, "warning",
         "`COPY . .` (line 5) comes before `pip install -r requirements.txt` (line 7): any code "
         "change invalidates the cached dependency layer and reinstalls everything. Copy "
         "`requirements.txt` alone first, install, then copy the source."),
        ("RB1711", "Dockerfile", 5, "error",
         "`COPY . .` also copies the committed `.env` into the image: add `.env` to "
         "`.dockerignore` and pass settings at run time."),
        ("RB1705", "Dockerfile", 7, "warning",
         "`pip install -r requirements.txt` keeps pip's download cache in the image layer: add "
         "`--no-cache-dir` (or set `ENV PIP_NO_CACHE_DIR=1`)."),
        ("RB1710", "Dockerfile", 9, "error",
         "`ENV SECRET_KEY=blog…3k2l` bakes a secret into the image: anyone who can pull the "
         "image reads it with `docker history`, and it is in git. Pass it at run time (`docker "
         "run -e SECRET_KEY`, compose `env_file: .env`) and rotate this one."),
        ("RB1708", "Dockerfile", 14, "warning",
         "`CMD uvicorn main:app --reload --host 0.0.0.0` is in shell form: it runs under "
         "`/bin/sh -c`, which does not pass SIGTERM on, so `docker stop` waits and then kills "
         'the app; use exec form: `CMD ["uvicorn", "main:app", "--host", "0.0.0.0"]`.'),
        ("RB1709", "Dockerfile", 14, "warning",
         "`CMD` starts a development server: `--reload` watches the source and restarts the "
         "server: a development feature that costs CPU and memory in a container. Drop it (for "
         "several workers, use `gunicorn -k uvicorn.workers.UvicornWorker`)."),
        ("RB1712", ".dockerignore", None, "warning",
         "No .dockerignore: `COPY . .` (Dockerfile:5) sends `.git`, `.env`, virtualenvs and "
         "caches into the image. Add a .dockerignore excluding at least `.env`, `.git`, "
         "`.venv` and `__pycache__`."),
        ("RB1713", "Dockerfile", None, "info", HEALTH),
        ("RB1714", "Dockerfile", None, "info", UNBUFFERED),
        ("RB1717", "docker-compose.yml", None, "info",
         "No compose file with the database: add `docker-compose.yml` with the app and its "
         "database (e.g. `postgres:16`) so `docker compose up` starts the whole stack."),
    ]
    # The secret itself never appears in any message.
    assert all("do-not-share" not in f.message for f in output.findings)


def test_good_example_is_silent_and_shows_its_evidence() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts == {
        "dockerfiles": ["Dockerfile"],
        "multi_stage": True,
        "compose_files": ["docker-compose.yml"],
        "compose_databases": ["docker-compose.yml:db"],
    }


def test_flask_dockerfile_mistakes_with_their_lines(analyze: Analyze) -> None:
    output = analyze({
        "app.py": FLASK,
        "Dockerfile": fixture("flask_mistakes.Dockerfile"),
        ".dockerignore": IGNORE,
        "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
    })
    assert [(r[0], r[2], r[3]) for r in rows(output)] == [
        ("RB1702", 2, "warning"),
        ("RB1710", 4, "error"),
        ("RB1710", 5, "error"),
        ("RB1706", 8, "warning"),
        ("RB1704", 13, "warning"),
        ("RB1707", 13, "info"),
        ("RB1707", 14, "warning"),
        ("RB1711", 15, "error"),
        ("RB1705", 16, "warning"),
        ("RB1703", 18, "warning"),
        ("RB1709", 20, "warning"),
        ("RB1713", None, "info"),
        ("RB1714", None, "info"),
    ]
    messages = {(f.rule, f.line): f.message for f in output.findings}
    assert messages["RB1710", 4] == (
        "`ARG GITHUB_TOKEN=ghp_…cdEF` records a secret in the image history: anyone who can "
        "pull the image reads it with `docker history`, and it is in git. Pass it at run time "
        "(`docker run -e GITHUB_TOKEN`, compose `env_file: .env`) and rotate this one."
    )
    assert messages["RB1710", 5].startswith("`ENV DATABASE_URL=post…blog` bakes a secret")
    assert messages["RB1706", 8] == (
        "`apt-get install` without `--no-install-recommends` and without `rm -rf "
        "/var/lib/apt/lists/*` in the same `RUN`: the image keeps packages it does not need and "
        "the package lists. Write `apt-get update && apt-get install -y --no-install-recommends "
        "... && rm -rf /var/lib/apt/lists/*`."
    )
    assert messages["RB1707", 14] == (
        "`ADD https://example.com/wait-for-it.sh` downloads at build time with no checksum: "
        "fetch it in a `RUN` with `curl` and verify its hash, or use "
        "`ADD --checksum=sha256:...`."
    )
    assert messages["RB1711", 15] == (
        "`COPY .env /srv/.env` puts `.env` and its secrets into the image: pass settings at run "
        "time (`docker run --env-file .env`, compose `env_file`) instead."
    )
    assert messages["RB1703", 18] == (
        "`USER root` is the last user, so the app runs as root: switch to an unprivileged user "
        "(`USER app`) after the steps that need root."
    )
    assert messages["RB1709", 20] == (
        "`CMD` starts a development server: `flask run` starts Flask's development server, "
        "which is not built for production traffic: serve the app with `gunicorn`, e.g. "
        "`gunicorn -b 0.0.0.0:8000 app:app`."
    )
    assert all("hunter2" not in f.message and "567890ab" not in f.message
               for f in output.findings)


def test_a_careful_django_dockerfile_is_silent(analyze: Analyze) -> None:
    output = analyze({
        "blog/models.py": DJANGO,
        "manage.py": "import django\n",
        "Dockerfile": fixture("django_good.Dockerfile"),
        ".dockerignore": "# context\n.env*\n.git/\n**/.venv\nvenv\n",
        "compose.yaml": "services:\n  db:\n    image: docker.io/library/postgres:16\n",
    })
    assert rows(output) == []
    assert output.facts["multi_stage"] is True


def test_django_runserver_in_shell_form(analyze: Analyze) -> None:
    output = analyze({
        "blog/models.py": DJANGO,
        "Dockerfile": fixture("django_runserver.Dockerfile"),
        ".dockerignore": IGNORE,
        "docker-compose.yml": "services:\n  db:\n    image: mysql:8\n",
    })
    assert rows(output) == [
        ("RB1708", "Dockerfile", 10, "warning",
         "`CMD python manage.py runserver 0.0.0.0:8000` is in shell form: it runs under "
         "`/bin/sh -c`, which does not pass SIGTERM on, so `docker stop` waits and then kills "
         'the app; use exec form: `CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]`.'),
        ("RB1709", "Dockerfile", 10, "warning",
         "`CMD` starts a development server: `manage.py runserver` is Django's development "
         "server, not meant for production: serve the project with `gunicorn yourproject.wsgi "
         "-b 0.0.0.0:8000`."),
    ]


def test_compilers_in_a_single_slim_stage_and_cache_mounts(analyze: Analyze) -> None:
    output = analyze({
        "app/main.py": FASTAPI,
        "Dockerfile": fixture("compilers_on_slim.Dockerfile"),
    })
    # Cache mounts keep pip's and apt's caches out of the layers: no RB1705/RB1706.
    assert rows(output) == [
        ("RB1702", "Dockerfile", 3, "warning",
         "`build-essential` is installed into the only stage, so the compilers ship with the "
         "app: install them in a builder stage and copy only the built packages into a slim "
         "runtime stage."),
        # The ENTRYPOINT starts uvicorn: a server, so it should say how to check its health.
        ("RB1713", "Dockerfile", None, "info", HEALTH),
    ]


def test_development_dockerfile_may_reload_and_run_as_root(analyze: Analyze) -> None:
    output = analyze({
        "main.py": FASTAPI,
        "Dockerfile": SLIM_APP,
        "Dockerfile.dev": (
            "FROM python:3.12-slim\nCOPY requirements.txt .\n"
            "RUN pip install --no-cache-dir -r requirements.txt\n"
            'CMD ["uvicorn", "main:app", "--reload", "--host", "0.0.0.0"]\n'
        ),
        ".dockerignore": IGNORE,
    })
    assert rows(output) == []


def test_other_images_only_get_the_general_rules(analyze: Analyze) -> None:
    output = analyze({
        "main.py": FASTAPI,
        "Dockerfile": SLIM_APP,
        "docker/postgres/Dockerfile": "FROM postgres\nCOPY init.sql /docker-entrypoint-initdb.d/\n",
        ".dockerignore": IGNORE,
        "docker-compose.yml": "services:\n  db:\n    build: docker/postgres\n",
    })
    assert rows(output) == [
        ("RB1701", "docker/postgres/Dockerfile", 1, "warning",
         "`FROM postgres` takes whatever `latest` is on the day of the build: pin a version, "
         "e.g. `FROM postgres:<version>` (a digest `@sha256:…` pins it best)."),
    ]


def test_dockerignore_that_misses_env_and_git(analyze: Analyze) -> None:
    output = analyze({
        "main.py": FASTAPI,
        "Dockerfile": SLIM_APP,
        ".dockerignore": "venv/\n.env\n!.env\n*.pyc\n",
        ".env": "SECRET=x\n",
    })
    assert rows(output) == [
        ("RB1711", "Dockerfile", 6, "error",
         "`COPY . .` also copies the committed `.env` into the image: add `.env` to "
         "`.dockerignore` and pass settings at run time."),
        ("RB1712", ".dockerignore", None, "warning",
         ".dockerignore does not exclude `.env`, `.git`: `COPY . .` (Dockerfile:6) copies them "
         "into the image."),
    ]


def test_pip_cache_env_and_builder_stages_are_respected(analyze: Analyze) -> None:
    output = analyze({
        "main.py": FASTAPI,
        "Dockerfile": (
            "FROM python:3.12-slim AS build\nRUN pip install -r requirements.txt\n"
            "FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=off PYTHONUNBUFFERED=1\n"
            "RUN pip install --upgrade pip && pip install gunicorn\n" + SLIM_APP.split("\n", 2)[2]
        ),
        ".dockerignore": IGNORE,
    })
    assert rows(output) == []


def test_secret_names_without_secrets_and_references_are_not_reported(analyze: Analyze) -> None:
    output = analyze({
        "main.py": FASTAPI,
        "Dockerfile": (
            "ARG API_KEY\nFROM python:3.12-slim\n"
            "ENV JWT_SECRET_KEY=$JWT_SECRET_KEY TOKEN_URL=https://auth.example.com/token\n"
            "ENV POSTGRES_PASSWORD_FILE=/run/secrets/db DEBUG_TOKEN=false\n"
            "ENV DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app\n" + SLIM_APP.split("\n", 1)[1]
        ),
        ".dockerignore": IGNORE,
    })
    assert rows(output) == []


def test_compose_literal_passwords_are_masked(analyze: Analyze) -> None:
    output = analyze({
        "main.py": FASTAPI + "import sqlalchemy\n",
        "Dockerfile": SLIM_APP,
        ".dockerignore": IGNORE,
        "docker-compose.yml": (
            "services:\n"
            "  db:\n"
            "    image: postgres:16\n"
            "    environment:\n"
            "      POSTGRES_USER: blog\n"
            "      POSTGRES_PASSWORD: supersecret123\n"
            "  api:\n"
            "    build: .\n"
            "    environment:\n"
            "      - DATABASE_URL=postgresql:" "//blog:supersecret123@db/blog\n"
            "      - JWT_SECRET=${JWT_SECRET}\n"
        ),
    })
    assert rows(output) == [
        ("RB1716", "docker-compose.yml", 6, "info",
         "`POSTGRES_PASSWORD: su…23` is written into docker-compose.yml: read it from the "
         "environment instead (`POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}`, with the value in an "
         "untracked `.env`)."),
        ("RB1716", "docker-compose.yml", 10, "info",
         "`DATABASE_URL: post…blog` is written into docker-compose.yml: read it from the "
         "environment instead (`DATABASE_URL: ${DATABASE_URL}`, with the value in an untracked "
         "`.env`)."),
    ]
    assert output.facts["compose_databases"] == ["docker-compose.yml:db"]


def test_web_app_without_dockerfile(analyze: Analyze) -> None:
    output = analyze({"main.py": FASTAPI})
    assert rows(output) == [
        ("RB1715", "Dockerfile", None, "warning",
         "No Dockerfile: add one (slim pinned Python base, dependencies installed before the "
         "source is copied, a non-root `USER`, exec-form `CMD`) so the app runs the same "
         "everywhere."),
    ]


def test_no_web_framework_and_no_dockerfile_is_not_applicable(analyze: Analyze) -> None:
    output = analyze({"worker.py": "import time\n", "requirements.txt": "redis==5.0.0\n"})
    assert rows(output) == []
    assert output.facts["not_applicable"] == {"C17": "no web framework and no Dockerfile"}


def test_malformed_and_hostile_compose_files_do_not_crash(analyze: Analyze) -> None:
    bomb = "a: &a [" + ",".join(["x"] * 10) + "]\n"
    for level in range(1, 10):
        bomb += f"{chr(97 + level)}: &{chr(97 + level)} [" + ",".join(
            [f"*{chr(96 + level)}"] * 10) + "]\n"
    output = analyze({
        "main.py": FASTAPI,
        "Dockerfile": SLIM_APP,
        ".dockerignore": IGNORE,
        "docker-compose.yml": "services: [\n",
        "compose.yaml": bomb + "services:\n  db:\n    image: postgres:16\n",
    })
    assert rows(output) == []
    assert output.facts["compose_files"] == []


def test_parser_lines_continuations_comments_and_heredocs() -> None:
    text = (
        "# escape=`\n"
        "ARG BASE=python:3.12-slim\n"
        "FROM ${BASE} AS build\n"
        "RUN apt-get update && `\n"
        "    # a comment inside the instruction\n"
        "\n"
        "    apt-get install -y curl\n"
        "COPY --chown=app:app --from=build /a /b\n"
        "RUN <<-EOF\n"
        "\tpip install x\n"
        "\tEOF\n"
        "FROM build\n"
        'ENV A=1 B="two words"\n'
        "ENV LEGACY value with spaces\n"
        'CMD ["python", "-m", "app"]\n'
    )
    dockerfile = parse("Dockerfile", text)
    first, second = dockerfile.stages
    assert (first.image, first.alias, first.line, first.parent) == (
        "python:3.12-slim", "build", 3, None)
    assert [(i.keyword, i.line, i.end_line) for i in first.instructions] == [
        ("RUN", 4, 7), ("COPY", 8, 8), ("RUN", 9, 11)]
    assert first.instructions[0].args == "apt-get update && apt-get install -y curl"
    assert first.instructions[1].flags == {"chown": "app:app", "from": "build"}
    assert first.instructions[2].body == "pip install x"
    assert (second.image, second.parent) == ("build", 0)
    assert [s.index for s in dockerfile.shipped()] == [1, 0]
    env, legacy, cmd = second.instructions
    assert assignments(env) == [("A", "1"), ("B", "two words")]
    assert assignments(legacy) == [("LEGACY", "value with spaces")]
    assert cmd.exec_form == ["python", "-m", "app"]
    assert [i.keyword for i in dockerfile.preamble] == ["ARG"]


def test_parser_survives_truncated_and_odd_files() -> None:
    assert parse("Dockerfile", "").stages == ()
    assert parse("Dockerfile", "RUN echo orphan\n").stages == ()
    dockerfile = parse("Dockerfile", "FROM python:3.12 \\\n")
    assert dockerfile.stages[0].image == "python:3.12"
    unterminated = parse("Dockerfile", "FROM a\nRUN <<EOF\necho never closed\n")
    assert unterminated.stages[0].instructions[0].body == "echo never closed"
