"""Reports built by hand for the reporter tests: a learner's FastAPI repo, a strong Django repo
and a notebook collection that is not a Python backend.

Scores carry one decimal and findings come in `Finding.sort_key` order, the canonical form
the JSON reporter writes, so `from_dict(to_dict(report)) == report` holds for each of them.
"""

from __future__ import annotations

from reviewbot.model import (
    AnalyzerRun,
    AnalyzerStatus,
    CriterionResult,
    CriterionStatus,
    Finding,
    Grade,
    Level,
    NextStep,
    RepoInfo,
    Report,
    Severity,
    SkippedFile,
    ToolInfo,
)

TOOL = ToolInfo(name="reviewbot", version="0.1.0", rules_version="2026.11.1")

# (id, title, phase, weight) as in rules/criteria.toml.
CRITERIA: tuple[tuple[str, str, str, float], ...] = (
    ("C01", "Clean, idiomatic Python", "fundamentals", 6.0),
    ("C02", "Complexity and maintainability", "fundamentals", 4.0),
    ("C03", "Type hints and static typing", "fundamentals", 5.0),
    ("C04", "Async done right", "web and APIs", 4.0),
    ("C05", "Project structure and dependency management", "fundamentals", 5.0),
    ("C06", "Version-control hygiene", "fundamentals", 4.0),
    ("C07", "Databases and ORM", "databases", 6.0),
    ("C08", "Migrations", "databases", 4.0),
    ("C09", "Query performance (N+1)", "databases", 5.0),
    ("C10", "REST API design", "web and APIs", 6.0),
    ("C11", "Validation and response models", "web and APIs", 5.0),
    ("C12", "Authentication and authorization", "security", 6.0),
    ("C13", "Security basics", "security", 7.0),
    ("C14", "Configuration", "deployment", 4.0),
    ("C15", "Testing", "testing", 8.0),
    ("C16", "Logging and observability", "deployment", 3.0),
    ("C17", "Containerization", "deployment", 4.0),
    ("C18", "CI/CD", "deployment", 4.0),
    ("C19", "Documentation and presentation", "presentation", 5.0),
    ("C20", "Advanced backend topics", "advanced", 0.0),
)

ST = CriterionStatus
# (status, score, summary, evidence) of one criterion.
Result = tuple[CriterionStatus, float | None, str, tuple[str, ...]]


def criteria(results: dict[str, Result]) -> tuple[CriterionResult, ...]:
    """All twenty criteria; those not in `results` are incomplete, "not yet analysed"."""
    out = []
    for cid, title, phase, weight in CRITERIA:
        status, score, summary, evidence = results.get(
            cid, (ST.INCOMPLETE, None, "not yet analysed", ())
        )
        out.append(CriterionResult(cid, title, status, score, weight, summary, evidence, phase))
    return tuple(out)


# Criterion of each wrapped tool's findings; reviewbot's own RBccnn rules carry it in the id.
TOOL_CRITERION = {"ruff": "C01", "radon": "C02", "mypy": "C03", "bandit": "C13"}


def finding(
    rule: str,
    severity: Severity,
    location: tuple[str, int | None],
    message: str,
    *,
    analyzer: str = "",
    column: int | None = None,
    end_line: int | None = None,
    fix: str | None = None,
    doc_url: str | None = None,
    suppressed: str | None = None,
) -> Finding:
    """A finding whose criterion (and, for a tool rule, analyzer) follows from the rule id."""
    path, line = location
    tool = rule.split(":", 1)[0]
    criterion = TOOL_CRITERION[tool] if ":" in rule else "C" + rule[2:4]
    return Finding(rule, criterion, severity, path, line, message, analyzer or tool,
                   end_line=end_line, column=column, fix=fix, doc_url=doc_url,
                   suppressed=suppressed)


ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
RUFF_DOC = "https://docs.astral.sh/ruff/rules/"


