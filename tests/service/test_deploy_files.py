"""The deployment files: Dockerfile, .dockerignore, docker-compose.yml and .env.example.

Docker can't pull images here, so nothing is built: the files are parsed and checked against
what the service reads, and reviewbot's own Dockerfile rules grade them.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from reviewbot import cli
from reviewbot.analyzers import docker
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.dockerfile_syntax import parse
from reviewbot.model import AnalyzerOutput
from reviewbot.rulebook import default_rulebook
from reviewbot.service.config import ServiceConfig
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_FILES = ("Dockerfile", ".dockerignore", "docker-compose.yml")
# Variables only docker compose reads (interpolated into docker-compose.yml), never reviewbot.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "REVIEWBOT_PORT", "REVIEWBOT_WORKER_CONCURRENCY",
                "REVIEWBOT_PRIVATE_KEY_FILE"}
BASE = "python:3.13.7-slim-bookworm"
# The container listens on every interface; docker publishes the port.
ALL_INTERFACES = ".".join(["0"] * 4)


class RecordingEnv(Mapping[str, str]):
    """An environment that records every name the configuration asks for."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return self._values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def config_variables() -> set[str]:
    """Every REVIEWBOT_* name `ServiceConfig.from_env` reads."""
    env = RecordingEnv({"REVIEWBOT_WEBHOOK_SECRET": "s"})
    ServiceConfig.from_env(env)
    return env.asked


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


def run_docker_rules(root: Path, *, is_git: bool) -> AnalyzerOutput:
    inventory = build_inventory(root, is_git=is_git)
    return docker.ANALYZER.run(ScanContext(inventory, default_rulebook(), Settings(), root,
                                           60.0))


def test_reviewbot_grades_its_own_deployment_files_clean() -> None:
    output = run_docker_rules(ROOT, is_git=True)
    assert output.findings == ()
    assert output.facts == {"dockerfiles": ["Dockerfile"], "multi_stage": True,
                            "compose_files": ["docker-compose.yml"],
                            "compose_databases": ["docker-compose.yml:postgres"]}


def test_the_rules_do_read_the_dockerfile(tmp_path: Path) -> None:
    """The clean grade above is not for want of looking: the same files as root, with a
    literal password in compose, are flagged at their lines."""
    for name in DEPLOY_FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    dockerfile = (tmp_path / "Dockerfile").read_text("utf-8")
    (tmp_path / "Dockerfile").write_text(dockerfile.replace("USER reviewbot\n", ""))
    compose_text = (tmp_path / "docker-compose.yml").read_text("utf-8")
    (tmp_path / "docker-compose.yml").write_text(compose_text.replace(
        "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}",
        "POSTGRES_PASSWORD: hunter2hunter2"))
    password_line = 1 + compose_text[:compose_text.index("POSTGRES_PASSWORD: ${")].count("\n")
    output = run_docker_rules(tmp_path, is_git=False)
    assert [(f.rule, f.path, f.line) for f in output.findings] == [
        ("RB1703", "Dockerfile", None), ("RB1716", "docker-compose.yml", password_line)]


def test_dockerfile_builds_a_wheel_and_runs_it_as_a_user() -> None:
    dockerfile = parse("Dockerfile", (ROOT / "Dockerfile").read_text("utf-8"))
    stages = [(stage.image, stage.alias) for stage in dockerfile.stages]
    assert stages == [(BASE, "build"), (BASE, None)]
    text = (ROOT / "Dockerfile").read_text("utf-8")
    assert "pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ." in text
    assert "[service]" in text
    assert "apt-get install -y --no-install-recommends git" in text
    assert re.search(r"^USER reviewbot$", text, re.MULTILINE)
    assert re.search(r"^EXPOSE 8000$", text, re.MULTILINE)
    assert "http://127.0.0.1:8000/healthz" in text
    assert text.rstrip().endswith(
        f'CMD ["reviewbot", "serve", "--host", "{ALL_INTERFACES}"]')
    # The wheel's inputs are copied: the package, its data (force-include) and the readme.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    data = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    copied = set(re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE))
    sources = {name for line in copied for name in line.split()}
    assert sources == {"pyproject.toml", project["project"]["readme"], "src", *data}


def test_dockerignore_keeps_secrets_and_history_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text("utf-8").splitlines()
    for needed in (".git", ".env", ".env.*", ".venv", "tests", "*.pem", "*.db"):
        assert needed in ignored
    # What the Dockerfile copies is not ignored.
    for copied in ("src", "rules", "prompts", "pyproject.toml", "README.md"):
        assert copied not in ignored


def test_compose_topology() -> None:
    document = compose()
    services = document["services"]
    assert set(services) == {"service", "worker", "redis", "postgres"}
    assert services["service"]["command"] == ["reviewbot", "serve", "--host", ALL_INTERFACES,
                                              "--port", "8000"]
    assert services["worker"]["command"] == [
        "reviewbot", "worker", "--concurrency", "${REVIEWBOT_WORKER_CONCURRENCY:-2}"]
    # The commands exist with those options.
    for command, option in (("serve", "--port"), ("worker", "--concurrency")):
        result = CliRunner().invoke(cli.app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and option in result.output, result.output
    for name in ("service", "worker"):
        app = services[name]
        assert (app["build"], app["env_file"], app["secrets"]) == (".", ".env",
                                                                    ["github_app_key"])
        assert app["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                     "redis": {"condition": "service_healthy"}}
        assert "ports" not in app or name == "service"
    assert services["service"]["healthcheck"]["test"][:2] == ["CMD", "python"]
    assert "/readyz" in services["service"]["healthcheck"]["test"][-1]
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["postgres"]["healthcheck"]["test"] == [
        "CMD", "pg_isready", "-U", "reviewbot", "-d", "reviewbot"]
    assert services["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert set(document["volumes"]) == {"pgdata", "redisdata"}


def test_compose_environment_is_what_the_service_reads() -> None:
    environment = compose()["services"]["worker"]["environment"]
    assert environment["REVIEWBOT_DATABASE_URL"].startswith(
        "postgresql+psycopg://reviewbot:${POSTGRES_PASSWORD:?")
    assert environment["REVIEWBOT_BROKER_URL"] == "redis://redis:6379/0"
    assert environment["REVIEWBOT_PRIVATE_KEY_PATH"] == "/run/secrets/github_app_key"
    read = config_variables()
    assert set(environment) <= read
    # Every variable the compose file interpolates comes from .env (or has a default).
    text = (ROOT / "docker-compose.yml").read_text("utf-8")
    interpolated = set(re.findall(r"\$\{(\w+)", text))
    assert interpolated == COMPOSE_ONLY


def test_env_example_has_placeholders_only() -> None:
    lines = (ROOT / ".env.example").read_text("utf-8").splitlines()
    names = {m.group(1) for line in lines if (m := re.match(r"#? ?(\w+)=", line))}
    read = config_variables()
    assert names - read <= COMPOSE_ONLY
    assert {"REVIEWBOT_APP_ID", "REVIEWBOT_WEBHOOK_SECRET", "REVIEWBOT_DASHBOARD_TOKEN",
            "POSTGRES_PASSWORD", "REVIEWBOT_PRIVATE_KEY_FILE"} <= names
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for name in ("REVIEWBOT_WEBHOOK_SECRET", "POSTGRES_PASSWORD", "REVIEWBOT_DASHBOARD_TOKEN"):
        assert values[name].startswith("change-me"), name
    # The real .env is never committed.
    assert ".env" in (ROOT / ".gitignore").read_text("utf-8").splitlines()

