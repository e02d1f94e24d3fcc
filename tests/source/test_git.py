"""Reading git data safely: exact results on real repositories, and a hostile one stays inert."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import git
import pytest
from hostile import HostileRepo, make_hostile_repo, snapshot

from reviewbot.source import git as gitread
from reviewbot.source.git import (
    CommitInfo,
    head_commit,
    history,
    is_git_repo,
    tracked_paths,
    visible_paths,
)

from .gitrepos import AUTHOR, commit_files

T0 = 1_700_000_000

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00binary"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, list[git.Commit]]:
    """Three commits: text files, then a binary and an edit, then a rename and a deletion."""
    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    commits = [
        commit_files(
            repo,
            "Initial commit",
            T0,
            {
                "README.md": "# Demo\nA demo.\n",
                "app/main.py": "import os\n\nprint(os.name)\n",
                "docs/read me é.md": "hello\n",
            },
        ),
        commit_files(
            repo,
            "Add logo and tests",
            T0 + 60,
            {
                "logo.png": PNG,
                "tests/test_main.py": "def test_ok():\n    assert True\n",
                "app/main.py": "import os\nimport sys\n\nprint(os.name, sys.argv)\n",
            },
        ),
        commit_files(
            repo,
            "Rename readme",
            T0 + 120,
            {"README.md": None, "README.rst": "# Demo\nA demo.\n", "docs/read me é.md": None},
        ),
    ]
    return root, commits


@pytest.fixture
def hostile(tmp_path: Path) -> HostileRepo:
    return make_hostile_repo(tmp_path / "submission", tmp_path / "outside")


def test_history_counts_files_and_lines_newest_first(
    repo: tuple[Path, list[git.Commit]],
) -> None:
    root, commits = repo
    assert history(root) == [
        # A rename with no edit is one file and no lines; a deletion counts its lines.
        CommitInfo(commits[2].hexsha, "Ada Learner", T0 + 120, "Rename readme", 2, 0, 1),
        # The binary file counts as a changed file with no lines.
        CommitInfo(commits[1].hexsha, "Ada Learner", T0 + 60, "Add logo and tests", 3, 4, 1),
        CommitInfo(commits[0].hexsha, "Ada Learner", T0, "Initial commit", 3, 6, 0),
    ]


def test_history_limit_keeps_the_newest(repo: tuple[Path, list[git.Commit]]) -> None:
    root, commits = repo
    assert [c.sha for c in history(root, limit=2)] == [commits[2].hexsha, commits[1].hexsha]


def test_history_strips_terminal_control_characters(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "r", initial_branch="main")
    sneaky = git.Actor("Eve\x1b[2J", "eve@example.com")
    commit = commit_files(repo, "Fix \x1b]0;pwned\x07 bug", T0, {"a.py": "x = 1\n"}, sneaky)
    assert history(tmp_path / "r") == [
        CommitInfo(commit.hexsha, "Eve[2J", T0, "Fix ]0;pwned bug", 1, 1, 0)
    ]


def test_head_commit_and_tracked_paths(repo: tuple[Path, list[git.Commit]]) -> None:
    root, commits = repo
    assert head_commit(root) == commits[2].hexsha
    assert tracked_paths(root) == {"README.rst", "app/main.py", "logo.png", "tests/test_main.py"}


def test_tracked_paths_keeps_unusual_names_unquoted(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "r", initial_branch="main")
    commit_files(repo, "names", T0, {"docs/read me é.md": "x\n", 'quote"d.txt': "y\n"})
    assert tracked_paths(tmp_path / "r") == {"docs/read me é.md", 'quote"d.txt'}


def test_visible_paths_are_indexed_or_untracked_and_not_ignored(
    repo: tuple[Path, list[git.Commit]],
) -> None:
    root, _ = repo
    work = git.Repo(root)
    commit_files(work, "ignore", T0 + 180, {".gitignore": ".env\n.venv/\n*.log\n"})
    (root / ".env").write_text("SECRET=1\n")
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "site.py").write_text("x = 1\n")
    (root / "notes.py").write_text("untracked = True\n")
    (root / "staged.py").write_text("staged = True\n")
    (root / "keep.log").write_text("committed despite the ignore rule\n")
    work.index.add(["staged.py", "keep.log"])
    work.index.write()
    git.Repo.init(root / "vendor" / "nested")  # another project inside, untracked
    (root / "vendor" / "nested" / "lib.py").write_text("y = 2\n")
    (root / "app" / "main.py").unlink()  # deleted but still in the index
    assert visible_paths(root) == {
        ".gitignore",
        "README.rst",
        "app/main.py",
        "keep.log",
        "logo.png",
        "notes.py",
        "staged.py",
        "tests/test_main.py",
    }


def test_repository_without_commits(tmp_path: Path) -> None:
    git.Repo.init(tmp_path / "empty", initial_branch="main")
    assert is_git_repo(tmp_path / "empty") is True
    assert head_commit(tmp_path / "empty") is None
    assert tracked_paths(tmp_path / "empty") is None
    assert history(tmp_path / "empty") == []


def test_plain_folder_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.py").write_text("x = 1\n")
    assert is_git_repo(tmp_path / "plain") is False
    assert head_commit(tmp_path / "plain") is None
    assert tracked_paths(tmp_path / "plain") is None
    assert visible_paths(tmp_path / "plain") is None
    assert history(tmp_path / "plain") == []
    assert gitread.git_dir(tmp_path / "plain") is None


def test_folder_inside_another_repository_is_not_one(
    repo: tuple[Path, list[git.Commit]],
) -> None:
    root, _ = repo
    assert is_git_repo(root / "app") is False
    assert head_commit(root / "app") is None
    assert tracked_paths(root / "app") is None
    assert visible_paths(root / "app") is None


def test_symlinked_dot_git_is_not_followed(
    repo: tuple[Path, list[git.Commit]], tmp_path: Path
) -> None:
    root, _ = repo
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / ".git").symlink_to(root / ".git")
    assert is_git_repo(decoy) is False
    assert head_commit(decoy) is None


def test_empty_dot_git_folder_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "fake" / ".git").mkdir(parents=True)
    assert is_git_repo(tmp_path / "fake") is False


def test_worktree_with_a_dot_git_file(repo: tuple[Path, list[git.Commit]], tmp_path: Path) -> None:
    root, commits = repo
    git.Repo(root).git.worktree("add", "--detach", str(tmp_path / "wt"), commits[0].hexsha)
    assert (tmp_path / "wt" / ".git").is_file()
    assert is_git_repo(tmp_path / "wt") is True
    assert head_commit(tmp_path / "wt") == commits[0].hexsha
    assert gitread.git_dir(tmp_path / "wt") == root / ".git" / "worktrees" / "wt"


def test_inherited_git_environment_is_ignored(
    repo: tuple[Path, list[git.Commit]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when reviewbot runs from a git hook: GIT_DIR names another repository."""
    root, commits = repo
    other = git.Repo.init(tmp_path / "other", initial_branch="main")
    commit_files(other, "other", T0, {"x.txt": "x\n"})
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "other" / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path / "other"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='/bin/false'")
    assert head_commit(root) == commits[2].hexsha
    assert tracked_paths(root) == {"README.rst", "app/main.py", "logo.png", "tests/test_main.py"}


