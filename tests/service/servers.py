"""Real servers for the service tests: the app under uvicorn in a thread, and Redis and
PostgreSQL from the Debian packages for the scale-out tests.

Each server runs in its own temporary folder on a free loopback port and is stopped by
`stop()`. PostgreSQL refuses to run as root: when the tests run as root (CI does), the
server runs as `nobody`, owning its data folder; as a normal user it runs as that user.
Tests skip only when the binaries are absent (CI installs `redis-server` and `postgresql`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import redis
import uvicorn

START_SECONDS = 30.0


class Server:
    """uvicorn serving `app` on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> Server:
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(60)  # a worker finishes its job first
        self._sock.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_binary() -> str | None:
    """The path of `redis-server`, or None when it is not installed."""
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(p).exists()),
        None)


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps it off PATH), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class RedisServer:
    """`redis-server` without persistence on `port` (a free one by default)."""

    def __init__(self, port: int | None = None) -> None:
        binary = redis_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = Path(tempfile.mkdtemp(prefix="reviewbot-redis-"))
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self._dir), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError as exc:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start on port {self.port}"
                                       ) from exc
                time.sleep(0.05)
        client.close()

    def url_for(self, db: int) -> str:
        """The URL of logical database `db` (each test uses its own)."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(30)
        shutil.rmtree(self._dir, ignore_errors=True)


class PostgresServer:
    """A PostgreSQL cluster made by `initdb` in a temporary folder, on a free port, with
    its socket in that folder; trust authentication for the user `reviewbot`."""

    USER = "reviewbot"

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL (initdb) is not installed")
        self._bindir = bindir
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="reviewbot-pg-"))
        self._data = self._dir / "data"
        self._data.mkdir()
        self._as: list[str] = []
        if os.geteuid() == 0:  # postgres refuses root: run it as nobody, owning the folder
            shutil.chown(self._dir, "nobody")
            shutil.chown(self._data, "nobody")
            self._as = ["runuser", "-u", "nobody", "--"]
        self._run("initdb", "-D", str(self._data), "-U", self.USER, "--auth=trust",
                  "--no-locale", "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run("pg_ctl", "-D", str(self._data), "-o", options, "-l",
                  str(self._dir / "server.log"), "-w", "-t", str(int(START_SECONDS)), "start")
        self._databases = 0

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run([*self._as, str(self._bindir / program), *args], check=False,
                                capture_output=True, text=True, cwd=self._dir)
        if result.returncode != 0:
            log = self._dir / "server.log"
            raise RuntimeError(f"{program} failed: {result.stderr}"
                               + (log.read_text() if log.exists() else ""))

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL (psycopg 3)."""
        self._databases += 1
        name = f"test_{self._databases}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.USER,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the cluster at once and remove its folder."""
        try:
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
