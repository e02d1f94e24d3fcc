"""LLM settings: environment, operator file and CLI, and the key kept out of files and reprs."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.settings import Settings, SettingsError, load_settings


def test_defaults() -> None:
    settings = Settings()
    assert (settings.llm, settings.llm_model, settings.llm_base_url, settings.llm_api_key) == (
        False, "gpt-4o-mini", None, None,
    )
    assert (settings.llm_timeout, settings.llm_max_tokens, settings.llm_budget_chars) == (
        60.0, 1200, 6000,
    )


def test_environment() -> None:
    env = {
        "OPENAI_API_KEY": "sk-" + "env-key-0123456789",
        "OPENAI_BASE_URL": "http://localhost:11434/v1",
        "REVIEWBOT_LLM_MODEL": "llama3.1",
        "REVIEWBOT_CACHE_DIR": "/tmp/rb-cache",
    }
    settings = load_settings(environ=env)
    assert settings.llm_api_key == env["OPENAI_API_KEY"]
    assert settings.llm_base_url == "http://localhost:11434/v1"
    assert settings.llm_model == "llama3.1"
    assert settings.llm_cache_dir == "/tmp/rb-cache/llm"
    assert env["OPENAI_API_KEY"] not in repr(settings)


def test_cli_beats_environment_beats_file(tmp_path: Path) -> None:
    config = tmp_path / "reviewbot.toml"
    config.write_text(
        '[reviewbot]\nllm = true\nllm_model = "from-file"\nllm_budget_chars = 3000\n'
        'llm_cache_dir = "/srv/cache"\n',
        encoding="utf-8",
    )
    env = {"REVIEWBOT_LLM_MODEL": "from-env", "HOME": "/home/x"}
    settings = load_settings(config, environ=env, llm_model="from-cli", llm_max_tokens=99)
    assert (settings.llm, settings.llm_model, settings.llm_max_tokens) == (True, "from-cli", 99)
    assert (settings.llm_budget_chars, settings.llm_cache_dir) == (3000, "/srv/cache")
    assert load_settings(config, environ=env).llm_model == "from-env"


def test_the_api_key_never_comes_from_a_file(tmp_path: Path) -> None:
    config = tmp_path / "reviewbot.toml"
    config.write_text('[reviewbot]\nllm_api_key = "sk-x"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, environ={})
    assert str(caught.value) == f"{config}: put the API key in OPENAI_API_KEY, not in a file"
