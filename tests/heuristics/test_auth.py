"""Authentication and authorization (C12): password storage, JWT handling and mutating routes
left open; exact findings on the examples and fixtures, correct versions silent, secrets masked."""

from __future__ import annotations

from pathlib import Path

from reviewbot.analyzers import auth
from reviewbot.model import AnalyzerOutput, Severity
from reviewbot.rubric.criteria import ADJUSTERS
from tests.heuristics.test_routes import DRF_LAYOUT, EXAMPLES, FLASK_LAYOUT, run, tree

ANALYZER = auth.ANALYZER

Row = tuple[str, str, int | None]


def rows(output: AnalyzerOutput) -> list[Row]:
    return [(f.rule, f.path, f.line) for f in output.findings]


def messages(output: AnalyzerOutput) -> dict[tuple[str, str, int | None], str]:
    return {(f.rule, f.path, f.line): f.message for f in output.findings}


def test_learner_example_planted_auth_mistakes() -> None:
    output = run(ANALYZER, EXAMPLES / "learner-api")
    # examples/learner-api/EXAMPLE.md, rows C12 (and main.py:157, the same plaintext
    # comparison as line 130 in change_password)
    assert rows(output) == [
        ("RB1203", "auth.py", 4),
        ("RB1207", "auth.py", 9),
        ("RB1205", "auth.py", 16),
        ("RB1201", "main.py", 116),
        ("RB1201", "main.py", 130),
        ("RB1201", "main.py", 157),
        ("RB1208", "main.py", 215),
        ("RB1208", "main.py", 234),
        ("RB1208", "main.py", 252),
        ("RB1208", "main.py", 285),
        ("RB1201", "seed.py", 8),
        ("RB1202", "utils.py", 15),
    ]
    said = messages(output)
    assert said[("RB1203", "auth.py", 4)] == (
        "The JWT secret used by `jwt.encode` (auth.py:10) is the literal `blog…3k2l` in code: "
        "anyone who reads the repo can forge tokens; load it from the environment (a settings "
        "field with no default)."
    )
    assert said[("RB1207", "auth.py", 9)] == (
        "The claims signed at line 10 have no `exp`: the token never expires; add "
        '`"exp": datetime.now(UTC) + timedelta(minutes=30)`.'
    )
    assert said[("RB1205", "auth.py", 16)] == (
        '`jwt.decode` runs with `options={"verify_signature": False}`: any forged token is '
        'accepted; verify the signature with your secret and `algorithms=["HS256"]`.'
    )
    assert said[("RB1201", "main.py", 116)] == (
        "`User(..., password=user.password)` stores the password as it came: store only a "
        "salted hash (argon2 or bcrypt through `pwdlib`/`passlib`, Django's `set_password`) and "
        "check it with the library's `verify`."
    )
    assert said[("RB1201", "main.py", 130)].startswith(
        "`user.password != data.password` compares passwords in plaintext: "
    )
    assert said[("RB1208", "main.py", 215)] == (
        "`PUT /updatePost/{post_id}` (`update_post`) changes data but nothing checks who calls "
        "it, while other routes require a login: protect it the way `create_post` (main.py:194) "
        "is."
    )
    assert said[("RB1202", "utils.py", 15)] == (
        "Passwords are hashed with `md5` in `hash_password`: a fast, unsalted hash is cracked in "
        "seconds; use a password hash (argon2 or bcrypt through `pwdlib`/`passlib`, Django's "
        "`make_password`, werkzeug's `generate_password_hash`)."
    )
    seed = next(f for f in output.findings if f.path == "seed.py")
    # a seed script: one finding for the file, lower severity, the literal never echoed
    assert seed.severity is Severity.WARNING
    assert seed.message.startswith('`User(..., password="…")` stores the password as it came')
    assert seed.message.endswith("(also lines 9, 10)")
    assert all("alice123" not in f.message for f in output.findings)
    assert all("blog-secret-key-do-not-share-8f3k2l" not in f.message for f in output.findings)
    assert output.facts == {
        "mutating_routes": 6,
        "protected_mutating_routes": 2,
        "protected_share": 0.333,
        "protected_routes": 3,
        "jwt_calls": 2,
        "password_hashing": [],
        "stores_passwords": True,
    }


def test_good_example_is_silent_with_positive_evidence() -> None:
    output = run(ANALYZER, EXAMPLES / "good-api")
    assert rows(output) == []
    assert output.facts["password_hashing"] == ["argon2"]
    assert output.facts["protected_share"] == 1.0
    assert output.facts["mutating_routes"] == 5  # register and login are exempt


