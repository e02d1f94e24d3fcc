"""Load benchmark of the webhook service: acknowledgement latency, then jobs per minute.

    python bench/webhook_load.py ack  [-n 1000] [-c 200] [--url URL --secret S --database-url DB]
    python bench/webhook_load.py jobs [-k 8] [--workers 1 2]

`ack` sends N signed `pull_request` deliveries (built from the shared fixtures, each with its
own delivery id and head sha) at concurrency C and prints the acknowledgement latency
percentiles, the throughput and the status counts, then checks that every delivery was
stored as a job. Without `--url` it starts `reviewbot serve` on loopback with a temporary
SQLite database and no GitHub access, so no job runs and only the webhook path is measured.

`jobs` measures reviews completed per minute: `reviewbot serve` with REVIEWBOT_WORKERS=W
(each W of `--workers`) reaches the fake GitHub of the test suite, run in this process, as a
GitHub App; K pushes to the default branch of a repository served over git smart HTTP are
reviewed end to end (installation token, clone, scan, store, check run). The repository's K
commits alternate between the trees of examples/learner-api and examples/good-api, so with
the result cache on (the default; empty at the start of each run) a scan reuses what an
earlier job computed for unchanged files; `--no-cache` measures cold scans.

Only loopback addresses are used. The shared fixtures are found through REVIEWBOT_SHARED or
next to the repository (`../shared`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import importlib
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import git
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REVIEWBOT_SHARED") or ROOT.parent / "shared")
WEBHOOKS = SHARED / "github-fixtures" / "webhooks"
OPERATIONS = SHARED / "github-fixtures" / "rest" / "operations.json"
REPOSITORY = "bootcamp/blog-api"
APP_ID, INSTALLATION = 4242, 17
EXAMPLES = ("learner-api", "good-api")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_headers(event: str, delivery: str, signature: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/bench",
            "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": signature}


@contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[str]:
    """`reviewbot serve` on a free loopback port with `env`; yields its URL."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("reviewbot")), "serve", "--host",
               "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out,
                                   stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"reviewbot serve exited: see {log}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("reviewbot serve did not start in 60 s")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# Acknowledgement latency.

def pull_request_bodies(count: int) -> list[tuple[str, bytes]]:
    """(delivery id, body) of `count` pull_request.opened deliveries of distinct heads."""
    template = json.loads((WEBHOOKS / "pull_request.opened.json").read_text("utf-8"))
    bodies = []
    for number in range(count):
        template["pull_request"]["head"]["sha"] = hashlib.sha256(
            f"bench-{number}".encode()).hexdigest()[:40]
        bodies.append((str(uuid.uuid4()), json.dumps(template).encode()))
    return bodies


async def send_all(url: str, secret: str, bodies: list[tuple[str, bytes]], concurrency: int
                   ) -> tuple[list[float], Counter[int | str], set[str], float]:
    signed = [(delivery, body, sign(secret, body)) for delivery, body in bodies]
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: Counter[int | str] = Counter()
    accepted: set[str] = set()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one(delivery: str, body: bytes, signature: str) -> None:
            async with gate:
                began = time.perf_counter()
                try:
                    response = await client.post(
                        f"{url}/webhooks/github", content=body,
                        headers=delivery_headers("pull_request", delivery, signature))
                except httpx.TransportError as exc:
                    # Counted, not retried: GitHub would redeliver with the same id.
                    statuses[type(exc).__name__] += 1
                    return
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] += 1
                if response.status_code == 202:
                    accepted.add(delivery)

        began = time.perf_counter()
        await asyncio.gather(*(one(*item) for item in signed))
        wall = time.perf_counter() - began
    return latencies, statuses, accepted, wall


