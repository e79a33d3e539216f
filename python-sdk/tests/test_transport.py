"""Headers, idempotency keys, retries and error mapping, the same for both clients (against a local
stub, so every failure mode can be scripted)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.stub import Reply, StubServer, error

from codex_manager import AsyncCodexManager, CodexManager, ConnectionFailedError, NotFoundError
from codex_manager.errors import (
    IdempotencyKeyReusedError,
    RateLimitedError,
    RuntimeTimeoutError,
    RuntimeUnavailableError,
    UnknownOperationError,
)

SESSION = {"id": "s-1", "title": None, "cwd": "/w", "model": None, "modelProvider": None, "status": "idle",
           "createdAt": "t", "updatedAt": "t"}  # fmt: skip


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


Call = Callable[..., Any]


def clients(url: str, **options: Any) -> list[tuple[str, Callable[[Callable[[Any], Any]], Any]]]:
    """Runs the same scenario with each client: `run(lambda c: c.sessions.get("x"))`."""

    def run_sync(fn: Callable[[Any], Any]) -> Any:
        with CodexManager(url, token="t0ken", actor="alice", **options) as c:
            return fn(c)

    def run_async(fn: Callable[[Any], Any]) -> Any:
        async def main() -> Any:
            async with AsyncCodexManager(url, token="t0ken", actor="alice", **options) as c:
                return await fn(c)

        return asyncio.run(main())

    return [("sync", run_sync), ("async", run_async)]


FAST = {"max_retries": 3}


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from codex_manager._http import RetryPolicy

    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, retry_after=None: 0.01)


@pytest.mark.parametrize("which", ["sync", "async"])
def test_calls_carry_auth_client_actor_and_a_json_body(stub: StubServer, which: str) -> None:
    stub.route("POST", "/api/sessions", Reply(201, {"session": SESSION}))
    run = dict(clients(stub.url))[which]
    out = run(lambda c: c.sessions.create(cwd="/w", approval_policy="never", title=None))
    assert out == {"session": SESSION}
    [req] = stub.calls("POST", "/api/sessions")
    assert req.headers["authorization"] == "Bearer t0ken"
    assert req.headers["x-client"] == "sdk"
    assert req.headers["x-actor"] == "alice"
    assert req.headers["user-agent"].startswith("codex-manager-python/")
    assert len(req.headers["idempotency-key"]) == 36
    assert req.body == {"cwd": "/w", "approvalPolicy": "never"}  # camelCase; unset arguments not sent


@pytest.mark.parametrize("which", ["sync", "async"])
def test_path_parameters_are_escaped_and_reads_carry_no_idempotency_key(stub: StubServer, which: str) -> None:
    stub.route(
        "GET", "/api/sessions/(.+)", lambda r, m: Reply(200, {"session": SESSION, "turns": [], "raw": r.path})
    )
    run = dict(clients(stub.url))[which]
    out = run(lambda c: c.sessions.get("a/b c"))
    assert out["raw"] == "/api/sessions/a%2Fb%20c"
    assert "idempotency-key" not in stub.requests[0].headers


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_503_is_retried_with_the_same_idempotency_key(stub: StubServer, which: str) -> None:
    stub.route(
        "POST",
        "/api/sessions",
        [
            error(503, "runtime_unavailable"),
            error(503, "runtime_unavailable"),
            Reply(201, {"session": SESSION}),
        ],
    )
    run = dict(clients(stub.url))[which]
    assert run(lambda c: c.sessions.create())["session"]["id"] == "s-1"
    keys = {r.headers["idempotency-key"] for r in stub.calls("POST", "/api/sessions")}
    assert len(stub.calls("POST", "/api/sessions")) == 3 and len(keys) == 1


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_call_still_running_under_its_key_is_retried_until_it_replays(stub: StubServer, which: str) -> None:
    stub.route(
        "POST",
        "/api/sessions/s-1/messages",
        [
            error(409, "idempotency_in_progress"),
            Reply(202, {"sessionId": "s-1", "turn": {"id": "t", "status": "inProgress"}}),
        ],
    )
    run = dict(clients(stub.url))[which]
    assert (
        run(lambda c: c.sessions.send_message("s-1", text="hi", idempotency_key="k-1"))["turn"]["id"] == "t"
    )
    assert [r.headers["idempotency-key"] for r in stub.requests] == ["k-1", "k-1"]


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_504_is_retried_for_reads_only(stub: StubServer, which: str) -> None:
    stub.route("GET", "/api/sessions", [error(504, "runtime_timeout"), Reply(200, {"sessions": []})])
    stub.route("POST", "/api/sessions", error(504, "runtime_timeout"))
    run = dict(clients(stub.url))[which]
    assert run(lambda c: c.sessions.list()) == {"sessions": []}
    with pytest.raises(RuntimeTimeoutError):
        run(lambda c: c.sessions.create())
    assert len(stub.calls("POST", "/api/sessions")) == 1  # the runtime took it: never repeated


@pytest.mark.parametrize("which", ["sync", "async"])
def test_retries_stop_after_max_retries_with_the_last_error(stub: StubServer, which: str) -> None:
    stub.route("GET", "/api/health", error(429, "too_many_requests", "slow down"))
    run = dict(clients(stub.url, max_retries=2))[which]
    with pytest.raises(RateLimitedError, match="slow down"):
        run(lambda c: c.system.health())
    assert len(stub.requests) == 3


@pytest.mark.parametrize("which", ["sync", "async"])
def test_client_errors_are_never_retried_and_keep_their_details(stub: StubServer, which: str) -> None:
    stub.route("POST", "/api/sessions", error(422, "idempotency_key_reused", "different body", key="k"))
    stub.route(
        "GET",
        "/api/sessions/x",
        Reply(
            404,
            {"error": {"code": "not_found", "message": "session x was not found"}},
            headers={"x-trace-id": "abc"},
        ),
    )
    run = dict(clients(stub.url))[which]
    with pytest.raises(IdempotencyKeyReusedError) as reused:
        run(lambda c: c.sessions.create())
    assert reused.value.details == {"key": "k"} and reused.value.status == 422
    with pytest.raises(NotFoundError) as nf:
        run(lambda c: c.sessions.get("x"))
    assert (
        nf.value.trace_id == "abc" and nf.value.method == "GET" and nf.value.url.endswith("/api/sessions/x")
    )
    assert len(stub.requests) == 2


@pytest.mark.parametrize("which", ["sync", "async"])
def test_a_dropped_connection_is_retried_and_the_key_keeps_it_safe(stub: StubServer, which: str) -> None:
    stub.route("POST", "/api/sessions", [Reply(drop=True), Reply(201, {"session": SESSION})])
    run = dict(clients(stub.url))[which]
    assert run(lambda c: c.sessions.create())["session"]["id"] == "s-1"
    assert len({r.headers["idempotency-key"] for r in stub.requests}) == 1


@pytest.mark.parametrize("which", ["sync", "async"])
def test_nobody_listening_is_a_connection_error_after_the_retries(which: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        run = dict(clients(f"http://127.0.0.1:{port}", max_retries=1))[which]
        with pytest.raises(ConnectionFailedError, match="is Codex Manager running"):
            run(lambda c: c.system.health())


@pytest.mark.parametrize("which", ["sync", "async"])
def test_non_json_bodies_come_back_as_text(stub: StubServer, which: str) -> None:
    stub.route("GET", "/api/metrics", Reply(200, text="# HELP cm_up 1\ncm_up 1\n"))
    stub.route("GET", "/api/sessions", Reply(200, None))
    run = dict(clients(stub.url))[which]
    assert run(lambda c: c.system.metrics()) == "# HELP cm_up 1\ncm_up 1\n"
    assert run(lambda c: c.sessions.list()) is None  # an empty body


@pytest.mark.parametrize("which", ["sync", "async"])
def test_unknown_operations_and_raw_requests(stub: StubServer, which: str) -> None:
    stub.route("POST", "/api/future/thing", Reply(200, {"ok": True}))
    run = dict(clients(stub.url))[which]
    with pytest.raises(UnknownOperationError, match="regenerate"):
        run(lambda c: c.call("future.thing"))
    assert run(lambda c: c.request("POST", "/api/future/thing", body={"a": 1})) == {"ok": True}
    assert stub.requests[-1].body == {"a": 1} and "idempotency-key" in stub.requests[-1].headers


def test_503_from_a_retry_exhausted_call_is_a_runtime_unavailable_error(stub: StubServer) -> None:
    stub.route("POST", "/api/sessions", error(503, "runtime_unavailable", "no bridge", commandId="c-1"))
    with CodexManager(stub.url, max_retries=0) as c, pytest.raises(RuntimeUnavailableError) as e:
        c.sessions.create()
    assert e.value.details == {"commandId": "c-1"}