def learner_findings() -> tuple[Finding, ...]:
    found = [
        finding("ruff:F401", WARN, ("app/main.py", 3), "`os` imported but unused",
                column=8, fix="Remove the unused import", doc_url=RUFF_DOC + "unused-import"),
        finding("ruff:F401", WARN, ("app/routers/items.py", 1),
                "`typing.List` imported but unused", column=20),
        finding("ruff:E722", ERR, ("app/crud.py", 41), "Do not use bare `except`",
                column=5, doc_url=RUFF_DOC + "bare-except"),
        finding("ruff:E722", ERR, ("app/routers/users.py", 58), "Do not use bare `except`",
                column=9, doc_url=RUFF_DOC + "bare-except"),
        finding("ruff:B006", WARN, ("app/crud.py", 12),
                "Do not use mutable data structures for argument defaults", column=38),
        finding("ruff:E711", WARN, ("app/crud.py", 27), "Comparison to `None` should be "
                "`cond is None`", column=21),
        finding("ruff:F841", WARN, ("app/routers/items.py", 33),
                "Local variable `result` is assigned to but never used", column=5),
        finding("ruff:F403", WARN, ("app/models.py", 2),
                "`from .database import *` used; unable to detect undefined names"),
        finding("radon:C901", WARN, ("app/routers/users.py", 40),
                "`update_user` has cyclomatic complexity 14 (grade C)", end_line=97),
        finding("mypy:arg-type", ERR, ("app/crud.py", 19),
                'Argument 1 to "get_item" has incompatible type "str"; expected "int"',
                column=23),
        finding("mypy:union-attr", ERR, ("app/routers/users.py", 64),
                'Item "None" of "User | None" has no attribute "email"', column=12),
        finding("mypy:no-untyped-def", WARN, ("app/crud.py", 8),
                "Function is missing a return type annotation", column=1),
        finding("mypy:no-untyped-def", WARN, ("app/crud.py", 12),
                "Function is missing a type annotation", column=1),
        finding("mypy:no-untyped-def", WARN, ("app/routers/items.py", 20),
                "Function is missing a type annotation", column=1),
        finding("RB0501", WARN, ("requirements.txt", None),
                "requirements are not pinned: fastapi, sqlalchemy, uvicorn", analyzer="structure",
                fix="Pin exact versions (fastapi==0.115.6) or commit a lock file"),
        finding("RB0601", ERR, (".env", None),
                "a .env file is committed; it holds SECRET_KEY and DATABASE_URL",
                analyzer="hygiene"),
        finding("RB0602", WARN, ("app/__pycache__/main.cpython-312.pyc", None),
                "compiled bytecode is committed", analyzer="hygiene"),
        finding("bandit:B105", ERR, ("app/config.py", 4),
                "Possible hardcoded password: 'sk-p...9XQz'", column=14),
        finding("bandit:B113", WARN, ("app/services/weather.py", 17),
                "Call to requests without timeout", column=12),
        finding("RB1301", ERR, ("app/main.py", 12),
                'CORS allows every origin (allow_origins=["*"]) together with credentials',
                analyzer="security", end_line=17),
        finding("RB1302", INFO, ("app/config.py", 9), "DEBUG = True in settings",
                analyzer="security", suppressed="local development only"),
        finding("RB1501", ERR, (".", None), "no tests found: no test_*.py or tests/ folder",
                analyzer="tests"),
        finding("ruff:T201", INFO, ("app/main.py", 30), "`print` found", column=5),
        finding("ruff:T201", INFO, ("app/routers/users.py", 71), "`print` found",
                column=9),
    ]
    return tuple(sorted(found, key=Finding.sort_key))


def learner_report() -> Report:
    """A typical learner FastAPI repo: many findings, a D-, half the criteria incomplete."""
    results: dict[str, Result] = {
        "C01": (ST.WEAK, 58.3, "10 ruff findings (6.7 per 1,000 lines), 2 bare `except`",
                ("app/crud.py:41", "app/routers/users.py:58")),
        "C02": (ST.OK, 81.0, "1 function of complexity C; the rest A/B",
                ("app/routers/users.py:40",)),
        "C03": (ST.WEAK, 45.0, "38% of functions annotated; 2 mypy errors", ()),
        "C05": (ST.OK, 72.5, "requirements.txt present but unpinned; packages split by concern",
                ("requirements.txt",)),
        "C06": (ST.INCOMPLETE, None, "git-history timed out: history not analysed", ()),
        "C13": (ST.WEAK, 52.0, "a hardcoded secret and CORS open to every origin",
                ("app/config.py:4", "app/main.py:12")),
        "C15": (ST.MISSING, 0.0, "no tests found", ()),
    }
    return Report(
        tool=TOOL,
        repo=RepoInfo(
            source="https://github.com/alice/todo-api",
            commit="3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
            frameworks=("fastapi",),
            python_files=23,
            python_loc=1482,
            is_python_backend=True,
            skipped_files=(
                SkippedFile("data/seed.sqlite3", "binary file"),
                SkippedFile("notebooks/explore.ipynb", "notebook"),
                SkippedFile("static/bundle.min.js", "larger than 1 MB"),
                SkippedFile("vendor/legacy.py", "not valid UTF-8"),
            ),
        ),
        grade=Grade(61.2, "D-", Level.BEGINNER),
        criteria=criteria(results),
        findings=learner_findings(),
        analyzers=(
            AnalyzerRun("inventory", AnalyzerStatus.OK, 0.12, ("C05",)),
            AnalyzerRun("ruff", AnalyzerStatus.OK, 0.42, ("C01",)),
            AnalyzerRun("radon", AnalyzerStatus.OK, 0.31, ("C02",)),
            AnalyzerRun("mypy", AnalyzerStatus.OK, 3.87, ("C03",)),
            AnalyzerRun("bandit", AnalyzerStatus.OK, 1.05, ("C13",)),
            AnalyzerRun("git-history", AnalyzerStatus.TIMEOUT, 30.0, ("C06",),
                        detail="no answer after 30 s"),
            AnalyzerRun("hygiene", AnalyzerStatus.OK, 0.05, ("C06",)),
            AnalyzerRun("security", AnalyzerStatus.OK, 0.09, ("C13",)),
            AnalyzerRun("tests", AnalyzerStatus.OK, 0.02, ("C15",)),
            AnalyzerRun("docker", AnalyzerStatus.SKIPPED, 0.0, ("C17",),
                        detail="not yet available in this version"),
        ),
        next_steps=(
            NextStep("C15", "Add a tests/ folder with pytest tests for your endpoints, starting "
                     "with TestClient on the happy path and one 404", 6.4),
            NextStep("C13", "Read SECRET_KEY from the environment instead of app/config.py", 3.1),
            NextStep("C01", "Replace the 2 bare `except:` clauses and remove unused imports", 2.5),
        ),
    )


