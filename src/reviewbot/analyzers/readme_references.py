"""Files, scripts and make targets a README names that the repository does not have.

Precision first: a name is only checked when it clearly is a path of this repository:
a script run with `./`, `bash` or `python`, a `pip install -r` file, a `make` target, a
compose or Docker file the command needs, a relative link, or a code span that is a file
name with a source-like extension. Files the README itself creates (`cp .env.example .env`,
`python -m venv .venv`, `> out.txt`) and paths after an unknown `cd` are not checked.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote

from reviewbot.analyzers.ci_commands import makefile_targets
from reviewbot.analyzers.dockerfile_rules import segments
from reviewbot.analyzers.readme import Command, Readme
from reviewbot.source.inventory_model import FileKind, Inventory

_FILE_EXTENSIONS = (
    ".py", ".sh", ".txt", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".lock", ".sql", ".mako",
    ".bat", ".ps1", ".md", ".rst",
)
_FILE_NAMES = ("Makefile", "Dockerfile", "Procfile", "justfile")
# A bare file name (no folder) in prose is only checked when it is one a reader is told to
# use (a requirements file, a script); `setup.py` or `Dockerfile` in a sentence may describe
# something else entirely, and commands that need them are checked anyway.
_COMMITTED_NAME = re.compile(r"requirements[\w.-]*\.(txt|in|lock)|[\w.-]+\.sh")
_HYPOTHETICAL = re.compile(
    r"\b(no|not|never|instead|without|don't|doesn't|if|unless|or)\b", re.IGNORECASE
)
_CREATING_WORDS = re.compile(
    r"\b(creat\w*|generat\w*|will be|new file|renam\w*|touch|output|produc\w*|e\.g\.|such as"
    r"|your own|write|writes|written|example|called|named|add a|adds a)\b",
    re.IGNORECASE,
)
_COMMAND_WORDS = ("python", "python3", "pip", "pip3", "make", "docker", "docker-compose",
                  "uvicorn", "gunicorn", "bash", "sh", "alembic", "cp")
_NOT_LOCAL_MODULES = {
    "pip", "venv", "pytest", "unittest", "http", "uvicorn", "gunicorn", "flask", "django",
    "alembic", "black", "ruff", "mypy", "coverage", "build", "twine", "celery", "virtualenv",
}


@dataclass(frozen=True, slots=True)
class MissingReference:
    line: int
    name: str
    message: str


@dataclass
class _Repo:
    inv: Inventory
    dirs: set[str] = field(default_factory=set)
    basenames: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for repo_file in self.inv.files:
            path = PurePosixPath(repo_file.path)
            self.basenames.add(path.name)
            self.dirs.update(str(parent) for parent in path.parents if str(parent) != ".")
        self.dirs.update(v.path for v in self.inv.vendored)

    def exists(self, path: str) -> bool:
        path = posixpath.normpath(path)
        return self.inv.has(path) or path in self.dirs or path == "."


@dataclass
class _Walk:
    repo: _Repo
    cwd: str | None = "."
    cloned: bool = False
    created: set[str] = field(default_factory=set)
    missing: dict[str, MissingReference] = field(default_factory=dict)

    def report(self, line: int, name: str, message: str) -> None:
        self.missing.setdefault(name, MissingReference(line, name, message))

    def check_file(self, line: int, command: str, path: str, what: str = "") -> None:
        if self.cwd is None or not path or path.startswith(("/", "~", "$", "-", "<", "{", "%")):
            return
        if any(ch in path for ch in "*?${}<>") or path in self.created:
            return
        full = posixpath.normpath(posixpath.join(self.cwd, path))
        bare = "/" not in path.removeprefix("./")
        if self.repo.exists(full) or (bare and PurePosixPath(path).name in self.repo.basenames):
            return
        name = path.removeprefix("./")
        self.report(
            line,
            name,
            f"The README runs `{command}`, but there is no `{name}`{what} in the repository: "
            "add it or fix the instructions.",
        )


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def _after(words: list[str], flags: tuple[str, ...]) -> str | None:
    for index, word in enumerate(words[:-1]):
        if word in flags:
            return words[index + 1]
    for word in words:
        for flag in flags:
            if flag.startswith("--") and word.startswith(flag + "="):
                return word.split("=", 1)[1]
    return None


def _note_created(walk: _Walk, words: list[str], command: str) -> None:
    if ">" in command:
        walk.created.add(command.rsplit(">", 1)[1].strip().split(" ")[0])
    if words[0] in ("cp", "mv", "touch", "mkdir", "ln") and len(words) > 1:
        walk.created.add(words[-1])
    if "venv" in words or "virtualenv" in words:
        walk.created.add(words[-1])


def _python(walk: _Walk, line: int, command: str, words: list[str]) -> None:
    args = [w for w in words[1:] if not w.startswith("-")]
    module = _after(words, ("-m",))
    if module is not None:
        top = module.split(".")[0]
        local = walk.repo.exists(top) or walk.repo.exists(top + ".py")
        if top not in _NOT_LOCAL_MODULES and local and "." in module:
            path = module.replace(".", "/")
            if not (walk.repo.exists(path + ".py") or walk.repo.exists(path)):
                walk.check_file(line, command, path + ".py")
        return
    if args and args[0].endswith(".py"):
        walk.check_file(line, command, args[0])


def _server(walk: _Walk, line: int, command: str, words: list[str]) -> None:
    target = next((w for w in words[1:] if ":" in w and not w.startswith("-")), None)
    if target is None or any(ch in target for ch in "{$(<"):
        return
    module = target.split(":", 1)[0]
    folder = _after(words, ("--app-dir", "--chdir")) or "."
    path = posixpath.join(folder, module.replace(".", "/"))
    if walk.cwd is not None and not walk.repo.exists(posixpath.join(walk.cwd, path)):
        walk.check_file(line, command, path + ".py")


def _docker(walk: _Walk, line: int, command: str, words: list[str]) -> None:
    compose = words[0] == "docker-compose" or (len(words) > 1 and words[1] == "compose")
    named = _after(words, ("-f", "--file"))
    if named is not None:
        walk.check_file(line, command, named)
        return
    kind = FileKind.COMPOSE if compose else FileKind.DOCKERFILE
    needs_file = compose or (len(words) > 1 and words[1] == "build")
    if needs_file and not any(f.kind is kind for f in walk.repo.inv.files):
        name = "docker-compose.yml" if compose else "Dockerfile"
        walk.report(
            line,
            name,
            f"The README runs `{command}`, but there is no `{name}` in the repository: add "
            "it or fix the instructions.",
        )


def _make(walk: _Walk, line: int, command: str, words: list[str]) -> None:
    target = next((w for w in words[1:] if not w.startswith("-") and "=" not in w), None)
    makefile = next((p for p in ("Makefile", "makefile", "GNUmakefile") if walk.repo.exists(p)),
                    None)
    if makefile is None:
        walk.check_file(line, command, "Makefile")
        return
    text = walk.repo.inv.read_text(makefile) or ""
    if target is None or re.search(r"^\s*-?include\b|%", text, re.MULTILINE):
        return
    if target not in makefile_targets(text):
        walk.report(
            line,
            f"make {target}",
            f"The README runs `{command}`, but the Makefile has no `{target}` target: add it or "
            "fix the instructions.",
        )


def _script(walk: _Walk, line: int, command: str, words: list[str]) -> None:
    if words[0].startswith("./"):
        walk.check_file(line, command, words[0])
    elif len(words) > 1:
        walk.check_file(line, command, words[1])


def _pip(walk: _Walk, line: int, command: str, words: list[str]) -> None:
    for flags in (("-r", "--requirement"), ("-c", "--constraint")):
        requirement = _after(words, flags)
        if requirement:
            walk.check_file(line, command, requirement)


def _copy(walk: _Walk, line: int, command: str, words: list[str]) -> None:
    if len(words) >= 3:
        walk.check_file(line, command, words[-2])


Check = Callable[[_Walk, int, str, list[str]], None]
_CHECKS: dict[str, Check] = {
    "bash": _script, "sh": _script, "python": _python, "python3": _python, "py": _python,
    "pip": _pip, "pip3": _pip, "uvicorn": _server, "gunicorn": _server, "hypercorn": _server,
    "daphne": _server, "docker": _docker, "docker-compose": _docker, "make": _make, "cp": _copy,
}


def _command(walk: _Walk, command: Command) -> None:
    for part in segments(command.text):
        words = _words(part)
        if not words:
            continue
        head = words[0]
        if head == "git" and "clone" in words:
            walk.cloned = True
        elif head == "cd":
            _cd(walk, words)
        elif head.startswith("./"):
            _script(walk, command.line, part, words)
        elif head in _CHECKS:
            check = _pip if head.startswith("python") and "pip" in words else _CHECKS[head]
            check(walk, command.line, part, words)
        _note_created(walk, words, part)


def _cd(walk: _Walk, words: list[str]) -> None:
    if walk.cwd is None or len(words) < 2:
        return
    target = posixpath.normpath(posixpath.join(walk.cwd, words[1]))
    if walk.repo.exists(target) and not target.startswith(".."):
        walk.cwd = target
    else:
        # `git clone ... && cd project` enters the repository itself; anything else unknown
        # makes later relative paths unverifiable.
        walk.cwd = "." if walk.cloned else None


def _file_span(walk: _Walk, readme: Readme, line: int, span: str) -> None:
    text = readme.lines[line - 1] if line <= len(readme.lines) else ""
    looks_like_file = span.endswith(_FILE_EXTENSIONS) or span in _FILE_NAMES
    if "/" not in span.removeprefix("./"):
        looks_like_file = bool(_COMMITTED_NAME.fullmatch(span.removeprefix("./")))
        looks_like_file = looks_like_file and not _HYPOTHETICAL.search(text)
    if (
        " " in span
        or not looks_like_file
        or span.startswith(("/", "~", "$", "http", "<", "."))
        or any(ch in span for ch in "*?{}<>:=")
        or _CREATING_WORDS.search(text)
    ):
        return
    name = span.removeprefix("./")
    if name in walk.created or ("/" not in name and name in walk.repo.basenames):
        return
    if "/" in name and any(f.path.endswith("/" + name) or f.path == name
                           for f in walk.repo.inv.files):
        return
    if walk.repo.exists(name) or walk.repo.exists(posixpath.dirname(readme.path) + "/" + name):
        return
    walk.report(
        line,
        name,
        f"The README names `{name}`, which is not in the repository: add it or fix the text.",
    )


def _link(walk: _Walk, readme: Readme, line: int, target: str) -> None:
    if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^//", target, re.IGNORECASE):
        return
    path = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if not path or path.startswith("/"):
        return
    full = posixpath.normpath(posixpath.join(posixpath.dirname(readme.path), path))
    if full.startswith("..") or walk.repo.exists(full.rstrip("/")):
        return
    walk.report(
        line,
        path,
        f"The README links to `{path}`, which is not in the repository: add it or fix the link.",
    )


def missing_references(readme: Readme, inv: Inventory) -> list[MissingReference]:
    """Each missing file or target the README names, once, at its first line."""
    walk = _Walk(_Repo(inv))
    block = None
    for command in readme.commands:
        if command.block != block:
            block, walk.cwd, walk.cloned = command.block, ".", False
        _command(walk, command)
    walk.cwd, walk.cloned = ".", False
    for line, span in readme.spans:
        if span.split(" ", 1)[0] in _COMMAND_WORDS or span.startswith("./"):
            walk.cwd = "."
            _command(walk, Command(line, span, -1))
        else:
            _file_span(walk, readme, line, span)
    for line, target in readme.links:
        _link(walk, readme, line, target)
    return sorted(walk.missing.values(), key=lambda m: (m.line, m.name))
