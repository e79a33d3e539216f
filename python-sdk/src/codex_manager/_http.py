"""The I/O-free half of both transports: operations, request building, response interpretation and
the retry table. The sync (urllib) and asyncio transports only move bytes, so they cannot drift.
"""

from __future__ import annotations

import json
import platform
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from ._version import __version__
from .config import ClientConfig
from .errors import APIError, error_class_for

USER_AGENT = f"codex-manager-python/{__version__} (Python {platform.python_version()})"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ResponseKind = Literal["json", "stream", "text", "any"]


@dataclass(frozen=True)
class Operation:
    """One route of the API, as the generator read it from docs/openapi.json."""

    id: str
    method: str
    path: str
    path_params: tuple[str, ...] = ()
    query_params: tuple[str, ...] = ()
    has_body: bool = False
    response: ResponseKind = "json"
    # Statuses outside 2xx whose body is a result, not an error (e.g. 503 from /api/health).
    result_statuses: tuple[int, ...] = ()


@dataclass
class PreparedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    result_statuses: tuple[int, ...] = ()
    expect: ResponseKind = "json"
    # Every mutating call carries an Idempotency-Key, so it may be repeated (see RETRY_ON_STATUS).
    idempotency_key: str | None = None

    @property
    def target(self) -> str:
        """The request-target of the HTTP request line (path and query)."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def encode_query(query: Mapping[str, Any] | None) -> str:
    """None drops a parameter, booleans are `true|false`, sequences are comma-separated."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, (list, tuple, set, frozenset)):
            pairs.append((key, ",".join(str(v) for v in value)))
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs, quote_via=quote, safe=",")


def fill_path(path: str, params: Mapping[str, Any]) -> str:
    for name, value in params.items():
        if value is None or value == "":
            raise ValueError(f"path parameter {name!r} must not be empty")
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    if "{" in path:
        raise ValueError(f"missing path parameters in {path}")
    return path


_NO_BODY: Any = object()


def prepare(
    config: ClientConfig,
    method: str,
    path: str,
    *,
    query: Mapping[str, Any] | None = None,
    body: Any = _NO_BODY,
    headers: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    result_statuses: Sequence[int] = (),
    expect: ResponseKind = "json",
) -> PreparedRequest:
    method = method.upper()
    if not path.startswith("/"):
        path = "/" + path
    qs = encode_query(query)
    url = config.base_url + path + (f"?{qs}" if qs else "")
    out: dict[str, str] = {
        "Accept": "text/event-stream" if expect == "stream" else "application/json",
        "User-Agent": USER_AGENT,
        "X-Client": "sdk",
    }
    if config.actor:
        out["X-Actor"] = config.actor
    if config.token:
        out["Authorization"] = f"Bearer {config.token}"
    data: bytes | None = None
    if body is not _NO_BODY:
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        out["Content-Type"] = "application/json"
    key = None
    if method in MUTATING:
        key = idempotency_key or str(uuid.uuid4())
        out["Idempotency-Key"] = key
    out.update(headers or {})
    return PreparedRequest(method, url, out, data, tuple(result_statuses), expect, key)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def interpret(req: PreparedRequest, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """The result of a finished exchange, or the typed APIError it stands for."""
    content_type = (_header(headers, "content-type") or "").lower()
    is_json = "json" in content_type
    if 200 <= status < 300 or status in req.result_statuses:
        if not body:
            return None
        if req.expect == "text" or (req.expect == "any" and not is_json):
            return body.decode("utf-8", errors="replace")
        return json.loads(body)
    raise api_error(req, status, headers, body)


def api_error(req: PreparedRequest, status: int, headers: Mapping[str, str], body: bytes) -> APIError:
    parsed: Any = None
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    err = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(err, dict) and isinstance(err.get("code"), str):
        code: str = err["code"]
        message = str(err.get("message") or code)
        details = err.get("details") if isinstance(err.get("details"), dict) else None
        suggestion = err.get("suggestion") if isinstance(err.get("suggestion"), str) else None
    else:
        code = f"http_{status}"
        snippet = body[:200].decode("utf-8", errors="replace").strip()
        message = f"HTTP {status}" + (f": {snippet}" if snippet else "")
        details, suggestion = None, None
    cls = error_class_for(status, code)
    return cls(
        message,
        status=status,
        code=code,
        details=details,
        suggestion=suggestion,
        method=req.method,
        url=req.url,
        trace_id=_header(headers, "x-trace-id"),
        body=parsed,
        retry_after=_header(headers, "retry-after"),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; `Retry-After` wins when the server sends one."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(self.max_delay, max(0.0, float(retry_after)))
            except ValueError:
                pass
        ceiling = min(self.max_delay, self.base_delay * 2.0**attempt)
        return ceiling / 2 + self.rng.random() * ceiling / 2


# When a failed attempt may be repeated. Every mutating call carries an Idempotency-Key, so a repeat
# returns the first result (or runs it again when the first one failed with 5xx, which releases the
# key). What stays excluded are failures after which the work may have happened without a stored
# result: 504 means the runtime took the command, so only reads repeat it.
#   "any": every method   "read": GET/HEAD only
RETRY_ON_STATUS: dict[int, str] = {429: "any", 503: "any", 504: "read"}
RETRY_ON_CODE: dict[str, str] = {"idempotency_in_progress": "any"}
# Transport failures: "connect" (nothing was sent) and "io" (reset, timeout after sending).
RETRY_ON_TRANSPORT: dict[str, str] = {"connect": "any", "io": "any"}


def _allowed(rule: str | None, method: str) -> bool:
    return rule == "any" or (rule == "read" and method in ("GET", "HEAD"))


def retryable_error(req: PreparedRequest, err: APIError) -> bool:
    return _allowed(RETRY_ON_CODE.get(err.code), req.method) or _allowed(
        RETRY_ON_STATUS.get(err.status), req.method
    )


def retryable_transport(req: PreparedRequest, kind: str) -> bool:
    return _allowed(RETRY_ON_TRANSPORT.get(kind), req.method)


def url_parts(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, parts.hostname or "127.0.0.1", port
