"""The SSE decoder handles frames split anywhere, every line ending, comments and multi-line data;
the stream cursor drops repeats and maps the server's end frames."""

from __future__ import annotations

import json

import pytest

from codex_manager._stream_core import Cursor, End, Handlers, Ready
from codex_manager.errors import CursorExpiredError
from codex_manager.events import Event
from codex_manager.sse import SSEDecoder, SSEMessage

STREAM = (
    'event: ready\ndata: {"head":7,"cursor":5}\n\n'
    ": ping\n\n"
    'id: 6\ndata: {"seq":6,"type":"runtime.turn.started","data":{},"source":"runtime"}\n\n'
    "data: line one\r\ndata: line two\r\n\r\n"
    "id: 7\rdata: café ☕\r\r"
)
EXPECTED = [
    SSEMessage("ready", '{"head":7,"cursor":5}', None),
    SSEMessage("message", '{"seq":6,"type":"runtime.turn.started","data":{},"source":"runtime"}', "6"),
    SSEMessage("message", "line one\nline two", None),
    SSEMessage("message", "café ☕", "7"),
]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 10_000])
def test_messages_survive_any_chunking(size: int) -> None:
    raw = STREAM.encode()
    decoder = SSEDecoder()
    out: list[SSEMessage] = []
    for i in range(0, len(raw), size):
        out += decoder.feed(raw[i : i + size])
    assert out == EXPECTED
    assert decoder.last_event_id == "7"


def test_a_crlf_split_between_chunks_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\r\n") == [SSEMessage("message", "a", None)]


def test_an_incomplete_message_waits_for_its_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n") == []
    assert decoder.feed(b"\n") == [SSEMessage("message", "x", None)]


def envelope(seq: int, type_: str = "runtime.x") -> SSEMessage:
    return SSEMessage("message", json.dumps({"seq": seq, "type": type_, "data": {}}), str(seq))


def test_the_cursor_starts_at_ready_then_follows_events_and_drops_repeats() -> None:
    cursor = Cursor("/api/stream", {"threads": "a", "after": None})
    assert cursor.connect_headers() == {}
    assert cursor.query == {"threads": "a"}
    assert cursor.handle(SSEMessage("ready", '{"head": 9, "cursor": 9}', None)) == Ready(9, 9)
    assert cursor.connect_headers() == {"Last-Event-ID": "9"}
    assert isinstance(cursor.handle(envelope(10)), Event)
    assert cursor.handle(envelope(10)) is None  # a repeat is dropped
    assert cursor.handle(envelope(8)) is None
    assert cursor.duplicates_dropped == 2
    assert cursor.connect_headers() == {"Last-Event-ID": "10"}


def test_an_explicit_after_is_the_first_resume_cursor() -> None:
    cursor = Cursor("/api/stream", {"after": 3})
    assert cursor.connect_headers() == {"Last-Event-ID": "3"}
    cursor.handle(SSEMessage("ready", '{"head": 9, "cursor": 3}', None))
    assert cursor.last_seq == 3


def test_end_frames_resume_except_an_expired_cursor() -> None:
    cursor = Cursor("/api/stream", {"after": 3})
    assert cursor.handle(SSEMessage("error", '{"code":"slow_consumer","resumeFrom":3}', None)) == End(
        "slow_consumer"
    )
    end = cursor.handle(
        SSEMessage("error", '{"code":"cursor_expired","resumeFrom":3,"compactedBelow":50}', None)
    )
    assert isinstance(end, End) and isinstance(end.error, CursorExpiredError)
    assert end.error.compacted_below == 50


def test_handlers_match_by_type_prefix_or_any_once_each_in_order() -> None:
    handlers = Handlers()
    calls: list[str] = []

    @handlers.on("turn.interrupted", "runtime.turn.completed")
    def exact(e: Event) -> None:
        calls.append("exact")

    @handlers.on_prefix("runtime.turn.", "runtime.")
    def prefix(e: Event) -> None:
        calls.append("prefix")

    @handlers.on_any()
    def anything(e: Event) -> None:
        calls.append("any")

    for fn in handlers.matching(Event(1, "runtime.turn.completed", {})):
        fn(None)
    assert calls == ["exact", "prefix", "any"]
    assert [f.__name__ for f in handlers.matching(Event(2, "request.created", {}))] == ["anything"]
    with pytest.raises(ValueError, match="at least one event type"):
        handlers.on()
