"""Typed views of what the stream carries: event envelopes and interactive requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["APPROVAL_KINDS", "Event", "PendingRequest", "RequestKind"]

RequestKind = Literal["commandApproval", "fileChangeApproval", "userInput", "toolCall"]
APPROVAL_KINDS: tuple[RequestKind, ...] = ("commandApproval", "fileChangeApproval")


@dataclass(frozen=True)
class Event:
    """One envelope of the event log: `{seq, ts, type, threadId?, turnId?, itemId?, source, data}`.

    `type` is `runtime.<app-server method with / as .>` for runtime notifications (then `method` and
    `params` are the notification, verbatim), or a manager family: `request.*`, `session.*`,
    `turn.*`, `job.*`, `extension.*`, `runtime.status`.
    """

    seq: int
    type: str
    data: Any
    ts: Any = None
    source: str | None = None
    thread_id: str | None = None
    turn_id: str | None = None
    item_id: str | None = None
    trace_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Event:
        return cls(
            seq=int(obj["seq"]),
            type=str(obj["type"]),
            data=obj.get("data"),
            ts=obj.get("ts"),
            source=obj.get("source"),
            thread_id=obj.get("threadId"),
            turn_id=obj.get("turnId"),
            item_id=obj.get("itemId"),
            trace_id=obj.get("traceId"),
            raw=obj,
        )

    @property
    def method(self) -> str | None:
        """The app-server method of a `runtime.*` event (`item/agentMessage/delta`, …)."""
        value = self.data.get("method") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None

    @property
    def params(self) -> dict[str, Any]:
        """The app-server params of a `runtime.*` event (empty for other families)."""
        value = self.data.get("params") if isinstance(self.data, dict) else None
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class PendingRequest:
    """A question the runtime is waiting on: an approval, a user-input question or a tool call.

    `params` is what the runtime sent (for a tool call: `tool`, `arguments`, `callId`); `decisions`
    (approvals only) lists what may be answered.
    """

    id: str
    kind: str
    session_id: str | None
    turn_id: str | None = None
    item_id: str | None = None
    method: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    decisions: list[str] | None = None
    status: str = "pending"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_approval(self) -> bool:
        return self.kind in APPROVAL_KINDS

    @classmethod
    def from_event(cls, event: Event) -> PendingRequest:
        """From a `request.created` event."""
        data = event.data if isinstance(event.data, dict) else {}
        params = data.get("params")
        decisions = data.get("decisions")
        return cls(
            id=str(data["requestId"]),
            kind=str(data.get("kind")),
            session_id=event.thread_id,
            turn_id=event.turn_id,
            item_id=event.item_id,
            method=data.get("method"),
            params=params if isinstance(params, dict) else {},
            decisions=list(decisions) if isinstance(decisions, list) else None,
            raw=data,
        )

    @classmethod
    def from_api(cls, row: Mapping[str, Any]) -> PendingRequest:
        """From a request as the list and get routes return it."""
        params = row.get("params")
        decisions = row.get("decisions")
        return cls(
            id=str(row["id"]),
            kind=str(row.get("kind")),
            session_id=row.get("sessionId"),
            turn_id=row.get("turnId"),
            item_id=row.get("itemId"),
            method=row.get("method"),
            params=params if isinstance(params, dict) else {},
            decisions=list(decisions) if isinstance(decisions, list) else None,
            status=str(row.get("status") or "pending"),
            raw=row,
        )
