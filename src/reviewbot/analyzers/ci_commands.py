"""What the commands of a CI job do: install dependencies, lint, run the tests.

Commands are split into simple commands first, so `pip install ruff pytest` installs and
does not count as linting or testing. `make <target>` is followed into the Makefile and a
script the job runs (`./scripts/test.sh`) is read, one level deep.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reviewbot.analyzers.dockerfile_rules import segments

INSTALL = "install"
LINT = "lint"
TEST = "test"

_INSTALL = re.compile(
    r"(?<![\w-])(pip3?|pip3\.\d+|python3?(\.\d+)? -m pip) install\b|\bpoetry install\b"
    r"|\buv (sync|pip install)\b|\bpipenv (install|sync)\b|\bpdm (install|sync)\b|\bpip-sync\b"
    r"|\bhatch env create\b|\b(conda|mamba|micromamba) (env )?(install|create|update)\b"
)
_LINT = re.compile(
    r"\bruff\b|\bflake8\b|\bpylint\b|\bmypy\b|\bpyright\b|\bpre-commit run\b|\bpycodestyle\b"
    r"|\bpyflakes\b|\bprospector\b|\bpylama\b|\bblack\b.*--(check|diff)\b"
    r"|\bisort\b.*--(check|check-only|diff)\b|\bbandit\b|\bbasedpyright\b"
)
_TEST = re.compile(
    r"\bpytest\b|\bpy\.test\b|-m unittest\b|\bmanage\.py test\b|\bdjango-admin test\b"
    r"|-m django test\b|\bcoverage run\b|\btox\b|\bnox\b|\bhatch (test|run test)\b"
    r"|\bunittest discover\b|\bgreen\b|\bward\b"
)
_MAKE = re.compile(r"\bmake\s+(?:-\S+\s+)*([A-Za-z0-9_.-]+)")
_SCRIPT = re.compile(
    r"^(?:(?:bash|sh|zsh|source|\.)\s+([\w./-]+)"  # any file a shell is told to run
    r"|\.?/?([\w./-]+\.(?:sh|bash|py))\b"  # a script by its extension
    r"|\./([\w./-]+))"  # ./path: an executable of the repo's
)
# What may stand before the command itself: sudo and its options, env, VAR=value.
_PREFIX = re.compile(r"^(?:sudo(?:\s+-\S+)*\s+|env\s+|[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+")
_PYTHON_SCRIPT = re.compile(r"^python3?\s+([\w./-]+\.py)\b")
_LINT_ACTIONS = re.compile(
    r"ruff|flake8|pylint|black|pre-commit/action|mypy|super-linter|isort|pyright", re.I
)
_TEST_ACTIONS = re.compile(r"pytest|tox", re.I)
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?!=)")

# Reads a repository file; None when it is absent or unreadable.
Reader = Callable[[str], str | None]


@dataclass
class Activity:
    """What a set of jobs was seen to do, with the first place each thing happens."""

    seen: dict[str, tuple[str, int | None]] = field(default_factory=dict)

    def note(self, what: str, path: str, line: int | None) -> None:
        self.seen.setdefault(what, (path, line))

    def __contains__(self, what: str) -> bool:
        return what in self.seen


def classify(command: str) -> set[str]:
    """The activities of one simple command."""
    if _INSTALL.search(command):
        return {INSTALL}
    found = set()
    if _LINT.search(command):
        found.add(LINT)
    if _TEST.search(command):
        found.add(TEST)
    return found


def makefile_targets(text: str) -> dict[str, str]:
    """Each target of a Makefile: its prerequisites on the first line, then its recipe."""
    targets: dict[str, str] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("\t"):
            for name in current:
                targets[name] += "\n" + line.strip()
            continue
        match = _MAKE_TARGET.match(line)
        if match:
            names, _, prerequisites = line.partition(":")
            current = names.split()
            for name in current:
                targets[name] = prerequisites.split("#", 1)[0].strip()
        elif line.strip() and not line.lstrip().startswith("#"):
            current = []
    return targets


@dataclass
class CommandReader:
    """Classifies job commands, following make targets and scripts one level."""

    read: Reader
    _makefile: dict[str, str] | None = None

    def _targets(self) -> dict[str, str]:
        if self._makefile is None:
            self._makefile = makefile_targets(self.read("Makefile") or "")
        return self._makefile

    def activities(self, script: str, depth: int = 0) -> set[str]:
        found: set[str] = set()
        for command in segments(script):
            kinds = classify(command)
            if not kinds and depth == 0:
                kinds = self._followed(command)
            found |= kinds
        return found

    def _followed(self, command: str) -> set[str]:
        command = _PREFIX.sub("", command.strip())
        make = _MAKE.search(command)
        if make:
            target = make.group(1)
            recipe = self._targets().get(target)
            if recipe is not None:
                # Prerequisites name other targets; their recipes count too.
                first, _, rest = recipe.partition("\n")
                text = rest + "\n" + "\n".join(self._targets().get(t, "") for t in first.split())
                return self.activities(text, depth=1)
            return {TEST} if "test" in target else set()
        script = _SCRIPT.match(command) or _PYTHON_SCRIPT.match(command)
        path = next((group for group in script.groups() if group), None) if script else None
        if path:
            content = self.read(path.removeprefix("./"))
            if content is not None:
                return self.activities(content, depth=1)
        return set()


def action_activities(uses: str) -> set[str]:
    """What a marketplace action does, judged by its name."""
    name = uses.split("@", 1)[0]
    found = set()
    if _LINT_ACTIONS.search(name):
        found.add(LINT)
    if _TEST_ACTIONS.search(name):
        found.add(TEST)
    return found
