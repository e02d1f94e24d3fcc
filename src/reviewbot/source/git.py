"""Read git data from a repository that may be hostile, without letting it run anything.

A learner's repository, or a downloaded submission, brings its own `.git/config`, and that
file can name programs for git to run: `core.fsmonitor`, filter drivers, `diff.external`,
textconv drivers, `core.pager`, `gpg.program` (run by `log.showSignature`), `core.sshCommand`
(run by a lazy fetch from a promisor remote), hooks, aliases, and `include` paths that bring
in more of the same. Every command here therefore

- is plumbing or a read-only `log` whose diffs cannot call a driver (`--no-textconv
  --no-ext-diff --no-show-signature`; patches only as text, `added_lines`), never a command
  that refreshes the index, checks files out or talks to a remote;
- passes `-c` overrides, which outrank the repository's own config, for every key above that
  could still be reached, and forbids every transport so nothing is fetched;
- runs with an explicit `GIT_DIR`/`GIT_WORK_TREE` (so neither an inherited environment nor a
  parent folder's repository is used), `GIT_CONFIG_NOSYSTEM`, no terminal prompts and
  `GIT_OPTIONAL_LOCKS=0`, so git writes nothing into the learner's folder;
- is bounded in time, since an `include.path` naming a FIFO would otherwise block forever.

`tests/source/test_git.py` proves each trap of `tests/hostile.py` is armed for plain git and
stays silent here.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from git.cmd import Git
from git.exc import GitCommandNotFound

_log = logging.getLogger(__name__)

# Generous: these commands take milliseconds on a sane repository.
READ_TIMEOUT = 60.0

_TRANSPORTS = ("file", "git", "ssh", "http", "https", "ext", "fd")

# Command-line configuration outranks the repository's own. Each entry defuses one way a
# hostile .git/config could make git run a program or change what we read.
_SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.useReplaceRefs", "false"),
    ("core.untrackedCache", "false"),
    ("log.showSignature", "false"),
    ("gpg.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.program", "false"),
    ("diff.submodule", "short"),
    ("protocol.allow", "never"),
    # A repository's protocol.<name>.allow would beat protocol.allow; these beat it in turn.
    *((f"protocol.{name}.allow", "never") for name in _TRANSPORTS),
)

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_NUMSTAT = re.compile(r"(\d+|-)\t(\d+|-)\t.*")
# Author names and subjects are the repository's data: strip terminal control characters
# so an escape sequence in a commit cannot repaint the reviewer's terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """One commit of the history, newest first in `history()`."""

    sha: str
    author: str
    timestamp: int  # author date, seconds since the epoch
    subject: str
    files_changed: int
    insertions: int
    deletions: int


def _dot_git(root: Path) -> Path | None:
    """The repository's own `.git` entry; a symlinked one could lead out of the folder."""
    dot_git = root / ".git"
    if dot_git.is_symlink() or not (dot_git.is_dir() or dot_git.is_file()):
        return None
    return dot_git


