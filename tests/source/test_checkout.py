"""Classifying sources and checking them out: real repositories, real git, real sockets."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import git
import pytest
from hostile import HostileRepo, make_hostile_repo, snapshot

from reviewbot.settings import Settings
from reviewbot.source.checkout import (
    CheckedOut,
    SourceError,
    SourceKind,
    SourceSpec,
    checkout,
    resolve_source,
)
from reviewbot.source.git import head_commit, history, tracked_paths, visible_paths

from .gitrepos import commit_files

T0 = 1_700_000_000
TOKEN = "ghp_SECRETTOKEN123"
TOKEN_BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
SETTINGS = Settings()


# --- fixtures -------------------------------------------------------------------------


class Origin:
    """A bare repository: main with 5 commits, tag v1 on the 3rd, branch feature/x off main."""

    def __init__(self, tmp_path: Path) -> None:
        work = git.Repo.init(tmp_path / "work", initial_branch="main")
        self.main = [
            commit_files(work, f"commit {n}", T0 + n, {"log.txt": f"{n}\n" * n}).hexsha
            for n in range(1, 6)
        ]
        work.create_tag("v1", ref=self.main[2])
        work.git.checkout("-q", "-b", "feature/x")
        self.feature = commit_files(work, "feature", T0 + 9, {"f.py": "x = 1\n"}).hexsha
        work.git.checkout("-q", "main")
        self.bare = tmp_path / "origin.git"
        git.Repo.clone_from(str(work.git_dir), self.bare, bare=True)
        self.url = self.bare.as_uri()
        self.shown = self.url.removesuffix(".git")


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    return Origin(tmp_path)


@pytest.fixture
def clone_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder temporary clones go to, so tests can see them come and go."""
    folder = tmp_path / "clones"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def hostile(tmp_path: Path) -> HostileRepo:
    return make_hostile_repo(tmp_path / "submission", tmp_path / "outside")


class FakeGitServer:
    """Answers every request with one status and records the Authorization headers seen."""

    def __init__(self, status: int) -> None:
        self.authorizations: list[str | None] = []
        seen = self.authorizations

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.headers.get("Authorization"))
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def git_server_404() -> Iterator[FakeGitServer]:
    server = FakeGitServer(404)
    yield server
    server.server.shutdown()


@pytest.fixture
def git_server_401() -> Iterator[FakeGitServer]:
    server = FakeGitServer(401)
    yield server
    server.server.shutdown()


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clone(spec: str, settings: Settings = SETTINGS) -> tuple[CheckedOut, int]:
    """Check `spec` out; what was checked out and its number of commits."""
    with checkout(resolve_source(spec, settings), settings) as out:
        return out, len(history(out.root))


def clone_error(spec: str, settings: Settings = SETTINGS) -> str:
    with pytest.raises(SourceError) as caught, checkout(resolve_source(spec, settings), settings):
        pass
    return str(caught.value)


# --- resolve_source -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "url", "ref", "display"),
    [
        (
            "https://github.com/o/r.git",
            SourceKind.GIT_URL,
            "https://github.com/o/r.git",
            None,
            None,
        ),
        ("https://github.com/o/r#v1.2", SourceKind.GIT_URL, "https://github.com/o/r", "v1.2", None),
        ("http://127.0.0.1:8080/o/r", SourceKind.GIT_URL, "http://127.0.0.1:8080/o/r", None, None),
        (
            "ssh://git@host.example/o/r.git",
            SourceKind.GIT_URL,
            "ssh://git@host.example/o/r.git",
            None,
            None,
        ),
        ("git@github.com:o/r.git", SourceKind.GIT_URL, "git@github.com:o/r.git", None, None),
        ("git://host.example/o/r", SourceKind.GIT_URL, "git://host.example/o/r", None, None),
        ("file:///srv/git/r.git", SourceKind.GIT_URL, "file:///srv/git/r.git", None, None),
        (
            "https://ada:s3cret@host.example/o/r",
            SourceKind.GIT_URL,
            "https://ada:s3cret@host.example/o/r",
            None,
            "https://***@host.example/o/r",
        ),
        (
            "https://ghp_abc@host.example/o/r",
            SourceKind.GIT_URL,
            "https://ghp_abc@host.example/o/r",
            None,
            "https://***@host.example/o/r",
        ),
        ("o/r", SourceKind.GITHUB, "https://github.com/o/r.git", None, None),
        (
            "octo-cat/my.repo_1@main",
            SourceKind.GITHUB,
            "https://github.com/octo-cat/my.repo_1.git",
            "main",
            None,
        ),
        ("o/r.git@feature/x", SourceKind.GITHUB, "https://github.com/o/r.git", "feature/x", None),
        ("o/r@" + "a" * 40, SourceKind.GITHUB, "https://github.com/o/r.git", "a" * 40, None),
    ],
)
def test_resolve_remote_sources(
    spec: str, kind: SourceKind, url: str, ref: str | None, display: str | None
) -> None:
    assert resolve_source(spec, SETTINGS) == SourceSpec(kind, display or spec, url=url, ref=ref)


