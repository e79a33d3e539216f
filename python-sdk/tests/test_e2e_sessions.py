"""Against the real stack (demo mode, scripted model): create, send, wait, typed errors, auth —
with the blocking and the asyncio client."""

from __future__ import annotations

import asyncio

import pytest
from support.stack import Stack

from codex_manager import (
    AsyncCodexManager,
    CodexManager,
    InvalidRequestError,
    NotFoundError,
    UnauthorizedError,
)


def test_create_send_and_wait_for_the_reply(cm: CodexManager) -> None:
    session = cm.sessions.create(title="sdk e2e")["session"]
    assert session["title"] == "sdk e2e" and session["cwd"]
    deltas: list[str] = []
    result = cm.wait.send_message_and_wait_reply(
        session["id"],
        "scn:text hello",
        on_event=lambda e: (
            deltas.append(e.params["delta"]) if e.type == "runtime.item.agentMessage.delta" else None
        ),
    )
    assert (result.status, result.reply, result.ok) == ("completed", "Hello from the scripted model.", True)
    assert "".join(deltas) == result.reply
    assert result.session_id == session["id"]
    turns = cm.sessions.get(session["id"])["turns"]
    assert [(t["id"], t["status"]) for t in turns] == [(result.turn_id, "completed")]
    assert session["id"] in [s["id"] for s in cm.sessions.list()["sessions"]]


def test_a_failed_turn_reports_its_status_and_error(cm: CodexManager) -> None:
    session = cm.sessions.create()["session"]
    result = cm.wait.send_message_and_wait_reply(session["id"], "scn:http400 please")
    assert result.status == "failed" and not result.ok
    assert "scripted bad request" in str(result.error)
    # The session stays usable.
    assert cm.wait.send_message_and_wait_reply(session["id"], "scn:text again").status == "completed"


def test_waiting_for_a_turn_started_elsewhere_even_after_it_ended(cm: CodexManager) -> None:
    session = cm.sessions.create()["session"]
    turn = cm.sessions.send_message(session["id"], text="scn:slow:5x50")["turn"]
    live = cm.wait.for_turn(session["id"], turn["id"])
    assert (live.status, live.reply) == ("completed", "tick0 tick1 tick2 tick3 tick4 ")
    again = cm.wait.for_turn(session["id"], turn["id"])  # ended: rebuilt from the recorded events
    assert again == live


def test_api_errors_are_typed_with_details(cm: CodexManager) -> None:
    with pytest.raises(NotFoundError) as nf:
        cm.sessions.get("no-such-session")
    assert nf.value.code == "not_found" and nf.value.status == 404 and nf.value.trace_id
    with pytest.raises(InvalidRequestError) as bad:
        cm.sessions.create(cwd="relative/path")
    assert bad.value.details["issues"][0]["path"] == "body.cwd"
    with pytest.raises(InvalidRequestError):
        cm.sessions.send_message(cm.sessions.create()["session"]["id"], text="   ")


def test_a_missing_or_wrong_token_is_an_unauthorized_error(stack: Stack) -> None:
    for token in (None, "wrong-token-0123456789"):
        with (
            CodexManager(stack.url, token=token, max_retries=0) as anonymous,
            pytest.raises(UnauthorizedError),
        ):
            anonymous.sessions.list()
        with pytest.raises(UnauthorizedError):
            anonymous.stream.events().wait_ready()


def test_the_profile_file_and_environment_reach_the_real_server(
    stack: Stack, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codex_manager import save_profile

    path = save_profile(
        "e2e", stack.url, stack.token, make_default=True, config_file=f"{tmp_path}/profiles.json"
    )
    monkeypatch.setenv("CM_CONFIG_FILE", str(path))
    assert CodexManager().system.health()["status"] == "ready"
    monkeypatch.setenv("CM_TOKEN", "wrong-token-0123456789")  # the environment beats the profile
    with pytest.raises(UnauthorizedError):
        CodexManager(max_retries=0).sessions.list()


def test_the_async_client_does_the_same(stack: Stack) -> None:
    async def main() -> None:
        async with AsyncCodexManager(stack.url, token=stack.token) as acm:
            assert (await acm.system.health())["status"] == "ready"
            session = (await acm.sessions.create())["session"]
            seen: list[str] = []

            async def on_event(e: object) -> None:
                seen.append(e.type)

            result = await acm.wait.send_message_and_wait_reply(
                session["id"], "scn:text hi", on_event=on_event
            )
            assert (result.status, result.reply) == ("completed", "Hello from the scripted model.")
            assert "runtime.turn.completed" in seen
            again = await acm.wait.for_turn(session["id"], result.turn_id)
            assert again.reply == result.reply
            with pytest.raises(NotFoundError):
                await acm.sessions.get("no-such-session")
            failed = await acm.wait.send_message_and_wait_reply(session["id"], "scn:failed")
            assert failed.status == "failed"
            text = await acm.system.metrics()
            assert isinstance(text, str) and "cm_" in text

    asyncio.run(main())
