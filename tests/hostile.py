"""A repository built to catch any tool that runs, or honours, what it scans.

    hostile = make_hostile_repo(tmp_path / "repo", tmp_path / "outside")
    ...scan hostile.root...
    assert hostile.fired() == []                 # no trap ran
    assert hostile.canary not in report_text     # nothing was read through a symlink

It is a small FastAPI app whose every way of getting code run writes a marker file:

- Python (`PYTHON_TRAPS`): a mypy plugin named by each of `mypy.ini`, `setup.cfg` and
  `pyproject.toml` (one plugin module per file, so a marker says which config was honoured),
  `conftest.py`, `setup.py`, `sitecustomize.py`, `usercustomize.py`, a top-level `.pth`
  file, and the app package's own `__init__.py` (imported = executed).
- git (`GIT_TRAPS`), set in `.git/config` after the commits were made (so building the
  repository fires nothing): `core.fsmonitor`, a `filter.evil` clean and smudge driver with
  `.gitattributes` `* filter=evil diff=evil`, a `diff.evil.textconv` driver, `diff.external`
  and an alias (both brought in through an `include.path`), `core.pager`, `core.sshCommand`
  (with an ssh `origin`), `log.showSignature` with `gpg.program` (HEAD carries a signature),
  and `pre-commit` / `post-checkout` hooks.
- Symlinks out of the repository (`symlinks`): to a text file and a Python file holding
  `CANARY`, and to the whole `outside` folder.

Markers live in a sibling folder (`<root>-markers` unless given), never inside the repo, so
a trap firing does not change what is scanned. `tests/test_hostile.py` proves every trap is
armed: plain git or Python running the repo's things does write each marker.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import git
from gitdb.base import IStream  # type: ignore[import-untyped]

CANARY = "OUTSIDE-CANARY-7f3a"
AUTHOR = git.Actor("Ada Learner", "ada@example.com")

PYTHON_TRAPS = (
    "mypy-plugin-mypy-ini",
    "mypy-plugin-setup-cfg",
    "mypy-plugin-pyproject",
    "conftest",
    "setup-py",
    "sitecustomize",
    "usercustomize",
    "pth",
    "app-import",
)
GIT_TRAPS = (
    "fsmonitor",
    "filter-clean",
    "filter-smudge",
    "textconv",
    "diff-external",
    "alias",
    "pager",
    "ssh-command",
    "gpg",
    "hook-pre-commit",
    "hook-post-checkout",
)

# Commit times, seconds since the epoch, UTC: fixed so histories can be asserted exactly.
_TIMES = (1_700_000_000, 1_700_003_600, 1_700_007_200)

_FAKE_SIGNATURE = """-----BEGIN PGP SIGNATURE-----

