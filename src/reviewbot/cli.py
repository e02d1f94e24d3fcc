"""Command line: arguments -> Settings -> pipeline -> reporter.

Exit codes: 0 reviewed; 1 score below --fail-under; 2 usage error or unreadable source or
config; 3 internal error (a bug: run again with --debug and report it).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from reviewbot import __version__
from reviewbot.cache.cli import register_cache_commands
from reviewbot.pipeline import review
from reviewbot.reporters import badge, render
from reviewbot.reporters.json_report import ReportDecodeError, loads
from reviewbot.reporters.profile import StageClock, print_profile
from reviewbot.rulebook import default_rulebook
from reviewbot.service.cli import register_service_commands
from reviewbot.settings import SettingsError, load_settings
from reviewbot.source.checkout import SourceError

# Start-up is part of every scan (a pre-commit hook runs one per commit): modules only some
# commands or options need (the GitHub Action and PyGithub, the LLM commentary, the live
# display, rich tables) are imported where they are used, not here.

if TYPE_CHECKING:
    from reviewbot.live import LiveProgress

app = typer.Typer(
    name="reviewbot",
    help="Graded code reviews of Python backend portfolio repositories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    terminal = "terminal"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    html = "html"
    badge = "badge"


def _fail(message: str, code: int = 2) -> typer.Exit:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def _color_wanted(to_file: bool) -> bool:
    if to_file or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR"))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reviewbot {__version__} (rules {default_rulebook().version})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """reviewbot reviews a repository like a senior backend engineer and grades it."""


@app.command("scan")
def scan_command(
    source: Annotated[str, typer.Argument(help="A folder, a git URL, or owner/repo[@ref].")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="How to render the review.")
    ] = OutputFormat.terminal,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the review to this file.")
    ] = None,
    fail_under: Annotated[
        float | None,
        typer.Option(min=0, max=100, help="Exit with code 1 when the score is below this."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Operator's TOML config: weights, excludes, timeouts.")
    ] = None,
    github_url: Annotated[
        str | None, typer.Option(help="GitHub (Enterprise) web URL for owner/repo sources.")
    ] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Analyzers run at once.")] = None,
    llm: Annotated[
        bool,
        typer.Option(
            "--llm",
            help="Add AI-generated commentary (needs reviewbot[llm] and OPENAI_API_KEY or a "
            "local OpenAI-compatible server). Never changes the grade.",
        ),
    ] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", help="LLM model name (default gpt-4o-mini; REVIEWBOT_LLM_MODEL)."),
    ] = None,
    llm_base_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible API URL, e.g. http://localhost:11434/v1 (Ollama)."),
    ] = None,
    llm_max_tokens: Annotated[
        int | None, typer.Option(min=1, help="Most tokens the commentary may use.")
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache", help="Neither read nor write the result cache: analyse everything."
        ),
    ] = False,
    time_budget: Annotated[
        float | None,
        typer.Option(
            "--time-budget",
            min=1,
            help="Seconds all analyzers together may take; those still running are cut short "
            "and named in the review (default 120).",
        ),
    ] = None,
    profile: Annotated[
        bool,
        typer.Option("--profile", help="After the review, print where the time went (stderr)."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Review a repository and print its graded review."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    with _errors(debug):
        settings = load_settings(
            config,
            fail_under=fail_under,
            github_url=github_url,
            jobs=jobs,
            llm=llm or None,
            llm_model=model,
            llm_base_url=llm_base_url,
            llm_max_tokens=llm_max_tokens,
            cache=False if no_cache else None,
            scan_budget=time_budget,
        )
        live = not quiet and err.is_terminal
        with _progress(live) as progress:
            clock = StageClock(progress) if profile else None
            with review(source, settings, progress=clock or progress) as (graded, root):
                # After grading, before rendering: commentary is attached, never graded.
                report = graded
                if settings.llm:
                    from reviewbot.commentary import attach_commentary  # noqa: PLC0415

                    report = attach_commentary(graded, root, settings)
                if clock is not None:
                    clock.stage("rendering")
                text = render(
                    report, output_format.value, color=_color_wanted(output is not None), root=root
                )
        if output is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            output.write_text(text, encoding="utf-8")
            if not quiet:
                err.print(f"review written to {escape(str(output))}")
        if clock is not None:
            print_profile(err, clock, report.analyzers, settings.jobs)
    # The process ends here: frozen, the inventory's trees are not traversed once more by
    # the collection at interpreter exit (~6 s at 800k lines).
    gc.freeze()
    score = report.grade.score
    if settings.fail_under is not None and score is not None and score < settings.fail_under:
        err.print(f"score {score:.1f} is below --fail-under {settings.fail_under:g}")
        raise typer.Exit(1)


@contextlib.contextmanager
def _progress(live: bool) -> Iterator[LiveProgress | None]:
    if not live:
        yield None
        return
    from reviewbot.live import LiveProgress  # noqa: PLC0415

    with LiveProgress(Console(stderr=True)) as progress:
        yield progress


@contextlib.contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Expected failures become one line and exit code 2; bugs exit 3. Never a traceback
    unless --debug asks for one."""
    try:
        yield
    except (SourceError, SettingsError) as exc:
        message, code = str(exc), 2
    except OSError as exc:
        message, code = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 2
    except KeyboardInterrupt:
        raise _fail("interrupted", 130) from None
    except Exception as exc:
        message, code = f"internal error: {type(exc).__name__}: {exc} (run with --debug)", 3
    else:
        return
    if debug:
        traceback.print_exc()
    raise _fail(message, code)


