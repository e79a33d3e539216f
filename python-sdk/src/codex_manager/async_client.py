"""`AsyncCodexManager`: the asyncio client, with the same groups and method names as `CodexManager`."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from ._async_transport import AsyncTransport
from ._generated.async_api import API
from ._http import _NO_BODY, Operation, RetryPolicy, fill_path, prepare
from ._stream_core import READ_TIMEOUT, Cursor
from .async_stream import AsyncEventStream
from .async_inbox import AsyncInbox
from .async_wait import AsyncWaiter
from .client import DEFAULT_TIMEOUT, operation
from .config import ClientConfig, resolve_config

__all__ = ["AsyncCodexManager"]


class AsyncCodexManager(API):
    """asyncio client: `await acm.<group>.<action>(...)` for every route, `acm.stream.events(...)`
    for the event stream (`async for`), `acm.wait` for turns and requests. Built on asyncio streams
    (no thread per call or per stream; cancelling a call closes its connection).

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
        self.transport = AsyncTransport(
            timeout=timeout, retry=RetryPolicy(max_retries=max_retries), ssl_context=ssl_context
        )
        self._stream_read_timeout = stream_read_timeout
        self._init_groups(self)
        self.wait = AsyncWaiter(self)
        self.inbox = AsyncInbox(self)

    async def _call(
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
        return await self.transport.send(req, timeout)

    def _stream(
        self, op: Operation, *, path: Mapping[str, Any], query: Mapping[str, Any]
    ) -> AsyncEventStream:
        route = fill_path(op.path, path)
        cursor = Cursor(route, query)
        return AsyncEventStream(
            self.transport,
            lambda headers: prepare(
                self.config, op.method, route, query=cursor.query, headers=headers, expect="stream"
            ),
            cursor,
            read_timeout=self._stream_read_timeout,
        )

    async def call(
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
        `await acm.call("sessions.sendMessage", path={"id": sid}, body={"text": "hi"})`."""
        op = operation(operation_id)
        if op.response == "stream":
            raise ValueError(f"{operation_id} is a stream: use acm.stream.events()")
        return await self._call(
            op,
            path=path or {},
            query=query or {},
            body=body,
            idempotency_key=idempotency_key,
            timeout=timeout,
        )

    async def request(
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
        return await self.transport.send(req, timeout)

    async def aclose(self) -> None:
        """Nothing stays open between calls (one connection per call); kept for symmetry."""

    async def __aenter__(self) -> AsyncCodexManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncCodexManager({self.config.base_url!r}, profile={self.config.profile!r})"
