"""`reviewbot cache info` and `reviewbot cache clear`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reviewbot.cache.scan import open_store
from reviewbot.settings import Settings, SettingsError, load_settings

cache_app = typer.Typer(
    name="cache",
    help="The result cache that makes re-scans fast: where it is, how big, clear it.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None, typer.Option(help="Operator's TOML config (may set cache_dir, cache_max_mb).")
]


def human_bytes(size: int) -> str:
    """`512 B`, `1.5 kB`, `12.3 MB`, `2.0 GB` (powers of 1024, as `cache_max_mb` counts)."""
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if value < 1024:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@cache_app.command("info")
def info_command(config: ConfigOption = None) -> None:
    """Where the cache is, how big it is and how many entries it holds."""
    settings = _settings(config)
    info = open_store(settings).info()
    typer.echo(f"location: {info.location}")
    typer.echo(f"size: {human_bytes(info.bytes)} (limit {settings.cache_max_mb} MB)")
    typer.echo(f"entries: {info.results} results, {info.mypy_caches} mypy caches")
    if not settings.cache:
        typer.echo("caching is turned off by the configuration (cache = false)")


@cache_app.command("clear")
def clear_command(config: ConfigOption = None) -> None:
    """Delete every cached result, mypy cache and LLM reply."""
    settings = _settings(config)
    store = open_store(settings)
    freed = store.clear()
    typer.echo(f"cleared {store.root}: freed {human_bytes(freed)}")


def register_cache_commands(app: typer.Typer) -> None:
    """Add `reviewbot cache ...` to the command line."""
    app.add_typer(cache_app)
