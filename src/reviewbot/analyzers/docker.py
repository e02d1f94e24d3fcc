"""Containerization (C17): Dockerfiles, .dockerignore and compose files.

Every `Dockerfile`, `*.Dockerfile` and `Dockerfile.*` is parsed by `dockerfile_syntax` and
checked by `dockerfile_rules`; this module adds what needs the whole repository: the
.dockerignore that applies, compose services (a database, literal passwords) and whether a
web app has a Dockerfile at all. Development Dockerfiles (`Dockerfile.dev`) may run a
reloading server as root: the run-time rules skip them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from reviewbot.analyzers import located_yaml
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.dockerfile_leaks import copies_whole_context
from reviewbot.analyzers.dockerfile_rules import (
    DockerfileChecks,
    check_dockerfile,
    effective,
    is_python_image,
    runs_server,
    stage_sets,
)
from reviewbot.analyzers.dockerfile_syntax import Dockerfile, Instruction, parse
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.secrets_mask import mask_secret
from reviewbot.source.inventory import imported_roots
from reviewbot.source.inventory_model import FileKind, Inventory

_DEV_WORDS = {"dev", "develop", "development", "local", "test", "tests", "debug", "ci"}
_DATABASE_IMAGES = re.compile(r"(^|/)(postgres|postgis|timescaledb|mysql|mariadb|mongo)\b")
_DATABASE_LIBRARIES = {
    "sqlalchemy", "sqlmodel", "django", "flask_sqlalchemy", "psycopg", "psycopg2", "asyncpg",
    "pymongo", "motor", "tortoise", "peewee", "databases", "beanie", "mongoengine", "odmantic",
}
_COMPOSE_SECRET = re.compile(r"PASSWORD|SECRET|TOKEN|API_?KEY", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@/\s$]+)@")
# What a .dockerignore should keep out of the build context, and the names to test.
_IGNORE_NEEDS = {".env": (".env",), ".git": (".git",), "virtualenvs": (".venv", "venv")}


@dataclass(frozen=True, slots=True)
class DockerIgnore:
    path: str
    patterns: tuple[str, ...]

    def excludes(self, name: str) -> bool:
        """Docker's rule: the last matching pattern wins; `!` re-includes."""
        excluded = False
        for raw in self.patterns:
            negated = raw.startswith("!")
            pattern = raw[1:] if negated else raw
            pattern = pattern.strip().lstrip("/").rstrip("/").removeprefix("./")
            bare = pattern.removeprefix("**/")
            if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(name, bare):
                excluded = not negated
        return excluded


def _dockerignore(inv: Inventory, dockerfile: str) -> DockerIgnore | None:
    folder = PurePosixPath(dockerfile).parent
    for candidate in (f"{dockerfile}.dockerignore", ".dockerignore", f"{folder}/.dockerignore"):
        if inv.has(candidate):
            text = inv.read_text(candidate) or ""
            patterns = tuple(
                line.strip()
                for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")
            )
            return DockerIgnore(candidate, patterns)
    return None


def _is_dev_file(path: str) -> bool:
    words = set(re.split(r"[._-]", PurePosixPath(path).name.lower()))
    return bool(words & _DEV_WORDS) or "dev" in PurePosixPath(path).parts[:-1]


def _whole_copy(df: Dockerfile) -> Instruction | None:
    for stage in df.stages:
        for instruction in stage.of("COPY", "ADD"):
            if copies_whole_context(instruction):
                return instruction
    return None


def _env_files(inv: Inventory) -> list[str]:
    templates = (".example", ".sample", ".template", ".dist", ".defaults")
    return [
        f.path
        for f in inv.files
        if "/" not in f.path
        and f.path.startswith(".env")
        and not f.path.endswith(templates)
        and f.path != ".envrc"
    ]


@dataclass
class _Scan:
    ctx: ScanContext
    findings: list[Finding]
    dockerfiles: list[Dockerfile]

    def finding(self, rule: str, path: str, line: int | None, message: str) -> None:
        self.findings.append(self.ctx.rulebook.finding(rule, path, line, message))


def _dockerignore_finding(scan: _Scan, df: Dockerfile, ignore: DockerIgnore | None) -> None:
    copy = _whole_copy(df)
    if copy is None:
        return
    where = f"`{copy.keyword} {copy.args}` ({df.path}:{copy.line})"
    if ignore is None:
        scan.finding(
            "RB1712",
            ".dockerignore",
            None,
            f"No .dockerignore: {where} sends `.git`, `.env`, virtualenvs and caches into the "
            "image. Add a .dockerignore excluding at least `.env`, `.git`, `.venv` and "
            "`__pycache__`.",
        )
        return
    venvs = [v.path for v in scan.ctx.inventory.vendored if v.kind == "virtualenv"]
    missing = []
    for need, names in _IGNORE_NEEDS.items():
        tested = venvs if need == "virtualenvs" and venvs else names
        covered = all if need == "virtualenvs" and venvs else any
        if not covered(ignore.excludes(name) for name in tested):
            missing.append(f"`{tested[0]}`" if need != "virtualenvs" else "`.venv`/`venv`")
    if missing:
        scan.finding(
            "RB1712",
            ignore.path,
            None,
            f"{ignore.path} does not exclude {', '.join(missing)}: {where} copies them into "
            "the image.",
        )