def test_tutorial_style_jwt_and_passlib_stay_silent(tmp_path: Path) -> None:
    output = run(ANALYZER, tmp_path / "repo", tree({"app/security.py": "auth/jwt_good.py.txt"}))
    assert rows(output) == []
    assert output.facts["jwt_calls"] == 3
    assert output.facts["password_hashing"] == ["passlib"]


def test_jwt_mistakes(tmp_path: Path) -> None:
    output = run(ANALYZER, tmp_path / "repo", tree({"app/tokens.py": "auth/jwt_bad.py.txt"}))
    path = "app/tokens.py"
    assert rows(output) == [
        ("RB1203", path, 8),  # a settings field with a literal default
        ("RB1203", path, 12),  # os.getenv("JWT_SECRET", "<literal>")
        ("RB1207", path, 16),
        ("RB1205", path, 20),  # algorithm="none"
        ("RB1206", path, 24),
        ("RB1203", path, 28),
        ("RB1204", path, 28),
        ("RB1205", path, 32),  # verify=False
    ]
    said = messages(output)
    fallback = next(f for f in output.findings if f.line == 12)
    assert fallback.severity is Severity.WARNING
    assert fallback.message == (
        "The JWT secret used by `jwt.encode` (app/tokens.py:20) falls back to the literal "
        "`dev-…3456` when the variable is unset: require it from the environment (no default)."
    )
    assert said[("RB1204", path, 28)] == (
        "`jwt.decode` verifies with the literal `anot…e-42` but tokens are signed with the "
        "`JWT_SECRET` environment variable, the literal `chan…ease`: valid tokens are rejected "
        '(and switching verification off to "fix" it lets anyone forge one); use the same '
        "secret setting for both."
    )
    assert said[("RB1206", path, 24)] == (
        "`jwt.decode` has no `algorithms=`: pin the algorithm you sign with "
        '(`algorithms=["HS256"]`) so a token cannot choose its own.'
    )
    assert said[("RB1205", path, 20)] == (
        '`jwt.encode` signs with the "none" algorithm: such tokens carry no signature at all; '
        "sign with HS256 and a secret."
    )
    for secret in (
        "change-me-in-production-please",
        "dev-secret-123456",
        "another-secret-value-42",
    ):
        assert all(secret not in f.message for f in output.findings)


def test_plaintext_and_fast_hashes(tmp_path: Path) -> None:
    files = tree(
        {
            "app/views.py": "auth/passwords_bad.py.txt",
            "app/models.py": "auth/passwords_models.py.txt",
        }
    )
    files["tests/test_users.py"] = (
        "from app.models import User\n\n\n"
        "def test_user():\n"
        '    alice = User(email="a@x.io", password="alice-pw")\n'
        '    bob = User(email="b@x.io", password="bob-pw")\n'
        "    assert alice.password != bob.password\n"
    )
    output = run(ANALYZER, tmp_path / "repo", files)
    assert rows(output) == [
        ("RB1201", "app/views.py", 12),
        ("RB1201", "app/views.py", 18),  # filter_by(password=...)
        ("RB1201", "app/views.py", 22),
        ("RB1202", "app/views.py", 26),  # sha256 in hash_password; checksum() stays silent
        ("RB1201", "tests/test_users.py", 5),
    ]
    said = messages(output)
    assert said[("RB1201", "app/views.py", 18)].startswith(
        '`filter_by(password=data["password"])` looks users up by plaintext password: '
    )
    assert said[("RB1201", "app/views.py", 22)].startswith(
        "`user.password = new_password` stores the password as it came: "
    )
    in_tests = output.findings[-1]
    assert in_tests.severity is Severity.INFO
    assert in_tests.message.endswith("(also line 6)")


def test_django_user_creation(tmp_path: Path) -> None:
    views = (
        "from django.contrib.auth.models import User\n\n\n"
        "def signup(username, password):\n"
        "    return User.objects.create(username=username, password=password)\n\n\n"
        "def signup_right(username, password):\n"
        "    return User.objects.create_user(username=username, password=password)\n"
    )
    output = run(ANALYZER, tmp_path / "repo", {"accounts/views.py": views})
    assert rows(output) == [("RB1201", "accounts/views.py", 5)]
    assert output.facts["password_hashing"] == ["django"]


