"""`CodexManager`: the blocking client."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from ._generated.operations import OPERATIONS
from ._generated.sync_api import API
from ._http import _NO_BODY, Operation, RetryPolicy, fill_path, prepare
from ._requests import REQUEST_OPERATIONS
from ._stream_core import READ_TIMEOUT, Cursor
from ._sync_transport import SyncTransport
from .config import ClientConfig, resolve_config
from .errors import UnknownOperationError
from .inbox import Inbox
from .stream import EventStream
from .wait import Waiter

__all__ = ["CodexManager"]

DEFAULT_TIMEOUT = 60.0


def operation(operation_id: str) -> Operation:
    op = OPERATIONS.get(operation_id) or REQUEST_OPERATIONS.get(operation_id)
    if op is None:
        raise UnknownOperationError(
            f"operation {operation_id!r} is not in this SDK's route table; the server may be newer: "
            "regenerate the SDK from its OpenAPI document (npm run sdk:generate)"
        )
    return op


class CodexManager(API):
    """Blocking client: `cm.<group>.<action>(...)` for every route, `cm.stream.events(...)` for the
    event stream, `cm.wait` for turns and requests.

    Connection settings resolve per setting: argument > environment (`CM_URL`, `CM_TOKEN`,
    `CM_PROFILE`, `CM_ACTOR`) > profile (shared with the CLI) > `http://127.0.0.1:8787`.
    Calls that fail with 429/503, a reset or a timeout are retried (`max_retries`, exponential
    backoff); mutating calls carry a generated Idempotency-Key, so a retry never acts twice.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        profile: str | None = None,
        actor: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        stream_read_timeout: float = READ_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        config: ClientConfig | None = None,
    ) -> None:
        self.config = config or resolve_config(base_url, token, profile, actor)
        self.transport = SyncTransport(
            timeout=timeout, retry=RetryPolicy(max_retries=max_retries), ssl_context=ssl_context
        )
        self._stream_read_timeout = stream_read_timeout
        self._init_groups(self)
        self.wait = Waiter(self)
        # The generated `inbox` group (list, dismiss) grows the item actions and handlers.
        self.inbox = Inbox(self)

    def _call(
        self,
        op: Operation,
        *,
        path: Mapping[str, Any],
        query: Mapping[str, Any],
        body: Any,
        idempotency_key: str | None,
        timeout: float | None,
    ) -> Any:
        req = prepare(
            self.config,
            op.method,
            fill_path(op.path, path),
            query=query,
            body=body if op.has_body and body is not _NO_BODY else _NO_BODY,
            idempotency_key=idempotency_key,
            result_statuses=op.result_statuses,
            expect=op.response,
        )
        return self.transport.send(req, timeout)

    def _stream(self, op: Operation, *, path: Mapping[str, Any], query: Mapping[str, Any]) -> EventStream:
        route = fill_path(op.path, path)
        cursor = Cursor(route, query)
        return EventStream(
            self.transport,
            lambda headers: prepare(
                self.config, op.method, route, query=cursor.query, headers=headers, expect="stream"
            ),
            cursor,
            read_timeout=self._stream_read_timeout,
        )

    def call(
        self,
        operation_id: str,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = _NO_BODY,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Any operation by its operationId, with the API's own (camelCase) field names:
        `cm.call("sessions.sendMessage", path={"id": sid}, body={"text": "hi"})`."""
        op = operation(operation_id)
        if op.response == "stream":
            raise ValueError(f"{operation_id} is a stream: use cm.stream.events()")
        return self._call(
            op,
            path=path or {},
            query=query or {},
            body=body,
            idempotency_key=idempotency_key,
            timeout=timeout,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = _NO_BODY,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Any route by method and path (`/api/...`), for routes newer than this SDK."""
        req = prepare(
            self.config,
            method,
            path,
            query=query,
            body=body,
            headers=headers,
            idempotency_key=idempotency_key,
            expect="any",
        )
        return self.transport.send(req, timeout)

    def close(self) -> None:
        """Nothing stays open between calls (one connection per call); kept for symmetry."""

    def __enter__(self) -> CodexManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CodexManager({self.config.base_url!r}, profile={self.config.profile!r})"
