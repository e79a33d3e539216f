"""The inbox, shared by both clients: its routes, how an item maps to the route that acts on it,
and the handlers registered for new items."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from ._http import Operation
from ._requests import ANSWER_QUESTION, DECIDE_APPROVAL, RESPOND_TOOL_CALL, REQUEST_OPERATIONS
from .events import Event

__all__ = ["INBOX_KINDS", "InboxItem", "InboxRemoval"]

INBOX_KINDS = ("approval", "question", "toolCall", "failedTurn", "longTurn", "failedJob")

LIST = "inbox.list"
DISMISS = "inbox.dismiss"
RETRY_JOB = "jobs.retry"

# The routes the inbox helpers use (docs/api.md, "Inbox"). The generated table wins when it has
# them; these let the helpers work against a server newer than the generated layer.
INBOX_OPERATIONS: dict[str, Operation] = {
    LIST: Operation(LIST, "GET", "/api/inbox", (), ("kind", "sessionId", "projectId", "limit", "cursor")),
    DISMISS: Operation(DISMISS, "POST", "/api/inbox/{id}/dismiss", ("id",)),
    RETRY_JOB: Operation(RETRY_JOB, "POST", "/api/jobs/{id}/retry", ("id",)),
    **{k: REQUEST_OPERATIONS[k] for k in (DECIDE_APPROVAL, ANSWER_QUESTION, RESPOND_TOOL_CALL)},
}


class InboxItem(TypedDict, total=False):
    """One open item (`GET /api/inbox`): what waits for a person, and what can be done about it."""

    id: str  # request:<id> | turn:<session>:<turn> | job:<id>
    kind: str  # one of INBOX_KINDS
    seq: int
    createdAt: str
    sessionId: str | None
    sessionTitle: str | None
    projectId: str | None
    turnId: str | None
    title: str
    requestId: str | None
    jobId: str | None
    detail: dict[str, Any]
    actions: list[str]  # decide | answer | respond | retry | dismiss


@dataclass(frozen=True)
class InboxRemoval:
    """An item left the inbox (`inbox.removed`): its cause was resolved, it expired, was dismissed…"""

    id: str
    kind: str
    reason: str
    actor: str | None
    source: str | None
    seq: int


ItemRef = str | Mapping[str, Any]


def item_id(item: ItemRef) -> str:
    return str(item) if isinstance(item, str) else str(item["id"])


def _target(item: ItemRef, prefix: str, field: str, action: str) -> str:
    """The request or job id behind an item: `request:<id>` → `<id>`; a bare id is taken as is."""
    if not isinstance(item, str):
        value = item.get(field)
        if not value:
            raise ValueError(f"inbox item {item.get('id')} ({item.get('kind')}) cannot be {action}")
        return str(value)
    if item.startswith(prefix + ":"):
        return item[len(prefix) + 1 :]
    if item.split(":", 1)[0] in ("request", "turn", "job"):
        raise ValueError(f"{item} cannot be {action}")
    return item


def request_id(item: ItemRef, action: str) -> str:
    return _target(item, "request", "requestId", action)


def job_id(item: ItemRef) -> str:
    return _target(item, "job", "jobId", "retried (only failed jobs can)")


def list_query(
    kind: str | Sequence[str] | None,
    session_id: str | None,
    project_id: str | None,
    limit: int | None,
    cursor: str | None,
) -> dict[str, Any]:
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    unknown = [k for k in kinds if k not in INBOX_KINDS]
    if unknown:
        raise ValueError(f"unknown inbox kind {', '.join(unknown)}; kinds are {', '.join(INBOX_KINDS)}")
    query: dict[str, Any] = {"kind": ",".join(kinds) if kinds else None}
    query.update(sessionId=session_id, projectId=project_id, limit=limit, cursor=cursor)
    return {k: v for k, v in query.items() if v is not None}


Handler = Callable[..., Any]


@dataclass
class _Registration:
    handler: Handler
    kinds: tuple[str, ...] | None
    session_id: str | None

    def wants(self, kind: str, session_id: str | None) -> bool:
        return (self.kinds is None or kind in self.kinds) and (
            self.session_id is None or self.session_id == session_id
        )


class Handlers:
    """`@inbox.on_item(...)` and `@inbox.on_removed(...)` registrations, and which fire for an event."""

    def __init__(self) -> None:
        self.added: list[_Registration] = []
        self.removed: list[_Registration] = []

    def register(
        self, into: list[_Registration], kinds: Sequence[str] | None, session_id: str | None
    ) -> Callable[[Handler], Handler]:
        if kinds is not None:
            list_query(list(kinds), None, None, None, None)  # validates the kinds

        def decorate(fn: Handler) -> Handler:
            into.append(_Registration(fn, None if kinds is None else tuple(kinds), session_id))
            return fn

        return decorate

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)

    def for_event(self, event: Event) -> list[tuple[Handler, Any]]:
        """The handlers an inbox event fires, each with its argument (the item, or the removal)."""
        data = event.data or {}
        if event.type == "inbox.added":
            item = data.get("item") or {}
            return [(r.handler, item) for r in self.added if r.wants(item.get("kind"), item.get("sessionId"))]
        if event.type == "inbox.removed":
            removal = InboxRemoval(
                id=str(data.get("id")),
                kind=str(data.get("kind")),
                reason=str(data.get("reason")),
                actor=data.get("actor"),
                source=data.get("source"),
                seq=event.seq,
            )
            return [(r.handler, removal) for r in self.removed if r.wants(removal.kind, event.thread_id)]
        return []
