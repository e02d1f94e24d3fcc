"""`reviewbot db upgrade` and `reviewbot serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from reviewbot.cli import app
from tests.service.deliveries import SECRET, fixture_body, headers


def test_db_upgrade_creates_the_schema_in_the_data_dir(tmp_path: Path) -> None:
    env = {"REVIEWBOT_DATA_DIR": str(tmp_path / "data"), "REVIEWBOT_DATABASE_URL": ""}
    result = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert (result.exit_code, result.output) == (0, "database is up to date\n")
    with sqlite3.connect(tmp_path / "data" / "reviewbot.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE "
                                               "type = 'table'")}
        version = db.execute("SELECT version_num FROM alembic_version").fetchall()
    assert tables == {"alembic_version", "deliveries", "jobs", "repos", "reviews"}
    assert version == [("0002",)]
    # Again: nothing to do.
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0


def test_serve_needs_the_webhook_secret(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve"], env={"REVIEWBOT_WEBHOOK_SECRET": "",
                                                     "REVIEWBOT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "REVIEWBOT_WEBHOOK_SECRET is not set" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_and_logs_json(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "REVIEWBOT_WEBHOOK_SECRET": SECRET,
           "REVIEWBOT_DATA_DIR": str(tmp_path / "data"), "REVIEWBOT_DATABASE_URL": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "reviewbot", "serve", "--port", str(port), "--workers", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
        name = "pull_request.opened.json"
        response = httpx.post(f"{url}/webhooks/github", content=fixture_body(name),
                              headers=headers(name, "cli-1"), timeout=30)
        assert response.status_code == 202
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    accepted = [e for e in logs if e.get("delivery_id") == "cli-1"]
    assert [(e["message"], e["event"], e["status"]) for e in accepted] == [
        ("delivery accepted", "pull_request", 202)]
    assert SECRET not in stderr
    assert (tmp_path / "data" / "reviewbot.db").is_file()


def test_serve_rejects_a_bad_app_configuration(tmp_path: Path) -> None:
    base = {"REVIEWBOT_WEBHOOK_SECRET": SECRET, "REVIEWBOT_DATA_DIR": str(tmp_path),
            "REVIEWBOT_PRIVATE_KEY": "", "REVIEWBOT_PRIVATE_KEY_PATH": ""}
    result = CliRunner().invoke(app, ["serve"], env={**base, "REVIEWBOT_APP_ID": "my-app"})
    assert (result.exit_code, result.output) == (
        2, "error: REVIEWBOT_APP_ID must be the App's numeric id: 'my-app'\n")
    result = CliRunner().invoke(app, ["serve"], env={**base, "REVIEWBOT_APP_ID": "4242"})
    assert (result.exit_code, result.output) == (
        2, "error: no GitHub App private key: set REVIEWBOT_PRIVATE_KEY (PEM text) or "
        "REVIEWBOT_PRIVATE_KEY_PATH (a .pem file)\n")
    result = CliRunner().invoke(app, ["serve"], env={
        **base, "REVIEWBOT_APP_ID": "4242", "REVIEWBOT_PRIVATE_KEY": "not a key"})
    assert result.exit_code == 2
    assert "not a key" not in result.output
