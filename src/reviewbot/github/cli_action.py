"""The `reviewbot action` command: the GitHub Action's entry point (see action.yml)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import Annotated

import typer

from reviewbot.github.action import run
from reviewbot.github.actions_env import ActionLog


def action_command(
    debug: Annotated[bool, typer.Option(help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Review the workspace of a GitHub Actions run and publish the review (see action.yml).

    Everything comes from the Actions environment: GITHUB_* variables and the action's
    inputs as INPUT_* variables.
    """
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr)
    if not debug:
        # PyGithub logs every refused request; the Action reports them once, its own way.
        logging.getLogger("github").setLevel(logging.ERROR)
    try:
        code = run(os.environ, sys.stdout)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:
        if debug:
            traceback.print_exc()
        ActionLog(sys.stdout).error(
            f"reviewbot: internal error: {type(exc).__name__}: {exc} (re-run with debug)"
        )
        raise typer.Exit(3) from None
    raise typer.Exit(code)
