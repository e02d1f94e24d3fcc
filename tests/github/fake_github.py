"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that PyGithub talks to unchanged.

It serves the operations of `github-fixtures/rest/operations.json` (routed by its `index`),
and for each request:

- checks the token: unknown tokens get 401, read-only tokens get 403 on every write, as
  GitHub answers a fork's pull request token ("Resource not accessible by integration");
- validates the body against the operation's request schema (JSON Schema 2020-12) and the
  query and path parameters against theirs; an invalid request gets GitHub's 422;
- enforces the limits the schemas don't say: 65,536-character comment bodies (with the 422
  GitHub was seen answering), 255-character annotation titles, and inline review comments
  only on lines of the pull request's diff (else the whole review gets a 422);
- keeps state, so a second run sees the first run's reviews, comments and check runs;
- answers with bodies made from the operation's own response example, patched with the
  state's ids and values and this server's URL, and checked against the response schema;
- records every request (method, path, query, body, status, operation) for assertions.

Operations reviewbot does not call answer 501, so a test notices a new call.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft202012Validator

DOCS = "https://docs.github.com/rest"
COMMENT_LIMIT = 65_536
TITLE_LIMIT = 255
BODY_TOO_LONG = {
    "message": "Validation Failed",
    "errors": [
        {
            "resource": "IssueComment",
            "code": "unprocessable",
            "field": "data",
            "message": "Body is too long (maximum is 65536 characters)",
        }
    ],
    "documentation_url": f"{DOCS}/issues/comments#create-an-issue-comment",
}
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    operation: str | None

    @property
    def call(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class PullState:
    head_sha: str
    base_sha: str
    files: list[dict[str, Any]]
    reviews: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)


def diff_lines(patch: str | None) -> dict[str, set[int]]:
    """The lines a review comment may target, per side, read independently of reviewbot."""
    sides: dict[str, set[int]] = {"LEFT": set(), "RIGHT": set()}
    left = right = 0
    for text in (patch or "").splitlines():
        match = _HUNK.match(text)
        if match:
            left, right = int(match.group(1)), int(match.group(3))
        elif text.startswith("+"):
            sides["RIGHT"].add(right)
            right += 1
        elif text.startswith("-"):
            sides["LEFT"].add(left)
            left += 1
        elif text.startswith(" ") or text == "":
            sides["LEFT"].add(left)
            sides["RIGHT"].add(right)
            left, right = left + 1, right + 1
    return sides


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status, self.body = status, body


