"""The base commit, read from the same clone with plumbing only, scanned and compared."""

from __future__ import annotations

import stat
import sys
from io import BytesIO
from pathlib import Path

import git
import pytest
from conftest import ROOT
from gitdb.base import IStream  # type: ignore[import-untyped]
from learner_repo import AUTHOR, build_learner_repo

from reviewbot.github.regression import (
    RegressionError,
    base_checkout,
    compare,
    materialise_tree,
    scan_base,
)
from reviewbot.pipeline import scan
from reviewbot.settings import Settings
from reviewbot.source.git import head_commit, history

sys.path.append(str(ROOT / "tests"))
from hostile import CANARY, make_hostile_repo, snapshot


def commit(repo: git.Repo, files: dict[str, str | bytes], message: str = "c") -> str:
    root = Path(repo.working_tree_dir or ".")
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    repo.index.add(list(files))
    return repo.index.commit(message, author=AUTHOR, committer=AUTHOR).hexsha


def test_materialise_writes_files_as_stored(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "repo")
    root = tmp_path / "repo"
    (root / "app").mkdir()
    (root / "app/a.py").write_text("x = 1\n")
    (root / "big.bin").write_bytes(b"\0" * 5000)
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    (root / "link.py").symlink_to(tmp_path / "outside.py")
    # A filter and CRLF setting that a checkout would apply; plumbing never does.
    (root / ".gitattributes").write_text("*.py filter=evil text eol=crlf\n")
    repo.index.add(["app/a.py", "big.bin", "run.sh", "link.py", ".gitattributes"])
    sha = repo.index.commit("files", author=AUTHOR, committer=AUTHOR).hexsha
    repo.config_writer().set_value('filter "evil"', "smudge", f"touch {tmp_path}/fired").release()
    dest = tmp_path / "out"
    written = materialise_tree(root, sha, dest, max_file_bytes=1000, max_total_bytes=10_000)
    assert written == {"app/a.py", "big.bin", "run.sh", ".gitattributes"}
    assert (dest / "app/a.py").read_bytes() == b"x = 1\n"  # no CRLF conversion
    assert not (dest / "link.py").exists() and not (dest / "link.py").is_symlink()
    assert stat.S_IMODE((dest / "run.sh").stat().st_mode) == 0o755
    big = (dest / "big.bin").stat()
    assert big.st_size == 5000 and big.st_blocks * 512 < 5000  # sparse: never read
    assert not (tmp_path / "fired").exists()


def test_materialise_a_subfolder_and_the_size_bound(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "repo")
    sha = commit(repo, {"backend/app.py": "a\n", "backend/x/y.py": "b\n", "frontend/i.js": "c\n",
                        "backend2/z.py": "d\n"})
    written = materialise_tree(tmp_path / "repo", sha, tmp_path / "out", prefix="backend",
                               max_file_bytes=100, max_total_bytes=100)
    assert written == {"backend/app.py", "backend/x/y.py"}
    with pytest.raises(RegressionError) as caught:
        materialise_tree(tmp_path / "repo", sha, tmp_path / "out2", max_file_bytes=100,
                         max_total_bytes=5)
    assert str(caught.value) == "the base commit is larger than 5 bytes"


def test_crafted_tree_names_are_not_written(tmp_path: Path) -> None:
    """Git refuses to check these names out; a crafted tree object can still hold them."""
    repo = git.Repo.init(tmp_path / "repo")
    commit(repo, {"ok.py": "ok\n"})
    blob = repo.odb.store(IStream("blob", 5, BytesIO(b"evil\n"))).binsha
    inner = repo.odb.store(IStream("tree", *_tree([(b"100644", b"config", blob)]))).binsha
    top = repo.odb.store(IStream("tree", *_tree([
        (b"40000", b"..", inner), (b"40000", b".GIT", inner), (b"40000", b".git", inner),
        (b"100644", b"ok.py", blob),
    ]))).binsha
    crafted = git.Commit.create_from_tree(repo, git.Tree(repo, top), "crafted", head=False,
                                          author=AUTHOR, committer=AUTHOR)
    dest = tmp_path / "out" / "repo"
    written = materialise_tree(tmp_path / "repo", crafted.hexsha, dest, max_file_bytes=100,
                               max_total_bytes=100)
    assert written == {"ok.py"}
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["repo"]
    assert [p.name for p in dest.iterdir()] == ["ok.py"]


