"""The route table in the terminal and markdown reviews."""

from __future__ import annotations

from dataclasses import replace

from reviewbot.model import Route
from reviewbot.reporters import markdown, terminal

from .sample_reports import learner_report

ROUTES = (
    Route("GET", "/api/v1/posts", "list_posts", "app/routers/posts.py", 35, False),
    Route("DELETE", "/api/v1/posts/{post_id}", "delete_post", "app/routers/posts.py", 70, True,
          204),
    Route("POST", "/x|y`<img src=x>", "evil", "app/x.py", None, None),
)


def test_terminal_lists_routes_with_auth() -> None:
    text = terminal.render(replace(learner_report(), routes=ROUTES), width=100)
    section = text[text.index("Routes (3)"):].splitlines()[:5]
    assert section == [
        "Routes (3)",
        "Method  Path                     Handler                               Auth",
        "GET     /api/v1/posts            list_posts  app/routers/posts.py:35   ✖",
        "DELETE  /api/v1/posts/{post_id}  delete_post  app/routers/posts.py:70  ✔",
        "POST    /x|y`<img src=x>         evil  app/x.py                        ?",
    ]


def test_markdown_folds_routes_and_escapes_them() -> None:
    text = markdown.render(replace(learner_report(), routes=ROUTES))
    start = text.index("<details><summary>Routes (3)</summary>")
    lines = text[start:].splitlines()[:8]
    assert lines == [
        "<details><summary>Routes (3)</summary>",
        "",
        "| Method | Path | Handler | Auth |",
        "|---|---|---|---|",
        "| GET | `/api/v1/posts` | `list_posts` `app/routers/posts.py:35` | no |",
        "| DELETE | `/api/v1/posts/{post_id}` | `delete_post` `app/routers/posts.py:70` | yes |",
        "| POST | ``/x\\|y`<img src=x>`` | `evil` `app/x.py` | ? |",
        "",
    ]


def test_no_routes_no_section() -> None:
    assert "Routes (" not in terminal.render(learner_report())
    assert "Routes (" not in markdown.render(learner_report())