@app.command("rules")
def rules_command() -> None:
    """List every rule with its criterion and severity."""
    from rich.table import Table  # noqa: PLC0415

    book = default_rulebook()
    table = Table("rule", "name", "criterion", "severity", "analyzer", box=None)
    for rule in sorted(book.rules.values(), key=lambda r: (r.criterion, r.id)):
        table.add_row(rule.id, rule.name, rule.criterion, rule.severity.value, rule.analyzer)
    Console(highlight=False).print(table)


@app.command("explain")
def explain_command(rule_id: Annotated[str, typer.Argument(help="A rule id or name.")]) -> None:
    """Explain a rule: what it checks, why it matters, an example and the fix."""
    book = default_rulebook()
    rule = book.rule(rule_id)
    if rule is None:
        raise _fail(f"unknown rule {rule_id!r}: `reviewbot rules` lists them")
    criterion = book.criterion(rule.criterion)
    console = Console(highlight=False)
    console.print(f"[bold]{escape(rule.id)}[/bold] {escape(rule.name)}: {escape(rule.summary)}")
    console.print(
        f"criterion {criterion.id} {escape(criterion.title)} · severity {rule.severity.value}"
        f" · confidence {rule.confidence} · analyzer {rule.analyzer}\n"
    )
    sections = [
        ("What it checks", rule.what),
        ("Why it matters", rule.why),
        ("Example", rule.example),
        ("Fix", rule.fix),
        ("Blind spots", rule.blind_spots),
    ]
    for title, body in sections:
        if body:
            console.print(f"[bold]{title}[/bold]")
            console.print(escape(body) + "\n")


@app.command("badge")
def badge_command(
    report_file: Annotated[Path, typer.Argument(help="A JSON report (scan --format json).")],
    shields: Annotated[
        bool, typer.Option("--shields", help="shields.io endpoint JSON instead of an SVG.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the badge to this file.")
    ] = None,
) -> None:
    """Render the badge (SVG, or shields.io endpoint JSON) of a saved JSON report."""
    try:
        report = loads(report_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(f"cannot read {report_file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _fail(f"{report_file} is not a JSON report: not UTF-8 text") from None
    except ReportDecodeError as exc:
        raise _fail(f"{report_file} is not a valid JSON report: {exc}") from None
    text = badge.shields_endpoint(report) if shields else badge.render(report)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None


@app.command("action")
def action_command(
    debug: Annotated[bool, typer.Option(help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Review the workspace of a GitHub Actions run and publish the review (see action.yml).

    Everything comes from the Actions environment: GITHUB_* variables and the action's
    inputs as INPUT_* variables.
    """
    from reviewbot.github.cli_action import action_command as run_action  # noqa: PLC0415

    run_action(debug)


register_service_commands(app)
register_cache_commands(app)


def main() -> None:
    app()
