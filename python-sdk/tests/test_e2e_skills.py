"""Remote skills against the real stack: the scripted model calls a Python function offered as a
dynamic tool (`scn:dyn:<tool>` calls it with `{"id": "T-42"}`) and reads what it returned."""

from __future__ import annotations

import asyncio

from conftest import require_operations
from support.stack import Stack

from codex_manager import AsyncCodexManager, CodexManager, Skills

SKILL_ROUTES = ("toolCalls.respond", "toolCalls.list")


def tracker() -> Skills:
    skills = Skills()

    @skills.tool
    def lookup_ticket(id: str) -> str:
        """Looks up a ticket in the tracker.

        Args:
            id: The ticket id, like T-42.
        """
        return f"ticket {id} is OPEN"

    @skills.tool
    def close_ticket(id: str, reason: str = "done") -> str:
        """Closes a ticket."""
        raise PermissionError(f"{id} is locked")

    @skills.tool
    async def ticket_age(id: str) -> dict[str, int]:
        """How old a ticket is, in days."""
        await asyncio.sleep(0)
        return {"days": 3}

    return skills


def test_the_model_calls_a_python_function_and_reads_its_result(
    cm: CodexManager, served_operations: set[str]
) -> None:
    require_operations(served_operations, *SKILL_ROUTES)
    with tracker().session(cm, title="skills e2e") as session:
        result = session.send_message_and_wait_reply("scn:dyn:lookup_ticket what is T-42?")
        assert (result.status, result.reply) == ("completed", "Tool said: ticket T-42 is OPEN")
        failed = session.send_message_and_wait_reply("scn:dyn:close_ticket close it")
        assert failed.status == "completed"  # a failing tool is an answer, not a crash
        assert failed.reply == "Tool said: PermissionError: T-42 is locked"
        aged = session.send_message_and_wait_reply("scn:dyn:ticket_age how old?")
        assert aged.reply == 'Tool said: {"days": 3}'
    assert [(c.tool, c.arguments, c.result.success, c.delivered) for c in session.calls] == [
        ("lookup_ticket", {"id": "T-42"}, True, True),
        ("close_ticket", {"id": "T-42"}, False, True),
        ("ticket_age", {"id": "T-42"}, True, True),
    ]
    assert cm.sessions.get(session.session_id)["session"]["title"] == "skills e2e"


def test_a_call_made_while_nobody_served_is_answered_when_serving_starts(
    cm: CodexManager, served_operations: set[str]
) -> None:
    require_operations(served_operations, *SKILL_ROUTES)
    skills = tracker()
    with skills.session(cm) as session:
        session_id = session.session_id
    turn_id = cm.sessions.send_message(session_id, text="scn:dyn:lookup_ticket")["turn"]["id"]
    pending = cm.wait.for_tool_call(session_id, turn_id=turn_id)  # the turn waits for an answer
    assert pending.params["tool"] == "lookup_ticket"
    with skills.session(cm, session_id=session_id) as again:
        result = cm.wait.for_turn(session_id, turn_id)
    assert result.reply == "Tool said: ticket T-42 is OPEN"
    assert [c.request_id for c in again.calls] == [pending.id]


def test_the_async_client_serves_skills_the_same_way(stack: Stack, served_operations: set[str]) -> None:
    require_operations(served_operations, *SKILL_ROUTES)

    async def main() -> list[str]:
        async with (
            AsyncCodexManager(stack.url, token=stack.token) as acm,
            tracker().session(acm) as session,
        ):
            replies = []
            for tool in ("lookup_ticket", "close_ticket", "ticket_age"):
                result = await session.send_message_and_wait_reply(f"scn:dyn:{tool}")
                replies.append(result.reply)
            return replies

    assert asyncio.run(main()) == [
        "Tool said: ticket T-42 is OPEN",
        "Tool said: PermissionError: T-42 is locked",
        'Tool said: {"days": 3}',
    ]
