"""The remote-skills loop against a scripted server: tool calls pending at entry and arriving later
are answered once each, a failing tool and a refused delivery do not stop it, and calls still pending
at exit get a failure answer. (The same flow against the real stack: test_e2e_skills.py.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from support.stub import EventFeed, Recorded, Reply, StubServer, error

from codex_manager import AsyncCodexManager, CodexManager, Skills, UnauthorizedError
from codex_manager.skill_session import STOPPED_TEXT

SID = "s-1"


def tool_call(request_id: str, tool: str, arguments: Any, seq: int = 0) -> dict[str, Any]:
    params = {
        "threadId": SID,
        "turnId": "t-1",
        "callId": f"call-{request_id}",
        "tool": tool,
        "arguments": arguments,
    }
    row = {
        "id": request_id,
        "kind": "toolCall",
        "method": "item/tool/call",
        "sessionId": SID,
        "turnId": "t-1",
    }
    return {**row, "itemId": None, "status": "pending", "params": params, "decisions": None,
            "createdAt": f"2026-01-01T00:00:0{seq}Z"}  # fmt: skip


def created_event(seq: int, row: dict[str, Any]) -> dict[str, Any]:
    data = {"requestId": row["id"], "kind": "toolCall", "method": row["method"], "params": row["params"]}
    envelope = {"seq": seq, "ts": "t", "type": "request.created", "threadId": SID, "turnId": "t-1"}
    return {**envelope, "source": "runtime", "data": {**data, "decisions": None}}


class ScriptedSession:
    """A server with one session: pending lists played in order, a feed of events, answers recorded."""

    def __init__(self, stub: StubServer, pending: list[list[dict[str, Any]]]) -> None:
        self.stub = stub
        self.feed = EventFeed(head=10)
        self.answered = threading.Event()
        self.refuse: set[str] = set()
        stub.route("POST", "/api/sessions", Reply(201, {"session": {"id": SID}}))
        stub.route("GET", f"/api/sessions/{SID}/tool-calls", [Reply(200, {"requests": p}) for p in pending])
        stub.route(
            "GET",
            "/api/stream",
            lambda r, m: Reply(200, sse=self.feed.frames(int(r.headers.get("last-event-id") or 10))),
        )
        stub.route("POST", "/api/tool-calls/([^/]+)/response", self._respond)

    def _respond(self, rec: Recorded, m: Any) -> Reply:
        self.answered.set()
        if m.group(1) in self.refuse:
            return error(409, "conflict", "decided differently")
        return Reply(200, {"status": "resolved", "request": {"id": m.group(1)}})

    def answers(self) -> list[tuple[str, Any]]:
        return [(r.path.split("/")[3], r.body) for r in self.stub.requests if r.path.endswith("/response")]


def make_skills() -> Skills:
    skills = Skills()

    @skills.tool
    def lookup_ticket(id: str) -> str:
        """Looks up a ticket."""
        return f"ticket {id} is OPEN"

    @skills.tool
    def explode(id: str) -> str:
        """Fails."""
        raise RuntimeError("tracker is down")

    return skills


def text(body: Any) -> str:
    return str(body["contentItems"][0]["text"])


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        deadline.wait(0.02)
    raise AssertionError("condition not met in time")


def test_the_session_is_created_with_the_tools_and_every_call_answered_once(stub: StubServer) -> None:
    early = tool_call("r-1", "lookup_ticket", {"id": "T-1"}, 1)
    later = tool_call("r-2", "explode", {"id": "T-2"}, 2)
    refused = tool_call("r-3", "lookup_ticket", {"id": "T-3"}, 3)
    server = ScriptedSession(stub, [[early], [], []])
    server.refuse.add("r-3")
    skills = make_skills()
    with CodexManager(stub.url) as cm, skills.session(cm, cwd="/w", approval_policy="never") as session:
        assert session.session_id == SID
        server.feed.push(created_event(11, early))  # already answered from the pending list: not twice
        server.feed.push(created_event(12, later))
        server.feed.push(created_event(13, refused))
        wait_for(lambda: len(session.calls) == 3)
    create = stub.calls("POST", "/api/sessions")[0].body
    assert create["cwd"] == "/w" and create["approvalPolicy"] == "never"
    assert [t["name"] for t in create["dynamicTools"]] == ["lookup_ticket", "explode"]
    assert [(rid, text(body), body["success"]) for rid, body in server.answers()] == [
        ("r-1", "ticket T-1 is OPEN", True),
        ("r-2", "RuntimeError: tracker is down", False),
        ("r-3", "ticket T-3 is OPEN", True),
    ]
    assert [(c.request_id, c.tool, c.delivered) for c in session.calls] == [
        ("r-1", "lookup_ticket", True),
        ("r-2", "explode", True),
        ("r-3", "lookup_ticket", False),  # 409: someone else answered; not an error
    ]


def test_calls_still_pending_at_exit_are_answered_with_a_failure(stub: StubServer) -> None:
    left = tool_call("r-9", "lookup_ticket", {"id": "T-9"})
    server = ScriptedSession(stub, [[], [left]])
    with CodexManager(stub.url) as cm, make_skills().session(cm, session_id=SID):
        pass
    assert not stub.calls("POST", "/api/sessions")  # an existing session is served, not created
    [(rid, body)] = server.answers()
    assert (rid, text(body), body["success"]) == ("r-9", STOPPED_TEXT, False)


def test_the_async_session_behaves_the_same(stub: StubServer) -> None:
    early = tool_call("r-1", "lookup_ticket", {"id": "T-1"}, 1)
    later = tool_call("r-2", "explode", {"id": "T-2"}, 2)
    left = tool_call("r-3", "lookup_ticket", {"id": "T-3"}, 3)
    server = ScriptedSession(stub, [[early], [left]])

    async def main() -> list[Any]:
        async with AsyncCodexManager(stub.url) as acm, make_skills().session(acm, cwd="/w") as session:
            server.feed.push(created_event(11, early))
            server.feed.push(created_event(12, later))
            for _ in range(1500):
                if len(session.calls) == 2:
                    break
                await asyncio.sleep(0.02)
        return session.calls

    calls = asyncio.run(main())
    assert [(c.request_id, c.result.success) for c in calls] == [
        ("r-1", True),
        ("r-2", False),
        ("r-3", False),
    ]
    assert [text(b) for _, b in server.answers()] == [
        "ticket T-1 is OPEN",
        "RuntimeError: tracker is down",
        STOPPED_TEXT,
    ]


def test_a_stream_that_fails_for_good_is_reported_at_exit(stub: StubServer) -> None:
    ScriptedSession(stub, [[]])
    stub.route(
        "GET",
        "/api/stream",
        [Reply(200, sse=iter(['event: ready\ndata: {"head":1,"cursor":1}\n\n'])), error(401, "unauthorized")],
    )
    with (
        CodexManager(stub.url) as cm,
        pytest.raises(UnauthorizedError),
        make_skills().session(cm, session_id=SID) as session,
    ):
        wait_for(lambda: session.failure is not None)
