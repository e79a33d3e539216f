"""A local HTTP stub for unit tests of the SDK's own behaviour (retries, error mapping, the skills
loop): scripted answers per route, every request recorded. The real stack is used everywhere else."""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Server-Sent Events: frames written one by one (chunked) until the iterator ends.
    sse: Iterator[str] | None = None
    # Close the connection without answering.
    drop: bool = False
    # A text/plain body instead of JSON.
    text: str | None = None


Handler = Callable[[Recorded, re.Match[str]], Reply]


def error(status: int, code: str, message: str = "scripted", **details: Any) -> Reply:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return Reply(status, body)


def sse_event(event: dict[str, Any]) -> str:
    return f"id: {event['seq']}\ndata: {json.dumps(event)}\n\n"


class EventFeed:
    """An SSE route body fed by the test: `push(event)` / `end()`."""

    def __init__(self, head: int = 0) -> None:
        self.head = head
        self._q: queue.Queue[str | None] = queue.Queue()

    def push(self, event: dict[str, Any]) -> None:
        self._q.put(sse_event(event))

    def end(self) -> None:
        self._q.put(None)

    def frames(self, cursor: int) -> Iterator[str]:
        yield f"event: ready\ndata: {json.dumps({'head': self.head, 'cursor': cursor})}\n\n"
        while True:
            try:
                frame = self._q.get(timeout=0.1)
            except queue.Empty:
                yield ": ping\n\n"
                continue
            if frame is None:
                return
            yield frame


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is part of what the tests do, not a failure."""


class StubServer:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                rec = Recorded(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                with stub._lock:
                    stub.requests.append(rec)
                reply = stub._dispatch(rec)
                if reply.drop:
                    self.close_connection = True
                    return
                if reply.sse is not None:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    try:
                        for frame in reply.sse:
                            data = frame.encode()
                            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                            self.wfile.flush()
                        self.wfile.write(b"0\r\n\r\n")
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if reply.text is not None:
                    data, content_type = reply.text.encode(), "text/plain; version=0.0.4"
                else:
                    data = b"" if reply.body is None else json.dumps(reply.body).encode()
                    content_type = "application/json"
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = _QuietServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, pattern: str, handler: Handler | Reply | list[Reply]) -> None:
        """Answers `method` + path regex; a list of replies is played in order (the last repeats)."""
        if isinstance(handler, Reply):
            fixed = handler
            handler = lambda _r, _m: fixed  # noqa: E731
        elif isinstance(handler, list):
            replies = list(handler)
            handler = lambda _r, _m: replies.pop(0) if len(replies) > 1 else replies[0]  # noqa: E731
        self.routes.insert(0, (method.upper(), re.compile(f"^{pattern}$"), handler))

    def _dispatch(self, rec: Recorded) -> Reply:
        for method, regex, handler in self.routes:
            m = regex.match(rec.path)
            if m and method == rec.method:
                return handler(rec, m)
        return error(404, "not_found", f"no route {rec.method} {rec.path}")

    def calls(self, method: str, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
