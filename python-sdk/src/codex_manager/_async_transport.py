"""asyncio transport on asyncio streams.

Why not `asyncio.to_thread` around the blocking transport: a cancelled await would leave the thread
blocked in its socket until the server answers, and the default executor has only min(32, cpus + 4)
threads (6 on a 2-core machine) — a handful of open event streams would starve every other call.
On asyncio streams, cancellation closes the socket at once and a stream costs one task, not a thread.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from ._http import (
    PreparedRequest,
    RetryPolicy,
    api_error,
    interpret,
    retryable_error,
    retryable_transport,
    url_parts,
)
from ._http11 import Body, read_head, request_head
from ._sync_transport import _Failure
from .errors import APIError, ConnectionFailedError, TransportError

log = logging.getLogger("codex_manager")


def classify(req: PreparedRequest, exc: BaseException) -> _Failure:
    where = f"{req.method} {req.url}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _Failure(
            "fatal",
            TransportError(f"{where}: TLS verification failed: {exc}", method=req.method, url=req.url),
        )
    if isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
        return _Failure(
            "connect",
            ConnectionFailedError(
                f"{where}: cannot connect ({exc}); is Codex Manager running?", method=req.method, url=req.url
            ),
        )
    if isinstance(exc, asyncio.TimeoutError):
        return _Failure("io", TransportError(f"{where}: timed out", method=req.method, url=req.url))
    return _Failure(
        "io", TransportError(f"{where}: {type(exc).__name__}: {exc}", method=req.method, url=req.url)
    )


@dataclass
class StreamConnection:
    writer: asyncio.StreamWriter
    body: Body

    def abort(self) -> None:
        """Cuts the connection at once (the reader sees EOF or a reset)."""
        transport = self.writer.transport
        if not transport.is_closing():
            transport.abort()

    async def close(self) -> None:
        self.abort()
        try:
            await self.writer.wait_closed()
        except (OSError, asyncio.CancelledError):
            pass


class AsyncTransport:
    def __init__(
        self, *, timeout: float, retry: RetryPolicy, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.timeout = timeout
        self.retry = retry
        self._ssl = ssl_context

    async def send(self, req: PreparedRequest, timeout: float | None = None) -> Any:
        attempt = 0
        while True:
            try:
                status, headers, body = await self._exchange(
                    req, self.timeout if timeout is None else timeout
                )
            except _Failure as failure:
                if (
                    failure.kind != "fatal"
                    and attempt < self.retry.max_retries
                    and retryable_transport(req, failure.kind)
                ):
                    await self._pause(req, attempt, None, str(failure.error))
                    attempt += 1
                    continue
                raise failure.error from failure.__cause__
            try:
                return interpret(req, status, headers, body)
            except APIError as err:
                if attempt < self.retry.max_retries and retryable_error(req, err):
                    await self._pause(req, attempt, err.retry_after, str(err))
                    attempt += 1
                    continue
                raise

    async def _pause(self, req: PreparedRequest, attempt: int, retry_after: str | None, why: str) -> None:
        delay = self.retry.delay(attempt, retry_after)
        log.info("retrying %s %s in %.2fs (attempt %d): %s", req.method, req.url, delay, attempt + 2, why)
        await asyncio.sleep(delay)

    async def _connect(self, req: PreparedRequest) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        scheme, host, port = url_parts(req.url)
        if scheme == "https":
            ctx = self._ssl or ssl.create_default_context()
            return await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host)
        return await asyncio.open_connection(host, port)

    async def _exchange(self, req: PreparedRequest, timeout: float) -> tuple[int, dict[str, str], bytes]:
        async def run() -> tuple[int, dict[str, str], bytes]:
            reader, writer = await self._connect(req)
            try:
                writer.write(request_head(req) + (req.body or b""))
                await writer.drain()
                status, headers = await read_head(reader)
                return status, headers, await Body(reader, status, headers).read_all()
            finally:
                writer.transport.abort()

        try:
            return await asyncio.wait_for(run(), timeout)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            raise classify(req, e) from e

    async def open_stream(self, req: PreparedRequest, timeout: float) -> StreamConnection:
        """Connects and returns the open body of a `text/event-stream` response."""
        try:
            reader, writer = await asyncio.wait_for(self._connect(req), timeout)
        except (OSError, asyncio.TimeoutError, ValueError) as e:
            raise classify(req, e) from e
        try:
            writer.write(request_head(req) + (req.body or b""))
            await writer.drain()
            status, headers = await asyncio.wait_for(read_head(reader), timeout)
            body = Body(reader, status, headers)
            if status != 200:
                data = await asyncio.wait_for(body.read_all(), timeout)
                raise api_error(req, status, headers, data)
            return StreamConnection(writer, body)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            writer.transport.abort()
            raise classify(req, e) from e
        except BaseException:
            writer.transport.abort()
            raise
