"""Following a turn: the reply is the last assistant message (or what streamed of it), events that
arrive before the turn id is known are kept, other turns are ignored."""

from __future__ import annotations

from typing import Any

from codex_manager.events import Event
from codex_manager.turns import TurnCollector

SID, TID = "s-1", "t-1"


def rt(seq: int, method: str, params: dict[str, Any], turn: str | None = TID, thread: str = SID) -> Event:
    return Event(
        seq,
        "runtime." + method.replace("/", "."),
        {"method": method, "params": params},
        thread_id=thread,
        turn_id=turn,
    )


def message(seq: int, item: str, text: str, done: bool = True) -> list[Event]:
    events = [rt(seq, "item/started", {"item": {"id": item, "type": "agentMessage", "text": ""}})]
    events += [
        rt(seq + 1 + i, "item/agentMessage/delta", {"itemId": item, "delta": w})
        for i, w in enumerate(text.split("|"))
    ]
    if done:
        events.append(
            rt(
                seq + 9,
                "item/completed",
                {"item": {"id": item, "type": "agentMessage", "text": text.replace("|", "")}},
            )
        )
    return events


def completed(seq: int, status: str = "completed", error: Any = None, turn: str = TID) -> Event:
    return rt(
        seq,
        "turn/completed",
        {"turn": {"id": turn, "status": status, "error": error, "items": []}},
        turn=turn,
    )


def test_the_reply_is_the_last_completed_assistant_message() -> None:
    c = TurnCollector(SID, TID)
    for e in message(1, "m1", "Let me| check.") + message(20, "m2", "Tool| said: ok") + [completed(40)]:
        c.feed(e)
    r = c.result()
    assert (r.status, r.reply, r.messages, r.ok) == (
        "completed",
        "Tool said: ok",
        ["Let me check.", "Tool said: ok"],
        True,
    )


def test_a_cut_off_message_keeps_the_streamed_text_and_the_status() -> None:
    c = TurnCollector(SID, TID)
    for e in [*message(1, "m1", "tick0 |tick1 ", done=False), completed(30, "interrupted")]:
        c.feed(e)
    assert (c.result().status, c.result().reply) == ("interrupted", "tick0 tick1 ")


def test_a_failed_turn_carries_the_runtime_error() -> None:
    c = TurnCollector(SID, TID)
    c.feed(rt(1, "error", {"error": {"message": "boom"}, "willRetry": False}))
    c.feed(completed(2, "failed", {"message": "boom"}))
    assert c.result().status == "failed" and c.result().error == {"message": "boom"}


def test_a_runtime_crash_ends_the_turn_interrupted() -> None:
    c = TurnCollector(SID, TID)
    c.feed(
        Event(
            5, "turn.interrupted", {"reason": "runtime exited", "exitCode": None}, thread_id=SID, turn_id=TID
        )
    )
    assert c.done and c.result().status == "interrupted" and c.result().error["reason"] == "runtime exited"


def test_events_before_the_turn_id_is_known_are_replayed_and_other_turns_ignored() -> None:
    c = TurnCollector(SID)
    early = message(1, "m1", "Hel|lo")
    for e in early:
        assert not c.feed(e)
    c.feed(completed(15, turn="t-other"))
    c.set_turn(TID)
    assert not c.done
    c.feed(completed(16))
    assert c.result().reply == "Hello"


def test_events_of_other_sessions_do_not_count() -> None:
    c = TurnCollector(SID, TID)
    c.feed(rt(1, "turn/completed", {"turn": {"id": TID, "status": "completed"}}, thread="s-2"))
    assert not c.done