def test_a_config_include_that_blocks_is_cut_off(
    repo: tuple[Path, list[git.Commit]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An include.path naming a FIFO would block git forever; the read gives up instead."""
    root, _ = repo
    os.mkfifo(root / ".git" / "stall")
    with (root / ".git" / "config").open("a") as config:
        config.write("[include]\n\tpath = stall\n")
    with pytest.raises(subprocess.TimeoutExpired):  # plain git does block
        subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, check=False, capture_output=True, timeout=1
        )
    monkeypatch.setattr(gitread, "READ_TIMEOUT", 1.0)
    started = time.monotonic()
    assert head_commit(root) is None
    assert time.monotonic() - started < 10


def test_reading_the_hostile_repository_runs_nothing_and_writes_nothing(
    hostile: HostileRepo,
) -> None:
    before = snapshot(hostile.root)
    assert is_git_repo(hostile.root) is True
    assert gitread.git_dir(hostile.root) == hostile.root / ".git"
    assert head_commit(hostile.root) == hostile.head
    assert tracked_paths(hostile.root) == hostile.tracked
    assert visible_paths(hostile.root) == hostile.tracked
    assert history(hostile.root) == [
        CommitInfo(c.sha, AUTHOR.name or "", c.timestamp, c.subject, len(c.files), c.insertions, 0)
        for c in reversed(hostile.commits)
    ]
    assert hostile.fired() == []
    assert snapshot(hostile.root) == before


def test_hostile_history_has_the_expected_shape(hostile: HostileRepo) -> None:
    """Pins the builder, so the test above compares against real numbers."""
    assert [(c.subject, c.files_changed, c.insertions) for c in history(hostile.root)] == [
        ("Link shared notes", 3, 3),
        ("Add tooling configuration", 12, 51),
        ("Create FastAPI app", 4, 15),
    ]
