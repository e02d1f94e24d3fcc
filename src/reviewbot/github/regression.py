"""The pull request's base commit, scanned from the same clone, and the change per criterion.

The base commit's files are written to a temporary folder with plumbing only: `git ls-tree`
lists the tree and `git cat-file --batch` reads the blobs as stored. `git worktree add` or
`git checkout` would run the repository's filters and hooks (DESIGN.md, decision 1).
Symlinks and submodules are not materialised; blobs over the size limit become sparse files
of their real size, so the inventory lists them as too large exactly as it does at the head.
The folder gets a minimal `.git` whose HEAD is the base commit and whose objects are the
clone's (an alternates file), so history-reading analyzers see the base's own history.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.model import AnalyzerRun, AnalyzerStatus, CriterionStatus, Report
from reviewbot.pipeline import SilentProgress, build_report, run_analyzers
from reviewbot.rulebook import Rulebook, default_rulebook
from reviewbot.settings import Settings
from reviewbot.source import git as gitread
from reviewbot.source.inventory import build_inventory

# Scores are compared at the one decimal the reports show: no regression from float noise.
_PRECISION = 1
_FILE_MODES = {"100644": 0o644, "100755": 0o755}
# A blob's size and the places it is written to, with their modes.
_Targets = tuple[int, list[tuple[PurePosixPath, int]]]
# Blobs are read in batches of about this many bytes, to bound memory.
_BATCH_BYTES = 64 * 1024 * 1024


class RegressionError(Exception):
    """The base commit cannot be scanned; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class CriterionChange:
    id: str
    title: str
    base_score: float | None
    head_score: float | None
    base_status: CriterionStatus
    head_status: CriterionStatus

    @property
    def delta(self) -> float | None:
        if self.base_score is None or self.head_score is None:
            return None
        return round(self.head_score, _PRECISION) - round(self.base_score, _PRECISION)


@dataclass(frozen=True, slots=True)
class Regression:
    """The head's grade against the base commit's."""

    base_sha: str
    base_score: float | None
    head_score: float | None
    criteria: tuple[CriterionChange, ...]

    @property
    def delta(self) -> float | None:
        if self.base_score is None or self.head_score is None:
            return None
        return round(round(self.head_score, _PRECISION) - round(self.base_score, _PRECISION), 1)

    @property
    def regressed(self) -> bool:
        """True when the overall score dropped."""
        return self.delta is not None and self.delta < 0

    def change(self, criterion_id: str) -> CriterionChange | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)


def compare(base: Report, head: Report, base_sha: str) -> Regression:
    """Compare two reports of the same repository, criterion by criterion."""
    base_by_id = {c.id: c for c in base.criteria}
    changes = []
    for result in head.criteria:
        before = base_by_id.get(result.id)
        changes.append(
            CriterionChange(
                id=result.id,
                title=result.title,
                base_score=before.score if before else None,
                head_score=result.score,
                base_status=before.status if before else CriterionStatus.INCOMPLETE,
                head_status=result.status,
            )
        )
    return Regression(base_sha, base.grade.score, head.grade.score, tuple(changes))


def _safe_relative(path: str) -> PurePosixPath | None:
    """`path` as a relative path that stays inside the folder, or None.

    Git refuses such names in trees it checks out; a crafted tree object can still hold them.
    """
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.casefold() == ".git" or "\0" in p for p in parts):
        return None
    return PurePosixPath(*parts)


def materialise_tree(
    repo: Path, commit: str, dest: Path, *, prefix: str = "", max_file_bytes: int,
    max_total_bytes: int,
) -> set[str]:
    """Write the files of `commit` under `prefix` into `dest`; the paths written (relative to
    `dest`, i.e. with the prefix). Raises RegressionError."""
    entries = gitread.tree_entries(repo, commit, prefix)
    if entries is None:
        raise RegressionError(f"cannot list the files of {commit[:12]}")
    wanted: dict[str, _Targets] = {}
    written: set[str] = set()
    total = 0
    for entry in entries:
        relative = _safe_relative(entry.path)
        if relative is None or entry.mode not in _FILE_MODES or entry.size is None:
            continue  # symlinks and submodules are not followed, odd names not written
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        written.add(relative.as_posix())
        if entry.size > max_file_bytes:
            # Sparse: the inventory sees the real size and skips it, as at the head.
            with target.open("wb") as out:
                out.truncate(entry.size)
            continue
        total += entry.size
        if total > max_total_bytes:
            raise RegressionError(f"the base commit is larger than {max_total_bytes:,} bytes")
        wanted.setdefault(entry.oid, (entry.size, []))[1].append(
            (relative, _FILE_MODES[entry.mode])
        )
    _write_blobs(repo, dest, wanted)
    return written


