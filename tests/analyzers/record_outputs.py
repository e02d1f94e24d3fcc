"""Re-record the tool outputs the parser tests read, by running the real pinned tools.

    .venv/bin/python -m tests.analyzers.record_outputs

Each tool runs on its fixture repository (`fixtures/<tool>/`) exactly as its analyzer runs it
(same arguments, same isolated runner); the temporary folder the fixture was copied to is
replaced by `/repo` in the output. Run it after bumping a pinned tool, then update the
expected findings in the parser tests to what the new version reports.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection
from pathlib import Path

from reviewbot.analyzers import bandit, mypy, radon, ruff
from reviewbot.analyzers._tools import PathMap, module_paths, run_tool
from reviewbot.analyzers.base import ScanContext
from reviewbot.source.inventory_model import ModuleRole

from .conftest import RECORDED, RECORDED_ROOT, context, fixture_files, write_tree


def _files(ctx: ScanContext, roles: Collection[ModuleRole]) -> list[str]:
    paths = PathMap(ctx.inventory.root)
    return [paths.absolute(path) for path in module_paths(ctx.inventory, roles)]


def record_ruff(ctx: ScanContext) -> dict[str, str]:
    args = [*ruff.command_args(ruff.target_version(ctx)), *_files(ctx, ruff.ROLES)]
    return {"ruff.json": run_tool(ctx, "ruff", args).stdout}


def record_mypy(ctx: ScanContext) -> dict[str, str]:
    config = ctx.workdir / "reviewbot-mypy.ini"
    config.write_text(mypy.config_text([str(ctx.inventory.root.resolve())], ()), encoding="utf-8")
    args = [
        *mypy.command_args(config, (3, 12), ctx.workdir / "mypy-cache"),
        *_files(ctx, mypy.ROLES),
    ]
    return {"mypy.jsonl": run_tool(ctx, "mypy", args).stdout}


def record_bandit(ctx: ScanContext) -> dict[str, str]:
    config = ctx.workdir / "reviewbot-bandit.yaml"
    config.write_text(bandit.config_text(), encoding="utf-8")
    ini = ctx.workdir / "reviewbot.bandit"
    ini.write_text("[bandit]\n", encoding="utf-8")
    args = [*bandit.command_args(config, ini), *_files(ctx, bandit.ROLES)]
    return {"bandit.json": run_tool(ctx, "bandit", args).stdout}


def record_radon(ctx: ScanContext) -> dict[str, str]:
    files = _files(ctx, radon.ROLES)
    return {
        "radon_cc.json": run_tool(ctx, "radon", [*radon.CC_ARGS, *files]).stdout,
        "radon_mi.json": run_tool(ctx, "radon", [*radon.MI_ARGS, *files]).stdout,
    }


RECORDERS: dict[str, Callable[[ScanContext], dict[str, str]]] = {
    "ruff": record_ruff,
    "mypy": record_mypy,
    "bandit": record_bandit,
    "radon": record_radon,
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for tool, record in RECORDERS.items():
            root = Path(tmp) / tool / "repo"
            write_tree(root, fixture_files(tool))
            ctx = context(root, Path(tmp) / tool / "work")
            for name, output in record(ctx).items():
                text = output.replace(str(root.resolve()), RECORDED_ROOT)
                (RECORDED / name).write_text(text, encoding="utf-8")
                print(f"recorded {name}")


if __name__ == "__main__":
    main()
