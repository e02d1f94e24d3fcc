"""Commentable lines of a pull request, read from real `git diff` patches."""

from __future__ import annotations

from pathlib import Path

import git
from fake_github import diff_lines

from reviewbot.github.diff import DiffIndex, commentable_lines

OLD = "".join(f"line {n}\n" for n in range(1, 31))


def patch_of(tmp_path: Path, old: str | None, new: str | None) -> str:
    """GitHub's `patch` for one file: the hunks of `git diff`, without the header."""
    repo = git.Repo.init(tmp_path / "repo")
    target = tmp_path / "repo" / "f.py"
    author = git.Actor("A", "a@example.com")
    if old is not None:
        target.write_text(old)
        repo.index.add(["f.py"])
    repo.index.commit("old", author=author, committer=author)
    if new is None:
        repo.index.remove(["f.py"], working_tree=True)
    else:
        target.write_text(new)
        repo.index.add(["f.py"])
    repo.index.commit("new", author=author, committer=author)
    diff = repo.git.diff("-U3", "HEAD~1", "HEAD", "--", "f.py")
    return diff[diff.index("@@"):]


def test_two_hunks_give_added_and_context_lines(tmp_path: Path) -> None:
    lines = OLD.splitlines(keepends=True)
    lines[4] = "changed 5\n"  # new line 5
    lines.insert(20, "inserted\n")  # new line 21; old 21.. shift by one
    del lines[27]  # removes old line 27 ("line 27"), new numbering continues
    patch = patch_of(tmp_path, OLD, "".join(lines))
    assert patch.count("@@ -") == 2
    expected = {2, 3, 4, 5, 6, 7, 8} | set(range(18, 31))
    assert commentable_lines(patch) == expected
    assert diff_lines(patch)["RIGHT"] == expected  # the fake's reading agrees


def test_added_file_is_all_commentable(tmp_path: Path) -> None:
    patch = patch_of(tmp_path, None, "a\nb\nc")  # no newline at the end
    assert "\\ No newline at end of file" in patch
    assert commentable_lines(patch) == {1, 2, 3}


def test_removed_file_and_missing_patch_have_none(tmp_path: Path) -> None:
    assert commentable_lines(patch_of(tmp_path, "a\nb\n", None)) == frozenset()
    assert commentable_lines(None) == frozenset()
    assert commentable_lines("") == frozenset()


def test_short_hunk_headers_and_trimmed_context() -> None:
    # "@@ -1 +1 @@" means one line; an empty line inside a hunk is context trimmed of its space.
    assert commentable_lines("@@ -1 +1 @@\n-a\n+b") == {1}
    assert commentable_lines("@@ -3,3 +3,4 @@ def f():\n x\n\n+y\n z") == {3, 4, 5, 6}


def test_diff_index() -> None:
    index = DiffIndex.from_files([("app/a.py", "@@ -0,0 +1,2 @@\n+a\n+b"), ("img.png", None)])
    assert ("app/a.py", 2) in index
    assert ("app/a.py", 3) not in index
    assert ("img.png", 1) not in index
    assert ("other.py", 1) not in index
    assert "app/a.py" not in index  # only (path, line) pairs
    assert index.touches("img.png") and not index.touches("other.py")
