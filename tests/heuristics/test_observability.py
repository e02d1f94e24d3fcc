"""Logging and observability (C16): prints, swallowed exceptions, logging set-up, health."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.analyzers import observability
from reviewbot.analyzers.base import ScanContext
from reviewbot.model import AnalyzerOutput
from reviewbot.rubric.criteria import ADJUSTERS
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "observability"
EXAMPLES = HERE.parents[1] / "examples"

Row = tuple[str, str, str, int | None, str]

PRINT = (
    "writes diagnostics to stdout, with no level, time or module: use a module logger "
    "(`logger = logging.getLogger(__name__)`, then `logger.info(...)`)."
)
SWALLOW = (
    "swallows every error without a trace: catch the exception you expect and log it "
    "(`logger.exception(...)`), or let it propagate."
)
NO_HEALTH = (
    "No health endpoint (`/health`, `/healthz`): load balancers, Docker `HEALTHCHECK` and "
    "orchestrators have nothing to probe. Add a cheap `GET /health` that also checks the "
    "database."
)


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.py.txt").read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    ctx = ScanContext(build_inventory(root), default_rulebook(), Settings(), root, 60.0)
    return observability.ANALYZER.run(ctx)


@pytest.fixture
def analyze(tmp_path: Path) -> Callable[[Files], AnalyzerOutput]:
    """Each call scans a fresh folder holding exactly `files`."""
    folders = iter(range(100))
    return lambda files: run_on(write_tree(tmp_path / f"repo{next(folders)}", files))


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.severity.value, f.path, f.line, f.message) for f in output.findings]


def test_learner_example_shows_its_prints_swallowed_error_and_missing_logging() -> None:
    output = run_on(EXAMPLES / "learner-api")
    assert rows(output) == [
        ("RB1601", "warning", "main.py", 120, f"`print()` in `create_user` {PRINT}"),
        ("RB1601", "warning", "main.py", 133, f"`print()` in `login` {PRINT}"),
        ("RB1601", "warning", "main.py", 210, f"`print()` in `create_post` {PRINT}"),
        ("RB1601", "warning", "main.py", 303, f"`print()` in `build_feed` {PRINT}"),
        ("RB1601", "warning", "utils.py", 63,
         "`print()` in `ask_openai` reports a caught error on stdout and loses its traceback: "
         "log it with `logger.exception(...)` so the error, its stack and its time are "
         "recorded."),
        ("RB1602", "warning", "main.py", 228,
         f"`except Exception: pass` in `update_post` {SWALLOW}"),
        ("RB1604", "warning", ".", None,
         "No logging anywhere in the app's 419 lines: errors and events leave no trace once it "
         "runs on a server. Configure `logging` once at start-up and log through "
         "`logger = logging.getLogger(__name__)` in each module."),
        ("RB1605", "info", ".", None, NO_HEALTH),
    ]
    assert output.facts["logging_configured"] == []
    assert output.facts["health_endpoint"] is None


def test_good_example_is_silent_and_shows_its_evidence() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts == {
        "prints": 0,
        "swallowed_exceptions": 0,
        "logging_configured": ["app/core/logging.py:10"],
        "module_loggers": 7,
        "logging_modules": 8,
        "app_modules": 38,
        "health_endpoint": "app/api/health.py:17 /healthz",
        "telemetry": {},
        "web_app": True,
    }


def test_prints_and_swallowed_exceptions_where_they_matter(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "app/main.py": fixture("fastapi_app"),
            "app/worker.py": fixture("worker"),
            "app/cli.py": fixture("cli"),
            "app/__main__.py": "print('usage: app serve')\n",
            "scripts/seed_db.py": fixture("seed"),
            "tests/test_main.py": "def test_a():\n    try:\n        f()\n    except Exception:\n"
                                  "        pass\n    print('debug')\n",
        }
    )
    assert rows(output) == [
        # `/orders/{id}/status` is a resource's status, not a probe: no health endpoint
        ("RB1601", "warning", "app/main.py", 12, f"`print()` in `order_status` {PRINT}"),
        # printed, then re-raised: the traceback is not lost, the print is still stdout
        ("RB1601", "warning", "app/main.py", 39, f"`print()` in `create_order` {PRINT}"),
        ("RB1602", "warning", "app/main.py", 25,
         f"`except Exception: pass` in `create_order` {SWALLOW}"),
        ("RB1602", "warning", "app/main.py", 30, f"`except: continue` in `create_order` {SWALLOW}"),
        ("RB1602", "warning", "app/main.py", 35,
         f"`except (ValueError, BaseException): ...` in `create_order` {SWALLOW}"),
        ("RB1602", "info", "scripts/seed_db.py", 7,
         f"`except Exception: pass` at module level {SWALLOW}"),
        ("RB1603", "info", "app/worker.py", 3,
         "Logging is configured again here (`logging.basicConfig`), after `app/main.py:6`: "
         "configure it once at start-up and only get loggers (`logging.getLogger(__name__)`) "
         "elsewhere."),
        ("RB1605", "info", ".", None, NO_HEALTH),
    ]
    assert output.facts["module_loggers"] == 1


def test_flask_health_route_module_logger_and_sentry(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze({"app.py": fixture("flask_app")})
    assert rows(output) == []
    assert output.facts["health_endpoint"] == "app.py:11 /healthz"
    assert output.facts["telemetry"] == {"error tracking": ["sentry_sdk (app.py)"]}


def test_django_logging_setting_probe_url_and_installed_metrics(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "shop/settings.py": fixture("django_settings"),
            "shop/urls.py": fixture("django_urls"),
            "blog/views.py": fixture("django_views"),
        }
    )
    assert rows(output) == []
    assert output.facts["logging_configured"] == ["shop/settings.py:3"]
    assert output.facts["health_endpoint"] == "shop/urls.py:6 ready/"
    assert output.facts["telemetry"] == {"metrics": ["django_prometheus (shop/settings.py)"]}


def test_small_apps_and_non_web_code_are_not_asked_for_logging_or_health(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    small_api = "from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get('/health')\n" \
                "def health():\n    return {'ok': True}\n"
    assert rows(analyze({"main.py": small_api})) == []
    library = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(80))
    output = analyze({"pkg/calc.py": library, "pyproject.toml": "[project]\nname='c'\n"})
    assert [r[0] for r in rows(output)] == ["RB1604"]
    assert output.facts["web_app"] is False


def test_the_rubric_credits_logging_health_and_telemetry() -> None:
    adjust = ADJUSTERS["C16"]
    good = {"observability": {"logging_configured": ["a.py:1"], "module_loggers": 3,
                              "telemetry": {}, "web_app": True, "health_endpoint": "h.py:2 /h"}}
    # 0.35 + 0.25 + 0.25 of the evidence: 100 * (0.6 + 0.4 * 0.85)
    score, notes = adjust(100.0, good)
    assert round(score, 6) == 94.0
    assert notes == ["logging configured, module loggers, health endpoint"]
    bare = {"observability": {"logging_configured": [], "module_loggers": 0, "telemetry": {},
                              "web_app": False, "health_endpoint": None}}
    assert adjust(50.0, bare) == (30.0, [])
    assert adjust(70.0, {}) == (70.0, [])


def test_a_probe_mounted_under_a_router_prefix_is_found_through_the_route_table(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    app = (
        'from fastapi import APIRouter, FastAPI\n\nrouter = APIRouter(prefix="/health")\n\n'
        '@router.get("")\ndef health():\n    return {}\n\n'
        "app = FastAPI()\napp.include_router(router)\n"
    )
    output = analyze({"main.py": app})
    assert rows(output) == []
    assert output.facts["health_endpoint"] == "main.py:5 /health"


def test_entry_points_may_print_and_set_up_logging_each(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    cli = (
        "import logging\nimport typer\n\n"
        "def scan(debug: bool = False):\n    logging.basicConfig(level=logging.DEBUG)\n"
        "    print('scanning')\n"
    )
    script = (
        "import logging\n\nlogger = logging.getLogger(__name__)\n\n"
        "def work():\n    logger.info('working')\n\n"
        "if __name__ == '__main__':\n    logging.basicConfig(level=logging.INFO)\n"
        "    print('starting')\n    work()\n"
    )
    output = analyze({"tool/cli.py": cli, "tool/action.py": cli, "tool/worker.py": script})
    assert rows(output) == []
    assert output.facts["logging_configured"] == [
        "tool/action.py:5", "tool/cli.py:5", "tool/worker.py:9",
    ]
