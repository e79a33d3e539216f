"""The event stream (`GET /api/stream`, Server-Sent Events) for the blocking client.

A reader thread owns the connection: it reconnects on any drop and resumes from the last seq it
received (`Last-Event-ID`), so the consumer sees every event once, in order. Events wait in a bounded
queue; when the consumer falls behind, the reader stops reading, the server notices the slow consumer
and closes with a resume hint, and the reader resumes later: memory stays bounded and nothing is lost.
"""

from __future__ import annotations

import http.client
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ._http import PreparedRequest
from ._stream_core import READ_TIMEOUT, Cursor, End, F, Handlers, Ready, backoff
from ._sync_transport import SyncTransport, _Failure
from .errors import APIError, StreamError, WaitTimeoutError
from .events import Event
from .sse import SSEDecoder

__all__ = ["EventStream"]

log = logging.getLogger("codex_manager")

_CLOSED = object()


class _Raise:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class EventStream:
    """Iterate it (`for event in stream`), or register handlers and call `run_forever()`.

    Created by `cm.stream.events(threads=..., types=..., after=...)`; connects on first use.
    """

    def __init__(
        self,
        transport: SyncTransport,
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
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_buffered_events)
        self._handlers = Handlers()
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None
        self._thread: threading.Thread | None = None
        self._finished = False
        self._connection_was_ready = False
        self.reconnects = 0
        """How many times the stream reconnected (and resumed) since it was opened."""

    # Handlers ---------------------------------------------------------------------------------

    def on(self, *types: str) -> Callable[[F], F]:
        """Decorator: `@stream.on("turn.interrupted")` runs the function for events of these types."""
        return self._handlers.on(*types)

    def on_prefix(self, *prefixes: str) -> Callable[[F], F]:
        """Decorator: `@stream.on_prefix("request.")` runs the function for types with these prefixes."""
        return self._handlers.on_prefix(*prefixes)

    def on_any(self) -> Callable[[F], F]:
        """Decorator: runs the function for every event."""
        return self._handlers.on_any()

    # State ------------------------------------------------------------------------------------

    @property
    def last_seq(self) -> int | None:
        """Seq of the last event received (the resume cursor)."""
        return self._cursor.last_seq

    @property
    def head(self) -> int | None:
        """The event log's head as of the latest `ready` frame."""
        return self._cursor.head

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # Lifecycle --------------------------------------------------------------------------------

    def start(self) -> EventStream:
        """Starts the reader thread (iteration and `wait_ready()` do this by themselves)."""
        with self._lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(
                    target=self._read_loop, name="codex-manager-stream", daemon=True
                )
                self._thread.start()
        return self

    def wait_ready(self, timeout: float | None = 30.0) -> int:
        """Blocks until the server confirmed the subscription; returns the cursor in use. Anything
        that happens after this returns is guaranteed to reach the stream."""
        self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready.wait(0.05):
            self._raise_if_failed()
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(f"the event stream was not ready within {timeout} s")
        assert self._cursor.last_seq is not None
        return self._cursor.last_seq

    def reconnect(self) -> None:
        """Drops the current connection now; the stream resumes from `last_seq` without loss."""
        with self._lock:
            conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._closed.set()
        self.reconnect()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def __enter__(self) -> EventStream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Consuming --------------------------------------------------------------------------------

    def next(self, timeout: float | None = None) -> Event:
        """The next event; `WaitTimeoutError` after `timeout` seconds, `StopIteration` once closed."""
        self.start()
        if self._finished:
            raise StopIteration
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise WaitTimeoutError(f"no event within {timeout} s") from None
        if item is _CLOSED:
            self._finished = True
            raise StopIteration
        if isinstance(item, _Raise):
            self._finished = True
            raise item.error
        assert isinstance(item, Event)
        return item

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return self.next()

    def dispatch(self, event: Event) -> int:
        """Runs the handlers registered for this event; returns how many ran."""
        handlers = self._handlers.matching(event)
        for handler in handlers:
            handler(event)
        return len(handlers)

    def run_forever(
        self,
        stop_event: threading.Event | None = None,
        *,
        on_error: Callable[[Event, BaseException], None] | None = None,
    ) -> None:
        """Dispatches events to the handlers until `stop_event` is set or the stream is closed.

        A handler that raises stops the loop with its exception, unless `on_error(event, error)` is
        given, which is then called and the loop goes on.
        """
        if len(self._handlers) == 0:
            raise ValueError("no handlers: register some with @stream.on(...) or @stream.on_prefix(...)")
        stop = stop_event or threading.Event()
        while not stop.is_set():
            try:
                event = self.next(timeout=0.2)
            except WaitTimeoutError:
                continue
            except StopIteration:
                return
            try:
                self.dispatch(event)
            except Exception as e:
                if on_error is None:
                    raise
                on_error(event, e)

    # The reader thread ------------------------------------------------------------------------

    def _raise_if_failed(self) -> None:
        if self._closed.is_set() and not self._ready.is_set():
            # The reader stopped before the first `ready`: surface its error.
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                raise StreamError("the event stream is closed") from None
            if isinstance(item, _Raise):
                self._finished = True
                raise item.error
            raise StreamError("the event stream is closed")

    def _put(self, item: Any) -> bool:
        while not self._closed.is_set() or item is _CLOSED or isinstance(item, _Raise):
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                if item is _CLOSED or isinstance(item, _Raise):
                    # Closing with a full queue: make room so the consumer learns why it ended.
                    try:
                        self._queue.get_nowait()
                    except queue.Empty:
                        pass
        return False

    def _read_loop(self) -> None:
        attempt = 0
        try:
            while not self._closed.is_set():
                try:
                    end = self._read_once()
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
                except (http.client.HTTPException, OSError, ValueError) as e:
                    log.info(
                        "event stream dropped (%s: %s); resuming from %s", type(e).__name__, e, self.last_seq
                    )
                if self._closed.is_set():
                    break
                if self._connection_was_ready:
                    attempt = 0  # a healthy connection ended: come back promptly
                    self._connection_was_ready = False
                self.reconnects += 1
                if self._closed.wait(backoff(attempt)):
                    break
                attempt += 1
        except BaseException as e:
            self._put(_Raise(e))
            self._closed.set()
            return
        self._put(_CLOSED)

    def _read_once(self) -> End | None:
        req = self._prepare(self._cursor.connect_headers())

        def register(conn: http.client.HTTPConnection) -> None:
            with self._lock:
                self._conn = conn

        try:
            conn, resp = self._transport.open_stream(req, self._read_timeout, register)
        except BaseException:
            with self._lock:
                self._conn = None
            raise
        try:
            if self._closed.is_set():
                return None
            decoder = SSEDecoder()
            while not self._closed.is_set():
                chunk = resp.read1(65536)
                if not chunk:
                    return None
                for message in decoder.feed(chunk):
                    out = self._cursor.handle(message)
                    if isinstance(out, Event):
                        if not self._put(out):
                            return None
                    elif isinstance(out, Ready):
                        self._connection_was_ready = True
                        self._ready.set()
                    elif isinstance(out, End):
                        return out
            return None
        finally:
            with self._lock:
                self._conn = None
            conn.close()

    def __repr__(self) -> str:
        return f"<EventStream last_seq={self.last_seq} head={self.head} reconnects={self.reconnects}>"
