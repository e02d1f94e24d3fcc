"""A fake OpenAI-compatible server: a real HTTP server on 127.0.0.1 speaking the two endpoints
reviewbot's commentary uses, so the real `openai` client is exercised end to end.

`POST /v1/chat/completions` checks the request the way a strict structured-outputs server
would (a `json_schema` response format with `strict: true`), records the body, and answers
according to the current mode:

    ok            a schema-valid commentary grounded in the prompt's findings and criteria
    slow          waits `slow_seconds` before answering (past the client's timeout)
    trickle       answers 200 at once, then the body a byte every 50 ms: no single read
                  times out, the whole takes a minute
    500           HTTP 500
    429           HTTP 429 with `retry-after: <retry_after>`
    401           HTTP 401 (a wrong key)
    not-json      content that is not JSON
    wrong-schema  JSON that does not match the schema
    length        a reply cut off by the token limit (finish_reason "length")
    custom        `custom_reply(body)` as the content (it may claim anything)

`script` lists the modes of the next requests in order; when it runs out, `mode` applies.
`GET /v1/models` lists one model. `refused_url()` gives a URL nothing listens on.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jsonschema

MODEL = "fake-model"
_REF = re.compile(r'<finding ref="(F\d+)"')
_CRITERION_ROW = re.compile(r"^(C\d\d) \| ", re.MULTILINE)


def refused_url() -> str:
    """A base URL on a loopback port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def user_message(body: dict[str, Any]) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def grounded_reply(body: dict[str, Any]) -> dict[str, Any]:
    """A valid commentary for the prompt in `body`: its first criteria, a fix per finding."""
    prompt = user_message(body)
    criteria = _CRITERION_ROW.findall(prompt) or ["C01"]
    refs = _REF.findall(prompt)
    return {
        "strengths": [{"criterion": criteria[0], "text": "You structured the app into modules."}],
        "next_steps": [
            {"criterion": criteria[n % len(criteria)], "what": f"Step {n + 1}.",
             "why": "Employers expect it."}
            for n in range(3)
        ],
        "fixes": [{"finding": ref, "explanation": f"Fix {ref} in your code."} for ref in refs],
    }


class FakeOpenAI:
    """The server and what it saw. Use as a context manager."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.script: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.raw_bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.custom_reply: Callable[[dict[str, Any]], str] | None = None
        self.slow_seconds = 5.0
        self.retry_after = "1"
        self.usage = (1200, 300)
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def completions(self) -> int:
        """How many chat completion requests arrived."""
        return len(self.requests)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._release.set()  # lets slow handlers finish at once
        self._server.shutdown()
        self._server.server_close()

    def next_mode(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.mode

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def _send(
                self, status: int, payload: Any, headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

            def do_GET(self) -> None:
                fake.paths.append(self.path)
                if self.path != "/v1/models":
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request"}})
                    return
                self._send(200, {"object": "list", "data": [
                    {"id": MODEL, "object": "model", "created": 0, "owned_by": "reviewbot-tests"}
                ]})

            def do_POST(self) -> None:
                fake.paths.append(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request"}})
                    return
                body = json.loads(raw)
                with fake._lock:
                    fake.raw_bodies.append(raw)
                    fake.requests.append(body)
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                problem = check_request(body)
                if problem:
                    self._send(400, {"error": {"message": problem, "type": "invalid_request"}})
                    return
                fake.answer(self, fake.next_mode(), body)

        return Handler

    def trickle(self, handler: Any, body: dict[str, Any]) -> None:
        content, finish = self.content("ok", body)
        data = json.dumps(completion(body, content, finish, self.usage)).encode()
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            for index in range(len(data)):
                if self._release.wait(0.05):
                    return
                handler.wfile.write(data[index : index + 1])
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self, handler: Any, mode: str, body: dict[str, Any]) -> None:
        if mode == "trickle":
            self.trickle(handler, body)
            return
        if mode == "slow":
            self._release.wait(self.slow_seconds)
            mode = "ok"
        if mode == "500":
            handler._send(500, {"error": {"message": "boom", "type": "server_error"}})
        elif mode == "429":
            handler._send(429, {"error": {"message": "slow down", "type": "rate_limit"}},
                          {"retry-after": self.retry_after})
        elif mode == "401":
            handler._send(401, {"error": {"message": "Incorrect API key provided: sk-t...abcd",
                                          "type": "invalid_request_error"}})
        else:
            content, finish = self.content(mode, body)
            handler._send(200, completion(body, content, finish, self.usage))

    def content(self, mode: str, body: dict[str, Any]) -> tuple[str, str]:
        if mode == "not-json":
            return "Sure! Here is your commentary: strengths are great.", "stop"
        if mode == "wrong-schema":
            return json.dumps({"strengths": [], "next_steps": "learn more"}), "stop"
        if mode == "length":
            return json.dumps(grounded_reply(body))[:40], "length"
        if mode == "custom" and self.custom_reply is not None:
            return self.custom_reply(body), "stop"
        reply = grounded_reply(body)
        jsonschema.validate(reply, body["response_format"]["json_schema"]["schema"])
        return json.dumps(reply), "stop"


def check_request(body: dict[str, Any]) -> str:
    """What a strict structured-outputs server would reject in the request, or ""."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") != "json_schema":
        return "response_format must be json_schema"
    spec = fmt.get("json_schema") or {}
    if spec.get("strict") is not True or not spec.get("name"):
        return "json_schema needs a name and strict: true"
    try:
        jsonschema.Draft202012Validator.check_schema(spec["schema"])
    except jsonschema.SchemaError as exc:
        return f"invalid schema: {exc.message}"
    roles = [m.get("role") for m in body.get("messages", [])]
    if roles != ["system", "user"] or not body.get("model"):
        return "expected a model and a system and a user message"
    return ""


def completion(
    body: dict[str, Any], content: str, finish: str, usage: tuple[int, int]
) -> dict[str, Any]:
    """A chat.completion object as OpenAI returns it."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None},
            "finish_reason": finish,
            "logprobs": None,
        }],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                  "total_tokens": usage[0] + usage[1]},
    }
