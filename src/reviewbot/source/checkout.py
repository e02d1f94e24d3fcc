"""Where the code to review comes from: a local folder, a git URL or a GitHub `owner/repo`.

`resolve_source` classifies what the user typed; `checkout` turns it into a folder to read.
Local folders are read in place and never written to. Remote sources are cloned shallow,
single-branch, without tags, submodules, LFS, hooks or filters, over an allow-list of
transports, bounded in time and size, into a temporary folder that is removed afterwards
whatever happens. A GitHub token is handed to git through the environment (never the
command line or a URL) and scrubbed from every message.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from git.cmd import Git
from git.exc import GitCommandNotFound, UnsafeProtocolError

from reviewbot.settings import Settings
from reviewbot.source import git as gitread

ALLOWED_PROTOCOLS = ("https", "http", "ssh", "git", "file")

# Applied to every git command of a clone. Command-line config outranks the user's own;
# the cloned repository brings no config, but it does bring .gitattributes naming filters.
_CLONE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("filter.lfs.smudge", ""),
    ("filter.lfs.process", ""),
    ("filter.lfs.required", "false"),
    ("submodule.recurse", "false"),
    # A credential helper may pop up a window and wait; GITHUB_TOKEN is the way in.
    ("credential.helper", ""),
    ("protocol.allow", "never"),
    *((f"protocol.{name}.allow", "always") for name in ALLOWED_PROTOCOLS),
)

_POLL_SECONDS = 0.2
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_TRANSPORT = re.compile(r"([A-Za-z0-9][A-Za-z0-9+.-]*)::")
_SCP_LIKE = re.compile(r"(?:[A-Za-z0-9._~-]+@)?([A-Za-z0-9][A-Za-z0-9.-]*):(?!//)\S.*")
_GITHUB = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]+?)(?:\.git)?(?:@(.+))?")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/+-]*")
_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
# Over http(s) a user name alone can be a token (https://ghp_xxx@github.com/...).
_HTTP_USERINFO = re.compile(r"(https?://)[^/@\s]+@", re.IGNORECASE)
_PASSWORD = re.compile(r"(://[^/@:\s]*):[^/@\s]*@")


class SourceError(Exception):
    """The source can't be read or cloned. The message is one line, for humans."""


class SourceKind(StrEnum):
    LOCAL = "local"
    GIT_URL = "git-url"
    GITHUB = "github"


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A classified source. Holds no secret: the token is taken from Settings at clone time."""

    kind: SourceKind
    display: str  # as the user gave it, credentials masked
    path: Path | None = None  # LOCAL: the folder, resolved
    # GIT_URL, GITHUB: what git clones; may hold the user's own credentials, so not in repr
    url: str | None = field(default=None, repr=False)
    ref: str | None = None  # branch, tag or full commit sha; None = default branch


@dataclass(frozen=True, slots=True)
class CheckedOut:
    """A folder ready to be read, valid inside the `checkout` block."""

    root: Path
    display: str
    commit: str | None
    is_git: bool
    git_dir: Path | None


def resolve_source(spec: str, settings: Settings) -> SourceSpec:
    """Classify `spec`: an existing folder, a git URL (`URL#ref` picks a ref) or `owner/repo[@ref]`.

    Raises SourceError for anything else, including URLs over transports outside
    ALLOWED_PROTOCOLS (`ext::` would run a command).
    """
    text = spec.strip()
    if not text or _has_control(text):
        raise SourceError(f"not a folder, git URL or owner/repo: {_mask(text)!r}")
    try:
        path = Path(text).expanduser()
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, RuntimeError):  # unknown ~user, name too long
        is_dir = exists = False
    if is_dir:
        return SourceSpec(SourceKind.LOCAL, display=text, path=path.resolve())
    if exists:
        raise SourceError(f"not a folder: {text}")
    if _TRANSPORT.match(text) or _SCHEME.match(text) or _is_scp_like(text):
        url, _, ref = text.partition("#")
        _check_url(url)
        return SourceSpec(SourceKind.GIT_URL, _mask(text), url=url, ref=_check_ref(ref or None))
    shorthand = _GITHUB.fullmatch(text)
    if shorthand and shorthand.group(2) not in (".", ".."):
        owner, repo, ref = shorthand.groups()
        url = f"{settings.github_url.rstrip('/')}/{owner}/{repo}.git"
        return SourceSpec(SourceKind.GITHUB, text, url=url, ref=_check_ref(ref))
    if text.startswith(("/", "./", "../", "~", ".")) or "/" in text:
        raise SourceError(f"path does not exist: {text}")
    raise SourceError(f"not a folder, git URL or owner/repo: {text!r}")


@contextmanager
def checkout(spec: SourceSpec, settings: Settings) -> Iterator[CheckedOut]:
    """Yield a readable folder for `spec`; a clone's temporary folder is removed on exit."""
    if spec.kind is SourceKind.LOCAL:
        if spec.path is None or not spec.path.is_dir():
            raise SourceError(f"path does not exist: {spec.display}")
        yield _describe(spec.path, spec.display)
        return
    workdir = Path(tempfile.mkdtemp(prefix="reviewbot-clone-"))
    try:
        dest = workdir / "repo"
        _Clone(spec, settings, workdir).into(dest)
        yield _describe(dest, spec.display)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _describe(root: Path, display: str) -> CheckedOut:
    is_git = gitread.is_git_repo(root)
    return CheckedOut(
        root=root,
        display=display,
        commit=gitread.head_commit(root) if is_git else None,
        is_git=is_git,
        git_dir=gitread.git_dir(root) if is_git else None,
    )