iQEzBAABCAAdFiEEhostileHOSTILEhostileHOSTILEhostileFAKEFAKEFAKE
=FAKE
-----END PGP SIGNATURE-----"""


@dataclass(frozen=True, slots=True)
class BuiltCommit:
    """What the builder committed, for exact assertions on history."""

    sha: str
    subject: str
    timestamp: int
    files: tuple[str, ...]  # paths added by this commit
    insertions: int  # lines added, as `git log --numstat` counts them


@dataclass(frozen=True, slots=True)
class HostileRepo:
    root: Path
    outside: Path
    canary: str
    markers: Mapping[str, Path]  # trap name (PYTHON_TRAPS + GIT_TRAPS) -> marker file
    commits: tuple[BuiltCommit, ...]  # oldest first
    symlinks: Mapping[str, Path]  # repo-relative link -> its target outside the repo
    author: str

    @property
    def head(self) -> str:
        return self.commits[-1].sha

    @property
    def tracked(self) -> set[str]:
        """Every path committed at HEAD."""
        return {path for commit in self.commits for path in commit.files}

    def fired(self) -> list[str]:
        """Names of the traps whose marker exists, in trap order; [] means nothing ran."""
        return [name for name, marker in self.markers.items() if marker.exists()]


def make_hostile_repo(path: Path, outside: Path, markers: Path | None = None) -> HostileRepo:
    """Build the hostile repository at `path` (created), its symlink targets in `outside`."""
    markers = markers or path.parent / f"{path.name}-markers"
    for folder in (path, outside, markers):
        folder.mkdir(parents=True, exist_ok=True)
    marker = {name: markers / f"{name}.fired" for name in PYTHON_TRAPS + GIT_TRAPS}
    (outside / "canary.txt").write_text(f"{CANARY}\n", encoding="utf-8")
    (outside / "canary.py").write_text(f'API_KEY = "{CANARY}"\n', encoding="utf-8")
    symlinks = {
        "docs/notes.md": outside / "canary.txt",
        "app/shared.py": outside / "canary.py",
        "shared": outside,
    }

    repo = git.Repo.init(path, initial_branch="main")
    commits = [
        _commit(repo, "Create FastAPI app", _TIMES[0], _app_files(marker)),
        _commit(repo, "Add tooling configuration", _TIMES[1], _tooling_files(marker)),
    ]
    for link, target in symlinks.items():
        (path / link).parent.mkdir(parents=True, exist_ok=True)
        (path / link).symlink_to(target)
    repo.index.add(list(symlinks))
    commits.append(_signed_commit(repo, "Link shared notes", _TIMES[2], tuple(symlinks)))
    _arm_git(repo, marker)
    return HostileRepo(
        root=path,
        outside=outside,
        canary=CANARY,
        markers=marker,
        commits=tuple(commits),
        symlinks=symlinks,
        author=AUTHOR.name or "",
    )


def _writes(marker: Path, what: str) -> str:
    """Python source appending `what` to `marker`."""
    return f"with open({str(marker)!r}, 'a') as _f:\n    _f.write({what!r} + '\\n')\n"


def _app_files(marker: Mapping[str, Path]) -> dict[str, str]:
    return {
        "README.md": "# Notes API\n\nA tiny FastAPI service.\n",
        "requirements.txt": "fastapi==0.115.0\nuvicorn==0.30.6\n",
        "app/__init__.py": _writes(marker["app-import"], "app package imported"),
        "app/main.py": (
            "from fastapi import FastAPI\n"
            "\n"
            "app = FastAPI()\n"
            "\n"
            "\n"
            '@app.get("/health")\n'
            "def health() -> dict[str, str]:\n"
            '    return {"status": "ok"}\n'
        ),
    }


def _tooling_files(marker: Mapping[str, Path]) -> dict[str, str]:
    plugin_tail = (
        "\n\ndef plugin(version):\n    from mypy.plugin import Plugin\n\n    return Plugin\n"
    )
    return {
        ".gitattributes": "* filter=evil diff=evil\n",
        "mypy.ini": "[mypy]\nplugins = evil_plugin_ini.py\n",
        "setup.cfg": "[metadata]\nname = notes-api\n\n[mypy]\nplugins = evil_plugin_cfg.py\n",
        "pyproject.toml": (
            '[project]\nname = "notes-api"\nversion = "0.1.0"\n\n'
            '[tool.mypy]\nplugins = ["evil_plugin_toml.py"]\n'
        ),
        "evil_plugin_ini.py": _writes(marker["mypy-plugin-mypy-ini"], "mypy.ini") + plugin_tail,
        "evil_plugin_cfg.py": _writes(marker["mypy-plugin-setup-cfg"], "setup.cfg") + plugin_tail,
        "evil_plugin_toml.py": _writes(marker["mypy-plugin-pyproject"], "pyproject") + plugin_tail,
        "conftest.py": _writes(marker["conftest"], "conftest imported"),
        "setup.py": _writes(marker["setup-py"], "setup.py run")
        + "\nfrom setuptools import setup\n\nsetup(name='notes-api')\n",
        "sitecustomize.py": _writes(marker["sitecustomize"], "sitecustomize imported"),
        "usercustomize.py": _writes(marker["usercustomize"], "usercustomize imported"),
        # site.py executes a .pth line that starts with "import".
        "zz_hostile.pth": f"import os; open({str(marker['pth'])!r}, 'a').write('pth\\n')\n",
    }


def _lines(content: str) -> int:
    return content.count("\n") + (0 if content.endswith("\n") or not content else 1)


def _commit(repo: git.Repo, subject: str, when: int, files: dict[str, str]) -> BuiltCommit:
    root = Path(repo.working_tree_dir or ".")
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
    # GitPython's index writes blobs itself: no git filter or hook is involved, and
    # skip_hooks keeps it that way even once hooks exist.
    repo.index.add(list(files))
    date = f"{when} +0000"
    commit = repo.index.commit(
        subject,
        author=AUTHOR,
        committer=AUTHOR,
        author_date=date,
        commit_date=date,
        skip_hooks=True,
    )
    return BuiltCommit(
        commit.hexsha,
        subject,
        when,
        tuple(sorted(files)),
        sum(_lines(content) for content in files.values()),
    )


def _signed_commit(repo: git.Repo, subject: str, when: int, files: tuple[str, ...]) -> BuiltCommit:
    """Commit the index with a (fake) PGP signature, which makes `log.showSignature` run gpg."""
    tree = repo.index.write_tree()
    ident = f"{AUTHOR.name} <{AUTHOR.email}> {when} +0000"
    signature = "\n ".join(_FAKE_SIGNATURE.split("\n"))
    body = (
        f"tree {tree.hexsha}\nparent {repo.head.commit.hexsha}\n"
        f"author {ident}\ncommitter {ident}\ngpgsig {signature}\n\n{subject}\n"
    ).encode()
    stored = repo.odb.store(IStream(b"commit", len(body), BytesIO(body)))
    sha = stored.hexsha.decode() if isinstance(stored.hexsha, bytes) else stored.hexsha
    repo.head.reference.set_commit(sha)
    # A link's blob is its target path, one line without a newline.
    return BuiltCommit(sha, subject, when, tuple(sorted(files)), len(files))


def _script(folder: Path, name: str, marker: Path, tail: str = "exit 0") -> Path:
    script = folder / name
    script.write_text(f"#!/bin/sh\necho {name} >> '{marker}'\n{tail}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def _arm_git(repo: git.Repo, marker: Mapping[str, Path]) -> None:
    git_dir = Path(repo.git_dir)
    scripts = git_dir / "hostile"
    scripts.mkdir()
    fsmonitor = _script(scripts, "fsmonitor", marker["fsmonitor"], "exit 1")
    clean = _script(scripts, "clean", marker["filter-clean"], "exec cat")
    smudge = _script(scripts, "smudge", marker["filter-smudge"], "exec cat")
    textconv = _script(scripts, "textconv", marker["textconv"], 'exec cat "$1"')
    external = _script(scripts, "external-diff", marker["diff-external"])
    alias = _script(scripts, "alias", marker["alias"])
    pager = _script(scripts, "pager", marker["pager"], "exec cat")
    ssh = _script(scripts, "ssh", marker["ssh-command"], "exit 1")
    gpg = _script(scripts, "gpg", marker["gpg"], "exit 1")
    hooks = git_dir / "hooks"
    hooks.mkdir(exist_ok=True)
    _script(hooks, "pre-commit", marker["hook-pre-commit"])
    _script(hooks, "post-checkout", marker["hook-post-checkout"])
    # Relative include paths are resolved from the including file's folder.
    (scripts / "include.gitconfig").write_text(
        f"[diff]\n\texternal = {external}\n[alias]\n\tlg = !{alias}\n", encoding="utf-8"
    )
    with (git_dir / "config").open("a", encoding="utf-8") as config:
        config.write(
            f"[core]\n\tfsmonitor = {fsmonitor}\n\tpager = {pager}\n\tsshCommand = {ssh}\n"
            f'[filter "evil"]\n\tclean = {clean}\n\tsmudge = {smudge}\n\trequired = true\n'
            f'[diff "evil"]\n\ttextconv = {textconv}\n'
            f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {gpg}\n"
            f'[remote "origin"]\n\turl = ssh://git.example.invalid/notes-api.git\n'
            f"\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
            "[include]\n\tpath = hostile/include.gitconfig\n"
        )


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under `root`, links not followed: path -> (mode, mtime_ns, content).

    Content is a file's bytes' hash or a link's target, so comparing two snapshots shows
    any file written, touched, added or removed, `.git/index` included.
    """
    entries: dict[str, tuple[int, int, str]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = Path(folder, name)
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                content = str(full.readlink())
            elif stat.S_ISREG(info.st_mode):
                content = hashlib.sha256(full.read_bytes()).hexdigest()
            else:
                content = ""
            entries[full.relative_to(root).as_posix()] = (info.st_mode, info.st_mtime_ns, content)
    return entries
