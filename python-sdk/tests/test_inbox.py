"""The inbox helpers without a server: how items map to the routes that act on them, filters, which
handlers an event fires, and the same surface on both clients."""

from __future__ import annotations

import inspect

import pytest

from codex_manager import AsyncCodexManager, CodexManager, Event, InboxRemoval
from codex_manager._inbox_core import Handlers, job_id, list_query, request_id

APPROVAL = {"id": "request:r1", "kind": "approval", "requestId": "r1", "jobId": None, "sessionId": "s1"}
FAILED_JOB = {"id": "job:j1", "kind": "failedJob", "requestId": None, "jobId": "j1", "sessionId": None}


def test_items_and_ids_map_to_the_request_or_job_behind_them() -> None:
    assert request_id(APPROVAL, "decided") == "r1"
    assert request_id("request:r1", "decided") == "r1"
    assert request_id("r1", "decided") == "r1"  # a bare request id
    assert job_id(FAILED_JOB) == "j1" and job_id("job:j1") == "j1" and job_id("j1") == "j1"
    with pytest.raises(ValueError, match="job:j1 .*cannot be decided"):
        request_id(FAILED_JOB, "decided")
    with pytest.raises(ValueError, match="cannot be decided"):
        request_id("turn:s1:t1", "decided")
    with pytest.raises(ValueError, match="cannot be retried"):
        job_id(APPROVAL)


def test_list_filters_are_checked_and_named_as_the_api_names_them() -> None:
    assert list_query(["approval", "question"], "s1", None, 5, None) == {
        "kind": "approval,question",
        "sessionId": "s1",
        "limit": 5,
    }
    assert list_query("failedTurn", None, "p1", None, "c") == {"kind": "failedTurn", "projectId": "p1", "cursor": "c"}
    with pytest.raises(ValueError, match="unknown inbox kind nope"):
        list_query(["approval", "nope"], None, None, None, None)


def test_handlers_fire_by_kind_and_session() -> None:
    handlers = Handlers()
    seen: list[object] = []
    handlers.register(handlers.added, ["approval"], None)(seen.append)
    handlers.register(handlers.added, None, "s2")(seen.append)
    handlers.register(handlers.removed, None, "s1")(seen.append)
    with pytest.raises(ValueError):
        handlers.register(handlers.added, ["approvals"], None)

    added = Event(seq=3, type="inbox.added", data={"item": APPROVAL}, thread_id="s1")
    assert [arg for _, arg in handlers.for_event(added)] == [APPROVAL]
    removed = Event(
        seq=4,
        type="inbox.removed",
        data={"id": "request:r1", "kind": "approval", "reason": "resolved", "actor": "bob", "source": "web"},
        thread_id="s1",
    )
    [(_, removal)] = handlers.for_event(removed)
    assert removal == InboxRemoval("request:r1", "approval", "resolved", "bob", "web", 4)
    assert handlers.for_event(Event(seq=5, type="job.failed", data={})) == []


def test_both_clients_offer_the_same_inbox_awaited_on_the_async_one() -> None:
    sync_inbox, async_inbox = CodexManager().inbox, AsyncCodexManager().inbox
    public = [n for n in dir(sync_inbox) if not n.startswith("_")]
    assert public == [n for n in dir(async_inbox) if not n.startswith("_")]
    for name in ("list", "count", "decide", "answer", "respond", "retry", "dismiss", "run_forever"):
        sync_method, async_method = getattr(sync_inbox, name), getattr(async_inbox, name)
        assert inspect.signature(sync_method).parameters.keys() == inspect.signature(async_method).parameters.keys()
        assert inspect.iscoroutinefunction(async_method), name
    with pytest.raises(ValueError, match="no handlers"):
        CodexManager().inbox.run_forever()
