"""Frozen settings, loaded once: defaults < operator's TOML file < environment < CLI.

The scanned repository's own configuration never reaches here: only the operator decides
weights, thresholds, exclusions and timeouts (DESIGN.md, decision 2).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class SettingsError(Exception):
    """The operator's configuration is unreadable or names something unknown."""


@dataclass(frozen=True, slots=True)
class Settings:
    # Analysis
    analyzer_timeout: float = 180.0
    # Seconds all analyzers together may take (wall): each analyzer's own timeout is capped
    # by what is left of it, and those cut short are named in the report. None: no budget.
    scan_budget: float | None = 120.0
    jobs: int = max(1, os.cpu_count() or 1)
    max_file_bytes: int = 1_000_000
    exclude: tuple[str, ...] = ()
    # Checkout of remote sources
    clone_depth: int = 200
    clone_timeout: float = 120.0
    clone_max_bytes: int = 500_000_000
    github_url: str = "https://github.com"
    github_token: str | None = field(default=None, repr=False)
    # Rubric
    weights: Mapping[str, float] = field(default_factory=dict)
    analyzer_timeouts: Mapping[str, float] = field(default_factory=dict)
    # Status thresholds on a criterion's 0-100 score.
    strong_at: float = 85.0
    ok_at: float = 65.0
    weak_at: float = 35.0
    fail_under: float | None = None
    # LLM commentary (optional; never changes the grade)
    llm: bool = False
    llm_model: str = "gpt-4o-mini"
    # None: OpenAI's own API. Any OpenAI-compatible server otherwise (Ollama, vLLM, LiteLLM).
    llm_base_url: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout: float = 60.0
    llm_max_tokens: int = 1200
    # Characters of code excerpts the prompt may carry, most valuable excerpts first.
    llm_budget_chars: int = 6000
    # Where replies are cached; None: no cache.
    llm_cache_dir: str | None = None
    # Result cache (reviewbot.cache): analyzer outputs and per-file tool results, keyed by
    # content, tool and rules versions and these settings. `cache_dir` None: the platform's
    # user cache folder (REVIEWBOT_CACHE_DIR, XDG_CACHE_HOME honoured).
    cache: bool = True
    cache_dir: str | None = None
    cache_max_mb: int = 512

    def timeout_for(self, analyzer: str) -> float:
        return self.analyzer_timeouts.get(analyzer, self.analyzer_timeout)


_SCALARS = {f.name: f for f in fields(Settings)}


def _from_mapping(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in data.items():
        name = key.replace("-", "_")
        value = raw
        if name == "github_token":
            raise SettingsError(f"{where}: put tokens in GITHUB_TOKEN, not in a file")
        if name == "llm_api_key":
            raise SettingsError(f"{where}: put the API key in OPENAI_API_KEY, not in a file")
        if name not in _SCALARS:
            raise SettingsError(f"{where}: unknown setting `{key}`")
        if name == "exclude":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"{where}: `exclude` must be a list of glob patterns")
            value = tuple(value)
        elif name in ("weights", "analyzer_timeouts"):
            if not isinstance(value, dict) or not all(
                isinstance(v, int | float) for v in value.values()
            ):
                raise SettingsError(f"{where}: `{key}` must be a table of numbers")
            value = {k: float(v) for k, v in value.items()}
        values[name] = value
    return values


def llm_cache_dir(env: Mapping[str, str]) -> str:
    """Where LLM replies are cached: $REVIEWBOT_CACHE_DIR, else $XDG_CACHE_HOME/reviewbot,
    else ~/.cache/reviewbot; in its `llm/` folder."""
    if env.get("REVIEWBOT_CACHE_DIR"):
        base = Path(env["REVIEWBOT_CACHE_DIR"])
    elif env.get("XDG_CACHE_HOME"):
        base = Path(env["XDG_CACHE_HOME"]) / "reviewbot"
    else:
        base = Path(env.get("HOME") or Path.home()) / ".cache" / "reviewbot"
    return str(base / "llm")


def _cache_from_env(env: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if "cache_dir" not in values and env.get("REVIEWBOT_CACHE_DIR"):
        found["cache_dir"] = env["REVIEWBOT_CACHE_DIR"]
    if env.get("REVIEWBOT_CACHE_MAX_MB"):
        try:
            found["cache_max_mb"] = int(env["REVIEWBOT_CACHE_MAX_MB"])
        except ValueError:
            raise SettingsError("REVIEWBOT_CACHE_MAX_MB must be a whole number") from None
    return found


def _llm_from_env(env: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if env.get("OPENAI_API_KEY"):
        found["llm_api_key"] = env["OPENAI_API_KEY"]
    if env.get("OPENAI_BASE_URL"):
        found["llm_base_url"] = env["OPENAI_BASE_URL"]
    if env.get("REVIEWBOT_LLM_MODEL"):
        found["llm_model"] = env["REVIEWBOT_LLM_MODEL"]
    if "llm_cache_dir" not in values:
        found["llm_cache_dir"] = llm_cache_dir(env)
    return found


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the Settings for one run. `overrides` are the CLI's values; None means unset."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read config {config_file}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config {config_file} is not valid TOML: {exc}") from exc
        section = data.get("reviewbot", data)
        if not isinstance(section, dict):
            raise SettingsError(f"config {config_file}: [reviewbot] must be a table")
        values.update(_from_mapping(section, str(config_file)))
    if env.get("GITHUB_TOKEN"):
        values["github_token"] = env["GITHUB_TOKEN"]
    if env.get("REVIEWBOT_GITHUB_URL"):
        values["github_url"] = env["REVIEWBOT_GITHUB_URL"]
    values.update(_cache_from_env(env, values))
    values.update(_llm_from_env(env, values))
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return replace(Settings(), **values)
    except TypeError as exc:
        raise SettingsError(str(exc)) from exc
