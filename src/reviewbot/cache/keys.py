"""What a cached result depends on, as digests.

A key must change whenever the result could: reviewbot's code (its version and a digest of
its own source, so an edited checkout never reuses stale results), the rules data, the
wrapped tools' versions, the interpreter's Python version, the settings that can change an
analyzer's output, and the repository's content. Keys never contain the scanned
repository's absolute path, so a fresh clone of the same tree reuses the results.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

import reviewbot
from reviewbot.rulebook import Rulebook
from reviewbot.settings import Settings
from reviewbot.source.git import git_dir
from reviewbot.source.inventory_model import Inventory

# The wrapped tools whose version decides their findings (pinned in pyproject.toml).
TOOLS: Final = ("ruff", "mypy", "bandit", "radon")

# Settings that cannot change what an analyzer observes: how many run at once, credentials,
# the LLM commentary (attached after grading), the verdict threshold and the cache itself.
_NOT_AFFECTING: Final = frozenset({
    "jobs", "github_token", "github_url", "fail_under", "llm", "llm_model", "llm_base_url",
    "llm_api_key", "llm_timeout", "llm_max_tokens", "llm_budget_chars", "llm_cache_dir",
    "cache", "cache_dir", "cache_max_mb",
})  # fmt: skip

_CHUNK: Final = 1 << 20


def digest(*parts: Any) -> str:
    """sha256 of the parts' canonical JSON form."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def code_digest() -> str:
    """reviewbot's version and a digest of its own source files, read once per process."""
    package = Path(reviewbot.__file__).parent
    hasher = hashlib.sha256(reviewbot.__version__.encode())
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def tool_versions() -> dict[str, str]:
    """The installed version of each wrapped tool ("missing" when it isn't installed)."""
    versions = {}
    for tool in TOOLS:
        try:
            versions[tool] = importlib.metadata.version(tool)
        except importlib.metadata.PackageNotFoundError:
            versions[tool] = "missing"
    return versions


def rules_digest(rulebook: Rulebook) -> str:
    """The rules data as loaded: a rule edited without bumping `rules_version` still counts."""
    return hashlib.sha256(repr(rulebook).encode("utf-8")).hexdigest()


def settings_digest(settings: Settings) -> str:
    """The settings that may change an analyzer's output."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(settings):
        if item.name in _NOT_AFFECTING:
            continue
        value = getattr(settings, item.name)
        values[item.name] = dict(sorted(value.items())) if isinstance(value, Mapping) else value
    return digest(values)


def base_key(rulebook: Rulebook, settings: Settings) -> str:
    """What every cached result of one scan depends on, besides the repository."""
    return digest(
        "reviewbot-base/1",
        code_digest(),
        rulebook.version,
        rules_digest(rulebook),
        tool_versions(),
        list(sys.version_info[:2]),
        settings_digest(settings),
    )


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, without following a symlink; a marker when unreadable."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    hasher = hashlib.sha256()
    with os.fdopen(handle, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def content_digests(inventory: Inventory) -> dict[str, str]:
    """Every inventory file's content digest, by repo-relative path."""
    return {item.path: file_digest(inventory.root / item.path) for item in inventory.files}


def inventory_digest(inventory: Inventory, contents: Mapping[str, str]) -> str:
    """Everything analyzers can see of the inventory, but not where it lies on disk."""
    return digest(
        "inventory/1",
        [[f.path, f.kind.value, f.size, contents.get(f.path)] for f in inventory.files],
        [[m.path, m.role.value, m.lines] for m in inventory.modules],
        [[s.path, s.reason] for s in inventory.skipped],
        [[v.path, v.kind] for v in inventory.vendored],
        list(inventory.symlinks),
        list(inventory.frameworks),
        inventory.is_python_backend,
        inventory.is_git,
    )


def history_digest(inventory: Inventory) -> str:
    """The git history an analyzer can read: the commit, and where a shallow clone ends."""
    if not inventory.is_git:
        return digest("no-git")
    directory = git_dir(inventory.root)
    shallow = directory / "shallow" if directory is not None else None
    try:
        boundary = shallow.read_text(encoding="utf-8") if shallow is not None else ""
    except OSError:
        boundary = ""
    return digest("history/1", inventory.commit, sorted(boundary.split()))


def repository_identity(root: Path) -> str:
    """One folder name per checked-out repository location (for mypy's incremental cache)."""
    return hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:24]