def test_open_writes_in_drf_and_flask_apps(tmp_path: Path) -> None:
    drf = run(ANALYZER, tmp_path / "drf", tree(DRF_LAYOUT))
    assert rows(drf) == [("RB1208", "blog/views.py", 26), ("RB1208", "blog/views.py", 43)]
    assert messages(drf)[("RB1208", "blog/views.py", 26)] == (
        "`DELETE/PATCH/PUT /api/users/{pk}/` (`UserViewSet`) changes data but nothing checks who "
        "calls it, while other routes require a login: protect it the way `PostViewSet` "
        "(blog/views.py:13) is."
    )
    flask = run(ANALYZER, tmp_path / "flask", tree(FLASK_LAYOUT))
    assert rows(flask) == [
        ("RB1203", "shop/__init__.py", 9),  # app.config["JWT_SECRET_KEY"] = "<literal>"
        ("RB1208", "shop/products.py", 35),
    ]
    assert messages(flask)[("RB1203", "shop/__init__.py", 9)] == (
        "The JWT secret used by `flask_jwt_extended` is the literal `shop…-xyz` in code: anyone "
        "who reads the repo can forge tokens; load it from the environment (a settings field "
        "with no default)."
    )
    assert flask.facts["password_hashing"] == ["werkzeug"]


def test_an_app_without_any_auth_gets_no_open_route_findings(tmp_path: Path) -> None:
    app = (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.post("/notes")\ndef create_note(text: str):\n    return {"text": text}\n\n\n'
        '@app.delete("/notes/{note_id}", status_code=204)\ndef delete_note(note_id: int):\n'
        "    return None\n"
    )
    output = run(ANALYZER, tmp_path / "repo", {"main.py": app})
    assert rows(output) == []
    assert output.facts["protected_share"] == 0.0


def test_exempt_routes_and_app_wide_middleware(tmp_path: Path) -> None:
    app = (
        "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n\n"
        '@app.middleware("http")\n'
        "async def require_token(request: Request, call_next):\n"
        '    if not request.headers.get("Authorization"):\n'
        "        raise PermissionError\n"
        "    return await call_next(request)\n\n\n"
        '@app.post("/webhooks/stripe")\ndef stripe_webhook():\n    return None\n\n\n'
        '@app.delete("/notes/{note_id}", status_code=204)\ndef delete_note(note_id: int):\n'
        "    return None\n"
    )
    output = run(ANALYZER, tmp_path / "repo", {"main.py": app})
    assert rows(output) == []
    assert output.facts["protected_share"] == 1.0
    assert output.facts["mutating_routes"] == 1


def test_nothing_to_judge_is_not_applicable(tmp_path: Path) -> None:
    output = run(ANALYZER, tmp_path / "repo", {"cli.py": "print('hello')\n"})
    assert output.facts["not_applicable"] == {
        "C12": "no web routes and no authentication code found"
    }


def test_c12_score_shaped_by_hashing_and_protected_routes() -> None:
    adjust = ADJUSTERS["C12"]
    learner = {"auth": {"stores_passwords": True, "password_hashing": [], "protected_share": 0.5}}
    assert adjust(80.0, learner) == (
        50.0,
        ["no password-hashing library", "50% of mutating routes require authentication"],
    )
    good = {
        "auth": {"stores_passwords": True, "password_hashing": ["argon2"], "protected_share": 1.0}
    }
    assert adjust(100.0, good) == (
        100.0,
        ["passwords hashed with argon2", "100% of mutating routes require authentication"],
    )
    assert adjust(70.0, {"auth": {"stores_passwords": False, "protected_share": None}}) == (
        70.0,
        [],
    )


def test_fast_hash_of_non_password_data_is_silent(tmp_path: Path) -> None:
    files = {
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "app/fingerprint.py": (
            "import hashlib\n\n\n"
            "def fingerprint(rule: str, code: str) -> str:\n"
            '    key = "\\0".join((rule, code))\n'
            '    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()\n'
            "\n\n"
            "def passport_digest(passport_number: str) -> str:\n"
            "    return hashlib.sha256(passport_number.encode()).hexdigest()\n"
            "\n\n"
            "def hash_pw(pw: str) -> str:\n"
            "    return hashlib.md5(pw.encode()).hexdigest()\n"
        ),
    }
    output = run(ANALYZER, tmp_path / "repo", files)
    assert [(f.rule, f.path, f.line) for f in output.findings] == [
        ("RB1202", "app/fingerprint.py", 14),
    ]
