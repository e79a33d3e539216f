"""`cm.inbox` and `cm.usage` against the real stack: an approval raised by the runtime (`scn:exec` in a
session with approval policy `untrusted`) reaches an `on_item` handler and leaves when decided; a
failed turn (`scn:failed`) is dismissed; the asyncio client does the same; usage sums a turn."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import require_operations
from support.stack import Stack

from codex_manager import (
    AsyncCodexManager,
    CodexManager,
    ConflictError,
    InboxItem,
    InboxRemoval,
    InvalidRequestError,
    NotFoundError,
)

INBOX_ROUTES = ("inbox.list", "inbox.dismiss", "approvals.decide")


@pytest.fixture
def workspace(stack: Stack, request: pytest.FixtureRequest) -> Path:
    path = stack.data_dir / "workspaces" / request.node.name
    path.mkdir(parents=True)
    return path


def untrusted_session(cm: CodexManager, cwd: Path) -> str:
    created = cm.sessions.create(cwd=str(cwd), approval_policy="untrusted", sandbox="workspace-write")
    return str(created["session"]["id"])


def until(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_new_approval_reaches_the_handler_and_leaves_once_decided(
    cm: CodexManager, served_operations: set[str], workspace: Path
) -> None:
    require_operations(served_operations, *INBOX_ROUTES)
    session_id = untrusted_session(cm, workspace)
    arrived: list[InboxItem] = []
    left: list[InboxRemoval] = []
    stop, ready = threading.Event(), threading.Event()

    @cm.inbox.on_item(kinds=["approval"], session_id=session_id)
    def on_approval(item: InboxItem) -> None:
        arrived.append(item)

    @cm.inbox.on_removed(session_id=session_id)
    def on_removed(removal: InboxRemoval) -> None:
        left.append(removal)
        stop.set()

    errors: list[BaseException] = []

    def run() -> None:
        try:
            cm.inbox.run_forever(stop, ready=ready)
        except BaseException as e:  # surfaced below
            errors.append(e)
            stop.set()

    listener = threading.Thread(target=run, daemon=True)
    listener.start()
    assert ready.wait(30)
    turn_id = cm.sessions.send_message(session_id, text="scn:exec")["turn"]["id"]
    until("the approval item", lambda: arrived or errors)
    assert not errors, errors
    item = arrived[0]
    assert item["kind"] == "approval" and item["turnId"] == turn_id and item["sessionId"] == session_id
    assert item["id"] == f"request:{item['requestId']}"
    assert "echo hi > out.txt" in item["detail"]["command"] and "accept" in item["detail"]["decisions"]
    listed = cm.inbox.list(kind="approval", session_id=session_id)
    assert [i["id"] for i in listed["items"]] == [item["id"]]
    assert listed["counts"]["total"] == 1 and cm.inbox.count(session_id=session_id) == 1

    # Items that cannot be decided say so before any call.
    with pytest.raises(ValueError, match="cannot be decided"):
        cm.inbox.decide(f"turn:{session_id}:{turn_id}", "accept")
    with pytest.raises(ConflictError):
        cm.inbox.dismiss(item)  # a request leaves when answered, not dismissed

    assert cm.inbox.decide(item, "accept")["status"] == "resolved"
    listener.join(60)
    assert not listener.is_alive() and not errors
    assert [(r.id, r.reason, r.actor) for r in left] == [(item["id"], "resolved", "pytest")]
    assert cm.inbox.list(session_id=session_id)["items"] == []
    assert cm.inbox.last_seq is not None and cm.inbox.last_seq >= left[0].seq
    cm.wait.for_turn(session_id, turn_id)
    assert (workspace / "out.txt").read_text() == "hi\n"


def test_a_failed_turn_is_dismissed_and_bad_input_is_refused(
    cm: CodexManager, served_operations: set[str], workspace: Path
) -> None:
    require_operations(served_operations, *INBOX_ROUTES)
    session_id = untrusted_session(cm, workspace)
    turn_id = cm.sessions.send_message(session_id, text="scn:failed")["turn"]["id"]
    item_id = f"turn:{session_id}:{turn_id}"
    items = until(
        "the failed turn item",
        lambda: [i for i in cm.inbox.items(session_id=session_id) if i["id"] == item_id],
    )
    assert items[0]["kind"] == "failedTurn" and items[0]["actions"] == ["dismiss"]
    with pytest.raises(ValueError, match="unknown inbox kind"):
        cm.inbox.list(kind="nope")
    with pytest.raises(InvalidRequestError):
        cm.inbox.list(cursor="garbage")
    with pytest.raises(NotFoundError):
        cm.inbox.dismiss("turn:no:such")
    with pytest.raises(ValueError, match="cannot be retried"):
        cm.inbox.retry(items[0])
    cm.inbox.dismiss(items[0])
    assert cm.inbox.dismiss(item_id)["alreadyDismissed"] is True  # idempotent
    assert all(i["id"] != item_id for i in cm.inbox.items(session_id=session_id))


def test_the_async_client_hands_existing_items_then_new_ones(
    stack: Stack, cm: CodexManager, served_operations: set[str], workspace: Path
) -> None:
    require_operations(served_operations, *INBOX_ROUTES)
    session_id = untrusted_session(cm, workspace)
    first = cm.sessions.send_message(session_id, text="scn:exec")["turn"]["id"]
    until("the first approval", lambda: cm.inbox.count(session_id=session_id) == 1)

    async def main() -> list[str]:
        async with AsyncCodexManager(stack.url, token=stack.token, actor="pytest-async") as acm:
            seen: list[str] = []
            stop, ready = asyncio.Event(), asyncio.Event()

            @acm.inbox.on_item(session_id=session_id)
            async def decide(item: InboxItem) -> None:
                seen.append(item["turnId"] or "")
                await acm.inbox.decide(item, "decline")
                if len(seen) == 2:
                    stop.set()

            task = asyncio.create_task(acm.inbox.run_forever(stop, include_existing=True, ready=ready))
            await asyncio.wait_for(ready.wait(), 30)
            await acm.wait.for_turn(session_id, first)
            await acm.sessions.send_message(session_id, text="scn:exec")
            await asyncio.wait_for(task, 120)
            return seen

    seen = asyncio.run(main())
    assert seen[0] == first and len(seen) == 2 and seen[1] != first
    # An item leaves once the runtime reports its request resolved, a moment after the decision.
    until("the decided items to leave", lambda: cm.inbox.count(session_id=session_id) == 0)


def test_usage_sums_the_tokens_of_a_session(
    cm: CodexManager, served_operations: set[str], workspace: Path
) -> None:
    require_operations(served_operations, "usage.get")
    session_id = untrusted_session(cm, workspace)
    cm.wait.send_message_and_wait_reply(session_id, "scn:text hello")
    usage = until(
        "usage of the turn",
        lambda: (u := cm.usage.get(group_by="session", session_id=session_id))["rows"] and u,
    )
    [row] = usage["rows"]
    assert row["key"] == session_id and row["turns"] == 1 and row["totalTokens"] > 0
    assert usage["totals"]["totalTokens"] == row["totalTokens"]
    by_turn = cm.usage.get(group_by="turn", session_id=session_id)["rows"]
    assert sum(r["inputTokens"] for r in by_turn) == row["inputTokens"]
