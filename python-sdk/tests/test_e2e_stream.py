"""The event stream against the real stack: a connection cut mid-turn (by the network, through a
proxy, and by the client) resumes from the last seq; the events received are exactly the events the
log holds for the session, none lost, none repeated. Handlers by type and prefix; `run_forever`."""

from __future__ import annotations

import asyncio
import threading

from support.proxy import CuttableProxy
from support.stack import Stack

from codex_manager import AsyncCodexManager, CodexManager, Event

SLOW = "scn:slow:30x100"  # 30 deltas, 100 ms apart
EXPECTED_TEXT = "".join(f"tick{i} " for i in range(30))


def turn_end(event: Event, turn_id: str) -> bool:
    return event.type == "runtime.turn.completed" and event.params["turn"]["id"] == turn_id


def reference(cm: CodexManager, session_id: str, after: int, turn_id: str) -> list[int]:
    """The seqs the log holds for the session from `after` to the end of the turn (a fresh read)."""
    with cm.stream.events(threads=[session_id], after=after) as stream:
        seqs = []
        for event in stream:
            seqs.append(event.seq)
            if turn_end(event, turn_id):
                return seqs
    raise AssertionError("the turn never ended")


def check_complete(events: list[Event], expected_seqs: list[int]) -> None:
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs)), "events repeated or out of order"
    assert seqs == expected_seqs, "events lost"
    deltas = "".join(e.params["delta"] for e in events if e.type == "runtime.item.agentMessage.delta")
    assert deltas == EXPECTED_TEXT
    [final] = [
        e.params["item"]["text"]
        for e in events
        if e.type == "runtime.item.completed" and e.params["item"]["type"] == "agentMessage"
    ]
    assert final == EXPECTED_TEXT


def test_a_stream_cut_mid_turn_resumes_without_loss_or_repeats(stack: Stack, cm: CodexManager) -> None:
    session_id = cm.sessions.create()["session"]["id"]
    with (
        CuttableProxy(stack.url) as proxy,
        CodexManager(proxy.url, token=stack.token) as through_proxy,
        through_proxy.stream.events(threads=[session_id]) as stream,
    ):
        start = stream.wait_ready()
        turn_id = cm.sessions.send_message(session_id, text=SLOW)["turn"]["id"]
        events: list[Event] = []
        deltas = 0
        for event in stream:
            events.append(event)
            if event.type == "runtime.item.agentMessage.delta":
                deltas += 1
                if deltas == 5:
                    assert proxy.cut_all() >= 1  # the network drops the stream
                if deltas == 15:
                    stream.reconnect()  # the client drops it itself
            if turn_end(event, turn_id):
                break
        assert stream.reconnects >= 2 and proxy.connections >= 3
    check_complete(events, reference(cm, session_id, start, turn_id))


def test_the_async_stream_resumes_the_same_way(stack: Stack, cm: CodexManager) -> None:
    session_id = cm.sessions.create()["session"]["id"]

    async def main() -> tuple[int, str, list[Event], int]:
        with CuttableProxy(stack.url) as proxy:
            async with (
                AsyncCodexManager(proxy.url, token=stack.token) as acm,
                acm.stream.events(threads=[session_id]) as stream,
            ):
                start = await stream.wait_ready()
                turn_id = (await acm.sessions.send_message(session_id, text=SLOW))["turn"]["id"]
                events: list[Event] = []
                deltas = 0
                async for event in stream:
                    events.append(event)
                    if event.type == "runtime.item.agentMessage.delta":
                        deltas += 1
                        if deltas == 5:
                            assert proxy.cut_all() >= 1
                        if deltas == 15:
                            stream.reconnect()
                    if turn_end(event, turn_id):
                        break
                return start, turn_id, events, stream.reconnects

    start, turn_id, events, reconnects = asyncio.run(main())
    assert reconnects >= 2
    check_complete(events, reference(cm, session_id, start, turn_id))


def test_handlers_by_type_and_prefix_until_the_stop_event(cm: CodexManager) -> None:
    session_id = cm.sessions.create()["session"]["id"]
    stop = threading.Event()
    deltas: list[str] = []
    turn_events: list[str] = []
    with cm.stream.events(threads=[session_id]) as stream:

        @stream.on("runtime.item.agentMessage.delta")
        def on_delta(event: Event) -> None:
            deltas.append(event.params["delta"])

        @stream.on_prefix("runtime.turn.")
        def on_turn(event: Event) -> None:
            turn_events.append(event.type)
            if event.type == "runtime.turn.completed":
                stop.set()

        stream.wait_ready()
        cm.sessions.send_message(session_id, text="scn:text hi")
        stream.run_forever(stop)
    assert "".join(deltas) == "Hello from the scripted model."
    assert turn_events == ["runtime.turn.started", "runtime.turn.completed"]


def test_async_handlers_and_run_forever(stack: Stack) -> None:
    async def main() -> tuple[list[str], list[str]]:
        async with AsyncCodexManager(stack.url, token=stack.token) as acm:
            session_id = (await acm.sessions.create())["session"]["id"]
            stop = asyncio.Event()
            deltas: list[str] = []
            kinds: list[str] = []
            async with acm.stream.events(
                threads=[session_id], types=["runtime.item.", "runtime.turn."]
            ) as stream:

                @stream.on("runtime.item.agentMessage.delta")
                async def on_delta(event: Event) -> None:
                    deltas.append(event.params["delta"])

                @stream.on_prefix("runtime.")
                def on_any_runtime(event: Event) -> None:
                    kinds.append(event.type)
                    if event.type == "runtime.turn.completed":
                        stop.set()

                await stream.wait_ready()
                await acm.sessions.send_message(session_id, text="scn:text hi")
                await asyncio.wait_for(stream.run_forever(stop), 120)
            return deltas, kinds

    deltas, kinds = asyncio.run(main())
    assert "".join(deltas) == "Hello from the scripted model."
    assert kinds[-1] == "runtime.turn.completed"
    assert all(k.startswith(("runtime.item.", "runtime.turn.")) for k in kinds)  # the server-side filter held