def stored_deliveries(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT delivery_id FROM jobs"))
            return {str(row[0]) for row in rows}
    finally:
        engine.dispose()


def ack(args: argparse.Namespace) -> None:
    bodies = pull_request_bodies(args.n)
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as work:
        if args.url:
            secret, database_url = args.secret, args.database_url
            latencies, statuses, accepted, wall = asyncio.run(
                send_all(args.url, secret, bodies, args.concurrency))
        else:
            secret = secrets.token_hex(16)
            database_url = f"sqlite:///{Path(work) / 'bench.db'}"
            env = {"REVIEWBOT_WEBHOOK_SECRET": secret, "REVIEWBOT_DATABASE_URL": database_url,
                   "REVIEWBOT_DATA_DIR": work, "REVIEWBOT_WORKERS": "0"}
            for name in ("REVIEWBOT_APP_ID", "REVIEWBOT_BROKER_URL"):
                os.environ.pop(name, None)
            with serve(env, Path(work) / "serve.log") as url:
                latencies, statuses, accepted, wall = asyncio.run(
                    send_all(url, secret, bodies, args.concurrency))
        print(f"deliveries: {args.n} at concurrency {args.concurrency}")
        print("ack latency (ms): " + "  ".join(
            f"{name} {1000 * value:.0f}" for name, value in (
                ("p50", percentile(latencies, 0.50)), ("p90", percentile(latencies, 0.90)),
                ("p99", percentile(latencies, 0.99)), ("max", max(latencies)))))
        print(f"throughput: {args.n / wall:.0f} deliveries/s ({wall:.1f} s)")
        print("status counts: " + ", ".join(f"{code}: {n}" for code, n in sorted(
            statuses.items(), key=str)))
        if database_url:
            missing = accepted - stored_deliveries(database_url)
            print(f"acknowledged (202) and stored as jobs: {len(accepted) - len(missing)}/"
                  f"{len(accepted)}")
            if missing:
                raise SystemExit(f"{len(missing)} acknowledged deliveries have no job")
        else:
            print("stored as jobs: not checked (no --database-url)")


# Jobs per minute.

def learner_repository(root: Path, commits: int) -> list[str]:
    """A bare repository at root/REPOSITORY.git whose `commits` commits alternate between
    the example trees; their shas, oldest first."""
    work = root / "work"
    repo = git.Repo.init(work, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Learner")
        config.set_value("user", "email", "learner@example.com")
    shas = []
    for number in range(commits):
        for entry in work.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(ROOT / "examples" / EXAMPLES[number % 2], work, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (work / "CHANGELOG.md").write_text(f"Change {number}\n", encoding="utf-8")
        repo.git.add("--all")
        repo.index.commit(f"Change {number}")
        shas.append(repo.head.commit.hexsha)
    git.Repo.clone_from(work, root / "repos" / f"{REPOSITORY}.git", bare=True)
    return shas


def push_body(sha: str, before: str) -> bytes:
    payload = json.loads((WEBHOOKS / "push.with-installation.json").read_text("utf-8"))
    owner, name = REPOSITORY.split("/")
    payload.update(ref="refs/heads/main", before=before, after=sha, deleted=False,
                   created=False)
    payload["installation"]["id"] = INSTALLATION
    payload["repository"].update(full_name=REPOSITORY, name=name, default_branch="main")
    payload["repository"]["owner"]["login"] = owner
    return json.dumps(payload).encode()


def wait_done(database_url: str, count: int, timeout: float) -> list[tuple[str, float]]:
    """Wait for `count` jobs to end; (state, finished_at) of each."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                rows = [(str(state), float(finished or 0)) for state, finished in
                        connection.execute(text("SELECT state, finished_at FROM jobs"))]
            if len(rows) >= count and all(state in ("done", "dead") for state, _ in rows):
                return rows
            if time.monotonic() > deadline:
                raise SystemExit(f"jobs not done after {timeout:.0f} s: {Counter(rows)}")
            time.sleep(0.5)
    finally:
        engine.dispose()


def review_durations(database_url: str) -> list[float]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [float(row[0]) for row in connection.execute(
                text("SELECT duration FROM reviews"))]
    finally:
        engine.dispose()


def jobs_per_minute(work: Path, workers: int, shas: list[str], fake: Any,
                    pem: Path, *, cache: bool) -> None:
    run = work / f"workers-{workers}-{'cache' if cache else 'nocache'}"
    run.mkdir()
    # The operator's settings: reviewbot's result cache on (a fresh, empty one per run) or off.
    (run / "reviewbot.toml").write_text(f"[reviewbot]\ncache = {str(cache).lower()}\n")
    secret = secrets.token_hex(16)
    database_url = f"sqlite:///{run / 'bench.db'}"
    env = {"REVIEWBOT_WEBHOOK_SECRET": secret, "REVIEWBOT_DATABASE_URL": database_url,
           "REVIEWBOT_DATA_DIR": str(run), "REVIEWBOT_WORKERS": str(workers),
           "REVIEWBOT_APP_ID": str(APP_ID), "REVIEWBOT_PRIVATE_KEY_PATH": str(pem),
           "REVIEWBOT_GITHUB_API_URL": fake.url, "REVIEWBOT_GITHUB_URL": f"{fake.url}/git",
           "REVIEWBOT_CACHE_DIR": str(run / "cache"),
           "REVIEWBOT_CONFIG": str(run / "reviewbot.toml")}
    os.environ.pop("REVIEWBOT_BROKER_URL", None)
    first_request = len(fake.requests)
    with serve(env, run / "serve.log") as url:
        began = time.time()
        before = "0" * 40
        for sha in shas:
            body = push_body(sha, before)
            response = httpx.post(f"{url}/webhooks/github", content=body, timeout=30,
                                  headers=delivery_headers("push", str(uuid.uuid4()),
                                                           sign(secret, body)))
            if response.status_code != 202:
                raise SystemExit(f"delivery refused: {response.status_code} {response.text}")
            before = sha
        rows = wait_done(database_url, len(shas), timeout=120.0 * len(shas))
    elapsed = max(finished for _, finished in rows) - began
    states = Counter(state for state, _ in rows)
    checks = fake.count_by_operation(first_request)["checks/create (POST)"]
    durations = review_durations(database_url)
    print(f"workers {workers}, result cache {'on' if cache else 'off'}: {len(shas)} jobs in "
          f"{elapsed:.1f} s = "
          f"{60 * len(shas) / elapsed:.2f} jobs/minute; states {dict(states)}; "
          f"check runs posted {checks}; scan+store per job median "
          f"{statistics.median(durations):.1f} s")


def jobs(args: argparse.Namespace) -> None:
    # The fake GitHub of the test suite, imported from the checkout's tests/ folder.
    sys.path.insert(0, str(ROOT))
    fake_github = importlib.import_module("tests.github.fake_github")
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as name:
        work = Path(name)
        shas = learner_repository(work, args.k)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = work / "app.pem"
        pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
        with fake_github.FakeGitHub(OPERATIONS, REPOSITORY) as fake:
            fake.enable_app(APP_ID, key.public_key(), {REPOSITORY: INSTALLATION},
                            git_root=work / "repos")
            print(f"{args.k} commits of {REPOSITORY} alternating examples/"
                  f"{' and examples/'.join(EXAMPLES)}")
            for workers in args.workers:
                jobs_per_minute(work, workers, shas, fake, pem, cache=not args.no_cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    ack_mode = modes.add_parser("ack", help="acknowledgement latency under load")
    ack_mode.add_argument("-n", type=int, default=1000, help="deliveries (default 1000)")
    ack_mode.add_argument("-c", "--concurrency", type=int, default=200,
                          help="deliveries in flight (default 200)")
    ack_mode.add_argument("--url", help="a running service instead of starting one")
    ack_mode.add_argument("--secret", default=os.environ.get("REVIEWBOT_WEBHOOK_SECRET", ""),
                          help="its webhook secret (default: REVIEWBOT_WEBHOOK_SECRET)")
    ack_mode.add_argument("--database-url", default="",
                          help="its database, to check that every delivery was stored")
    jobs_mode = modes.add_parser("jobs", help="reviews completed per minute")
    jobs_mode.add_argument("-k", type=int, default=8, help="commits to review (default 8)")
    jobs_mode.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                           help="embedded worker counts to measure (default 1 2)")
    jobs_mode.add_argument("--no-cache", action="store_true",
                           help="turn reviewbot's result cache off (every scan is cold)")
    args = parser.parse_args()
    if args.mode == "ack" and args.url and not args.secret:
        parser.error("--url needs --secret or REVIEWBOT_WEBHOOK_SECRET")
    if args.mode == "ack":
        ack(args)
    else:
        jobs(args)


if __name__ == "__main__":
    main()
