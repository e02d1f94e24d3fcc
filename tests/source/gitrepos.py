"""Builds real git repositories with GitPython for the source tests."""

from __future__ import annotations

from pathlib import Path

import git

AUTHOR = git.Actor("Ada Learner", "ada@example.com")


def commit_files(
    repo: git.Repo,
    subject: str,
    when: int,
    files: dict[str, str | bytes | None],
    author: git.Actor = AUTHOR,
) -> git.Commit:
    """Write (or, for None, delete) `files` and commit them at `when` (epoch seconds, UTC)."""
    root = Path(repo.working_tree_dir or ".")
    removed = [rel for rel, content in files.items() if content is None]
    if removed:
        repo.index.remove(removed, working_tree=True)
    for rel, content in files.items():
        if content is None:
            continue
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    added = [rel for rel, content in files.items() if content is not None]
    if added:
        repo.index.add(added)
    date = f"{when} +0000"
    return repo.index.commit(
        subject, author=author, committer=author, author_date=date, commit_date=date
    )