def _write_blobs(repo: Path, dest: Path, wanted: dict[str, _Targets]) -> None:
    batch: list[str] = []
    pending = 0
    for oid, (size, _) in wanted.items():
        batch.append(oid)
        pending += size
        if pending >= _BATCH_BYTES:
            _write_batch(repo, dest, batch, wanted)
            batch, pending = [], 0
    _write_batch(repo, dest, batch, wanted)


def _write_batch(repo: Path, dest: Path, batch: list[str], wanted: dict[str, _Targets]) -> None:
    try:
        for oid, data in gitread.read_blobs(repo, batch):
            for relative, mode in wanted[oid][1]:
                target = dest / relative
                target.write_bytes(data)
                target.chmod(mode)
    except OSError as exc:
        raise RegressionError(f"cannot read the base commit's files: {exc}") from exc


def _link_history(repo: Path, commit: str, dest: Path) -> None:
    """A `.git` in `dest` at `commit`, borrowing the clone's objects (read-only)."""
    objects = gitread.objects_dir(repo)
    source_git = gitread.git_dir(repo)
    if objects is None or source_git is None:
        return
    dot_git = dest / ".git"
    (dot_git / "objects" / "info").mkdir(parents=True)
    (dot_git / "refs" / "heads").mkdir(parents=True)
    (dot_git / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
    (dot_git / "HEAD").write_text(f"{commit}\n", encoding="ascii")
    config = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
    if gitread.object_format(repo) == "sha256":
        config = config.replace("= 0", "= 1") + "[extensions]\n\tobjectformat = sha256\n"
    (dot_git / "config").write_text(config, encoding="ascii")
    shallow = source_git / "shallow"
    if shallow.is_file() and not shallow.is_symlink():
        shutil.copyfile(shallow, dot_git / "shallow")


@contextmanager
def base_checkout(repo: Path, base_sha: str, settings: Settings, prefix: str = "") -> Iterator[
    tuple[Path, set[str], str]
]:
    """A temporary folder holding the base commit's files; yields (scan root, visible paths
    relative to it, full sha). Raises RegressionError."""
    if not gitread.is_git_repo(repo):
        raise RegressionError("the workspace is not a git repository")
    sha = gitread.resolve_commit(repo, base_sha)
    if sha is None:
        raise RegressionError(
            f"the base commit {base_sha[:12]} is not in the clone: check out with fetch-depth: 0"
        )
    workdir = Path(tempfile.mkdtemp(prefix="reviewbot-base-"))
    try:
        dest = workdir / "repo"
        dest.mkdir()
        written = materialise_tree(
            repo, sha, dest, prefix=prefix, max_file_bytes=settings.max_file_bytes,
            max_total_bytes=settings.clone_max_bytes,
        )
        root = dest / prefix if prefix else dest
        if not prefix:
            _link_history(repo, sha, dest)
        cut = len(prefix.rstrip("/")) + 1 if prefix else 0
        yield root, {path[cut:] for path in written}, sha
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def scan_base(
    repo: Path, base_sha: str, settings: Settings, *, prefix: str = "", display: str = "base",
    rulebook: Rulebook | None = None,
) -> tuple[Report, str]:
    """Scan commit `base_sha` of the clone at `repo` (the folder `prefix` of it) with the
    head's settings; the report and the full sha. Raises RegressionError."""
    book = rulebook or default_rulebook()
    with base_checkout(repo, base_sha, settings, prefix) as (root, visible, sha):
        root.mkdir(parents=True, exist_ok=True)
        inventory = build_inventory(
            root,
            max_file_bytes=settings.max_file_bytes,
            exclude=settings.exclude,
            visible=visible,
            commit=sha,
            # A scanned subfolder is not a repository of its own, at the head either.
            is_git=not prefix,
        )
        if inventory.is_python_backend:
            runs = run_analyzers(ANALYZERS, inventory, book, settings, SilentProgress())
        else:
            runs = tuple(
                AnalyzerRun(a.name, AnalyzerStatus.SKIPPED, 0.0, tuple(a.criteria),
                            "not a Python backend repository")
                for a in ANALYZERS
            )
        return build_report(f"{display}@{sha[:7]}", inventory, runs, book, settings), sha