class FakeGitHub:
    """The fake server and its state. Use as a context manager; `url` is the API base URL."""

    def __init__(
        self,
        operations_file: Path,
        repository: str,
        *,
        tokens: tuple[str, ...] = ("test-token",),
        read_only_tokens: tuple[str, ...] = ("read-only-token",),
    ) -> None:
        self.ops = json.loads(operations_file.read_text(encoding="utf-8"))
        self.repository = repository
        self.tokens, self.read_only = set(tokens), set(read_only_tokens)
        self.pulls: dict[int, PullState] = {}
        self.issue_comments: dict[int, dict[str, Any]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self._ids = 1000
        self._lock = threading.Lock()
        self._routes = [self._route(key, op) for key, op in self.ops["index"].items()]
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # State the tests set up and read.

    def add_pull(self, number: int, head_sha: str, base_sha: str, files: list[dict[str, Any]]
                 ) -> None:
        self.pulls[number] = PullState(head_sha, base_sha, files)

    def push_to_pull(self, number: int, head_sha: str, files: list[dict[str, Any]]) -> None:
        self.pulls[number].head_sha, self.pulls[number].files = head_sha, files

    def calls(self, since: int = 0) -> list[str]:
        """'METHOD /path' of every request from number `since` on."""
        return [r.call for r in self.requests[since:]]

    def count_by_operation(self, since: int = 0) -> Counter[str]:
        return Counter(f"{r.operation} ({r.method})" for r in self.requests[since:])

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.issue_comments.values() if c["_issue"] == number]

    # Routing and checks.

    def _route(self, key: str, op_id: str) -> tuple[str, re.Pattern[str], str]:
        method, template = key.split(" ", 1)
        op = self.ops["operations"][op_id]
        multi = {p["name"] for p in op["request"]["parameters"] if p.get("x-multi-segment")}

        def param(match: re.Match[str]) -> str:
            name = match.group(1)
            return f"(?P<{name}>.+)" if name in multi else f"(?P<{name}>[^/]+)"

        pattern = re.sub(r"\{(\w+)\}", param, re.escape(template).replace(r"\{", "{").replace(
            r"\}", "}"))
        return method, re.compile(pattern + "$"), op_id

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator({**schema, "$defs": self.ops["$defs"]})

    def _check_parameters(self, op: dict[str, Any], params: dict[str, str],
                          query: dict[str, list[str]]) -> None:
        for spec in op["request"]["parameters"]:
            raw = params.get(spec["name"]) if spec["in"] == "path" else (
                query.get(spec["name"], [None])[0] if spec["in"] == "query" else None)
            if raw is None:
                continue
            value: Any = raw
            if spec.get("schema", {}).get("type") == "integer":
                if not re.fullmatch(r"-?\d+", raw):
                    raise ApiError(422, {"message": f"Invalid request.\n\n{spec['name']} is "
                                         "not an integer.", "documentation_url": DOCS})
                value = int(raw)
            errors = [e.message for e in self._validator(spec.get("schema", {})).iter_errors(value)]
            if spec["name"] == "per_page" and value > 100:  # documented, not in the schema
                errors.append(f"per_page {value} is over the maximum of 100")
            if errors:
                raise ApiError(422, {"message": f"Invalid request.\n\n{errors[0]}",
                                     "documentation_url": DOCS})

    def _check_body(self, op: dict[str, Any], body: Any) -> None:
        spec = op["request"].get("body")
        if spec is None:
            return
        errors = sorted(self._validator(spec["schema"]).iter_errors(body), key=str)
        if errors:
            detail = "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300]
                               for e in errors)
            raise ApiError(422, {"message": f"Invalid request.\n\n{detail}",
                                 "documentation_url": op.get("docs_url", DOCS)})

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
               ) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        body: Any = None
        operation = None
        extra: dict[str, str] = {}
        try:
            if raw_body:
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    raise ApiError(400, {"message": "Problems parsing JSON",
                                         "documentation_url": DOCS}) from None
            match = next(((m, op_id) for verb, pattern, op_id in self._routes
                          if verb == method and (m := pattern.match(path))), None)
            if match is None:
                raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
            found, operation = match
            self._authorise(method, headers)
            op = self.ops["operations"][operation]
            params = found.groupdict()
            self._check_parameters(op, params, query)
            self._check_body(op, body)
            with self._lock:
                status, payload, extra = self._dispatch(operation, params, query, body)
            self._check_response(op, status, payload)
        except ApiError as exc:
            status, payload = exc.status, exc.body
        with self._lock:
            self.requests.append(Recorded(method, path, query, body, status, operation))
        return status, payload, extra

    def _authorise(self, method: str, headers: dict[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer") or token not in self.tokens | self.read_only:
            raise ApiError(401, {"message": "Bad credentials", "documentation_url": DOCS,
                                 "status": "401"})
        if token in self.read_only and method != "GET":
            raise ApiError(403, {"message": "Resource not accessible by integration",
                                 "documentation_url": DOCS, "status": "403"})

    def _check_response(self, op: dict[str, Any], status: int, payload: Any) -> None:
        """The fake's own answers must match the response schema: a bug here is a 500."""
        content = op["responses"].get(str(status), {}).get("content") or {}
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return
        errors = list(self._validator(schema).iter_errors(payload))
        if errors:
            raise ApiError(500, {"message": f"fake response invalid: {errors[0].message}"})

    # Responses.

    def _example(self, op_id: str, status: str) -> Any:
        content = self.ops["operations"][op_id]["responses"][status]["content"]
        example = next(iter(content["application/json"]["examples"].values()))["value"]
        text = json.dumps(example).replace("https://api.github.com", self.url)
        return json.loads(text)

    def _item(self, op_id: str, status: str) -> dict[str, Any]:
        example = self._example(op_id, status)
        return copy.deepcopy(example[0] if isinstance(example, list) else example)

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _repo_url(self) -> str:
        return f"{self.url}/repos/{self.repository}"

    def _page(self, items: list[Any], query: dict[str, list[str]], path: str
              ) -> tuple[int, Any, dict[str, str]]:
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, chunk, headers

    def _dispatch(self, op_id: str, params: dict[str, str], query: dict[str, list[str]],
                  body: Any) -> tuple[int, Any, dict[str, str]]:
        if f"{params.get('owner')}/{params.get('repo')}" != self.repository:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        handler = getattr(self, "_op_" + op_id.replace("/", "_").replace("-", "_"), None)
        if handler is None:
            raise ApiError(501, {"message": f"{op_id} is not served by the fake"})
        result: tuple[int, Any, dict[str, str]] = handler(params, query, body)
        return result

    def _pull(self, params: dict[str, str]) -> PullState:
        pull = self.pulls.get(int(params["pull_number"]))
        if pull is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        return pull

    def _op_pulls_list_files(self, params: dict[str, str], query: dict[str, list[str]],
                             body: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(params)
        items = []
        for entry in pull.files:
            item = self._item("pulls/list-files", "200")
            item.update(entry)
            items.append(item)
        path = f"/repos/{self.repository}/pulls/{params['pull_number']}/files"
        return self._page(items, query, path)

    def _op_pulls_list_reviews(self, params: dict[str, str], query: dict[str, list[str]],
                               body: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(params)
        path = f"/repos/{self.repository}/pulls/{params['pull_number']}/reviews"
        return self._page([copy.deepcopy(r) for r in pull.reviews], query, path)

    def _op_pulls_create_review(self, params: dict[str, str], query: dict[str, list[str]],
                                body: Any) -> tuple[int, Any, dict[str, str]]:
        pull = self._pull(params)
        event = body.get("event")
        text = body.get("body") or ""
        if event in ("COMMENT", "REQUEST_CHANGES") and not text:
            raise ApiError(422, {"message": "Unprocessable Entity", "documentation_url": DOCS,
                                 "errors": ["Review body is required"]})
        if len(text) > COMMENT_LIMIT:
            raise ApiError(422, {"message": "Unprocessable Entity", "documentation_url": DOCS,
                                 "errors": ["Body is too long (maximum is 65536 characters)"]})
        files = {f["filename"]: diff_lines(f.get("patch")) for f in pull.files}
        for comment in body.get("comments", []):
            side = comment.get("side", "RIGHT")
            line = comment.get("line")
            if comment["path"] not in files or line not in files[comment["path"]].get(side, ()):
                raise ApiError(422, {"message": "Unprocessable Entity",
                                     "documentation_url": DOCS,
                                     "errors": ["Pull request review thread line must be part "
                                                "of the diff"]})
        review = self._item("pulls/create-review", "200")
        number = params["pull_number"]
        review_id = self._next_id()
        review.update(
            id=review_id, body=text, user={**review["user"], **BOT},
            state={"COMMENT": "COMMENTED", "APPROVE": "APPROVED",
                   "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(event, "PENDING"),
            commit_id=body.get("commit_id", pull.head_sha),
            pull_request_url=f"{self._repo_url()}/pulls/{number}",
            html_url=f"https://github.com/{self.repository}/pull/{number}"
                     f"#pullrequestreview-{review_id}",
        )
        review["_links"] = {"html": {"href": review["html_url"]},
                            "pull_request": {"href": review["pull_request_url"]}}
        pull.reviews.append(review)
        for comment in body.get("comments", []):
            pull.review_comments.append({**comment, "review_id": review_id,
                                         "commit_id": review["commit_id"]})
        return 200, review, {}

    def _issue_comment(self, number: int, text: str) -> dict[str, Any]:
        comment = self._item("issues/create-comment", "201")
        comment_id = self._next_id()
        comment.update(
            id=comment_id, body=text, user={**comment["user"], **BOT},
            url=f"{self._repo_url()}/issues/comments/{comment_id}",
            issue_url=f"{self._repo_url()}/issues/{number}",
            html_url=f"https://github.com/{self.repository}/pull/{number}"
                     f"#issuecomment-{comment_id}",
        )
        return comment

    @staticmethod
    def _check_comment_body(text: str) -> None:
        if len(text) > COMMENT_LIMIT:
            raise ApiError(422, copy.deepcopy(BODY_TOO_LONG))

    def _op_issues_list_comments(self, params: dict[str, str], query: dict[str, list[str]],
                                 body: Any) -> tuple[int, Any, dict[str, str]]:
        number = int(params["issue_number"])
        items = [{k: v for k, v in c.items() if k != "_issue"} for c in self.comments_on(number)]
        return self._page(items, query, f"/repos/{self.repository}/issues/{number}/comments")

    def _op_issues_create_comment(self, params: dict[str, str], query: dict[str, list[str]],
                                  body: Any) -> tuple[int, Any, dict[str, str]]:
        self._check_comment_body(body["body"])
        number = int(params["issue_number"])
        comment = self._issue_comment(number, body["body"])
        self.issue_comments[comment["id"]] = {**comment, "_issue": number}
        return 201, comment, {}

    def _op_issues_update_comment(self, params: dict[str, str], query: dict[str, list[str]],
                                  body: Any) -> tuple[int, Any, dict[str, str]]:
        self._check_comment_body(body["body"])
        stored = self.issue_comments.get(int(params["comment_id"]))
        if stored is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        stored.update(body=body["body"], updated_at="2024-01-01T00:00:00Z")
        return 200, {k: v for k, v in stored.items() if k != "_issue"}, {}

    def _check_annotations(self, output: dict[str, Any] | None) -> list[dict[str, Any]]:
        annotations = list((output or {}).get("annotations") or [])
        for note in annotations:
            if len(note.get("title", "")) > TITLE_LIMIT or len(note["message"]) > 64 * 1024:
                raise ApiError(422, {"message": "Invalid request.\n\nannotation too long",
                                     "documentation_url": DOCS})
        return annotations

    def _check_run_response(self, run: dict[str, Any]) -> dict[str, Any]:
        response = self._item("checks/create", "201")
        output = run["output"]
        response.update(
            id=run["id"], name=run["name"], head_sha=run["head_sha"], status=run["status"],
            conclusion=run["conclusion"], external_id=run.get("external_id"),
            url=f"{self._repo_url()}/check-runs/{run['id']}",
            html_url=f"https://github.com/{self.repository}/runs/{run['id']}",
            output={"title": output.get("title"), "summary": output.get("summary"),
                    "text": output.get("text"), "annotations_count": len(run["annotations"]),
                    "annotations_url": f"{self._repo_url()}/check-runs/{run['id']}/annotations"},
            pull_requests=[],
        )
        return response

    def _op_checks_create(self, params: dict[str, str], query: dict[str, list[str]],
                          body: Any) -> tuple[int, Any, dict[str, str]]:
        annotations = self._check_annotations(body.get("output"))
        run_id = self._next_id()
        status = "completed" if body.get("conclusion") else body.get("status", "queued")
        output = {k: v for k, v in (body.get("output") or {}).items() if k != "annotations"}
        run = {"id": run_id, "name": body["name"], "head_sha": body["head_sha"],
               "status": status, "conclusion": body.get("conclusion"), "output": output,
               "annotations": annotations, "external_id": body.get("external_id")}
        self.check_runs[run_id] = run
        return 201, self._check_run_response(run), {}

    def _op_checks_update(self, params: dict[str, str], query: dict[str, list[str]],
                          body: Any) -> tuple[int, Any, dict[str, str]]:
        run = self.check_runs.get(int(params["check_run_id"]))
        if run is None:
            raise ApiError(404, {"message": "Not Found", "documentation_url": DOCS})
        run["annotations"] += self._check_annotations(body.get("output"))
        run["output"].update(
            {k: v for k, v in (body.get("output") or {}).items() if k != "annotations"})
        for key in ("status", "conclusion", "name"):
            if key in body:
                run[key] = body[key]
        return 200, self._check_run_response(run), {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload, extra = fake.handle(self.command, self.path, headers, raw)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            # The names http.server calls.
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the recorded requests are the log

        return Handler
