"""The event stream for the asyncio client: the same behaviour as `EventStream`, with a reader task
instead of a reader thread (see stream.py for the design)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from ._async_transport import AsyncTransport, StreamConnection
from ._http import PreparedRequest
from ._stream_core import READ_TIMEOUT, Cursor, End, F, Handlers, Ready, backoff
from ._sync_transport import _Failure
from .errors import APIError, StreamError, WaitTimeoutError
from .events import Event
from .sse import SSEDecoder

__all__ = ["AsyncEventStream"]

log = logging.getLogger("codex_manager")

_CLOSED = object()


class _Raise:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class AsyncEventStream:
    """`async for event in stream`, or register handlers and `await stream.run_forever()`.

    Handlers may be plain functions or coroutine functions.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        prepare: Callable[[Mapping[str, str]], PreparedRequest],
        cursor: Cursor,
        *,
        read_timeout: float = READ_TIMEOUT,
        max_buffered_events: int = 10_000,
    ) -> None:
        self._transport = transport
        self._prepare = prepare
        self._cursor = cursor
        self._read_timeout = read_timeout
        self._max = max_buffered_events
        self._queue: asyncio.Queue[Any] | None = None
        self._handlers = Handlers()
        self._ready: asyncio.Event | None = None
        self._closed = False
        self._conn: StreamConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._finished = False
        self._connection_was_ready = False
        self._failure: BaseException | None = None
        self._pushback: Event | None = None
        self.reconnects = 0
        """How many times the stream reconnected (and resumed) since it was opened."""

    def on(self, *types: str) -> Callable[[F], F]:
        """Decorator: `@stream.on("turn.interrupted")` runs the function for events of these types."""
        return self._handlers.on(*types)

    def on_prefix(self, *prefixes: str) -> Callable[[F], F]:
        """Decorator: `@stream.on_prefix("request.")` runs the function for types with these prefixes."""
        return self._handlers.on_prefix(*prefixes)

    def on_any(self) -> Callable[[F], F]:
        """Decorator: runs the function for every event."""
        return self._handlers.on_any()

    @property
    def last_seq(self) -> int | None:
        return self._cursor.last_seq

    @property
    def head(self) -> int | None:
        return self._cursor.head

    @property
    def closed(self) -> bool:
        return self._closed

    def start(self) -> AsyncEventStream:
        """Starts the reader task (iteration and `wait_ready()` do this by themselves)."""
        if self._task is None and not self._closed:
            self._queue = asyncio.Queue(maxsize=self._max)
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(
                self._read_loop(), name="codex-manager-stream"
            )
        return self

    async def wait_ready(self, timeout: float | None = 30.0) -> int:
        """Waits until the server confirmed the subscription; returns the cursor in use."""
        self.start()
        assert self._ready is not None and self._task is not None
        ready = asyncio.ensure_future(self._ready.wait())
        try:
            done, _ = await asyncio.wait(
                {ready, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ready.cancel()
        if not self._ready.is_set():
            if self._failure is not None:
                self._finished = True
                raise self._failure
            if self._task in done:
                raise StreamError("the event stream is closed")
            raise WaitTimeoutError(f"the event stream was not ready within {timeout} s")
        assert self._cursor.last_seq is not None
        return self._cursor.last_seq

    def reconnect(self) -> None:
        """Drops the current connection now; the stream resumes from `last_seq` without loss."""
        if self._conn is not None:
            self._conn.abort()

    async def aclose(self) -> None:
        self._closed = True
        self.reconnect()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    async def __aenter__(self) -> AsyncEventStream:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def next(self, timeout: float | None = None) -> Event:
        """The next event; `WaitTimeoutError` after `timeout` seconds, `StopAsyncIteration` once closed."""
        self.start()
        if self._pushback is not None:
            event, self._pushback = self._pushback, None
            return event
        if self._finished or self._queue is None:
            raise StopAsyncIteration
        if self._closed and self._queue.empty():
            self._finished = True
            if self._failure is not None:
                raise self._failure
            raise StopAsyncIteration
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            raise WaitTimeoutError(f"no event within {timeout} s") from None
        if item is _CLOSED:
            self._finished = True
            raise StopAsyncIteration
        if isinstance(item, _Raise):
            self._finished = True
            raise item.error
        assert isinstance(item, Event)
        return item

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.next()

    async def dispatch(self, event: Event) -> int:
        """Runs the handlers registered for this event (awaiting coroutine ones); returns how many."""
        handlers = self._handlers.matching(event)
        for handler in handlers:
            result = handler(event)
            if inspect.isawaitable(result):
                await result
        return len(handlers)

    async def run_forever(
        self,
        stop_event: asyncio.Event | None = None,
        *,
        on_error: Callable[[Event, BaseException], Any] | None = None,
    ) -> None:
        """Dispatches events to the handlers until `stop_event` is set or the stream is closed.

        A handler that raises stops the loop with its exception, unless `on_error(event, error)` is
        given, which is then called (and awaited if it is a coroutine function) and the loop goes on.
        """
        if len(self._handlers) == 0:
            raise ValueError("no handlers: register some with @stream.on(...) or @stream.on_prefix(...)")
        stop = stop_event or asyncio.Event()
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                getter = asyncio.ensure_future(self.next())
                done, _ = await asyncio.wait({getter, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    try:
                        # A getter that completed while being cancelled holds an event: keep it for
                        # the next consumer instead of dropping it.
                        self._pushback = await getter
                    except (asyncio.CancelledError, StopAsyncIteration, WaitTimeoutError):
                        pass
                    return
                try:
                    event = getter.result()
                except StopAsyncIteration:
                    return
                try:
                    await self.dispatch(event)
                except Exception as e:
                    if on_error is None:
                        raise
                    result = on_error(event, e)
                    if inspect.isawaitable(result):
                        await result
        finally:
            stopped.cancel()

    async def _put(self, item: Any) -> None:
        assert self._queue is not None
        if item is _CLOSED or isinstance(item, _Raise):
            while self._queue.full():
                self._queue.get_nowait()  # closing with a full queue: make room for the reason
            self._queue.put_nowait(item)
            return
        await self._queue.put(item)

    async def _read_loop(self) -> None:
        attempt = 0
        try:
            while not self._closed:
                try:
                    end = await self._read_once()
                    if end is not None and end.error is not None:
                        raise end.error
                except APIError as e:
                    if e.status < 500 and e.status != 429:
                        raise
                    log.warning("event stream: %s; reconnecting", e)
                except _Failure as f:
                    if f.kind == "fatal":
                        raise f.error from None
                    log.info("event stream: %s; reconnecting", f.error)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
                    log.info(
                        "event stream dropped (%s: %s); resuming from %s", type(e).__name__, e, self.last_seq
                    )
                if self._closed:
                    break
                if self._connection_was_ready:
                    attempt = 0  # a healthy connection ended: come back promptly
                    self._connection_was_ready = False
                self.reconnects += 1
                await asyncio.sleep(backoff(attempt))
                attempt += 1
        except asyncio.CancelledError:
            self._closed = True
            await self._put(_CLOSED)
            raise
        except BaseException as e:
            self._failure = e
            self._closed = True
            await self._put(_Raise(e))
            return
        await self._put(_CLOSED)

    async def _read_once(self) -> End | None:
        req = self._prepare(self._cursor.connect_headers())
        conn = await self._transport.open_stream(req, self._read_timeout)
        self._conn = conn
        try:
            decoder = SSEDecoder()
            while not self._closed:
                chunk = await asyncio.wait_for(conn.body.read_chunk(), self._read_timeout)
                if not chunk:
                    return None
                for message in decoder.feed(chunk):
                    out = self._cursor.handle(message)
                    if isinstance(out, Event):
                        await self._put(out)
                    elif isinstance(out, Ready):
                        assert self._ready is not None
                        self._connection_was_ready = True
                        self._ready.set()
                    elif isinstance(out, End):
                        return out
            return None
        finally:
            self._conn = None
            await conn.close()

    def __repr__(self) -> str:
        return f"<AsyncEventStream last_seq={self.last_seq} head={self.head} reconnects={self.reconnects}>"
