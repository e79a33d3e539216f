"""Following one turn through the event stream until it ends, for both clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .events import Event, PendingRequest

__all__ = ["TERMINAL_STATUSES", "TurnCollector", "TurnResult"]

TurnStatus = Literal["completed", "failed", "interrupted"]
TERMINAL_STATUSES: tuple[str, ...] = ("completed", "failed", "interrupted")


@dataclass(frozen=True)
class TurnResult:
    """How a turn ended and what the assistant said.

    `reply` is the final assistant message (the last one of the turn; when the turn was cut off
    before that message completed, the text streamed so far). `messages` holds every assistant
    message of the turn in order. `error` is the runtime's error for a failed turn.
    """

    session_id: str
    turn_id: str
    status: str
    reply: str
    messages: list[str] = field(default_factory=list)
    error: Any = None
    usage: Any = None
    requests: list[PendingRequest] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "completed"


class TurnCollector:
    """Feed it the session's events; `done` turns true when the turn reaches a terminal status."""

    def __init__(self, session_id: str, turn_id: str | None = None) -> None:
        self.session_id = session_id
        self.turn_id = turn_id
        self.status: str | None = None
        self.error: Any = None
        self.usage: Any = None
        self.requests: list[PendingRequest] = []
        self._order: list[str] = []
        self._streamed: dict[str, str] = {}
        self._final: dict[str, str] = {}
        self._early: list[Event] = []

    @property
    def done(self) -> bool:
        return self.status is not None

    def set_turn(self, turn_id: str) -> None:
        """Names the turn once it is known; events that arrived before are replayed."""
        self.turn_id = turn_id
        early, self._early = self._early, []
        for event in early:
            self.feed(event)

    def feed(self, event: Event) -> bool:
        if self.done:
            return True
        if event.thread_id not in (None, self.session_id):
            return False
        if self.turn_id is None:
            # The message call has not returned yet: keep the turn's events until it does.
            if event.turn_id is not None:
                self._early.append(event)
            return False
        if event.turn_id != self.turn_id and not self._is_turn_end(event):
            return False
        self._apply(event)
        return self.done

    def _is_turn_end(self, event: Event) -> bool:
        turn = event.params.get("turn")
        return (
            event.type == "runtime.turn.completed"
            and isinstance(turn, dict)
            and turn.get("id") == self.turn_id
        )

    def _apply(self, event: Event) -> None:
        params = event.params
        if event.type in ("runtime.item.started", "runtime.item.completed"):
            item = params.get("item")
            if isinstance(item, dict) and item.get("type") == "agentMessage":
                item_id = str(item.get("id"))
                if item_id not in self._order:
                    self._order.append(item_id)
                if event.type == "runtime.item.completed" and isinstance(item.get("text"), str):
                    self._final[item_id] = item["text"]
        elif event.type == "runtime.item.agentMessage.delta":
            item_id = str(params.get("itemId"))
            if item_id not in self._order:
                self._order.append(item_id)
            self._streamed[item_id] = self._streamed.get(item_id, "") + str(params.get("delta", ""))
        elif event.type == "runtime.error":
            self.error = params.get("error", params)
        elif event.type == "runtime.thread.tokenUsage.updated":
            self.usage = params.get("tokenUsage")
        elif event.type == "request.created":
            self.requests.append(PendingRequest.from_event(event))
        elif event.type == "runtime.turn.completed":
            raw = params.get("turn")
            turn: dict[str, Any] = raw if isinstance(raw, dict) else {}
            for item in turn.get("items") or []:
                if (
                    isinstance(item, dict)
                    and item.get("type") == "agentMessage"
                    and isinstance(item.get("text"), str)
                ):
                    item_id = str(item.get("id"))
                    if item_id not in self._order:
                        self._order.append(item_id)
                    self._final.setdefault(item_id, item["text"])
            self.error = turn.get("error") or self.error
            self.status = str(turn.get("status") or "completed")
        elif event.type == "turn.interrupted":
            self.error = self.error or (event.data if isinstance(event.data, dict) else None)
            self.status = "interrupted"

    def result(self) -> TurnResult:
        if self.turn_id is None or self.status is None:
            raise RuntimeError("the turn has not ended")
        messages = [self._final.get(i, self._streamed.get(i, "")) for i in self._order]
        return TurnResult(
            session_id=self.session_id,
            turn_id=self.turn_id,
            status=self.status,
            reply=messages[-1] if messages else "",
            messages=messages,
            error=self.error,
            usage=self.usage,
            requests=list(self.requests),
        )
