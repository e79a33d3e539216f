"""What the sync and asyncio event streams share: the resume cursor, frame handling and handlers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import CursorExpiredError
from .events import Event
from .sse import SSEMessage

F = TypeVar("F", bound=Callable[..., Any])

# Error frames after which the stream simply reconnects from its own last seq.
RESUMABLE_END_CODES = frozenset({"slow_consumer", "server_shutdown"})
# Default time without a byte before the connection counts as dead: the server pings every 15 s.
READ_TIMEOUT = 45.0
# Reconnect backoff: 0.2 s doubling to 5 s, back to the start after each `ready` frame.
RECONNECT_BASE = 0.2
RECONNECT_MAX = 5.0


@dataclass(frozen=True)
class Ready:
    head: int
    cursor: int


@dataclass(frozen=True)
class End:
    """The server closes the stream after this frame; the stream reconnects unless `error` is set."""

    code: str
    error: Exception | None = None


class Cursor:
    """The resume position. Before the first connection it is `after` (None: start at the head); from
    then on it is the seq of the last event received, or the cursor the `ready` frame confirmed."""

    def __init__(self, path: str, query: Mapping[str, Any]) -> None:
        self.path = path
        params = dict(query)
        after = params.pop("after", None)
        self.last_seq: int | None = int(after) if after is not None else None
        self.query = params
        self.head: int | None = None
        self.events = 0
        self.duplicates_dropped = 0

    def connect_headers(self) -> dict[str, str]:
        return {} if self.last_seq is None else {"Last-Event-ID": str(self.last_seq)}

    def handle(self, message: SSEMessage) -> Event | Ready | End | None:
        if message.event == "ready":
            info = json.loads(message.data)
            self.head = int(info["head"])
            if self.last_seq is None:
                self.last_seq = int(info["cursor"])
            return Ready(head=self.head, cursor=int(info["cursor"]))
        if message.event == "error":
            info = json.loads(message.data)
            code = str(info.get("code", "unknown"))
            if code == "cursor_expired":
                return End(code, _cursor_expired(info, self.last_seq))
            return End(code)
        if message.event != "message":
            return None
        event = Event.from_json(json.loads(message.data))
        # The server never repeats a seq after a resume; this guard keeps that true for handlers
        # even if a proxy replays a buffered frame.
        if self.last_seq is not None and event.seq <= self.last_seq:
            self.duplicates_dropped += 1
            return None
        self.last_seq = event.seq
        self.events += 1
        return event


def _cursor_expired(info: Mapping[str, Any], cursor: int | None) -> CursorExpiredError:
    below = info.get("compactedBelow")
    return CursorExpiredError(
        f"resume cursor {cursor} is below the retained event log (kept from {below}); "
        "events in between are gone: open a new stream",
        status=410,
        code="cursor_expired",
        details=dict(info),
    )


class Handlers:
    """Decorator registration of handlers by exact event type, by type prefix, or for every event."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, str, Callable[..., Any]]] = []

    def on(self, *types: str) -> Callable[[F], F]:
        """`@stream.on("runtime.item.agentMessage.delta")`: called for events of exactly these types."""
        if not types:
            raise ValueError("on() needs at least one event type")
        return self._register("type", types)

    def on_prefix(self, *prefixes: str) -> Callable[[F], F]:
        """`@stream.on_prefix("turn.", "request.")`: called for events whose type starts with these."""
        if not prefixes:
            raise ValueError("on_prefix() needs at least one prefix")
        return self._register("prefix", prefixes)

    def on_any(self) -> Callable[[F], F]:
        """Called for every event."""
        return self._register("prefix", ("",))

    def _register(self, how: str, keys: tuple[str, ...]) -> Callable[[F], F]:
        def decorator(fn: F) -> F:
            for key in keys:
                self._entries.append((how, key, fn))
            return fn

        return decorator

    def matching(self, event: Event) -> list[Callable[..., Any]]:
        """Handlers for this event in registration order, each at most once."""
        out: list[Callable[..., Any]] = []
        for how, key, fn in self._entries:
            hit = event.type == key if how == "type" else event.type.startswith(key)
            if hit and fn not in out:
                out.append(fn)
        return out

    def __len__(self) -> int:
        return len(self._entries)


def backoff(attempt: int) -> float:
    return float(min(RECONNECT_MAX, RECONNECT_BASE * (2**attempt)))
