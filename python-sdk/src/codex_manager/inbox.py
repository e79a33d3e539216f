"""`cm.inbox`: everything that waits for a person across sessions, the actions on it, and handlers
for new items driven by the resumable event stream (blocking client)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from ._generated.operations import OPERATIONS
from ._http import _NO_BODY, Operation
from ._inbox_core import (
    DISMISS,
    INBOX_OPERATIONS,
    LIST,
    RETRY_JOB,
    Handler,
    Handlers,
    InboxItem,
    ItemRef,
    item_id,
    job_id,
    list_query,
    request_id,
)
from ._requests import (
    ANSWER_QUESTION,
    DECIDE_APPROVAL,
    RESPOND_TOOL_CALL,
    Answers,
    answers_body,
    decide_body,
    tool_result_body,
)
from .events import Event

if TYPE_CHECKING:
    from .client import CodexManager

__all__ = ["Inbox"]


def _op(operation_id: str) -> Operation:
    return OPERATIONS.get(operation_id) or INBOX_OPERATIONS[operation_id]


class Inbox:
    """`cm.inbox`: list open items, act on one (decide, answer, respond, retry, dismiss), and run
    handlers for items as they arrive (`@cm.inbox.on_item(kinds=[...])` + `cm.inbox.run_forever()`).

    An item is the dict `GET /api/inbox` returns (`InboxItem`) or its id (`request:<id>`, `job:<id>`,
    `turn:<session>:<turn>`); decide/answer/respond also take a bare request id, retry a bare job id.
    """

    def __init__(self, client: CodexManager) -> None:
        self._client = client
        self._handlers = Handlers()
        self.last_seq: int | None = None
        """The last stream seq `run_forever` handled: pass it as `after=` to resume there."""

    def _post(self, operation_id: str, target: str, body: Any, idempotency_key: str | None) -> Any:
        return self._client._call(
            _op(operation_id),
            path={"id": target},
            query={},
            body=body,
            idempotency_key=idempotency_key,
            timeout=None,
        )

    # Reading ----------------------------------------------------------------------------------

    def list(
        self,
        *,
        kind: str | Sequence[str] | None = None,
        session_id: str | None = None,
        project_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """One page, newest first: `{items, nextCursor, counts: {total, byKind}}` (counts honour the
        session and project filters, not kind or paging)."""
        result = self._client._call(
            _op(LIST),
            path={},
            query=list_query(kind, session_id, project_id, limit, cursor),
            body=_NO_BODY,
            idempotency_key=None,
            timeout=timeout,
        )
        return cast("dict[str, Any]", result)

    def items(
        self,
        *,
        kind: str | Sequence[str] | None = None,
        session_id: str | None = None,
        project_id: str | None = None,
    ) -> Iterator[InboxItem]:
        """Every open item, page after page."""
        cursor: str | None = None
        while True:
            page = self.list(kind=kind, session_id=session_id, project_id=project_id, limit=200, cursor=cursor)
            yield from page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def count(self, *, session_id: str | None = None, project_id: str | None = None) -> int:
        """How many items are open (the badge number)."""
        return int(self.list(session_id=session_id, project_id=project_id, limit=1)["counts"]["total"])

    # Acting -----------------------------------------------------------------------------------

    def decide(self, item: ItemRef, decision: str = "accept", *, idempotency_key: str | None = None) -> Any:
        """Decides an approval: `accept`, `acceptForSession`, `decline` or `cancel`."""
        target = request_id(item, "decided (only approvals can)")
        return self._post(DECIDE_APPROVAL, target, decide_body(decision), idempotency_key)

    def answer(self, item: ItemRef, answers: Answers, *, idempotency_key: str | None = None) -> Any:
        """Answers a question item: `{"<question id>": "answer"}` (or a list of answers)."""
        target = request_id(item, "answered (only questions can)")
        return self._post(ANSWER_QUESTION, target, answers_body(answers), idempotency_key)

    def respond(
        self, item: ItemRef, content: Any, *, success: bool = True, idempotency_key: str | None = None
    ) -> Any:
        """Answers a dynamic tool call nobody serves: text, any JSON value, or content items."""
        target = request_id(item, "responded to (only tool calls can)")
        return self._post(RESPOND_TOOL_CALL, target, tool_result_body(content, success), idempotency_key)

    def retry(self, item: ItemRef, *, idempotency_key: str | None = None) -> Any:
        """Queues a failed job again; its item leaves the inbox."""
        return self._post(RETRY_JOB, job_id(item), _NO_BODY, idempotency_key)

    def dismiss(self, item: ItemRef, *, idempotency_key: str | None = None) -> Any:
        """Dismisses a failed turn, a long turn or a failed job (a request: answer it instead, 409)."""
        return self._post(DISMISS, item_id(item), _NO_BODY, idempotency_key)

    # Handlers ---------------------------------------------------------------------------------

    def on_item(
        self, *, kinds: Sequence[str] | None = None, session_id: str | None = None
    ) -> Callable[[Handler], Handler]:
        """Registers `handler(item)` for new items (of these kinds / this session; default all)."""
        return self._handlers.register(self._handlers.added, kinds, session_id)

    def on_removed(
        self, *, kinds: Sequence[str] | None = None, session_id: str | None = None
    ) -> Callable[[Handler], Handler]:
        """Registers `handler(removal: InboxRemoval)` for items leaving the inbox, and why."""
        return self._handlers.register(self._handlers.removed, kinds, session_id)

    def run_forever(
        self,
        stop_event: threading.Event | None = None,
        *,
        after: int | None = None,
        include_existing: bool = False,
        on_error: Callable[[Any, BaseException], None] | None = None,
        ready: threading.Event | None = None,
    ) -> None:
        """Runs the handlers for inbox events until `stop_event` is set.

        From now on by default; `after=<seq>` resumes exactly after a seq (`self.last_seq` of an
        earlier run); `include_existing=True` first hands the handlers every item already open (once
        subscribed, so none is missed or handed twice). The stream reconnects and resumes by itself.
        A handler that raises stops the loop unless `on_error(item_or_removal, error)` is given.
        `ready` is set once the subscription holds.
        """
        if len(self._handlers) == 0:
            raise ValueError("no handlers: register some with @inbox.on_item(...) or @inbox.on_removed(...)")
        stop = stop_event or threading.Event()
        handed: set[str] = set()
        with self._client.stream.events(types=["inbox."], after=after) as stream:
            stream.wait_ready()
            if ready is not None:
                ready.set()
            if include_existing:
                for item in reversed(list(self.items())):  # oldest first, like the stream
                    handed.add(item["id"])
                    self._run(self._handlers.for_event(_added(item)), on_error)
            while not stop.is_set():
                try:
                    event = stream.next(timeout=0.2)
                except StopIteration:
                    return
                except TimeoutError:
                    continue
                self.last_seq = event.seq
                item = (event.data or {}).get("item") if event.type == "inbox.added" else None
                if item and item.get("id") in handed:
                    handed.discard(item["id"])  # listed above already
                    continue
                self._run(self._handlers.for_event(event), on_error)

    def _run(self, calls: list[tuple[Handler, Any]], on_error: Callable[[Any, BaseException], None] | None) -> None:
        for handler, arg in calls:
            try:
                handler(arg)
            except Exception as e:
                if on_error is None:
                    raise
                on_error(arg, e)


def _added(item: InboxItem) -> Event:
    return Event(seq=int(item.get("seq", 0)), type="inbox.added", data={"item": item}, thread_id=item.get("sessionId"))
