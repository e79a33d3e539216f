"""Approvals against the real stack: the scripted model runs `echo hi > out.txt` (`scn:exec`), which a
session with approval policy `untrusted` must have approved first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import require_operations
from support.stack import Stack

from codex_manager import AsyncCodexManager, CodexManager, PendingRequest

APPROVAL_ROUTES = ("approvals.decide", "approvals.list")


@pytest.fixture
def workspace(stack: Stack, request: pytest.FixtureRequest) -> Path:
    """A cwd of the test's own, where the command writes out.txt."""
    path = stack.data_dir / "workspaces" / request.node.name
    path.mkdir(parents=True)
    return path


def untrusted_session(cm: CodexManager, cwd: Path) -> str:
    created = cm.sessions.create(cwd=str(cwd), approval_policy="untrusted", sandbox="workspace-write")
    return str(created["session"]["id"])


def test_wait_for_an_approval_accept_it_and_get_the_reply(
    cm: CodexManager, served_operations: set[str], workspace: Path
) -> None:
    require_operations(served_operations, *APPROVAL_ROUTES)
    session_id = untrusted_session(cm, workspace)
    turn_id = cm.sessions.send_message(session_id, text="scn:exec")["turn"]["id"]
    request = cm.wait.for_approval(session_id, turn_id=turn_id)
    assert request.kind == "commandApproval" and request.turn_id == turn_id
    assert "echo hi > out.txt" in request.params["command"]
    assert request.decisions is not None and "accept" in request.decisions
    assert not (workspace / "out.txt").exists()  # nothing ran before the decision
    decided = cm.wait.approve(request, "accept")
    assert decided["status"] == "resolved"
    assert cm.wait.approve(request, "accept")["status"] == "already_resolved"  # idempotent
    result = cm.wait.for_turn(session_id, turn_id)
    assert result.status == "completed" and result.reply.startswith("Tool said:")
    assert (workspace / "out.txt").read_text() == "hi\n"


def test_an_approval_policy_answers_during_send_and_wait(
    cm: CodexManager, served_operations: set[str], workspace: Path
) -> None:
    require_operations(served_operations, *APPROVAL_ROUTES)
    session_id = untrusted_session(cm, workspace)
    seen: list[PendingRequest] = []

    def decide(request: PendingRequest) -> str:
        seen.append(request)
        return "decline"

    result = cm.wait.send_message_and_wait_reply(session_id, "scn:exec", approvals=decide)
    assert result.status == "completed"  # declined: the model is told, the turn goes on
    assert [r.kind for r in seen] == ["commandApproval"] and result.requests[0].id == seen[0].id
    assert "rejected" in result.reply
    assert not (workspace / "out.txt").exists()
    cancelled = cm.wait.send_message_and_wait_reply(session_id, "scn:exec", approvals="cancel")
    assert cancelled.status == "interrupted"  # cancel ends the turn


def test_the_async_client_handles_approvals_the_same_way(
    stack: Stack, cm: CodexManager, served_operations: set[str], workspace: Path
) -> None:
    require_operations(served_operations, *APPROVAL_ROUTES)
    session_id = untrusted_session(cm, workspace)

    async def main() -> tuple[str, str, str]:
        async with AsyncCodexManager(stack.url, token=stack.token) as acm:
            turn_id = (await acm.sessions.send_message(session_id, text="scn:exec"))["turn"]["id"]
            request = await acm.wait.for_approval(session_id)
            await acm.wait.approve(request)
            accepted = await acm.wait.for_turn(session_id, turn_id)
            auto = await acm.wait.send_message_and_wait_reply(session_id, "scn:exec", approvals="accept")
            return request.turn_id or "", accepted.status, auto.status

    turn_of_request, accepted, auto = asyncio.run(main())
    assert (accepted, auto) == ("completed", "completed")
    assert turn_of_request and (workspace / "out.txt").read_text() == "hi\n"
