"""Commentary in the terminal, markdown and HTML reports: labelled as AI-generated, shown as
text (a reply cannot add links, images, HTML or mentions), and notes when there is none."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from reviewbot.commentary.view import commentary_view
from reviewbot.model import JSON, Report
from reviewbot.reporters import html, json_report, markdown, terminal
from reviewbot.reporters.escaping import md_text
from reviewbot.reporters.json_report import loads
from tests.reporters.browser import VIEWPORT, chromium
from tests.reporters.frozen_rules import frozen_rulebook
from tests.reporters.goldens import assert_golden
from tests.reporters.sample_reports import learner_report

HOSTILE = (
    "![x](http://evil/a.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)> @mention"
)
LABEL = "AI-generated commentary (model gpt-4o-mini) — does not affect the grade"


def commentary(text: str = "") -> dict[str, JSON]:
    extra = f" {text}" if text else ""
    return {
        "status": "ok",
        "model": "gpt-4o-mini",
        "label": LABEL,
        "strengths": [
            {"criterion": "C02", "text": "Your functions are short and focused: only "
             "update_user in app/routers/users.py:40 is complex." + extra},
            {"criterion": "C05", "text": "You split the app into routers, crud and models."},
        ],
        "next_steps": [
            {"criterion": "C15", "what": "Add pytest tests for your endpoints with TestClient."
             + extra, "why": "Teams merge only tested code; interviewers ask how you test."},
            {"criterion": "C13", "what": "Move the key out of app/config.py into the "
             "environment.", "why": "A leaked key is abused within hours."},
            {"criterion": "C01", "what": "Replace the bare except in app/crud.py:41.",
             "why": "Swallowed errors hide outages."},
        ],
        "fixes": [
            {"finding": "F1", "rule": "bandit:B105", "location": "app/config.py:4",
             "explanation": "Read it with os.environ[\"SECRET_KEY\"] instead." + extra},
        ],
        "usage": {"model": "gpt-4o-mini-2024-07-18", "prompt_tokens": 2841,
                  "completion_tokens": 412, "total_tokens": 3253, "latency_seconds": 3.42,
                  "requests": 1, "cached": False},
        "input": {"prompt_chars": 11169, "findings": 8, "findings_not_listed": 16,
                  "excerpts": 5, "excerpt_chars": 1008, "budget_chars": 6000,
                  "excerpts_dropped": []},
    }


def with_commentary(data: dict[str, JSON] | None = None) -> Report:
    return replace(learner_report(), commentary=data if data is not None else commentary())


RENDERERS: dict[str, Any] = {
    "txt": lambda report: terminal.render(report, color=False, width=100),
    "md": markdown.render,
    "html": lambda report: html.render(report, rulebook=frozen_rulebook()),
}


@pytest.mark.parametrize("extension", sorted(RENDERERS))
def test_output_matches_golden(extension: str) -> None:
    assert_golden(f"learner-commentary.{extension}", RENDERERS[extension](with_commentary()))


@pytest.mark.parametrize("extension", sorted(RENDERERS))
def test_every_format_labels_the_commentary(extension: str) -> None:
    text = RENDERERS[extension](with_commentary())
    plain = re.sub(r"<[^>]+>|[*`\\]", "", text)
    assert "AI-generated commentary (model gpt-4o-mini) — does not affect the grade" in plain


@pytest.mark.parametrize("extension", sorted(RENDERERS))
def test_reports_without_commentary_are_unchanged(extension: str) -> None:
    report = learner_report()
    assert RENDERERS[extension](report) == RENDERERS[extension](replace(report, commentary=None))
    assert "AI-generated" not in RENDERERS[extension](report)


def test_json_keeps_the_commentary_and_reads_it_back() -> None:
    report = with_commentary()
    assert loads(json_report.render(report)).commentary == commentary()


def test_markdown_reply_cannot_add_links_images_html_or_mentions() -> None:
    full = markdown.render(with_commentary(commentary(HOSTILE)))
    text = full.split("## AI-generated commentary")[1].split("\n## ")[0]
    rendered = MarkdownIt("commonmark", {"html": True}).render(text)
    assert rendered.count("onerror") == 3  # the hostile text is there, three times, as text
    assert "<img" not in rendered
    assert "href=" not in rendered
    assert "<a " not in rendered
    # Shown literally, as the text the model wrote.
    assert "![x](http://evil/a.png) [click](javascript:alert(1))" in rendered
    assert "@mention" not in text
    assert "@\u2060mention" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered


def test_html_reply_stays_text() -> None:
    page = html.render(with_commentary(commentary(HOSTILE)), rulebook=frozen_rulebook())
    section = page.split('<section id="commentary"')[1].split("</section>")[0]
    assert "<img" not in section
    assert "<a " not in section
    assert "&lt;img src=x onerror=alert(1)&gt;" in section
    assert "![x](http://evil/a.png) [click](javascript:alert(1))" in section


def test_terminal_reply_is_printed_as_is_without_control_characters() -> None:
    text = terminal.render(with_commentary(commentary("\x1b[2J cleared")), width=200)
    assert "\x1b" not in text
    assert "\\x1b[2J cleared" in text


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ({"status": "skipped", "model": "m", "reason": "install reviewbot[llm]"},
         "commentary skipped: install reviewbot[llm]"),
        ({"status": "failed", "model": "m",
          "reason": "the server answered HTTP 500; gave up after 3 attempts"},
         "commentary failed: the server answered HTTP 500; gave up after 3 attempts"),
    ],
)
def test_no_commentary_is_one_line_saying_why(data: dict[str, JSON], note: str) -> None:
    report = with_commentary(data)
    terminal_lines = terminal.render(report, width=200).splitlines()
    assert terminal_lines.count(note) == 1
    assert f"*{md_text(note)}*" in markdown.render(report).splitlines()
    page = html.render(report, rulebook=frozen_rulebook())
    assert f'<p class="muted">{note}</p>' in page
    assert "AI-generated commentary (model" not in terminal.render(report, width=200)


@pytest.mark.parametrize(
    "data",
    [
        {"status": "ok", "strengths": "not a list", "next_steps": [1, None], "fixes": {}},
        {"status": 3},
        {},
    ],
)
def test_a_damaged_commentary_never_breaks_a_report(data: dict[str, JSON]) -> None:
    report = with_commentary(data)
    for render in RENDERERS.values():
        render(report)
    assert commentary_view(data) is not None


def test_hostile_reply_in_a_real_browser(tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(
        html.render(with_commentary(commentary(HOSTILE)), rulebook=frozen_rulebook()),
        encoding="utf-8",
    )
    with chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.resolve().as_uri())
        section = page.locator("#commentary")
        assert section.locator("img, a, script").count() == 0
        assert "<img src=x onerror=alert(1)>" in section.inner_text()
        page.close()
    assert requests == [page_file.resolve().as_uri()]