def strong_report() -> Report:
    """A strong Django repo: A-, job-ready, a few minor findings, one suppressed."""
    strong = "clean"
    results: dict[str, Result] = {cid: (ST.STRONG, 96.0, strong, ()) for cid, *_ in CRITERIA}
    results |= {
        "C02": (ST.OK, 84.5, "2 functions of complexity C", ("orders/services.py:88",)),
        "C09": (ST.STRONG, 100.0, "related data loaded with select_related/prefetch_related",
                ("orders/views.py:31",)),
        "C17": (ST.OK, 78.0, "multi-stage slim image; runs as root", ("Dockerfile:1",)),
        "C20": (ST.OK, 60.0, "Celery tasks on Redis; cache on the product list",
                ("shop/celery.py:1", "products/views.py:22")),
    }
    findings = (
        finding("RB1701", WARN, ("Dockerfile", 14), "container runs as root: no USER line",
                analyzer="docker"),
        finding("radon:C901", WARN, ("orders/services.py", 88),
                "`apply_discounts` has cyclomatic complexity 12 (grade C)"),
        finding("bandit:B311", INFO, ("orders/tests/factories.py", 9),
                "Standard pseudo-random generators are not suitable for security",
                suppressed="test data only"),
        finding("ruff:E501", INFO, ("shop/settings/base.py", 120),
                "Line too long (104 > 100)", column=101),
    )
    return Report(
        tool=TOOL,
        repo=RepoInfo("https://github.com/bob/shop-api", "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b",
                      ("django",), 86, 9340, True),
        grade=Grade(91.4, "A-", Level.JOB_READY),
        criteria=criteria(results),
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        analyzers=tuple(
            AnalyzerRun(name, AnalyzerStatus.OK, seconds, crit)
            for name, seconds, crit in (
                ("inventory", 0.4, ("C05",)), ("ruff", 0.9, ("C01",)), ("radon", 0.8, ("C02",)),
                ("mypy", 11.25, ("C03",)), ("bandit", 2.5, ("C13",)), ("docker", 0.03, ("C17",)),
            )
        ),
        next_steps=(NextStep("C17", "Add a non-root USER to the Dockerfile", 0.8),),
    )


def notebooks_report() -> Report:
    """A notebook collection: not a Python backend, so no grade, every criterion n/a."""
    na: Result = (ST.NOT_APPLICABLE, None, "not applicable: no Python backend", ())
    return Report(
        tool=TOOL,
        repo=RepoInfo(
            "carol/ml-notebooks", None, (), 3, 120, False,
            tuple(SkippedFile(f"notebooks/{n:02d}-lesson.ipynb", "notebook") for n in range(1, 6)),
        ),
        grade=Grade(None, None, Level.NOT_APPLICABLE),
        criteria=criteria(dict.fromkeys((cid for cid, *_ in CRITERIA), na)),
        findings=(
            finding("ruff:F401", WARN, ("scripts/clean.py", 1), "`sys` imported but unused",
                    column=8),
        ),
        analyzers=(
            AnalyzerRun("inventory", AnalyzerStatus.OK, 0.05, ("C05",)),
            AnalyzerRun("ruff", AnalyzerStatus.OK, 0.2, ("C01",)),
            AnalyzerRun("mypy", AnalyzerStatus.SKIPPED, 0.0, ("C03",),
                        detail="not a Python backend"),
        ),
        next_steps=(),
        verdict="not a Python backend repository: no web framework or server entry point, "
        "5 notebooks and 3 scripts",
    )


SAMPLES = {
    "learner": learner_report,
    "strong": strong_report,
    "notebooks": notebooks_report,
}