def test_spec_repr_hides_url_credentials() -> None:
    spec = resolve_source("https://ada:s3cret@host.example/o/r", SETTINGS)
    assert "s3cret" not in repr(spec)


def test_shorthand_uses_the_configured_github_url() -> None:
    settings = Settings(github_url="https://ghe.example.com/")
    assert resolve_source("o/r@v2", settings).url == "https://ghe.example.com/o/r.git"


def test_resolve_local_folder(tmp_path: Path) -> None:
    assert resolve_source(str(tmp_path), SETTINGS) == SourceSpec(
        SourceKind.LOCAL, str(tmp_path), path=tmp_path.resolve()
    )


def test_existing_folder_wins_over_shorthand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "o" / "r").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert resolve_source("o/r", SETTINGS) == SourceSpec(
        SourceKind.LOCAL, "o/r", path=(tmp_path / "o" / "r").resolve()
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("xyz", "not a folder, git URL or owner/repo: 'xyz'"),
        ("", "not a folder, git URL or owner/repo: ''"),
        ("./missing", "path does not exist: ./missing"),
        ("/nonexistent/reviewbot/dir", "path does not exist: /nonexistent/reviewbot/dir"),
        ("a/b/c", "path does not exist: a/b/c"),
        (
            "ext::sh -c touch% /tmp/x",
            "transport 'ext::' is not allowed (use https, http, ssh, git, file)",
        ),
        ("fd::17", "transport 'fd::' is not allowed (use https, http, ssh, git, file)"),
        (
            "ftp://host.example/r.git",
            "transport 'ftp' is not allowed (use https, http, ssh, git, file)",
        ),
        (
            "ssh://-oProxyCommand=touch%20x/r",
            "not a valid git URL: ssh://-oProxyCommand=touch%20x/r",
        ),
        ("https://host.example:99999/r", "not a valid git URL: https://host.example:99999/r"),
        ("o/r@-upload-pack=x", "not a valid branch, tag or commit: '-upload-pack=x'"),
        ("o/r@a..b", "not a valid branch, tag or commit: 'a..b'"),
        ("https://host.example/r#x y", "not a valid branch, tag or commit: 'x y'"),
        ("http://[::1]/r.git", "not a valid git URL: http://[::1]/r.git"),
    ],
)
def test_resolve_refuses(spec: str, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        resolve_source(spec, SETTINGS)
    assert str(caught.value) == message


def test_existing_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SourceError) as caught:
        resolve_source(str(tmp_path / "notes.txt"), SETTINGS)
    assert str(caught.value) == f"not a folder: {tmp_path / 'notes.txt'}"


def test_ext_transport_is_refused_and_runs_nothing(tmp_path: Path, clone_tmp: Path) -> None:
    marker = tmp_path / "ext-ran"
    payload = f"ext::sh -c touch% {marker}"
    # The payload is real: git with ext allowed does run it.
    subprocess.run(
        ["git", "-c", "protocol.ext.allow=always", "clone", payload, str(tmp_path / "x")],
        check=False,
        capture_output=True,
        timeout=60,
    )
    assert marker.exists()
    marker.unlink()
    with pytest.raises(SourceError) as caught:
        resolve_source(payload, SETTINGS)
    assert str(caught.value) == "transport 'ext::' is not allowed (use https, http, ssh, git, file)"
    # A SourceSpec made by hand does not get past checkout either.
    forged = SourceSpec(SourceKind.GIT_URL, "forged", url=payload)
    with pytest.raises(SourceError), checkout(forged, SETTINGS):
        pass
    assert not marker.exists()
    assert list(clone_tmp.iterdir()) == []


# --- clones ---------------------------------------------------------------------------


