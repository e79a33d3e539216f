"""How both streams react to what the server says when it closes: a slow-consumer or shutdown frame
means "come back from your last seq", an expired cursor is an error, a refused token is final."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.stub import Recorded, Reply, StubServer, error, sse_event

from codex_manager import AsyncCodexManager, CodexManager, CursorExpiredError, UnauthorizedError


def ready(head: int, cursor: int) -> str:
    return f"event: ready\ndata: {json.dumps({'head': head, 'cursor': cursor})}\n\n"


def event(seq: int) -> str:
    return sse_event({"seq": seq, "type": "runtime.x", "data": {"n": seq}, "threadId": "s-1"})


def end(code: str, **extra: Any) -> str:
    return f"event: error\ndata: {json.dumps({'code': code, **extra})}\n\n"


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def held_open(frames: list[str]) -> Iterator[str]:
    """The frames, then pings until the client goes away (so it has no reason to reconnect)."""
    yield from frames
    while True:
        time.sleep(0.05)
        yield ": ping\n\n"


def script(stub: StubServer, connections: list[list[str]], hold_last: bool = True) -> None:
    replies = [Reply(200, sse=iter(frames)) for frames in connections]
    if hold_last:
        replies[-1] = Reply(200, sse=held_open(connections[-1]))
    stub.route("GET", "/api/stream", replies)


def read(url: str, which: str, count: int) -> tuple[list[int], int]:
    """The seqs of the first `count` events, and how often the stream reconnected."""
    if which == "sync":
        with CodexManager(url) as cm, cm.stream.events(threads=["s-1"]) as stream:
            seqs = [stream.next(timeout=30).seq for _ in range(count)]
            return seqs, stream.reconnects

    async def main() -> tuple[list[int], int]:
        async with AsyncCodexManager(url) as acm, acm.stream.events(threads=["s-1"]) as stream:
            seqs = [(await stream.next(timeout=30)).seq for _ in range(count)]
            return seqs, stream.reconnects

    return asyncio.run(main())


def resume_headers(stub: StubServer) -> list[str | None]:
    calls: list[Recorded] = stub.calls("GET", "/api/stream")
    return [r.headers.get("last-event-id") for r in calls]


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_slow_consumer_or_shutdown_frame_resumes_from_the_last_seq(stub: StubServer, which: str) -> None:
    script(
        stub,
        [
            [ready(10, 10), event(11), event(12), end("slow_consumer", resumeFrom=12)],
            [ready(14, 12), event(12), event(13), end("server_shutdown", resumeFrom=13)],  # 12 again: dropped
            [ready(14, 13), event(14), ": ping\n\n"],
        ],
    )
    seqs, reconnects = read(stub.url, which, 4)
    assert seqs == [11, 12, 13, 14]
    assert reconnects == 2
    assert resume_headers(stub) == [None, "12", "13"]
    assert stub.requests[0].query == {"threads": "s-1"}


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_connection_that_ends_without_a_frame_resumes_too(stub: StubServer, which: str) -> None:
    script(stub, [[ready(5, 5), event(6)], [ready(7, 6), event(7)]])
    assert read(stub.url, which, 2) == ([6, 7], 1)
    assert resume_headers(stub) == [None, "6"]


@pytest.mark.parametrize("which", ["sync", "async"])
def test_an_expired_cursor_is_an_error_not_a_silent_gap(stub: StubServer, which: str) -> None:
    script(
        stub, [[ready(5, 5), event(6)], [end("cursor_expired", resumeFrom=6, compactedBelow=100, head=500)]]
    )
    with pytest.raises(CursorExpiredError) as e:
        read(stub.url, which, 2)
    assert e.value.compacted_below == 100


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_refused_token_ends_the_stream_with_its_error(stub: StubServer, which: str) -> None:
    stub.route("GET", "/api/stream", error(401, "unauthorized"))
    with pytest.raises(UnauthorizedError):
        read(stub.url, which, 1)
    assert len(stub.requests) == 1  # never retried


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_server_error_on_connect_is_retried(stub: StubServer, which: str) -> None:
    stub.route(
        "GET",
        "/api/stream",
        [error(503, "service_unavailable"), Reply(200, sse=held_open([ready(1, 1), event(2)]))],
    )
    assert read(stub.url, which, 1) == ([2], 1)


def test_closing_a_stream_still_waiting_for_headers_stops_its_reader(stub: StubServer) -> None:
    gate = threading.Event()

    def never_answer(rec: Recorded, m: object) -> Reply:
        gate.wait(60)
        return error(503, "runtime_unavailable")

    stub.route("GET", "/api/stream", never_answer)
    try:
        with CodexManager(stub.url) as cm:
            stream = cm.stream.events().start()
            while not stub.requests:
                time.sleep(0.01)
            stream.close()
            assert stream._thread is not None and not stream._thread.is_alive()
    finally:
        gate.set()