def _runtime_findings(scan: _Scan, df: Dockerfile, compose_healthcheck: bool) -> None:
    if not is_python_image(df) or _is_dev_file(df.path):
        return
    if (
        scan.ctx.inventory.frameworks
        and runs_server(df)
        and not any(s.of("HEALTHCHECK") for s in df.shipped())
        and not compose_healthcheck
    ):
        scan.finding(
            "RB1713",
            df.path,
            None,
            "No `HEALTHCHECK`: Docker cannot tell a hung server from a healthy one. Add one "
            "that calls a health endpoint, e.g. `HEALTHCHECK CMD python -c \"import "
            "urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')\"`.",
        )
    command = effective(df, "CMD") or effective(df, "ENTRYPOINT")
    unbuffered = command is not None and re.search(r"\bpython3?\S* -u\b", command.script)
    if not stage_sets(df, "PYTHONUNBUFFERED") and not unbuffered:
        scan.finding(
            "RB1714",
            df.path,
            None,
            "No `ENV PYTHONUNBUFFERED=1`: Python buffers stdout in a container, so logs show up "
            "late or are lost when it crashes.",
        )


def _compose_files(ctx: ScanContext) -> list[tuple[str, Any, located_yaml.LocatedYaml]]:
    loaded = []
    for repo_file in ctx.inventory.of_kind(FileKind.COMPOSE):
        try:
            document = located_yaml.load(ctx.inventory.read_text(repo_file.path) or "")
        except located_yaml.YamlError:
            continue
        services = document.data.get("services") if isinstance(document.data, dict) else None
        if isinstance(services, dict):
            loaded.append((repo_file.path, services, document))
    return loaded


def _environment(service: Any) -> Iterable[tuple[str, str, tuple[str | int, ...]]]:
    env = service.get("environment") if isinstance(service, dict) else None
    if isinstance(env, dict):
        for name, value in env.items():
            yield str(name), "" if value is None else str(value), ("environment", name)
    elif isinstance(env, list):
        for index, item in enumerate(env):
            name, _, value = str(item).partition("=")
            yield name, value, ("environment", index)


def _compose_findings(scan: _Scan, composes: list[tuple[str, Any, Any]]) -> list[str]:
    databases = []
    for path, services, document in composes:
        for name, service in services.items():
            image = str(service.get("image", "")) if isinstance(service, dict) else ""
            if _DATABASE_IMAGES.search(image.lower()):
                databases.append(f"{path}:{name}")
            for key, value, where in _environment(service):
                url = _URL_PASSWORD.search(value)
                literal = bool(value) and "${" not in value and not value.startswith("$")
                if (literal and _COMPOSE_SECRET.search(key)) or url:
                    line = document.line("services", name, *where)
                    scan.finding(
                        "RB1716",
                        path,
                        line,
                        f"`{key}: {mask_secret(value)}` is written into {path}: read it from "
                        f"the environment instead (`{key}: ${{{key}}}`, with the value in an "
                        "untracked `.env`).",
                    )
    return databases


def _uses_database(inv: Inventory) -> bool:
    return any(imported_roots(m.tree) & _DATABASE_LIBRARIES for m in inv.modules)


class DockerAnalyzer:
    name = "docker"
    criteria = ("C17",)

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inv = ctx.inventory
        scan = _Scan(ctx, [], [])
        for repo_file in inv.of_kind(FileKind.DOCKERFILE):
            if repo_file.path.endswith(".dockerignore"):
                continue
            text = inv.read_text(repo_file.path)
            if text is not None:
                scan.dockerfiles.append(parse(repo_file.path, text))
        composes = _compose_files(ctx)
        compose_healthcheck = any(
            isinstance(s, dict) and "build" in s and "healthcheck" in s
            for _, services, _ in composes
            for s in services.values()
        )
        env_files = _env_files(inv)
        for df in scan.dockerfiles:
            ignore = _dockerignore(inv, df.path)
            exposed = any(not (ignore and ignore.excludes(path)) for path in env_files)
            checks = DockerfileChecks(ctx.rulebook, exposed, _is_dev_file(df.path))
            scan.findings += check_dockerfile(checks, df)
            _dockerignore_finding(scan, df, ignore)
            _runtime_findings(scan, df, compose_healthcheck)
        databases = _compose_findings(scan, composes)
        facts: dict[str, Any] = {
            "dockerfiles": [df.path for df in scan.dockerfiles],
            "multi_stage": any(len(df.stages) > 1 for df in scan.dockerfiles),
            "compose_files": [path for path, _, _ in composes],
            "compose_databases": databases,
        }
        if not scan.dockerfiles:
            if not inv.frameworks:
                facts["not_applicable"] = {"C17": "no web framework and no Dockerfile"}
                return AnalyzerOutput((), facts)
            scan.finding(
                "RB1715",
                "Dockerfile",
                None,
                "No Dockerfile: add one (slim pinned Python base, dependencies installed before "
                "the source is copied, a non-root `USER`, exec-form `CMD`) so the app runs the "
                "same everywhere.",
            )
        elif not databases and _uses_database(inv):
            scan.finding(
                "RB1717",
                "docker-compose.yml",
                None,
                "No compose file with the database: add `docker-compose.yml` with the app and "
                "its database (e.g. `postgres:16`) so `docker compose up` starts the whole stack.",
            )
        return AnalyzerOutput(tuple(scan.findings), facts)


ANALYZER = DockerAnalyzer()
