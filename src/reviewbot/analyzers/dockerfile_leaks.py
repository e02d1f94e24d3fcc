"""What a Dockerfile leaks into its image: secrets in `ENV`/`ARG` and `.env` files (C17).

Every value shown in a message is masked with `mask_secret`.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from reviewbot.analyzers.dockerfile_syntax import Dockerfile, Instruction, assignments
from reviewbot.model import Finding
from reviewbot.rulebook import Rulebook
from reviewbot.secrets_mask import mask_secret

_SECRET_NAME = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUTH_KEY|CREDENTIAL",
    re.IGNORECASE,
)
_NOT_SECRET_NAME = re.compile(
    r"PUBLIC|GPG|_(FILE|PATH|DIR|URL|URI|NAME|HEADER|ALGORITHM|EXPIRE\w*|MINUTES|SECONDS|"
    r"HOURS|DAYS|TTL|LENGTH|LIFETIME)$",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@/\s]+)@")


def copies_whole_context(instruction: Instruction) -> bool:
    """`COPY . <dest>` or `ADD . <dest>` from the build context."""
    if instruction.keyword not in ("COPY", "ADD") or "from" in instruction.flags:
        return False
    form = instruction.exec_form
    words = form if form is not None else instruction.args.split()
    return any(source in (".", "./") for source in words[:-1])


def secret_findings(book: Rulebook, df: Dockerfile) -> list[Finding]:
    """`ENV`/`ARG` that write a secret into the image (shown masked)."""
    findings = []
    instructions = [*df.preamble, *(i for s in df.stages for i in s.of("ENV", "ARG"))]
    for instruction in instructions:
        for name, value in assignments(instruction):
            secret = _secret_value(name, value)
            if secret is None:
                continue
            where = (
                "records a secret in the image history"
                if instruction.keyword == "ARG"
                else "bakes a secret into the image"
            )
            message = (
                f"`{instruction.keyword} {name}={mask_secret(secret)}` {where}: anyone who can "
                "pull the image reads it with `docker history`, and it is in git. Pass it at run "
                f"time (`docker run -e {name}`, compose `env_file: .env`) and rotate this one."
            )
            findings.append(book.finding("RB1710", df.path, instruction.line, message))
    return findings


def _secret_value(name: str, value: str) -> str | None:
    if not value or value.startswith("$"):
        return None
    url = _URL_PASSWORD.search(value)
    if url and not url.group(1).startswith("$"):
        return value
    if not _SECRET_NAME.search(name) or _NOT_SECRET_NAME.search(name):
        return None
    if value.lower() in ("true", "false", "none", "null", "0", "1", '""', "''"):
        return None
    return value


def env_file_findings(book: Rulebook, df: Dockerfile, *, exposed: bool) -> list[Finding]:
    """`COPY .env`, or `COPY . .` while a committed `.env` is not docker-ignored."""
    findings = []
    for stage in df.stages:
        for copy in stage.of("COPY", "ADD"):
            if "from" in copy.flags:
                continue
            form = copy.exec_form
            sources = (form if form is not None else copy.args.split())[:-1]
            named = [s for s in sources if _is_env_source(s)]
            if named:
                message = (
                    f"`{copy.keyword} {copy.args}` puts `{named[0]}` and its secrets into the "
                    "image: pass settings at run time (`docker run --env-file .env`, compose "
                    "`env_file`) instead."
                )
            elif exposed and copies_whole_context(copy):
                message = (
                    f"`{copy.keyword} {copy.args}` also copies the committed `.env` into the "
                    "image: add `.env` to `.dockerignore` and pass settings at run time."
                )
            else:
                continue
            findings.append(book.finding("RB1711", df.path, copy.line, message))
    return findings


def _is_env_source(source: str) -> bool:
    name = PurePosixPath(source).name
    templates = (".example", ".sample", ".template", ".dist", ".defaults")
    return name.startswith(".env") and not name.endswith(templates) and name != ".envrc"