def test_clone_is_shallow_single_branch_without_tags(origin: Origin, clone_tmp: Path) -> None:
    settings = Settings(clone_depth=2)
    with checkout(resolve_source(origin.url, settings), settings) as out:
        assert out.root.parent.parent == clone_tmp
        assert out == CheckedOut(
            root=out.root,
            display=origin.url,
            commit=origin.main[4],
            is_git=True,
            git_dir=out.root / ".git",
        )
        assert [c.sha for c in history(out.root)] == [origin.main[4], origin.main[3]]
        refs = {ref.path for ref in git.Repo(out.root).refs}
        assert refs == {"refs/heads/main", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"}
    assert list(clone_tmp.iterdir()) == []


def test_clone_depth_zero_is_full(origin: Origin, clone_tmp: Path) -> None:
    assert clone(origin.url, Settings(clone_depth=0))[1] == 5


def test_clone_a_branch(origin: Origin, clone_tmp: Path) -> None:
    out, commits = clone(f"{origin.url}#feature/x", Settings(clone_depth=2))
    assert (out.commit, commits) == (origin.feature, 2)


def test_clone_a_tag(origin: Origin, clone_tmp: Path) -> None:
    out, commits = clone(f"{origin.url}#v1", Settings(clone_depth=2))
    assert (out.commit, commits) == (origin.main[2], 2)


def test_clone_a_commit(origin: Origin, clone_tmp: Path) -> None:
    out, commits = clone(f"{origin.url}#{origin.main[2]}", Settings(clone_depth=2))
    assert (out.commit, commits) == (origin.main[2], 2)
    assert out.is_git is True


def test_github_shorthand_with_ref(origin: Origin, tmp_path: Path, clone_tmp: Path) -> None:
    (tmp_path / "gh" / "ada").mkdir(parents=True)
    origin.bare.rename(tmp_path / "gh" / "ada" / "notes.git")
    settings = Settings(github_url=(tmp_path / "gh").as_uri(), clone_depth=1)
    out, commits = clone("ada/notes@feature/x", settings)
    assert (out.display, out.commit, commits) == ("ada/notes@feature/x", origin.feature, 1)


def test_missing_branch(origin: Origin, clone_tmp: Path) -> None:
    message = clone_error(f"{origin.url}#nope")
    assert message == f"cannot clone {origin.shown}: branch or tag 'nope' not found"
    assert list(clone_tmp.iterdir()) == []


def test_missing_commit(origin: Origin, clone_tmp: Path) -> None:
    sha = "0123456789" * 4
    message = clone_error(f"{origin.url}#{sha}")
    assert message == f"cannot clone {origin.shown}: commit {sha} not found"
    assert list(clone_tmp.iterdir()) == []


def test_missing_repository(tmp_path: Path, clone_tmp: Path) -> None:
    url = (tmp_path / "nothing.git").as_uri()
    message = clone_error(url)
    assert message == f"cannot clone {url[:-4]}: repository not found or access denied"


def test_clone_removed_after_an_error_in_the_block(origin: Origin, clone_tmp: Path) -> None:
    with pytest.raises(KeyboardInterrupt), checkout(resolve_source(origin.url, SETTINGS), SETTINGS):
        assert len(list(clone_tmp.iterdir())) == 1
        raise KeyboardInterrupt
    assert list(clone_tmp.iterdir()) == []


def test_clone_over_the_size_cap(tmp_path: Path, clone_tmp: Path) -> None:
    work = git.Repo.init(tmp_path / "big", initial_branch="main")
    commit_files(work, "blob", T0, {"data.bin": os.urandom(300_000)})
    url = (tmp_path / "big").as_uri()
    message = clone_error(url, Settings(clone_max_bytes=100_000))
    assert message == f"cannot clone {url}: repository is larger than 100 kB"
    assert list(clone_tmp.iterdir()) == []
    # The same repository fits under a larger cap.
    assert clone(url, Settings(clone_max_bytes=5_000_000))[1] == 1


def test_clone_past_the_time_limit(clone_tmp: Path) -> None:
    # A server that accepts connections (the kernel does) and never answers.
    with socket.create_server(("127.0.0.1", 0), backlog=8) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/slow/repo.git"
        started = time.monotonic()
        message = clone_error(url, Settings(clone_timeout=1.0))
        elapsed = time.monotonic() - started
    assert message == f"cannot clone {url[:-4]}: clone took longer than 1 s"
    assert 1.0 <= elapsed < 10
    assert list(clone_tmp.iterdir()) == []


# --- the GitHub token -----------------------------------------------------------------


def test_token_is_sent_only_to_the_github_host(
    git_server_404: FakeGitServer, clone_tmp: Path
) -> None:
    settings = Settings(github_url=git_server_404.url, github_token=TOKEN)
    message = clone_error("ada/private", settings)
    assert message == (
        f"cannot clone {git_server_404.url}/ada/private: "
        "repository not found or GITHUB_TOKEN cannot read it"
    )
    assert git_server_404.authorizations == [f"basic {TOKEN_BASIC}"]
    # The same server named by a plain URL while GitHub is elsewhere: no token for it.
    git_server_404.authorizations.clear()
    elsewhere = Settings(github_url="https://github.com", github_token=TOKEN)
    message = clone_error(f"{git_server_404.url}/ada/private.git", elsewhere)
    assert message == (
        f"cannot clone {git_server_404.url}/ada/private: repository not found or access denied"
    )
    assert git_server_404.authorizations == [None]


def test_private_repository_without_token(git_server_401: FakeGitServer, clone_tmp: Path) -> None:
    settings = Settings(github_url=git_server_401.url)
    assert clone_error("ada/private", settings) == (
        f"cannot clone {git_server_401.url}/ada/private: "
        "repository not found or private (set GITHUB_TOKEN)"
    )


def test_token_never_appears_in_errors_or_logs(
    clone_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    settings = Settings(github_url=f"http://127.0.0.1:{port}", github_token=TOKEN)
    caplog.set_level("DEBUG")
    with pytest.raises(SourceError) as caught, checkout(resolve_source("o/r", settings), settings):
        pass
    error = caught.value
    assert str(error) == f"cannot clone http://127.0.0.1:{port}/o/r: cannot reach 127.0.0.1:{port}"
    assert error.__cause__ is None
    everything = f"{error!s} {error!r} {error.__context__!r} {caplog.text}"
    assert TOKEN not in everything
    assert TOKEN_BASIC not in everything
    assert TOKEN not in repr(settings)
    assert list(clone_tmp.iterdir()) == []


def test_credentials_in_a_url_are_masked_in_errors(clone_tmp: Path) -> None:
    port = closed_port()
    message = clone_error(f"http://ada:s3cret@127.0.0.1:{port}/o/r.git")
    assert message == f"cannot clone http://***@127.0.0.1:{port}/o/r: cannot reach 127.0.0.1:{port}"


# --- local folders and the hostile repository -----------------------------------------


def scan_like_read(root: Path) -> None:
    """Read every regular file, as the inventory does, without following links."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                path.read_bytes()
    head_commit(root)
    tracked_paths(root)
    visible_paths(root)
    history(root)


def test_local_folder_is_read_in_place_and_left_untouched(hostile: HostileRepo) -> None:
    before = snapshot(hostile.root)
    with checkout(resolve_source(str(hostile.root), SETTINGS), SETTINGS) as out:
        assert out == CheckedOut(
            root=hostile.root.resolve(),
            display=str(hostile.root),
            commit=hostile.head,
            is_git=True,
            git_dir=hostile.root.resolve() / ".git",
        )
        scan_like_read(out.root)
    assert snapshot(hostile.root) == before
    assert hostile.fired() == []


def test_local_folder_without_git(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with checkout(resolve_source(str(tmp_path / "plain"), SETTINGS), SETTINGS) as out:
        assert out == CheckedOut(tmp_path / "plain", str(tmp_path / "plain"), None, False, None)


def test_local_folder_inside_a_repository_is_not_git(hostile: HostileRepo) -> None:
    with checkout(resolve_source(str(hostile.root / "app"), SETTINGS), SETTINGS) as out:
        assert (out.is_git, out.commit, out.git_dir) == (False, None, None)


def test_hostile_repository_cloned_over_file_url(hostile: HostileRepo, clone_tmp: Path) -> None:
    url = hostile.root.as_uri()
    with checkout(resolve_source(url, SETTINGS), SETTINGS) as out:
        assert (out.commit, out.is_git) == (hostile.head, True)
        assert tracked_paths(out.root) == hostile.tracked
        assert [c.sha for c in history(out.root)] == [c.sha for c in reversed(hostile.commits)]
        # Links arrive as links, pointing where they pointed; nothing was smudged.
        assert (out.root / "shared").readlink() == hostile.outside
        assert (out.root / "README.md").read_text() == "# Notes API\n\nA tiny FastAPI service.\n"
        scan_like_read(out.root)
    assert hostile.fired() == []
    assert list(clone_tmp.iterdir()) == []
