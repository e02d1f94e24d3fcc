"""The dashboard through FastAPI's TestClient on a seeded SQLite file: who gets in, and
exactly what the cohort, repository and review pages show."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reviewbot.service.app import create_app
from reviewbot.service.config import ServiceConfig
from reviewbot.service.dashboard import OFF_MESSAGE
from reviewbot.service.dashboard_auth import SESSION_COOKIE, SESSION_SECONDS, DashboardAuth
from reviewbot.service.dashboard_data import iso_time, relative_time, trend
from tests.reporters.sample_reports import WARN, finding, learner_report
from tests.service.dashboard_seed import (
    DAY,
    HOUR,
    Planned,
    add_dead_job,
    seed,
    store_review,
    variant,
)
from tests.service.deliveries import SECRET

TOKEN = "dashboard-token-0123456789"
DASH = "\u2013"  # what an empty cell shows


def make_config(tmp_path: Path, token: str | None = TOKEN) -> ServiceConfig:
    return ServiceConfig(webhook_secret=SECRET, database_url=f"sqlite:///{tmp_path / 's.db'}",
                         data_dir=tmp_path, workers=0, dashboard_token=token)


class Cells(HTMLParser):
    """The text of each row's cells of one table (by id), whitespace collapsed."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.depth = table_id, False, 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    parser = Cells(table_id)
    parser.feed(html)
    return parser.rows


def iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


@pytest.fixture
def now() -> float:
    return time.time()


@pytest.fixture
def client(tmp_path: Path, now: float) -> Iterator[TestClient]:
    app = create_app(make_config(tmp_path))
    seed(app.state.sessions, now)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def operator(client: TestClient) -> TestClient:
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    return client


# --- who gets in -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/dashboard", "/dashboard/login", "/dashboard/alice/x",
                                  "/dashboard/reviews/1"])
def test_without_a_token_the_dashboard_is_off(tmp_path: Path, path: str) -> None:
    with TestClient(create_app(make_config(tmp_path, token=None))) as client:
        response = client.get(path, headers={"Authorization": "Bearer "})
        assert (response.status_code, response.text) == (404, OFF_MESSAGE)
        assert OFF_MESSAGE == ("The dashboard is off: set REVIEWBOT_DASHBOARD_TOKEN to a long "
                               "random value to turn it on.\n")
        login = client.post("/dashboard/login", data={"token": ""})
        assert (login.status_code, login.text) == (404, OFF_MESSAGE)
        assert SESSION_COOKIE not in login.cookies


@pytest.mark.parametrize(("authorization", "status"), [
    (None, 401),
    ("Bearer wrong-token", 401),
    (f"Bearer {TOKEN}x", 401),
    (f"Basic {TOKEN}", 401),
    (f"Bearer {TOKEN[:-1]}", 401),
    (TOKEN, 401),
    (f"Bearer {TOKEN}", 200),
    (f"bearer  {TOKEN} ", 200),
])
def test_bearer_token(client: TestClient, authorization: str | None, status: int) -> None:
    sent = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/dashboard", headers=sent)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="reviewbot dashboard"'
        assert '<form class="login" method="post" action="/dashboard/login">' in response.text
        assert '<input type="hidden" name="next" value="/dashboard">' in response.text
        assert "alice/todo-api" not in response.text
    else:
        assert "<h1>Cohort</h1>" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"].startswith("default-src 'none';")


