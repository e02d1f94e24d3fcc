"""The checks of one parsed Dockerfile (C17), each with the line it is about.

Rules about how the app runs (root user, layer order, dev server, unbuffered output) apply
to images that run Python; a Dockerfile for a database or a proxy only gets the general
ones (pinned base, `ADD`, apt cleanup, secrets).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from reviewbot.analyzers.dockerfile_leaks import (
    copies_whole_context,
    env_file_findings,
    secret_findings,
)
from reviewbot.analyzers.dockerfile_syntax import Dockerfile, Instruction, assignments
from reviewbot.model import Finding, Severity
from reviewbot.rulebook import Rulebook

_PYTHON_IMAGES = ("python", "library/python", "docker.io/library/python")
_COMPILERS = re.compile(r"(?<![\w.+-])(build-essential|build-base|gcc|g\+\+|clang)(?![\w.+-])")
_SEGMENTS = re.compile(r"&&|\|\||[;|\n]")
_PIP_INSTALL = re.compile(r"(?<![\w-])(?:python3?(?:\.\d+)? -m )?pip3?(?:\.\d+)? install\b")
_DEPENDENCY_INSTALL = re.compile(
    r"(?<![\w-])(?:pip3?(?:\.\d+)? install\b.*?(?:\s-r\s*\S+|\s\.(?:\[\S*\])?(?:\s|$)|\s-e\s+\.)"
    r"|poetry install|uv sync|pipenv (?:install|sync)|pdm (?:install|sync)"
    r"|uv pip (?:install|sync)\b.*?\s(?:-r\s*\S+|\.(?:\s|$)))"
)
_REQUIREMENTS = re.compile(r"-r\s*(\S+)")
_ARCHIVE = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")
_SERVER_WORDS = re.compile(
    r"\b(uvicorn|gunicorn|hypercorn|daphne|granian|waitress|flask|fastapi|runserver)\b"
)
_PYTHON_WORDS = re.compile(r"\b(python3?|pip3?|poetry|pipenv|uv|uvicorn|gunicorn|django|flask)\b")


@dataclass(frozen=True, slots=True)
class DockerfileChecks:
    """What the checks of one Dockerfile need to know about the rest of the repository."""

    rulebook: Rulebook
    # A committed env file would reach the image through `COPY . .` (no .dockerignore rule).
    env_file_exposed: bool
    # `Dockerfile.dev` and the like: a reloading server run as root is their purpose.
    development: bool = False


def image_name_and_tag(image: str) -> tuple[str, str | None, bool]:
    """(name, tag, has digest) of `python:3.12-slim@sha256:...`."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :], bool(digest)
    return name, None, bool(digest)


def segments(script: str) -> list[str]:
    """The simple commands of a shell script, split at `&&`, `||`, `;`, `|` and newlines."""
    return [part.strip() for part in _SEGMENTS.split(script) if part.strip()]


def is_python_image(dockerfile: Dockerfile) -> bool:
    for stage in dockerfile.stages:
        if "python" in stage.image.lower():
            return True
        for instruction in stage.of("RUN", "CMD", "ENTRYPOINT"):
            if _PYTHON_WORDS.search(instruction.script):
                return True
    return False


def effective(dockerfile: Dockerfile, keyword: str) -> Instruction | None:
    """The CMD or ENTRYPOINT the image runs: the last one in its shipped stages."""
    for stage in dockerfile.shipped():
        found = stage.of(keyword)
        if found:
            return found[-1]
    return None


def _shipped_instructions(dockerfile: Dockerfile, *keywords: str) -> Iterator[Instruction]:
    for stage in reversed(dockerfile.shipped()):
        yield from stage.of(*keywords)


