"""The hostile repository's traps are armed: run plainly, each one writes its marker.

Without these, a test asserting `hostile.fired() == []` could pass because a trap was a dud.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import CANARY, GIT_TRAPS, PYTHON_TRAPS, HostileRepo, make_hostile_repo

PLAIN_GIT = ["git", "-c", "user.name=Tester", "-c", "user.email=tester@example.com"]

# Trap -> plain git commands (run in order, in the repository) that set it off.
GIT_TRIGGERS: dict[str, list[list[str]]] = {
    "fsmonitor": [["status"]],
    "filter-clean": [["add", "--renormalize", "README.md"]],
    "filter-smudge": [
        ["rm", "-q", "--cached", "README.md"],
        ["checkout", "HEAD", "--", "README.md"],
    ],
    "textconv": [["log", "-p", "--no-ext-diff", "-1", "HEAD~1"]],
    "diff-external": [["diff", "HEAD~2", "HEAD~1"]],
    "alias": [["lg"]],
    "ssh-command": [["fetch", "origin"]],
    "gpg": [["log", "-1"]],
    "hook-pre-commit": [["commit", "--allow-empty", "-m", "touch"]],
    "hook-post-checkout": [["checkout", "-q", "-b", "topic"]],
}


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HostileRepo:
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_PAGER", "PAGER", "GIT_SSH_COMMAND"):
        monkeypatch.delenv(name, raising=False)
    return make_hostile_repo(tmp_path / "repo", tmp_path / "outside")


def test_building_fires_nothing(hostile: HostileRepo) -> None:
    assert set(hostile.markers) == set(PYTHON_TRAPS + GIT_TRAPS)
    assert hostile.fired() == []
    assert all(not marker.is_relative_to(hostile.root) for marker in hostile.markers.values())


def test_symlinks_lead_to_the_canary(hostile: HostileRepo) -> None:
    assert {link: (hostile.root / link).readlink() for link in hostile.symlinks} == {
        "docs/notes.md": hostile.outside / "canary.txt",
        "app/shared.py": hostile.outside / "canary.py",
        "shared": hostile.outside,
    }
    assert CANARY in (hostile.root / "shared" / "canary.txt").read_text()


@pytest.mark.parametrize("trap", sorted(GIT_TRIGGERS))
def test_git_trap_is_armed(hostile: HostileRepo, trap: str) -> None:
    for args in GIT_TRIGGERS[trap]:
        subprocess.run(
            [*PLAIN_GIT, *args], cwd=hostile.root, check=False, capture_output=True, timeout=60
        )
    assert trap in hostile.fired()


def test_pager_trap_is_armed(hostile: HostileRepo) -> None:
    """git only pages to a terminal: give it one."""
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            [*PLAIN_GIT, "log", "--no-show-signature", "-1"],
            check=False,
            cwd=hostile.root,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            timeout=60,
            env={**os.environ, "TERM": "xterm"},
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert "pager" in hostile.fired()


def _python(hostile: HostileRepo, code: str, **env: str) -> None:
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=hostile.root,
        check=False,
        capture_output=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_sitecustomize_trap_is_armed(hostile: HostileRepo) -> None:
    _python(hostile, "pass", PYTHONPATH=str(hostile.root))
    assert hostile.fired() == ["sitecustomize"]


def test_usercustomize_trap_is_armed(hostile: HostileRepo) -> None:
    # A virtualenv disables the user site, so load it the way site.py would.
    code = "import site, sys; sys.path.insert(0, '.'); site.execusercustomize()"
    _python(hostile, code)
    assert hostile.fired() == ["usercustomize"]


def test_pth_trap_is_armed(hostile: HostileRepo) -> None:
    _python(hostile, "import site; site.addsitedir('.')")
    assert hostile.fired() == ["pth"]


def test_app_import_trap_is_armed(hostile: HostileRepo) -> None:
    _python(hostile, "import sys; sys.path.insert(0, '.'); import app")
    assert hostile.fired() == ["app-import"]


def test_setup_py_trap_is_armed(hostile: HostileRepo) -> None:
    subprocess.run(
        [sys.executable, "setup.py", "--name"],
        cwd=hostile.root,
        check=False,
        capture_output=True,
        timeout=120,
    )
    assert hostile.fired() == ["setup-py"]


def test_conftest_trap_is_armed(hostile: HostileRepo, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=hostile.root,
        check=False,
        capture_output=True,
        timeout=120,
    )
    assert "conftest" in hostile.fired()


@pytest.mark.parametrize(
    ("config", "trap"),
    [
        ("mypy.ini", "mypy-plugin-mypy-ini"),
        ("setup.cfg", "mypy-plugin-setup-cfg"),
        ("pyproject.toml", "mypy-plugin-pyproject"),
    ],
)
def test_mypy_plugin_trap_is_armed(
    hostile: HostileRepo, tmp_path: Path, config: str, trap: str
) -> None:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert mypy is not None
    subprocess.run(
        [mypy, "--config-file", config, "--cache-dir", str(tmp_path / "cache"), "app/main.py"],
        cwd=hostile.root,
        check=False,
        capture_output=True,
        timeout=300,
    )
    assert hostile.fired() == [trap]