def _tree(entries: list[tuple[bytes, bytes, bytes]]) -> tuple[int, BytesIO]:
    data = b"".join(mode + b" " + name + b"\0" + sha for mode, name, sha in entries)
    return len(data), BytesIO(data)


def test_base_checkout_has_the_base_history(tmp_path: Path) -> None:
    learner = build_learner_repo(tmp_path / "ws")
    with base_checkout(learner.root, learner.base[:12], Settings()) as (root, visible, sha):
        assert sha == learner.base
        assert head_commit(root) == learner.base
        assert [c.sha for c in history(root)] == [learner.base]
        assert "app/reports.py" not in visible and "app/main.py" in visible
        kept = root
    assert not kept.exists()
    assert head_commit(learner.root) == learner.head  # the clone itself is untouched


def test_scan_base_and_compare(tmp_path: Path) -> None:
    learner = build_learner_repo(tmp_path / "ws")
    base, sha = scan_base(learner.root, learner.base, Settings(), display="o/r")
    assert (sha, base.repo.commit, base.repo.source) == (learner.base, learner.base,
                                                         f"o/r@{learner.base[:7]}")
    assert {f.path for f in base.findings if f.path.startswith("app/")} == {
        "app/main.py", "app/db.py"}
    head = scan(str(learner.root), Settings())
    regression = compare(base, head, sha)
    assert regression.base_sha == learner.base
    assert regression.delta == round(round(head.grade.score or 0, 1)
                                     - round(base.grade.score or 0, 1), 1)
    assert regression.regressed is True  # the PR only adds mistakes
    by_id = {c.id: c for c in head.criteria}
    for change in regression.criteria:
        before = next(c for c in base.criteria if c.id == change.id)
        assert (change.base_score, change.head_score) == (before.score, by_id[change.id].score)
        if before.score is not None and change.head_score is not None:
            assert change.delta == round(change.head_score, 1) - round(before.score, 1)
    c01 = regression.change("C01")  # four unused imports, a bare except, == None ...
    assert c01 is not None and c01.delta is not None and c01.delta < 0


@pytest.mark.parametrize(
    ("rev", "message"),
    [
        ("0123456789ab" * 3 + "0123", "the base commit 0123456789ab is not in the clone: check "
                                      "out with fetch-depth: 0"),
        ("HEAD~1", "the base commit HEAD~1 is not in the clone: check out with fetch-depth: 0"),
    ],
)
def test_missing_base_commit(tmp_path: Path, rev: str, message: str) -> None:
    learner = build_learner_repo(tmp_path / "ws")
    with pytest.raises(RegressionError) as caught:
        scan_base(learner.root, rev, Settings())
    assert str(caught.value) == message


def test_workspace_without_git(tmp_path: Path) -> None:
    with pytest.raises(RegressionError) as caught:
        scan_base(tmp_path, "a" * 40, Settings())
    assert str(caught.value) == "the workspace is not a git repository"


def test_hostile_base_runs_nothing_and_reads_nothing_outside(tmp_path: Path) -> None:
    hostile = make_hostile_repo(tmp_path / "repo", tmp_path / "outside")
    before = snapshot(hostile.root)
    report, sha = scan_base(hostile.root, hostile.head, Settings())
    assert sha == hostile.head
    assert hostile.fired() == []
    assert snapshot(hostile.root) == before
    assert CANARY not in repr(report)