def _base_findings(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    findings = []
    for stage in df.stages:
        image = stage.image
        if not image or stage.parent is not None or "$" in image or image.lower() == "scratch":
            continue
        name, tag, digest = image_name_and_tag(image)
        if digest or (tag is not None and tag != "latest"):
            continue
        example = "python:3.12-slim" if name in _PYTHON_IMAGES else f"{name}:<version>"
        drift = (
            "changes under you with every release"
            if tag
            else "takes whatever `latest` is on the day of the build"
        )
        message = (
            f"`FROM {image}` {drift}: pin a version, e.g. `FROM {example}` "
            "(a digest `@sha256:…` pins it best)."
        )
        findings.append(checks.rulebook.finding("RB1701", df.path, stage.line, message))
    return findings


def _heavy_image(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    if len(df.stages) != 1:
        return []
    stage = df.stages[0]
    name, tag, _ = image_name_and_tag(stage.image)
    if name in _PYTHON_IMAGES and not (tag and ("slim" in tag or "alpine" in tag)):
        message = (
            f"Single-stage image on the full `{stage.image}` base, which ships compilers and "
            "build tools the app never uses (about 1 GB): use `python:3.12-slim`, or build in a "
            "first stage and copy the result into a slim one."
        )
        return [checks.rulebook.finding("RB1702", df.path, stage.line, message)]
    for run in stage.of("RUN"):
        for command in segments(run.script):
            if re.search(r"\b(apt-get|apt|apk|yum|dnf|microdnf)\b.*\b(install|add)\b", command):
                compiler = _COMPILERS.search(command)
                if compiler:
                    message = (
                        f"`{compiler.group(1)}` is installed into the only stage, so the "
                        "compilers ship with the app: install them in a builder stage and copy "
                        "only the built packages into a slim runtime stage."
                    )
                    return [checks.rulebook.finding("RB1702", df.path, run.line, message)]
    return []


def _user_findings(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    users = list(_shipped_instructions(df, "USER"))
    final = df.final
    if final is None or "nonroot" in final.image.lower():
        return []
    if not users:
        message = (
            "The image never switches to a non-root `USER`, so the app runs as root: add "
            "`RUN useradd --create-home app` and `USER app` before `CMD`."
        )
        return [checks.rulebook.finding("RB1703", df.path, None, message)]
    last = users[-1]
    if last.args.split(":")[0].strip() in ("root", "0"):
        message = (
            f"`USER {last.args}` is the last user, so the app runs as root: switch to an "
            "unprivileged user (`USER app`) after the steps that need root."
        )
        return [checks.rulebook.finding("RB1703", df.path, last.line, message)]
    return []


def _layer_order(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    findings = []
    for stage in df.stages:
        whole: Instruction | None = None
        for instruction in stage.instructions:
            if whole is None and copies_whole_context(instruction):
                whole = instruction
            if instruction.keyword != "RUN":
                continue
            install = next(
                (c for c in segments(instruction.script) if _DEPENDENCY_INSTALL.search(c)), None
            )
            if install is None:
                continue
            if whole is not None:
                findings.append(_layer_finding(checks, df, whole, instruction, install))
            break
    return findings


def _layer_finding(
    checks: DockerfileChecks, df: Dockerfile, whole: Instruction, run: Instruction, install: str
) -> Finding:
    requirements = _REQUIREMENTS.search(install)
    manifest = (
        f"`{PurePosixPath(requirements.group(1)).name}`"
        if requirements
        else "the dependency manifest (`pyproject.toml` and its lock file)"
    )
    message = (
        f"`{whole.keyword} {whole.args}` (line {whole.line}) comes before `{install}` "
        f"(line {run.line}): any code change invalidates the cached dependency layer and "
        f"reinstalls everything. Copy {manifest} alone first, install, then copy the source."
    )
    return checks.rulebook.finding("RB1704", df.path, whole.line, message)


def _cache_mounted(run: Instruction) -> bool:
    return "type=cache" in run.flags.get("mount", "")


def _package_caches(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    book = checks.rulebook
    no_pip_cache = any(
        name == "PIP_NO_CACHE_DIR" for env in _shipped_instructions(df, "ENV")
        for name, _ in assignments(env)
    )
    findings = []
    for run in _shipped_instructions(df, "RUN"):
        if _cache_mounted(run):
            continue
        commands = segments(run.script)
        pip = next(
            (
                c for c in commands
                if _PIP_INSTALL.search(c)
                and not re.search(r"\buv pip\b", c)
                and "--no-cache-dir" not in c
                and not re.fullmatch(r".*install( -U| --upgrade)+( pip| setuptools| wheel)+", c)
            ),
            None,
        )
        if pip is not None and not no_pip_cache:
            message = (
                f"`{pip}` keeps pip's download cache in the image layer: add `--no-cache-dir` "
                "(or set `ENV PIP_NO_CACHE_DIR=1`)."
            )
            findings.append(book.finding("RB1705", df.path, run.line, message))
        findings += _system_packages(checks, df, run, commands)
    return findings


def _system_packages(
    checks: DockerfileChecks, df: Dockerfile, run: Instruction, commands: list[str]
) -> list[Finding]:
    script = run.script
    apt = next((c for c in commands if re.search(r"\bapt(-get)? install\b", c)), None)
    if apt is not None:
        missing = []
        if "--no-install-recommends" not in apt:
            missing.append("`--no-install-recommends`")
        if "/var/lib/apt/lists" not in script:
            missing.append("`rm -rf /var/lib/apt/lists/*`")
        if missing:
            message = (
                f"`apt-get install` without {' and without '.join(missing)} in the same `RUN`: "
                "the image keeps packages it does not need and the package lists. Write "
                "`apt-get update && apt-get install -y --no-install-recommends ... && "
                "rm -rf /var/lib/apt/lists/*`."
            )
            return [checks.rulebook.finding("RB1706", df.path, run.line, message)]
    apk = next((c for c in commands if re.search(r"\bapk add\b", c)), None)
    if apk is not None and "--no-cache" not in apk and "/var/cache/apk" not in script:
        message = (
            "`apk add` without `--no-cache` keeps the package index in the image: "
            "write `apk add --no-cache ...`."
        )
        return [checks.rulebook.finding("RB1706", df.path, run.line, message)]
    return []


def _add_findings(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    findings = []
    for stage in df.stages:
        for add in stage.of("ADD"):
            form = add.exec_form
            sources = (form if form is not None else add.args.split())[:-1]
            if not sources:
                continue
            urls = [s for s in sources if s.startswith(("http://", "https://", "git@"))]
            if urls and "checksum" not in add.flags:
                message = (
                    f"`ADD {urls[0]}` downloads at build time with no checksum: fetch it in a "
                    "`RUN` with `curl` and verify its hash, or use `ADD --checksum=sha256:...`."
                )
                findings.append(
                    checks.rulebook.finding(
                        "RB1707", df.path, add.line, message, severity=Severity.WARNING
                    )
                )
            elif not urls and not all(s.lower().endswith(_ARCHIVE) for s in sources):
                message = (
                    f"`ADD {add.args}` only copies here: use `COPY`, which does nothing "
                    "implicit (`ADD` also unpacks archives and downloads URLs)."
                )
                findings.append(checks.rulebook.finding("RB1707", df.path, add.line, message))
    return findings


def _exec_form(args: str) -> str | None:
    """`CMD a b` as `["a", "b"]`, dropping development flags; None when it needs a shell."""
    if re.search(r"[&|;<>$`]", args):
        return None
    try:
        words = shlex.split(args)
    except ValueError:
        return None
    return json.dumps([w for w in words if w not in ("--reload", "--debug")])


def _command_findings(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    findings = []
    for keyword in ("ENTRYPOINT", "CMD"):
        command = effective(df, keyword)
        if command is None:
            continue
        if command.exec_form is None and not command.args.startswith("exec "):
            exec_form = _exec_form(command.args)
            fix = (
                f"use exec form: `{keyword} {exec_form}`."
                if exec_form
                else f"use exec form (`{keyword} [\"...\"]`), or a script that `exec`s the server."
            )
            message = (
                f"`{keyword} {command.args}` is in shell form: it runs under `/bin/sh -c`, which "
                "does not pass SIGTERM on, so `docker stop` waits and then kills the app; "
                + fix
            )
            findings.append(checks.rulebook.finding("RB1708", df.path, command.line, message))
        if not checks.development:
            findings += _dev_server(checks, df, command)
    return findings


_DEV_SERVERS = (
    (
        re.compile(r"--reload\b"),
        "`--reload` watches the source and restarts the server: a development feature that "
        "costs CPU and memory in a container. Drop it (for several workers, use `gunicorn -k "
        "uvicorn.workers.UvicornWorker`).",
    ),
    (
        re.compile(r"\bflask\b.*\brun\b"),
        "`flask run` starts Flask's development server, which is not built for production "
        "traffic: serve the app with `gunicorn`, e.g. `gunicorn -b 0.0.0.0:8000 app:app`.",
    ),
    (
        re.compile(r"\brunserver\b"),
        "`manage.py runserver` is Django's development server, not meant for production: "
        "serve the project with `gunicorn yourproject.wsgi -b 0.0.0.0:8000`.",
    ),
    (
        re.compile(r"\bfastapi\b.*\bdev\b"),
        "`fastapi dev` runs the development server with auto-reload: use `fastapi run` or "
        "`uvicorn` without `--reload`.",
    ),
)


def _dev_server(checks: DockerfileChecks, df: Dockerfile, command: Instruction) -> list[Finding]:
    text = " ".join(command.exec_form or [command.args])
    for pattern, advice in _DEV_SERVERS:
        if pattern.search(text):
            message = f"`{command.keyword}` starts a development server: {advice}"
            return [checks.rulebook.finding("RB1709", df.path, command.line, message)]
    return []


def check_dockerfile(checks: DockerfileChecks, df: Dockerfile) -> list[Finding]:
    """Every per-file finding of one Dockerfile, in rule order."""
    findings = _base_findings(checks, df) + _add_findings(checks, df)
    findings += _package_caches(checks, df) + secret_findings(checks.rulebook, df)
    findings += env_file_findings(checks.rulebook, df, exposed=checks.env_file_exposed)
    if is_python_image(df):
        findings += _heavy_image(checks, df) + _layer_order(checks, df)
        findings += _command_findings(checks, df)
        if not checks.development:
            findings += _user_findings(checks, df)
    return sorted(findings, key=lambda f: (f.line or 0, f.rule))


def runs_server(df: Dockerfile) -> bool:
    """The image serves HTTP: it EXPOSEs a port or its command starts a web server."""
    if any(stage.of("EXPOSE") for stage in df.shipped()):
        return True
    commands = [effective(df, "CMD"), effective(df, "ENTRYPOINT")]
    return any(c is not None and _SERVER_WORDS.search(c.script) for c in commands)


def stage_sets(df: Dockerfile, name: str) -> bool:
    """An ENV in the shipped stages sets `name`."""
    return any(n == name for env in _shipped_instructions(df, "ENV") for n, _ in assignments(env))
