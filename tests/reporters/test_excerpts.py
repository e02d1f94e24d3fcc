"""Source lines for excerpts and fingerprints: confined to the checkout, secrets masked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reviewbot.reporters.excerpts import (
    MAX_FILE_BYTES,
    ExcerptLine,
    SourceFiles,
    excerpt,
    mask_line,
    normalised,
)

from .sample_reports import WARN, finding

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "learner-api"
# Fake secrets, built in pieces so that this file holds no complete secret literal.
OPENAI_KEY = "sk-proj-" + "H3ruAiGkEABRvZPx323vDRe89YnBB88rxB7IzfwX"
DB_URL = "postgres:" + "//bloguser:bl0gpass2024@db.example:5432/blog"
STRIPE_KEY = "sk_" + "live_51HqLyjWDarjtT1zdp7dcXGn"


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ('SECRET_KEY = "blog-secret-key-do-not-share-8f3k2l"', 'SECRET_KEY = "blog…3k2l"'),
        (f"OPENAI_API_KEY={OPENAI_KEY}",
         "OPENAI_API_KEY=sk-p…zfwX"),
        (f"DATABASE_URL={DB_URL}",
         "DATABASE_URL=postgres://bloguser:bl…24@db.example:5432/blog"),
        ("ENV SECRET_KEY=blog-secret-key-do-not-share-8f3k2l", "ENV SECRET_KEY=blog…3k2l"),
        ('    User(name="Bob", email="bob@gmail.com", password="bobpassword"),',
         '    User(name="Bob", email="bob@gmail.com", password="bo…rd"),'),
        ('json={"email": "a@b.c", "password": "test123"}',
         'json={"email": "a@b.c", "password": "••••"}'),
        ('assert verify_password("hunter2", hashed)', 'assert verify_password("••••", hashed)'),
        ('key = os.getenv("SECRET_KEY", "dev-secret-value")',
         'key = os.getenv("SECRET_KEY", "de…ue")'),
        ('password: str = "changeme"', 'password: str = "••••"'),
        (f'stripe = "{STRIPE_KEY}"', 'stripe = "sk_l…cXGn"'),
        ('aws = "AKIAIOSFODNN7EXAMPLE"', 'aws = "AKIA…MPLE"'),
        # Not secrets: left as they are so the code stays readable.
        ('SECRET_KEY = os.environ["SECRET_KEY"]', 'SECRET_KEY = os.environ["SECRET_KEY"]'),
        ("password = user_password", "password = user_password"),
        ("    password: str", "    password: str"),
        ('path = "app/routers/users_v2.py"', 'path = "app/routers/users_v2.py"'),
        ('options={"verify_signature": False}', 'options={"verify_signature": False}'),
        ('return {"error": "wrong email or password"}',
         'return {"error": "wrong email or password"}'),
    ],
)
def test_mask_line(line: str, masked: str) -> None:
    assert mask_line(line) == masked


def test_no_planted_secret_of_the_learner_example_survives_masking() -> None:
    planted = (OPENAI_KEY, "bl0gpass2024",
               "blog-secret-key-do-not-share-8f3k2l", "alice123", "bobpassword")
    files = [p for p in EXAMPLE.rglob("*") if p.is_file() and p.suffix in ("", ".py", ".env")]
    files.append(EXAMPLE / ".env")
    seen = set()
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            seen.update(secret for secret in planted if secret in line)
            masked = mask_line(line)
            assert not [secret for secret in planted if secret in masked], (path, masked)
    assert seen == set(planted)


def test_normalised_folds_whitespace() -> None:
    assert normalised("    if  x ==\t1 :  \n") == "if x == 1 :"


def test_source_files_stay_inside_the_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.py").write_text("TOKEN = 1\n")
    (root / "app.py").write_text("a = 1\r\nb = 2\n")
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "inner.py").symlink_to(root / "app.py")
    (root / "big.py").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    (root / "bin.dat").write_bytes(b"\x00\x01abc")
    (root / "latin.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (root / "pkg").mkdir()
    files = SourceFiles(root)
    assert files.lines("app.py") == ("a = 1", "b = 2")
    assert files.lines("inner.py") == ("a = 1", "b = 2")
    assert files.line("app.py", 2) == "b = 2"
    assert files.line("app.py", 3) is None
    assert files.line("app.py", None) is None
    for refused in ("link.py", "../outside/secret.py", str(outside / "secret.py"), ".", "",
                    "big.py", "bin.dat", "pkg", "missing.py"):
        assert files.lines(refused) is None, refused
    assert files.lines("latin.py") == ("name = '\ufffdt\ufffd'",)
    assert SourceFiles(None).lines("app.py") is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    assert SourceFiles(tmp_path).lines("pipe.py") is None


def test_excerpt_shows_context_and_highlights_the_finding(tmp_path: Path) -> None:
    lines = [f"line_{n} = {n}" for n in range(1, 11)]
    lines[4] = 'API_TOKEN = "abcdefgh12345678XYZ"'
    (tmp_path / "mod.py").write_text("\n".join(lines) + "\n")
    files = SourceFiles(tmp_path)
    found = excerpt(files, finding("RB1301", WARN, ("mod.py", 5), "token"))
    assert found is not None
    assert found.path == "mod.py"
    assert found.lines == (
        ExcerptLine(3, "line_3 = 3", False),
        ExcerptLine(4, "line_4 = 4", False),
        ExcerptLine(5, 'API_TOKEN = "abcd…8XYZ"', True),
        ExcerptLine(6, "line_6 = 6", False),
        ExcerptLine(7, "line_7 = 7", False),
    )
    # At the top of the file, and a long span: its first three lines are highlighted.
    first = excerpt(files, finding("RB1301", WARN, ("mod.py", 1), "x", end_line=9))
    assert first is not None
    assert [(x.number, x.highlighted) for x in first.lines] == [
        (1, True), (2, True), (3, True), (4, False), (5, False)]
    assert excerpt(files, finding("RB1301", WARN, ("mod.py", 11), "past the end")) is None
    assert excerpt(files, finding("RB1301", WARN, ("mod.py", None), "no line")) is None
    assert excerpt(SourceFiles(None), finding("RB1301", WARN, ("mod.py", 5), "x")) is None


def test_excerpt_lines_are_printable_and_bounded(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text("x = 1  # \x1b[2J\u202e\tgotcha" + "y" * 400 + "\n")
    found = excerpt(SourceFiles(tmp_path), finding("RB1301", WARN, ("evil.py", 1), "x"))
    assert found is not None
    [line] = found.lines
    assert line.text.startswith("x = 1  # \\x1b[2J\\u202e gotchayyy")
    assert len(line.text) == 240
    assert line.text.endswith("…")