def _has_control(text: str) -> bool:
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in text)


def _mask(text: str) -> str:
    """`text` with credentials in URLs replaced by `***` (an ssh user name is kept)."""
    return _PASSWORD.sub(r"\1:***@", _HTTP_USERINFO.sub(r"\1***@", text))


def _is_scp_like(text: str) -> bool:
    """git's `[user@]host:path`: a colon before any slash, and a host that looks like one."""
    match = _SCP_LIKE.fullmatch(text)
    if match is None or "/" in text.split(":", 1)[0]:
        return False
    host = match.group(1)
    return "." in host or host == "localhost" or "@" in text.split(":", 1)[0]


def _check_url(url: str) -> None:
    allowed = ", ".join(ALLOWED_PROTOCOLS)
    transport = _TRANSPORT.match(url)
    if transport:
        raise SourceError(f"transport '{transport.group(1)}::' is not allowed (use {allowed})")
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        host = _SCP_LIKE.fullmatch(url)
        if host is None or not _HOST.fullmatch(host.group(1)):
            raise SourceError(f"not a valid git URL: {_mask(url)}")
        return
    scheme = scheme_match.group(1).lower()
    if scheme not in ALLOWED_PROTOCOLS:
        raise SourceError(f"transport '{scheme}' is not allowed (use {allowed})")
    parts = urlsplit(url)
    try:
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise SourceError(f"not a valid git URL: {_mask(url)}") from None
    # A host starting with "-" would reach ssh as an option (CVE-2017-1000117).
    valid = bool(parts.path) if scheme == "file" else _HOST.fullmatch(parts.hostname or "")
    if not valid:
        raise SourceError(f"not a valid git URL: {_mask(url)}")


def _check_ref(ref: str | None) -> str | None:
    if ref is None:
        return None
    bad = not _REF.fullmatch(ref) or ".." in ref or "//" in ref or ref.endswith(("/", ".", ".lock"))
    if bad:
        raise SourceError(f"not a valid branch, tag or commit: {ref!r}")
    return ref


def _tree_bytes(folder: Path) -> int:
    """Apparent size of everything under `folder`, symlinks not followed."""
    total = 0
    stack = [folder]
    while stack:
        with suppress(OSError), os.scandir(stack.pop()) as entries:
            for entry in entries:
                with suppress(OSError):  # git renames and deletes temp files as it goes
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    else:
                        total += entry.stat(follow_symlinks=False).st_size
    return total


def _human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB"):
        if value < 1000:
            return f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} GB"


