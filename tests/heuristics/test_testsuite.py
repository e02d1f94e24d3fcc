"""Tests by substance (C15): discovery, hollow tests, network, fixtures, coverage, endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewbot.analyzers import testsuite
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.test_discovery import find_suite, read_pytest_config
from reviewbot.analyzers.test_endpoints import match_score
from reviewbot.analyzers.test_endpoints import tested_routes as routes_called
from reviewbot.analyzers.test_quality import ClientCall, Judge
from reviewbot.model import AnalyzerOutput
from reviewbot.rubric.criteria import ADJUSTERS
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
from reviewbot.source.inventory_model import Inventory
from tests.core.conftest import Files, write_tree

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "tests"
EXAMPLES = HERE.parents[1] / "examples"
APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"

Row = tuple[str, str, int | None, str]


@dataclass(frozen=True)
class Route:
    method: str
    path: str


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.py.txt").read_text(encoding="utf-8")


def run_on(root: Path) -> AnalyzerOutput:
    ctx = ScanContext(build_inventory(root), default_rulebook(), Settings(), root, 60.0)
    return testsuite.ANALYZER.run(ctx)


@pytest.fixture
def analyze(tmp_path: Path) -> Callable[[Files], AnalyzerOutput]:
    def run(files: Files) -> AnalyzerOutput:
        return run_on(write_tree(tmp_path / "repo", files))

    return run


@pytest.fixture
def inventory(tmp_path: Path) -> Callable[[Files], Inventory]:
    return lambda files: build_inventory(write_tree(tmp_path / "repo", files))


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line, f.message) for f in output.findings]


def hollow(path: str, line: int, text: str, test: str, request: str) -> Row:
    return (
        "RB1503", path, line,
        f"`{text}` in `{test}` can never fail: the test passes whatever {request} returns. "
        "Assert the result it should produce.",
    )


def truthy(path: str, line: int, text: str, test: str, request: str) -> Row:
    return (
        "RB1503", path, line,
        f"`{text}` in `{test}` is always true: a response object is truthy even for a 404 or a "
        f"500, so the test passes whatever {request} returns. Assert `response.status_code` and "
        "the body.",
    )


def asserts_nothing(path: str, line: int, test: str, request: str) -> Row:
    return (
        "RB1503", path, line,
        f"`{test}` asserts nothing: it passes whatever {request} returns. Assert the result it "
        "should produce (status code and body).",
    )


def untested(path: str, line: int, endpoint: str, handler: str) -> Row:
    return (
        "RB1505", path, line,
        f"`{endpoint}` (`{handler}`) is never called by a test: add one that checks its status "
        "code and body, and its error cases.",
    )


def untested_only_by(path: str, line: int, endpoint: str, handler: str) -> Row:
    return (
        "RB1505", path, line,
        f"`{endpoint}` (`{handler}`) is only called from `tests/check_users.py`, which pytest "
        "never collects: rename that file so its tests run.",
    )


NETWORK = (
    "for real: the test is slow and fails whenever the network or that service is down. Fake "
    "the call (`respx`, `responses`, or a client injected through a fixture)."
)


# -- the two example repositories --------------------------------------------------------------


def test_learner_example_shows_every_planted_testing_mistake() -> None:
    output = run_on(EXAMPLES / "learner-api")
    assert rows(output) == [
        ("RB1502", "tests/check_users.py", None,
         "`tests/check_users.py` holds 2 tests (`test_create_user`, `test_login`) that pytest "
         "never collects: its name does not match `test_*.py` or `*_test.py`; rename it "
         "`tests/test_check_users.py`."),
        asserts_nothing("tests/check_users.py", 16, "test_login", "`POST /login`"),
        truthy("tests/test_main.py", 10, "assert response", "test_home", "`GET /`"),
        hollow("tests/test_main.py", 15, "assert True", "test_posts", "`GET /getPosts`"),
        ("RB1506", "tests/conftest.py", None,
         "No fixtures: `client = TestClient(app)` at `tests/test_main.py:5` (and 1 other "
         "module) is built once at import time, so every test shares one app and its real "
         "database. Build the client in a fixture in `tests/conftest.py`, on a test database "
         "(override the database dependency)."),
        untested_only_by("main.py", 108, "POST /createUser", "create_user"),
        untested_only_by("main.py", 124, "POST /login", "login"),
        untested("main.py", 137, "GET /getUser/{user_id}", "get_user"),
        untested("main.py", 146, "GET /getUsers", "get_users"),
        untested("main.py", 152, "POST /changePassword", "change_password"),
        untested("main.py", 180, "GET /getPost/{post_id}", "get_post"),
        untested("main.py", 193, "POST /createPost", "create_post"),
        untested("main.py", 214, "PUT /updatePost/{post_id}", "update_post"),
        untested("main.py", 233, "DELETE /deletePost/{post_id}", "delete_post"),
        untested("main.py", 244, "GET /search", "search_posts"),  # 10 shown, 6 more in facts
    ]
    assert output.facts == {
        "test_functions": 2,
        "test_files": 1,
        "has_conftest": False,
        "fixtures": 0,
        "assertions": 0,
        "hollow_tests": 2,
        "auth_tests": 0,
        "error_path_tests": 0,
        "uncollected_tests": 2,
        "uncollected_files": ["tests/check_users.py"],
        "client_calls": 2,  # the requests of the uncollected file never run
        "coverage_configured": False,
        "coverage_config": None,
        "pytest_config": None,
        "endpoints": 18,
        "endpoints_tested": 2,
        "unresolved_requests": 0,
    }


def test_good_example_is_silent_and_shows_its_evidence() -> None:
    output = run_on(EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts == {
        "test_functions": 47,  # 49 once pytest expands the parametrized quote test
        "test_files": 8,
        "has_conftest": True,
        "fixtures": 9,
        "assertions": 114,
        "hollow_tests": 0,
        "auth_tests": 9,
        "error_path_tests": 14,
        "uncollected_tests": 0,
        "uncollected_files": [],
        "client_calls": 63,
        "coverage_configured": True,
        "coverage_config": "pyproject.toml",
        "pytest_config": "pyproject.toml",
        "endpoints": 14,
        "endpoints_tested": 14,
        "unresolved_requests": 0,
    }


# -- discovery ---------------------------------------------------------------------------------


def test_tests_are_counted_like_pytest_collects_them(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "main.py": APP,
            "tests/conftest.py": "import pytest\n",
            "tests/test_api.py": (
                "def test_a():\n    assert f() == 1\n\nasync def test_b():\n    assert f() == 2\n\n"
                "def helper():\n    pass\n\n"
                "class TestUsers:\n    def test_c(self):\n        assert f() == 3\n"
                "    def check(self):\n        pass\n\n"
                "class TestWithInit:\n    def __init__(self):\n        pass\n"
                "    def test_skipped(self):\n        pass\n"
            ),
            "tests/users_test.py": (
                "import unittest\n\nclass UserCase(unittest.TestCase):\n"
                "    def test_d(self):\n        self.assertEqual(f(), 4)\n"
            ),
            "tests/check_users.py": "def test_missed():\n    assert f() == 5\n",
        }
    )
    assert rows(output) == [
        ("RB1502", "tests/check_users.py", None,
         "`tests/check_users.py` holds 1 test (`test_missed`) that pytest never collects: its "
         "name does not match `test_*.py` or `*_test.py`; rename it `tests/test_check_users.py`."),
    ]
    facts = output.facts
    assert (facts["test_functions"], facts["test_files"], facts["has_conftest"]) == (4, 2, True)
    assert (facts["assertions"], facts["hollow_tests"], facts["uncollected_tests"]) == (4, 0, 1)


def test_no_tests_is_a_finding(analyze: Callable[[Files], AnalyzerOutput]) -> None:
    output = analyze({"main.py": APP})
    assert rows(output) == [
        ("RB1501", "tests", None,
         "No tests that pytest would collect: add a tests/ folder with test_*.py files."),
    ]


def test_django_tests_py_is_collected_by_the_django_runner_through_local_base_classes(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze({"blog/urls.py": "from django.urls import path\n",
                      "blog/tests.py": fixture("django_tests")})
    assert rows(output) == [
        truthy("blog/tests.py", 29, "self.assertTrue(response)", "PostApiTests.test_page_renders",
               "`GET reverse('home')`"),
    ]
    facts = output.facts
    assert (facts["test_functions"], facts["test_files"], facts["fixtures"]) == (5, 1, 1)
    assert (facts["auth_tests"], facts["error_path_tests"], facts["client_calls"]) == (1, 1, 5)


def test_plain_functions_in_tests_py_are_missed_without_pytest_configuration(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze({"blog/tests/tests.py": "def test_home(client):\n    assert client\n"})
    assert [r[:3] for r in rows(output)] == [
        ("RB1501", "tests", None), ("RB1502", "blog/tests/tests.py", None),
    ]


def test_the_repos_pytest_configuration_is_read_as_data(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "pyproject.toml": (
                "[tool.pytest.ini_options]\n"
                'python_files = ["check_*.py"]\npython_functions = "should_"\n'
                'addopts = "--cov=app"\n'
            ),
            "tests/check_users.py": "def should_create():\n    assert make() == 1\n",
            "tests/test_main.py": "def should_list():\n    assert make() == 2\n",
        }
    )
    assert rows(output) == [
        ("RB1502", "tests/test_main.py", None,
         "`tests/test_main.py` holds 1 test (`should_list`) that pytest never collects: its name "
         "does not match `check_*.py`; rename it `tests/test_test_main.py`."),
    ]
    assert output.facts["pytest_config"] == "pyproject.toml"
    assert output.facts["coverage_config"] == "pyproject.toml"


def test_testpaths_and_ini_files(
    analyze: Callable[[Files], AnalyzerOutput], inventory: Callable[[Files], Inventory]
) -> None:
    files: Files = {
        "setup.cfg": "[tool:pytest]\ntestpaths = tests\npython_classes = *Suite\n",
        "tests/test_a.py": "class UsersSuite:\n    def test_one(self):\n        assert f()\n",
        "app/test_helpers.py": "def test_two():\n    assert f()\n",
    }
    config = read_pytest_config(inventory(files))
    assert (config.testpaths, config.python_classes, config.source) == (
        ("tests",), ("*Suite",), "setup.cfg",
    )
    output = analyze(files)
    assert rows(output) == [
        ("RB1502", "app/test_helpers.py", None,
         "`app/test_helpers.py` holds 1 test (`test_two`) that pytest never collects: it is "
         "outside the configured `testpaths` (tests); move it under one of them."),
    ]
    assert output.facts["test_functions"] == 1


# -- what a test checks ------------------------------------------------------------------------


def test_hollow_tests_of_every_kind_and_the_checks_that_are_not(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    path = "tests/test_users.py"
    output = analyze({"app/main.py": APP, path: fixture("fastapi_hollow")})
    assert rows(output) == [
        asserts_nothing(path, 15, "test_no_assertion", "`POST /api/v1/users`"),
        hollow(path, 21, "assert True", "test_assert_true", "`GET /api/v1/users/1`"),
        truthy(path, 26, "assert response", "test_truthy_response", "`GET /api/v1/posts`"),
        truthy(path, 31, "assert resp is not None", "test_response_is_not_none",
               "`DELETE /api/v1/users/{}`"),
        hollow(path, 36, 'assert (response.status_code == 200, "health is up")',
               "test_tuple_assert", "`GET /health`"),
        asserts_nothing(path, 73, "TestUsers.test_smoke", "`GET /`"),
    ]
    facts = output.facts
    # the skipped placeholder is collected but neither reported nor counted as hollow
    assert (facts["test_functions"], facts["hollow_tests"], facts["assertions"]) == (13, 6, 6)
    assert (facts["auth_tests"], facts["error_path_tests"]) == (1, 1)


def test_a_test_without_requests_passes_unless_it_crashes(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze({"tests/test_math.py": "def test_add():\n    add(1, 2)\n"})
    assert rows(output) == [
        ("RB1503", "tests/test_math.py", 1,
         "`test_add` asserts nothing: it passes unless it crashes. Assert the result it should "
         "produce."),
    ]


def test_requested_paths_are_resolved_from_constants_helpers_and_formats(
    inventory: Callable[[Files], Inventory],
) -> None:
    inv = inventory(
        {
            "tests/conftest.py": fixture("flask_conftest"),
            "tests/helpers.py": fixture("flask_helpers"),
            "tests/test_posts.py": fixture("flask_tests"),
        }
    )
    suite = find_suite(inv)
    judge = Judge(suite.index)
    calls = judge.client_calls(suite.index.scopes["tests/test_posts.py"].module)
    assert calls == [
        ClientCall("GET", "/posts", None, 9),
        ClientCall("GET", "/posts/{}", None, 15),
        ClientCall("PUT", "/posts/{}", None, 20),
        ClientCall("GET", "/posts", None, 30),  # a live server on localhost: still the endpoint
    ]


def test_helpers_methods_and_plugin_assertions_count_as_checks(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    module = (
        "from django.test import TestCase\n\n"
        "class PostTests(TestCase):\n"
        "    def _check_ok(self, response):\n"
        "        self.assertEqual(response.status_code, 200)\n\n"
        "    def test_list(self):\n"
        "        self._check_ok(self.client.get('/posts/'))\n\n"
        "def test_queries(client, django_assert_num_queries):\n"
        "    with django_assert_num_queries(2):\n"
        "        client.get('/posts/')\n\n"
        "def test_status_is_set(client):\n"
        "    response = client.get('/posts/')\n"
        "    assert response.status_code\n"
    )
    output = analyze({"blog/test_posts.py": module})
    assert rows(output) == [
        truthy("blog/test_posts.py", 16, "assert response.status_code", "test_status_is_set",
               "`GET /posts/`"),
    ]


def test_calls_that_raise_when_wrong_are_checks_when_their_result_is_not_read(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    module = (
        "import jsonschema\n\n"
        "def _validate(text):\n    jsonschema.validate(load(text), SCHEMA)\n\n"
        "def test_fixture_is_valid():\n    _validate('a.yml')\n\n"
        "def test_model_is_clean(post):\n    post.full_clean()\n\n"
        "def test_result_not_checked(user):\n    ok = verify_password(user, 'pw')\n"
    )
    output = analyze({"tests/test_schemas.py": module})
    assert rows(output) == [
        ("RB1503", "tests/test_schemas.py", 12,
         "`test_result_not_checked` asserts nothing: it passes unless it crashes. Assert the "
         "result it should produce."),
    ]


def test_helper_modules_with_test_named_factories_are_not_missed_tests(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "tests/test_users.py": "def test_a():\n    assert make() == 1\n",
            "tests/factories.py": "def test_user_data():\n    return {'name': 'ann'}\n",
            "tests/utils.py": "def test_client():\n    print('not a test')\n",
        }
    )
    assert rows(output) == []
    assert output.facts["uncollected_files"] == []


def test_a_shared_client_on_an_overridden_database_is_not_reported(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    module = (
        "from fastapi.testclient import TestClient\nfrom app.main import app, get_db\n\n"
        "app.dependency_overrides[get_db] = lambda: None\n"
        "client = TestClient(app)\n\n"
        "def test_home():\n    assert client.get('/').status_code == 200\n"
    )
    assert rows(analyze({"app/main.py": APP, "tests/test_home.py": module})) == []


def test_flask_blueprint_routes_the_tests_never_call(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "app/__init__.py": fixture("flask_app"),
            "tests/conftest.py": fixture("flask_conftest"),
            "tests/helpers.py": fixture("flask_helpers"),
            "tests/test_posts.py": fixture("flask_tests"),
        }
    )
    # `/posts/{}` is the `<int:post_id>` route, not `/posts/drafts`
    assert [r for r in rows(output) if r[0] == "RB1505"] == [
        untested("app/__init__.py", 21, "DELETE /posts/{post_id}", "delete_post"),
        untested("app/__init__.py", 26, "GET /posts/drafts", "drafts"),
    ]
    facts = output.facts
    assert [facts[k] for k in ("endpoints", "endpoints_tested", "unresolved_requests")] == [5, 3, 0]


def test_untested_endpoints_are_not_reported_when_a_request_is_unresolved(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    test_module = (
        "import pytest\n\n@pytest.mark.parametrize('url', ['/posts', '/posts/1'])\n"
        "def test_pages(client, url):\n    assert client.get(url).status_code == 200\n"
    )
    output = analyze({"app/__init__.py": fixture("flask_app"), "tests/test_pages.py": test_module})
    assert rows(output) == []
    facts = output.facts
    assert [facts[k] for k in ("endpoints", "endpoints_tested", "unresolved_requests")] == [5, 0, 1]


# -- network, fixtures, coverage ---------------------------------------------------------------


def test_real_network_calls_are_reported_with_the_host_only(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    output = analyze(
        {
            "tests/conftest.py": fixture("flask_conftest"),
            "tests/helpers.py": fixture("flask_helpers"),
            "tests/test_posts.py": fixture("flask_tests"),
            "tests/test_weather.py": fixture("mocked_network"),
        }
    )
    assert rows(output) == [
        ("RB1504", "tests/test_posts.py", 25,
         f"`requests.get(...)` reaches `https://api.github.com` {NETWORK}"),
        ("RB1504", "tests/test_posts.py", 35,
         f"`requests.request(...)` reaches `https://status.example.org` {NETWORK}"),
    ]
    assert "abc123" not in " ".join(f.message for f in output.findings)


def test_a_module_level_client_is_fine_when_the_suite_has_fixtures(
    analyze: Callable[[Files], AnalyzerOutput],
) -> None:
    test_module = (
        "from fastapi.testclient import TestClient\nfrom app.main import app\n\n"
        "client = TestClient(app)\n\n"
        "def test_home():\n    assert client.get('/').status_code == 200\n"
    )
    with_fixture = test_module + "\n\nimport pytest\n\n@pytest.fixture\ndef user():\n    return 1\n"
    assert rows(analyze({"app/main.py": APP, "tests/test_home.py": with_fixture})) == []


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ({".coveragerc": "[run]\nbranch = True\n"}, ".coveragerc"),
        ({"setup.cfg": "[coverage:run]\nsource = app\n"}, "setup.cfg"),
        ({"tox.ini": "[testenv]\ncommands = pytest --cov=app\n"}, "tox.ini"),
        ({".github/workflows/ci.yml": "steps:\n  - run: coverage run -m pytest\n"},
         ".github/workflows/ci.yml"),
        ({"Makefile": "test:\n\tpytest -q\n"}, None),
    ],
)
def test_coverage_configuration_is_evidence(
    analyze: Callable[[Files], AnalyzerOutput], files: Files, where: str | None
) -> None:
    output = analyze({"tests/test_a.py": "def test_a():\n    assert f() == 1\n", **files})
    assert (output.facts["coverage_configured"], output.facts["coverage_config"]) == (
        where is not None, where,
    )


# -- the rubric's C15 adjuster -----------------------------------------------------------------


def test_the_rubric_weighs_substance_endpoints_and_practices() -> None:
    adjust = ADJUSTERS["C15"]
    learner = {
        "hygiene": {"app_loc": 419},
        "tests": {"test_functions": 2, "hollow_tests": 2, "fixtures": 0, "auth_tests": 0,
                  "error_path_tests": 0, "coverage_configured": False},
    }
    score, notes = adjust(100.0, learner)
    # hollow tests don't count: presence 0, and none of the four practices
    assert round(score, 6) == round(100 * 0.4 * 0.8, 6)
    assert notes == ["2 tests for 419 lines of app code", "2 hollow",
                     "no fixtures, auth tests, error-path tests, coverage"]
    good = {
        "hygiene": {"app_loc": 886},
        "tests": {"test_functions": 47, "hollow_tests": 0, "fixtures": 9, "auth_tests": 9,
                  "error_path_tests": 14, "coverage_configured": True,
                  "endpoints": 14, "endpoints_tested": 14},
    }
    assert adjust(90.0, good) == (90.0, ["47 tests for 886 lines of app code",
                                         "14 of 14 endpoints called by tests"])
    # half the endpoints tested, half the practices: (0.4 + 0.6 * 0.75) * (0.8 + 0.2 * 0.5)
    partial = {
        "hygiene": {"app_loc": 500},
        "tests": {"test_functions": 10, "endpoints": 8, "endpoints_tested": 4,
                  "fixtures": 3, "coverage_configured": False},
    }
    score, notes = adjust(100.0, partial)
    assert round(score, 6) == round(100 * (0.4 + 0.6 * 0.75) * 0.9, 6)
    assert notes[-1] == "no coverage"


# -- requests against routes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "declared", "score"),
    [
        ("/posts", "/posts/", 2),
        ("/", "/", 0),
        ("/posts/999", "/posts/{post_id}", 3),
        ("/posts/{}", "/posts/{post_id}", 4),
        ("/posts/{}", "/posts/drafts", 3),
        ("/posts/{}-draft", "/posts/{slug}", 3),
        ("/posts/{}-draft", "/posts/old-draft", 3),
        ("/posts/{}-draft", "/posts/latest", None),
        ("{}/comments", "/api/v1/posts/{post_id}/comments", 2),
        ("/posts", "/api/posts", None),
        ("/posts/1/comments", "/posts/{post_id}", None),
    ],
)
def test_requested_paths_match_route_paths(
    requested: str, declared: str, score: int | None
) -> None:
    assert match_score(requested, declared) == score


def test_the_closest_route_is_the_one_tested() -> None:
    routes = [Route("GET", "/users/me"), Route("GET", "/users/{user_id}"), Route("POST", "/users")]
    call = ClientCall("GET", "/users/{}", None, 1)
    assert routes_called(routes, [call]) == {1}
    assert routes_called(routes, [ClientCall("GET", "/users/me", None, 2)]) == {0}
    assert routes_called(routes, [ClientCall("POST", "/{}", None, 3)]) == set()  # unresolved
    assert routes_called(routes, [ClientCall("GET", None, "user-list", 4)]) == set()