def _environment(root: Path, dot_git: Path) -> dict[str, str]:
    return {
        "GIT_DIR": str(dot_git),
        "GIT_WORK_TREE": str(root),
        "GIT_CEILING_DIRECTORIES": str(root.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        # Drop configuration inherited from a calling git (e.g. when run from a hook).
        "GIT_CONFIG_PARAMETERS": "",
        "GIT_CONFIG_COUNT": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_SSH_COMMAND": "false",
        "GIT_PAGER": "cat",
        "GIT_NO_LAZY_FETCH": "1",
    }


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes | None:
    """Run one read-only git command in `root`; its stdout, or None when it fails.

    `stdin` feeds commands that read their requests from standard input (`cat-file --batch`).
    """
    root = root.absolute()
    dot_git = _dot_git(root)
    if dot_git is None:
        return None
    command = ["git", "--no-pager"]
    for key, value in _SAFE_CONFIG:
        command += ["-c", f"{key}={value}"]
    command += args
    try:
        with tempfile.TemporaryFile() as feed:
            # A file rather than a pipe: nothing can block on a full pipe buffer.
            feed.write(stdin or b"")
            feed.seek(0)
            status, stdout, stderr = Git(str(root)).execute(
                command,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                kill_after_timeout=READ_TIMEOUT,
                env=_environment(root, dot_git),
                istream=feed if stdin is not None else None,
            )
    except GitCommandNotFound:
        _log.warning("git is not installed; %s is read as a plain folder", root)
        return None
    if status != 0:
        _log.debug("git %s failed in %s: %s", args[0], root, stderr.strip())
        return None
    return stdout


def is_git_repo(root: Path) -> bool:
    """True when `root` itself (not a parent folder) is a git working tree git can read."""
    return _git(root, "rev-parse", "--git-dir") is not None


def git_dir(root: Path) -> Path | None:
    """The absolute git directory of `root` (differs from `root/.git` for worktrees)."""
    out = _git(root, "rev-parse", "--absolute-git-dir")
    return Path(os.fsdecode(out.strip())) if out else None


def head_commit(root: Path) -> str | None:
    """The full sha of HEAD; None outside a repository or before the first commit."""
    out = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if out is None:
        return None
    sha = out.decode("ascii", errors="replace").strip()
    return sha if _SHA.fullmatch(sha) else None


def tracked_paths(root: Path) -> set[str] | None:
    """Relative posix paths of every file committed at HEAD; None when there is no HEAD.

    Read from the commit's tree, not the index: reading the index can refresh it, which
    is what calls `core.fsmonitor`.
    """
    out = _git(root, "ls-tree", "-r", "-z", "--name-only", "--full-tree", "HEAD")
    if out is None:
        return None
    return {os.fsdecode(path) for path in out.split(b"\0") if path}


def visible_paths(root: Path) -> set[str] | None:
    """Paths git shows in `root`: in the index, or untracked and not ignored; None outside a repo.

    `ls-files` reads the index and the ignore files but never refreshes or rewrites the
    index (no stat check, GIT_OPTIONAL_LOCKS=0), so neither fsmonitor nor a filter runs.
    """
    out = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if out is None:
        return None
    # An untracked nested repository comes out as "dir/": another project, not files here.
    return {os.fsdecode(path) for path in out.split(b"\0") if path and not path.endswith(b"/")}


def history(root: Path, limit: int = 200) -> list[CommitInfo]:
    """The `limit` newest commits reachable from HEAD, newest first; [] when there are none.

    Merge commits report no file changes (their diffs are the merged branches' own).
    """
    out = _git(
        root,
        "log",
        "--no-textconv",
        "--no-ext-diff",
        "--no-show-signature",
        "--no-color",
        # Explicit, so the counts don't depend on anyone's diff.renames/diff.algorithm.
        "--find-renames",
        "--diff-algorithm=myers",
        "--numstat",
        "--format=%x1e%H%x1f%at%x1f%an%x1f%s",
        f"--max-count={max(0, limit)}",
        "HEAD",
        "--",
    )
    if out is None:
        return []
    return _parse_log(out.decode("utf-8", errors="replace"))


@dataclass(frozen=True, slots=True)
class AddedLine:
    """A line one commit added to one file (`line` numbers the file as of that commit)."""

    sha: str
    path: str
    line: int
    text: str


# Files above this size are diffed as binary (no lines): minified bundles and data dumps.
_PATCH_FILE_LIMIT = "512k"
_HUNK = re.compile(rb"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def added_lines(
    root: Path,
    commits: Sequence[str],
    max_bytes: int = 20_000_000,
    exclude: Sequence[str] = (),
) -> list[AddedLine]:
    """The lines `commits` (full shas, any order) added, as `log -p` shows them, leaving out
    files matching the `exclude` globs (`**/tests/**`).

    Diffs come without textconv or external diff drivers (a repository's `.gitattributes`
    cannot make git run a program here), without rename detection, with no context lines;
    merge commits add nothing of their own. At most `max_bytes` of patch text are read.
    """
    wanted = [sha for sha in commits if _SHA.fullmatch(sha)]
    if not wanted:
        return []
    excluded = [f":(exclude,glob){pattern}" for pattern in exclude]
    out = _git(
        root,
        "-c",
        f"core.bigFileThreshold={_PATCH_FILE_LIMIT}",
        "-c",
        "core.quotePath=false",
        "log",
        "--no-walk=unsorted",
        "--patch",
        "--unified=0",
        "--no-textconv",
        "--no-ext-diff",
        "--no-show-signature",
        "--no-color",
        "--no-renames",
        "--diff-algorithm=myers",
        "--diff-filter=AM",
        "--format=%x1e%H",
        *wanted,
        "--",
        *excluded,
    )
    return _parse_patches(out[:max_bytes]) if out else []


def _parse_patches(out: bytes) -> list[AddedLine]:
    found: list[AddedLine] = []
    sha = path = ""
    line = old_left = new_left = 0
    for raw in out.split(b"\n"):
        if old_left > 0 or new_left > 0:
            # Inside a hunk the counts say which line is which, whatever its text.
            if raw.startswith(b"-"):
                old_left -= 1
            elif raw.startswith(b"+"):
                new_left -= 1
                if path:
                    found.append(AddedLine(sha, path, line, raw[1:].decode("utf-8", "replace")))
                line += 1
            continue
        if raw.startswith(b"\x1e"):
            sha, path = raw[1:].decode("ascii", "replace"), ""
        elif raw.startswith(b"+++ "):
            # git ends a name holding a space with a tab, and quotes unusual names.
            target = raw[4:].rstrip(b"\t").strip(b'"')
            path = os.fsdecode(target[2:]) if target.startswith(b"b/") else ""
        elif hunk := _HUNK.match(raw):
            old_left = int(hunk[1]) if hunk[1] is not None else 1
            line = int(hunk[2])
            new_left = int(hunk[3]) if hunk[3] is not None else 1
    return found


def _parse_log(text: str) -> list[CommitInfo]:
    commits: list[CommitInfo] = []
    header: list[str] | None = None
    counts = [0, 0, 0]

    def flush() -> None:
        if header is None:
            return
        sha, timestamp, author, subject = header
        commits.append(
            CommitInfo(
                sha=sha,
                author=_CONTROL.sub("", author),
                timestamp=int(timestamp),
                subject=_CONTROL.sub("", subject),
                files_changed=counts[0],
                insertions=counts[1],
                deletions=counts[2],
            )
        )

    for line in text.split("\n"):
        if line.startswith("\x1e"):
            fields = line[1:].split("\x1f", 3)
            # A crafted commit can put separators in its author name; then the entry is
            # garbled, never a crash.
            if len(fields) == 4 and _SHA.fullmatch(fields[0]) and fields[1].isdigit():
                flush()
                header, counts = fields, [0, 0, 0]
        elif header is not None and _NUMSTAT.fullmatch(line):
            added, deleted, _ = line.split("\t", 2)
            counts[0] += 1
            # Binary files show "-": they changed, but have no lines to count.
            counts[1] += int(added) if added.isdigit() else 0
            counts[2] += int(deleted) if deleted.isdigit() else 0
    flush()
    return commits


# Reading one commit's files without checking them out. `git checkout`/`worktree add` would
# run the repository's filters and hooks; `ls-tree` and `cat-file --batch` only read objects.

_TREE_LINE = re.compile(rb"(\d{6}) (\w+) ([0-9a-f]{40}|[0-9a-f]{64}) +(\d+|-)\t(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One entry of a commit's tree, as `ls-tree -r -l` lists it."""

    mode: str  # "100644", "100755" (files), "120000" (symlink), "160000" (submodule)
    type: str  # "blob" or "commit"
    oid: str
    size: int | None  # blob size in bytes; None for submodules
    path: str  # relative to the repository root, forward slashes, never unquoted by git


def resolve_commit(root: Path, rev: str) -> str | None:
    """The full sha of commit `rev` when the clone holds it; None otherwise.

    `rev` must look like a sha: nothing here turns repository data into a revision expression.
    """
    if not re.fullmatch(r"[0-9a-f]{4,64}", rev):
        return None
    out = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if out is None:
        return None
    sha = out.decode("ascii", errors="replace").strip()
    return sha if _SHA.fullmatch(sha) else None


def tree_entries(root: Path, commit: str, prefix: str = "") -> list[TreeEntry] | None:
    """Every file, symlink and submodule of `commit` (a full sha) under `prefix`; None when
    the commit is not in the clone."""
    if not _SHA.fullmatch(commit):
        return None
    args = ["ls-tree", "-r", "-l", "-z", "--full-tree", commit]
    if prefix:
        # `:(literal)` so a folder name with glob characters means only itself.
        args += ["--", f":(literal){prefix.rstrip('/')}/"]
    out = _git(root, *args)
    if out is None:
        return None
    entries = []
    for record in out.split(b"\0"):
        match = _TREE_LINE.fullmatch(record)
        if match is None:
            continue
        mode, kind, oid, size, path = match.groups()
        entries.append(
            TreeEntry(
                mode=mode.decode(),
                type=kind.decode(),
                oid=oid.decode(),
                size=int(size) if size.isdigit() else None,
                path=os.fsdecode(path),
            )
        )
    return entries


def read_blobs(root: Path, oids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """The raw contents of blobs `oids`, in order, with `cat-file --batch`.

    Raw means as stored: no filter, textconv or end-of-line conversion runs. A missing object
    is left out. Raises OSError when git cannot be run at all.
    """
    wanted = [oid for oid in oids if _SHA.fullmatch(oid)]
    if not wanted:
        return
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in wanted).encode())
    if out is None:
        raise OSError(f"git cat-file failed in {root}")
    position = 0
    for _ in wanted:
        end = out.find(b"\n", position)
        if end < 0:
            return
        header = out[position:end].split(b" ")
        position = end + 1
        if len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
            continue  # "<oid> missing", or not a blob
        size = int(header[2])
        yield header[0].decode("ascii"), out[position : position + size]
        position += size + 1  # the content is followed by a newline


def object_format(root: Path) -> str | None:
    """`sha1` or `sha256`: the hash the repository's objects are named with."""
    out = _git(root, "rev-parse", "--show-object-format")
    return out.decode("ascii", errors="replace").strip() if out else None


def objects_dir(root: Path) -> Path | None:
    """The absolute folder holding the repository's objects (shared by its worktrees)."""
    out = _git(root, "rev-parse", "--path-format=absolute", "--git-path", "objects")
    return Path(os.fsdecode(out.strip())) if out else None
