"""ServiceConfig from REVIEWBOT_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.service.config import DEFAULT_BODY_LIMIT, ConfigError, ServiceConfig


def test_defaults(tmp_path: Path) -> None:
    config = ServiceConfig.from_env({"REVIEWBOT_WEBHOOK_SECRET": "s3cret",
                                     "REVIEWBOT_DATA_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'reviewbot.db'}"
    assert (config.github_api_url, config.workers, config.body_limit) == (
        "https://api.github.com", 1, 25 * 1024 * 1024)
    assert DEFAULT_BODY_LIMIT == 26_214_400
    assert (config.app_id, config.private_key, config.dashboard_token) == (None, None, None)


def test_everything_set(tmp_path: Path) -> None:
    config = ServiceConfig.from_env({
        "REVIEWBOT_WEBHOOK_SECRET": "s3cret", "REVIEWBOT_DATA_DIR": str(tmp_path),
        "REVIEWBOT_DATABASE_URL": "postgresql+psycopg://db/reviewbot",
        "REVIEWBOT_GITHUB_API_URL": "https://ghe.example.com/api/v3/",
        "REVIEWBOT_WORKERS": "4", "REVIEWBOT_DASHBOARD_TOKEN": "dash-token",
        "REVIEWBOT_APP_ID": "4242", "REVIEWBOT_PRIVATE_KEY_PATH": "/keys/app.pem",
        "REVIEWBOT_MAX_BODY_BYTES": "1000", "REVIEWBOT_LEASE_SECONDS": "90",
        "REVIEWBOT_RETRY_BACKOFF": "2.5",
    })
    assert (config.lease_seconds, config.retry_backoff) == (90.0, 2.5)
    assert config.database_url == "postgresql+psycopg://db/reviewbot"
    assert config.github_api_url == "https://ghe.example.com/api/v3"
    assert (config.workers, config.app_id, config.private_key_path, config.body_limit) == (
        4, "4242", Path("/keys/app.pem"), 1000)
    assert config.dashboard_token == "dash-token"


def test_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    config = ServiceConfig.from_env({
        "REVIEWBOT_WEBHOOK_SECRET": "hook-secret-value", "REVIEWBOT_DATA_DIR": str(tmp_path),
        "REVIEWBOT_DASHBOARD_TOKEN": "dashboard-token-value",
        "REVIEWBOT_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----key-value",
    })
    shown = repr(config)
    for secret in ("hook-secret-value", "dashboard-token-value", "key-value"):
        assert secret not in shown


@pytest.mark.parametrize(("env", "message"), [
    ({}, "REVIEWBOT_WEBHOOK_SECRET is not set: every delivery would be rejected"),
    ({"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_WORKERS": "many"},
     "REVIEWBOT_WORKERS must be a whole number: 'many'"),
    ({"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_WORKERS": "-1"},
     "REVIEWBOT_WORKERS must be at least 0: -1"),
    ({"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_LEASE_SECONDS": "nan"},
     "REVIEWBOT_LEASE_SECONDS must be a positive number of seconds: 'nan'"),
    ({"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_RETRY_BACKOFF": "soon"},
     "REVIEWBOT_RETRY_BACKOFF must be a number of seconds: 'soon'"),
    ({"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_MAX_BODY_BYTES": "0"},
     "REVIEWBOT_MAX_BODY_BYTES must be at least 1: 0"),
])
def test_bad_values(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ServiceConfig.from_env(env)
    assert str(caught.value) == message


def test_scale_out_settings(tmp_path: Path) -> None:
    base = {"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_DATA_DIR": str(tmp_path)}
    embedded = ServiceConfig.from_env(base)
    assert (embedded.broker_url, embedded.sweep_seconds) == (None, 15.0)
    config = ServiceConfig.from_env({**base, "REVIEWBOT_BROKER_URL": "rediss://cache:6380/2",
                                     "REVIEWBOT_SWEEP_SECONDS": "0.5"})
    assert (config.broker_url, config.sweep_seconds) == ("rediss://cache:6380/2", 0.5)
    with pytest.raises(ConfigError) as caught:
        ServiceConfig.from_env({**base, "REVIEWBOT_SWEEP_SECONDS": "0"})
    assert str(caught.value) == ("REVIEWBOT_SWEEP_SECONDS must be a positive number of "
                                 "seconds: '0'")