class _Clone:
    """One bounded clone: the git commands, their shared deadline and size budget."""

    def __init__(self, spec: SourceSpec, settings: Settings, workdir: Path) -> None:
        if spec.url is None:
            raise SourceError(f"nothing to clone for {spec.display}")
        # Checked again here: a SourceSpec can be built without resolve_source.
        _check_url(spec.url)
        try:
            Git.check_unsafe_protocols(spec.url)
        except UnsafeProtocolError:
            raise SourceError(f"not a valid git URL: {_mask(spec.url)}") from None
        self.url = spec.url
        self.ref = _check_ref(spec.ref)
        self.settings = settings
        self.workdir = workdir
        self.shown = _mask(spec.url).removesuffix(".git")
        self.deadline = time.monotonic() + settings.clone_timeout
        self.token = settings.github_token if self._is_github(spec.url) else None
        self.secrets: tuple[str, ...] = ()
        self.env = self._environment()

    def into(self, dest: Path) -> None:
        depth = [f"--depth={self.settings.clone_depth}"] if self.settings.clone_depth > 0 else []
        fetch = ["--quiet", "--no-tags", "--no-recurse-submodules", *depth]
        if self.ref is not None and _FULL_SHA.fullmatch(self.ref):
            # A commit is not something `clone --branch` can name: fetch it by id instead.
            self._run(["init", "--quiet", str(dest)])
            self._run(["-C", str(dest), "fetch", *fetch, "--", self.url, self.ref])
            self._run(["-C", str(dest), "checkout", "--quiet", "--detach", self.ref])
        else:
            branch = [f"--branch={self.ref}"] if self.ref else []
            self._run(["clone", *fetch, "--single-branch", *branch, "--", self.url, str(dest)])

    def _is_github(self, url: str) -> bool:
        base = self.settings.github_url.rstrip("/").lower()
        return url.lower().startswith(base + "/")

    def _environment(self) -> dict[str, str]:
        env = {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=30",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "GIT_TRACE_REDACT": "1",
            "GIT_CONFIG_PARAMETERS": "",
            "GIT_CONFIG_COUNT": "0",
        }
        if self.token:
            # Through GIT_CONFIG_* rather than `-c`: the command line is visible to every
            # local user in `ps` and is quoted in git's own error messages.
            basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
            base = self.settings.github_url.rstrip("/")
            env["GIT_CONFIG_COUNT"] = "1"
            env["GIT_CONFIG_KEY_0"] = f"http.{base}/.extraheader"
            env["GIT_CONFIG_VALUE_0"] = f"AUTHORIZATION: basic {basic}"
            self.secrets = (self.token, basic)
        return env

    def _run(self, args: list[str]) -> None:
        command = ["git"]
        for key, value in _CLONE_CONFIG:
            command += ["-c", f"{key}={value}"]
        command += args
        try:
            handle = Git(str(self.workdir)).execute(
                command, as_process=True, env=self.env, start_new_session=True
            )
        except GitCommandNotFound:
            raise SourceError("git is not installed") from None
        process = handle.proc
        if process is None:  # execute(as_process=True) always sets it
            raise SourceError(f"cannot clone {self.shown}: git did not start")
        try:
            stderr = self._wait(process)
        finally:
            if process.poll() is None:
                # Git and its helpers (remote-https, index-pack, upload-pack) share the
                # session started for them: stop them all.
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process.returncode != 0:
            raise SourceError(f"cannot clone {self.shown}: {self._explain(stderr)}")
        self._check_size()

    def _wait(self, process: subprocess.Popen[Any]) -> str:
        while True:
            try:
                _, stderr = process.communicate(timeout=_POLL_SECONDS)
                return (stderr or b"").decode("utf-8", errors="replace")
            except subprocess.TimeoutExpired:
                if time.monotonic() > self.deadline:
                    raise SourceError(
                        f"cannot clone {self.shown}: clone took longer than "
                        f"{self.settings.clone_timeout:g} s"
                    ) from None
                self._check_size()

    def _check_size(self) -> None:
        limit = self.settings.clone_max_bytes
        if _tree_bytes(self.workdir) > limit:
            raise SourceError(
                f"cannot clone {self.shown}: repository is larger than {_human_bytes(limit)}"
            )

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _mask(text)

    def _explain(self, stderr: str) -> str:
        """One line saying why git failed, from its stderr; secrets scrubbed."""
        text = self._scrub(stderr)
        low = text.lower()
        for needles, reason in self._known_failures():
            if any(needle in low for needle in needles):
                return reason
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        reason = (fatal or lines or ["git failed"])[-1].removeprefix("fatal:")
        return reason.removeprefix("error:").strip()[:300]

    def _known_failures(self) -> list[tuple[tuple[str, ...], str]]:
        """(pieces of git's stderr, lowercased; what to tell the user), first match wins."""
        host = urlsplit(self.url).netloc.rpartition("@")[2] if "://" in self.url else ""
        if self.token:
            missing = "repository not found or GITHUB_TOKEN cannot read it"
        elif self._is_github(self.url):
            missing = "repository not found or private (set GITHUB_TOKEN)"
        else:
            missing = "repository not found or access denied"
        return [
            (("not found in upstream",), f"branch or tag '{self.ref}' not found"),
            (("not our ref", "couldn't find remote ref"), f"commit {self.ref} not found"),
            (("failed to connect", "could not resolve host"), f"cannot reach {host or 'host'}"),
            (
                (
                    "not found",
                    "could not read username",
                    "authentication failed",
                    "does not appear to be a git repository",
                    "requested url returned error: 40",
                ),
                missing,
            ),
        ]