def test_login_sets_a_session_cookie_and_logout_ends_it(client: TestClient) -> None:
    page = client.get("/dashboard/alice/todo-api?x=1")
    assert page.status_code == 401
    assert 'name="next" value="/dashboard/alice/todo-api?x=1"' in page.text

    before = int(time.time())
    response = client.post("/dashboard/login", data={"token": TOKEN,
                                                      "next": "/dashboard/alice/todo-api"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/alice/todo-api"
    cookie = response.headers["set-cookie"]
    value = client.cookies[SESSION_COOKIE]
    assert cookie == (f"{SESSION_COOKIE}={value}; HttpOnly; Max-Age=43200; Path=/; "
                      "SameSite=strict")
    issued, _, mac = value.partition(".")
    assert before <= int(issued) <= time.time()
    assert mac == hmac.new(TOKEN.encode(), b"reviewbot dashboard session v1:" + issued.encode(),
                           hashlib.sha256).hexdigest()
    assert TOKEN not in cookie

    assert client.get("/dashboard/alice/todo-api").status_code == 200
    assert client.get("/dashboard").status_code == 200

    logout = client.post("/dashboard/logout", follow_redirects=False)
    assert (logout.status_code, logout.headers["location"]) == (303, "/dashboard/login")
    assert logout.headers["set-cookie"].startswith(f'{SESSION_COOKIE}=""; ')
    assert "Max-Age=0" in logout.headers["set-cookie"]
    assert client.get("/dashboard").status_code == 401


def test_a_wrong_token_gets_the_form_again(client: TestClient) -> None:
    response = client.post("/dashboard/login", data={"token": "guess", "next": "/dashboard"},
                           follow_redirects=False)
    assert response.status_code == 401
    assert '<p class="error" role="alert">That token is not the dashboard token.</p>' in (
        response.text)
    assert '<input id="token" name="token" type="password"' in response.text
    assert SESSION_COOKIE not in response.cookies
    assert client.get("/dashboard").status_code == 401


@pytest.mark.parametrize("form", [{}, {"next": "/dashboard"}, {"token": ["a", "b"]}])
def test_a_form_without_a_token_gets_the_form_again(client: TestClient,
                                                   form: dict[str, object]) -> None:
    response = client.post("/dashboard/login", data=form, follow_redirects=False)
    assert response.status_code == 401
    assert '<input id="token" name="token" type="password"' in response.text
    assert SESSION_COOKIE not in response.cookies


def test_a_forged_cookie_is_refused(client: TestClient) -> None:
    issued = str(int(time.time()))
    forged = hmac.new(b"another-token", b"reviewbot dashboard session v1:" + issued.encode(),
                      hashlib.sha256).hexdigest()
    for value in (f"{issued}.{forged}", TOKEN, f"{issued}.", "", f"{int(issued) - 13 * 3600}.x"):
        client.cookies.set(SESSION_COOKIE, value)
        assert client.get("/dashboard").status_code == 401


@pytest.mark.parametrize(("target", "location"), [
    ("/dashboard?sort=score&order=desc", "/dashboard?sort=score&order=desc"),
    ("/", "/"),
    ("https://evil.example/", "/dashboard"),
    ("//evil.example/dashboard", "/dashboard"),
    ("/\\evil.example", "/dashboard"),
    ("/dashboard\\@evil.example", "/dashboard"),
    ("/metrics", "/dashboard"),
])
def test_login_only_returns_to_the_dashboard(client: TestClient, target: str,
                                             location: str) -> None:
    response = client.post("/dashboard/login", data={"token": TOKEN, "next": target},
                           follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, location)


def test_the_login_page_is_public_when_on(client: TestClient) -> None:
    response = client.get("/dashboard/login?next=/dashboard/bob/shop-api")
    assert response.status_code == 200
    assert '<input type="hidden" name="next" value="/dashboard/bob/shop-api">' in response.text
    assert "Log out" not in response.text


# --- the cohort table --------------------------------------------------------------------

def test_cohort_table(operator: TestClient, now: float) -> None:
    html = operator.get("/dashboard").text
    rows = table(html, "cohort")
    assert rows[0] == ["Repository", "Learner", "Grade", "Trend", "Weakest criterion",
                       "Last activity"]
    assert rows[1:] == [
        ["alice/todo-api", "alice", "F 58.7", "↓ -2.5", "C15 Testing (0.0)",
         f"2 hours ago {iso(now - 2 * HOUR)}"],
        ["bob/shop-api", "bob", "A- 91.4", "↑ +6.9", "C17 Containerization (78.0)",
         f"3 days ago {iso(now - 3 * DAY)}"],
        ["carol/ml-notebooks", "carol", "n/a", "new", DASH, f"1 day ago {iso(now - DAY)}"],
        ["dave/blog-api", "dave", "C 75.3", "= 0.0", "C03 Type hints and static typing (58.0)",
         f"30 minutes ago {iso(now - 1800)}"],
        ["erin/first-api", "erin", "not reviewed yet", "new", DASH,
         f"6 hours ago {iso(now - 6 * HOUR)}"],
    ]
    assert "zed/old-api" not in html  # forgotten when the App was removed from it
    assert '<td class="trend trend-down">↓ -2.5</td>' in html
    assert '<td class="trend trend-up">↑ +6.9</td>' in html
    assert '<td class="trend">= 0.0</td>' in html
    assert '<a href="/dashboard/alice/todo-api">alice/todo-api</a>' in html
    assert '<span class="letter band-a">A-</span> 91.4' in html
    assert f'<time datetime="{iso(now - 1800)}"' in html
    assert "needs-attention" not in html


@pytest.mark.parametrize(("query", "order"), [
    ("", ["alice", "bob", "carol", "dave", "erin"]),
    ("?sort=repo&order=desc", ["erin", "dave", "carol", "bob", "alice"]),
    ("?sort=score&order=desc", ["bob", "dave", "alice", "carol", "erin"]),
    ("?sort=score&order=asc", ["alice", "dave", "bob", "carol", "erin"]),
    ("?sort=score", ["bob", "dave", "alice", "carol", "erin"]),
    ("?sort=trend&order=desc", ["bob", "dave", "alice", "carol", "erin"]),
    ("?sort=trend&order=asc", ["alice", "dave", "bob", "carol", "erin"]),
    ("?sort=weakest&order=asc", ["alice", "dave", "bob", "carol", "erin"]),
    ("?sort=activity&order=desc", ["dave", "alice", "erin", "carol", "bob"]),
    ("?sort=activity&order=asc", ["bob", "carol", "erin", "alice", "dave"]),
    ("?sort=learner&order=desc", ["erin", "dave", "carol", "bob", "alice"]),
    ("?sort=nonsense&order=sideways", ["alice", "bob", "carol", "dave", "erin"]),
])
def test_cohort_sort_order(operator: TestClient, query: str, order: list[str]) -> None:
    rows = table(operator.get("/dashboard" + query).text, "cohort")[1:]
    assert [row[1] for row in rows] == order


def test_column_headers_link_to_their_sort(operator: TestClient) -> None:
    html = operator.get("/dashboard?sort=score&order=desc").text
    headers = re.findall(r'<th scope="col" aria-sort="(\w+)"><a href="([^"]+)">([^<]+)</a>',
                         html)
    assert headers == [
        ("none", "/dashboard?sort=repo&amp;order=asc", "Repository"),
        ("none", "/dashboard?sort=learner&amp;order=asc", "Learner"),
        ("descending", "/dashboard?sort=score&amp;order=asc", "Grade"),
        ("none", "/dashboard?sort=trend&amp;order=desc", "Trend"),
        ("none", "/dashboard?sort=weakest&amp;order=asc", "Weakest criterion"),
        ("none", "/dashboard?sort=activity&amp;order=desc", "Last activity"),
    ]


def test_dead_jobs_need_attention(operator: TestClient, now: float) -> None:
    sessions = operator.app.state.sessions  # type: ignore[attr-defined]
    first = add_dead_job(sessions, "alice/todo-api", "clone failed: exit 128", now - DAY)
    hostile = add_dead_job(sessions, "<b>x</b>/y", '<script>alert("dead")</script>\x1b[31m',
                           now - HOUR, attempts=3)
    html = operator.get("/dashboard").text
    assert '<h2 id="attention-title">Needs attention: 2 dead jobs</h2>' in html
    rows = re.findall(r'<tr class="dead-job">(.*?)</tr>', html)
    assert rows == [
        f'<td class="num">#{hostile}</td><td>&lt;b&gt;x&lt;/b&gt;/y</td><td class="num">3</td>'
        f'<td>{iso(now - HOUR)}</td><td><pre>&lt;script&gt;alert(&#34;dead&#34;)&lt;/script&gt;'
        r'\x1b[31m</pre></td>',
        f'<td class="num">#{first}</td><td>alice/todo-api</td><td class="num">5</td>'
        f'<td>{iso(now - DAY)}</td><td><pre>clone failed: exit 128</pre></td>',
    ]
    assert "<script>" not in html


# --- the repository and review pages ----------------------------------------------------

def test_repo_page_chart_and_latest_review(operator: TestClient) -> None:
    response = operator.get("/dashboard/alice/todo-api")
    assert response.status_code == 200
    html = response.text
    assert '<h2 id="history-title">Grade history (3 reviews)</h2>' in html
    points = re.findall(r'<circle class="point" cx="([\d.]+)" cy="([\d.]+)" r="4"><title>'
                        r"review #(\d+) · [\dT:Z-]+ · ([^<]+)</title>", html)
    assert [(x, y, grade) for x, y, _, grade in points] == [
        ("44.0", "108.2", "F 52.0"), ("414.0", "90.5", "D- 61.2"), ("784.0", "95.3", "F 58.7")]
    assert re.findall(r'<polyline points="([^"]+)"/>', html)[0] == (
        "44.0,108.2 414.0,90.5 784.0,95.3")
    # Small multiples: C15 scored in every review, C06 never (no line, no point).
    c15 = html.split('id="chart-C15"')[1].split("</figure>")[0]
    assert c15.count('class="cpoint"') == 3
    assert "<strong>0.0</strong>" in c15
    c06 = html.split('id="chart-C06"')[1].split("</figure>")[0]
    assert "cpoint" not in c06 and "<polyline" not in c06
    assert "<strong>n/a</strong>" in c06
    assert html.count('<figure class="small"') == 20
    assert '<title id="history-chart-title">Total score of alice/todo-api over its last 3 ' \
           "reviews</title>" in html
    latest = html.split('<section id="latest"')[1]
    assert '<span class="letter band-f">F</span> 58.7' in latest
    assert "(pull request #7)" in latest
    assert "<li><strong>C15 Testing</strong>: Add a tests/ folder with pytest tests" in latest
    assert "<h3>Top findings (10 of 24)</h3>" in latest
    first = re.search(r'<li class="finding">(.*?)</li>', latest)
    assert first is not None
    assert first[1] == ('<span class="sev-error">error</span> <code>RB1501</code> '
                        '<code>.</code> <span class="msg">no tests found: no test_*.py or '
                        "tests/ folder</span>")
    assert table(html, "cohort") == []


def test_repo_page_of_an_unreviewed_and_unknown_repo(operator: TestClient) -> None:
    erin = operator.get("/dashboard/erin/first-api")
    assert erin.status_code == 200
    assert "<p>Not reviewed yet.</p>" in erin.text
    for path in ("/dashboard/nobody/nothing", "/dashboard/zed/old-api"):
        missing = operator.get(path)
        assert missing.status_code == 404
        assert f"<p>There is no repository {path[11:]} here.</p>" in missing.text


def test_ungraded_repo_chart_has_no_points(operator: TestClient) -> None:
    html = operator.get("/dashboard/carol/ml-notebooks").text
    assert 'class="point"' not in html and "<polyline" not in html
    assert '<span class="letter band-none">n/a</span>' in html


def test_review_page(operator: TestClient) -> None:
    bob = operator.get("/dashboard/bob/shop-api").text
    review_id = int(re.findall(r'<a href="/dashboard/reviews/(\d+)">Review #', bob)[0])
    page = operator.get(f"/dashboard/reviews/{review_id}")
    assert page.status_code == 200
    text = page.text
    assert f"<title>Review #{review_id} of bob/shop-api · reviewbot dashboard</title>" in text
    assert '<p class="grade-line">Grade <span class="letter band-a">A-</span> 91.4 · level ' \
           "job-ready</p>" in text
    assert "<h2>Findings (4)</h2>" in text
    assert re.findall(r"<code>([^<]+)</code> <code>([^<]+)</code>", text) == [
        ("RB1701", "Dockerfile:14"), ("radon:C901", "orders/services.py:88"),
        ("bandit:B311", "orders/tests/factories.py:9"),
        ("ruff:E501", "shop/settings/base.py:120")]
    assert '<span class="muted">(suppressed: test data only)</span>' in text
    assert ("<tr><td>C17 Containerization</td><td>ok</td><td class=\"num\">78.0</td>"
            "<td>multi-stage slim image; runs as root</td></tr>") in text
    assert operator.get("/dashboard/reviews/999").status_code == 404


def test_hostile_learner_text_is_escaped(operator: TestClient, now: float) -> None:
    sessions = operator.app.state.sessions  # type: ignore[attr-defined]
    repo = "mallory/<img src=x onerror=alert(1)>"
    planned = Planned(repo, "learner", 61.2, "D-<b>", {}, 60.0)
    base = variant(learner_report(), repo, planned)
    hostile = finding("ruff:F401", WARN, ('app/"><script>alert(2)</script>.py', 1),
                      "<script>alert(3)</script> `x`")
    report = dataclasses.replace(base, findings=(hostile,))
    with sessions() as session:
        row = store_review(session, planned, now, 99, report)
        row.learner = "<i>mallory</i>"
        session.commit()
        review_id = row.id
    pages = [operator.get("/dashboard").text,
             operator.get(f"/dashboard/reviews/{review_id}").text]
    for html in pages:
        assert "<script>" not in html and "<img src=x" not in html and "<i>mallory" not in html
    cohort, review = pages
    assert ('<a href="/dashboard/mallory/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E">'
            "mallory/&lt;img src=x onerror=alert(1)&gt;</a>") in cohort
    assert '<td class="learner">&lt;i&gt;mallory&lt;/i&gt;</td>' in cohort
    assert "D-&lt;b&gt;" in cohort
    assert ('<code>app/&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;.py:1</code> '
            '<span class="msg">&lt;script&gt;alert(3)&lt;/script&gt; `x`</span>') in review


def test_history_chart_dates_stay_inside_the_chart(operator: TestClient, now: float) -> None:
    html = operator.get("/dashboard/alice/todo-api").text
    assert re.findall(r'<text class="date" x="([\d.]+)" y="230" text-anchor="(\w+)">([^<]+)<',
                      html) == [("44.0", "start", iso(now - 10 * DAY)[:10]),
                                ("784.0", "end", iso(now - 2 * HOUR)[:10])]


# --- the pieces ----------------------------------------------------------------------------

def test_sessions_expire_and_die_with_the_token() -> None:
    clock = [1_000_000.0]
    auth = DashboardAuth(TOKEN, clock=lambda: clock[0])
    value = auth.session_value()
    assert value.startswith("1000000.")
    assert auth.session_valid(value)
    clock[0] += SESSION_SECONDS - 1
    assert auth.session_valid(value)
    clock[0] += 1
    assert not auth.session_valid(value)
    clock[0] = 1_000_000.0 - 5  # issued in the future: refused
    assert not auth.session_valid(value)
    assert not DashboardAuth("another-token", clock=lambda: 1_000_000.0).session_valid(value)
    assert not DashboardAuth(None).session_valid(value)
    assert not DashboardAuth(None).token_matches("")
    with pytest.raises(ValueError, match="no dashboard token is configured"):
        DashboardAuth(None).session_value()


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "just now"), (59, "just now"), (60, "1 minute ago"), (150, "2 minutes ago"),
    (3600, "1 hour ago"), (7199, "1 hour ago"), (86400, "1 day ago"), (10 * 86400, "10 days ago"),
    (-30, "just now"),
])
def test_relative_time(seconds: float, text: str) -> None:
    assert relative_time(1_700_000_000.0 - seconds, now=1_700_000_000.0) == text


def test_iso_time() -> None:
    assert iso_time(1_700_000_000.9) == "2023-11-14T22:13:20Z"


@pytest.mark.parametrize(("latest", "previous", "arrow", "text"), [
    (58.7, 61.2, "↓", "↓ -2.5"), (91.4, 84.5, "↑", "↑ +6.9"), (75.3, 75.3, "=", "= 0.0"),
    (75.31, 75.29, "=", "= 0.0"), (None, 50.0, "", "new"), (50.0, None, "", "new"),
])
def test_trend(latest: float | None, previous: float | None, arrow: str, text: str) -> None:
    assert (trend(latest, previous).arrow, trend(latest, previous).text) == (arrow, text)
