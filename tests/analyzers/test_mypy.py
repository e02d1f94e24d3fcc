"""mypy (C03): the parser on recorded output, and the analyzer on real repositories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.analyzers import mypy
from reviewbot.analyzers._tools import PathMap
from reviewbot.analyzers.base import ToolMissingError, ToolTimeoutError
from reviewbot.rulebook import default_rulebook

from .conftest import RECORDED_ROOT, MakeContext, fixture_files, recorded, rows

EXPECTED = [
    ("mypy:arg-type", "app/service.py", 5, 24, "warning",
     'Argument 2 to "find" has incompatible type "str"; expected "int"'),
    ("mypy:union-attr", "app/service.py", 6, 12, "warning",
     'Item "None" of "User | None" has no attribute "email"'),
    ("mypy:return-value", "app/service.py", 10, 12, "warning",
     'Incompatible return value type (got "str", expected "int")'),
    ("mypy:call-arg", "app/service.py", 14, 12, "error",
     'Missing positional argument "email" in call to "User"'),
    ("mypy:arg-type", "app/service.py", 14, 17, "warning",
     'Argument 1 to "User" has incompatible type "str"; expected "int"'),
    ("mypy:attr-defined", "app/service.py", 18, 11, "warning",
     '"User" has no attribute "emial"; maybe "email"?'),
    ("mypy:name-defined", "app/service.py", 19, 11, "error", 'Name "respone" is not defined'),
]  # fmt: skip

ASSIGNMENT = 'Incompatible types in assignment (expression has type "str", variable has type "int")'


def test_parse_recorded_output() -> None:
    findings = mypy.parse(recorded("mypy.jsonl"), PathMap(Path(RECORDED_ROOT)), default_rulebook())
    assert rows(findings) == EXPECTED
    assert {(f.criterion, f.analyzer) for f in findings} == {("C03", "mypy")}
    assert [f.end_line for f in findings] == [5, 6, 10, 14, 14, 18, 19]


def test_parse_drops_notes_and_blocking_errors() -> None:
    output = "\n".join(
        [
            '{"file": "/repo/a.py", "line": 3, "column": 4, "end_line": 3, "end_column": 9, '
            '"message": "Revealed type is \\"int\\"", "hint": null, "code": "misc", '
            '"severity": "note"}',
            '{"file": "/repo/b/main.py", "line": -1, "column": -1, "end_line": -1, '
            '"end_column": 0, "message": "Duplicate module named \\"main\\" (also at '
            '\\"/repo/a/main.py\\")", "hint": null, "code": null, "severity": "error"}',
            "Found 1 error in 1 file (errors prevented further checking)",
        ]
    )
    paths = PathMap(Path(RECORDED_ROOT))
    assert mypy.parse(output, paths, default_rulebook()) == []
    assert mypy.blocking_files(output, paths) == [
        ("b/main.py", 'Duplicate module named "main" (also at "/repo/a/main.py")')
    ]


def test_analyzer_on_fixture(repo: MakeContext) -> None:
    output = mypy.ANALYZER.run(repo(fixture_files("mypy")))
    assert rows(output.findings) == EXPECTED
    assert output.facts == {
        "errors": 7,
        "files_checked": 3,
        "files_with_errors": 1,
        "errors_by_code": {
            "mypy:arg-type": 2,
            "mypy:attr-defined": 1,
            "mypy:call-arg": 1,
            "mypy:name-defined": 1,
            "mypy:return-value": 1,
            "mypy:union-attr": 1,
        },
        # 3.12 unless reviewbot runs on an older Python, whose parser mypy uses.
        "python_version": "3.12" if sys.version_info >= (3, 12) else "3.11",
        "not_checked": [],
    }


def _writes(marker: Path) -> str:
    return (
        f"from pathlib import Path\n\nPath({str(marker)!r}).write_text('loaded')\n\n\n"
        "def plugin(version):\n    from mypy.plugin import Plugin\n\n    return Plugin\n"
    )


def test_repo_config_and_its_plugins_are_never_loaded(repo: MakeContext, tmp_path: Path) -> None:
    markers = {name: tmp_path / f"{name}.fired" for name in ("ini", "cfg", "toml")}
    ctx = repo(
        {
            "app.py": 'count: int = "three"\n',
            "mypy.ini": "[mypy]\nplugins = plugin_ini.py\ndisable_error_code = assignment\n",
            "setup.cfg": "[mypy]\nplugins = plugin_cfg.py\n",
            "pyproject.toml": '[tool.mypy]\nplugins = ["plugin_toml.py"]\n',
            "plugin_ini.py": _writes(markers["ini"]),
            "plugin_cfg.py": _writes(markers["cfg"]),
            "plugin_toml.py": _writes(markers["toml"]),
        }
    )
    output = mypy.ANALYZER.run(ctx)
    assert [m.name for m in markers.values() if m.exists()] == []
    # The repo's `disable_error_code = assignment` was not honoured either.
    assert rows(output.findings) == [
        ("mypy:assignment", "app.py", 1, 14, "warning", ASSIGNMENT),
    ]

    # Control: mypy run plainly in the repo does load the plugin its config names.
    subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "app.py"],
        cwd=ctx.inventory.root, capture_output=True, check=False,
    )  # fmt: skip
    assert markers["ini"].exists()


def test_same_module_names_in_different_folders(repo: MakeContext) -> None:
    ctx = repo(
        {
            "project-1/main.py": 'a: int = "one"\n',
            "project-2/main.py": 'b: int = "two"\n',
            "src/app/__init__.py": "",
            "src/app/main.py": 'x: int = "main"\n',
            # Imports the same file under a second name: mypy would refuse the whole run.
            "run.py": "from src.app.main import x\n",
            "tests/test_main.py": "from app.main import x\n\n\ndef test_x() -> None:\n"
            "    z: str = x\n",
        }
    )
    output = mypy.ANALYZER.run(ctx)
    assert rows(output.findings) == [
        ("mypy:assignment", "project-1/main.py", 1, 10, "warning", ASSIGNMENT),
        ("mypy:assignment", "project-2/main.py", 1, 10, "warning", ASSIGNMENT),
        ("mypy:assignment", "src/app/main.py", 1, 10, "warning", ASSIGNMENT),
        ("mypy:assignment", "tests/test_main.py", 5, 14, "warning",
         'Incompatible types in assignment (expression has type "int", variable has type "str")'),
    ]  # fmt: skip
    assert output.facts["files_checked"] == 6
    assert output.facts["not_checked"] == []


def test_folder_that_is_no_package_name(repo: MakeContext) -> None:
    ctx = repo(
        {
            "my-app/__init__.py": "",
            "my-app/models.py": 'a: int = "one"\n',
            "api/main.py": 'b: int = "two"\n',
        }
    )
    output = mypy.ANALYZER.run(ctx)
    assert rows(output.findings) == [
        ("mypy:assignment", "api/main.py", 1, 10, "warning", ASSIGNMENT),
    ]
    reason = "a folder on its path is not a valid package name"
    assert output.facts["not_checked"] == [
        {"path": "my-app/__init__.py", "reason": reason},
        {"path": "my-app/models.py", "reason": reason},
    ]


def test_imports_of_skipped_files_are_not_followed(repo: MakeContext) -> None:
    ctx = repo(
        {
            "app/__init__.py": "",
            "app/legacy.py": "def broken(:\n",
            "app/main.py": 'from app.legacy import broken\n\ncount: int = "x"\n',
        },
        skipped={"app/legacy.py": "not valid Python"},
    )
    output = mypy.ANALYZER.run(ctx)
    assert rows(output.findings) == [
        ("mypy:assignment", "app/main.py", 3, 14, "warning", ASSIGNMENT),
    ]


@pytest.mark.skipif(
    sys.version_info < (3, 12), reason="the fixture's `type` statement needs Python 3.12 to parse"
)
@pytest.mark.parametrize(("requires", "version"), [(">=3.8", "3.10"), (">=3.11", "3.11")])
def test_python_version_from_requires_python(
    repo: MakeContext, requires: str, version: str
) -> None:
    ctx = repo(
        {
            "pyproject.toml": f'[project]\nrequires-python = "{requires}"\n',
            "app.py": "type UserId = int\n",
        }
    )
    output = mypy.ANALYZER.run(ctx)
    assert output.facts["python_version"] == version
    assert rows(output.findings) == [
        ("mypy:syntax", "app.py", 1, 1, "warning",
         f'"type" statements: requires Python 3.12 or newer (current target: Python {version})'),
    ]  # fmt: skip


def test_timeout(repo: MakeContext) -> None:
    ctx = repo({"app.py": "x = 1\n"}, timeout=0.01)
    with pytest.raises(ToolTimeoutError):
        mypy.ANALYZER.run(ctx)


def test_missing_tool(repo: MakeContext) -> None:
    with pytest.raises(ToolMissingError):
        mypy.MypyAnalyzer(tool="reviewbot_absent_mypy").run(repo({"app.py": "x = 1\n"}))


def test_config_is_reviewbots_baseline() -> None:
    text = mypy.config_text(["/r", "/r/src"], ["app.legacy", "app.legacy"])
    assert "plugins" not in text
    assert "ignore_missing_imports = True\nfollow_imports = silent\n" in text
    assert "mypy_path = /r, /r/src\n" in text
    assert text.endswith("\n\n[mypy-app.legacy]\nfollow_imports = skip\n")


def test_duplicate_module_is_moved_to_a_run_of_its_own(repo: MakeContext) -> None:
    # Module names reviewbot didn't foresee still clash: mypy's real message for it.
    ctx = repo({"a/main.py": "", "b/main.py": "", "c.py": ""})
    plan = mypy._Plan(ctx.inventory)
    batch = ["a/main.py", "b/main.py", "c.py"]
    root = plan.paths.root
    output = (
        f'{{"file": "{root}/b/main.py", "line": -1, "column": -1, "end_line": -1, '
        f'"end_column": 0, "message": "Duplicate module named \\"main\\" (also at '
        f'\\"{root}/a/main.py\\")", "hint": null, "code": null, "severity": "error"}}\n'
    )
    plan.queue.clear()
    assert plan.recover(output, batch)
    assert list(plan.queue) == [["a/main.py", "c.py"], ["b/main.py"]]
    # The same refusal for a file already alone can't be helped: the run fails.
    assert not plan.recover(output, ["b/main.py"])
