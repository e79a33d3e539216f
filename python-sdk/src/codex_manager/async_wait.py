"""Waiting on turns and interactive requests (`acm.wait`), for the asyncio client: the same
helpers as wait.py, awaited.

Every helper subscribes to the session's events *before* it acts or looks, so nothing that happens
in between can be missed: send after `ready`, list pending requests after `ready`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._requests import (
    ANSWER_QUESTION,
    DECIDE_APPROVAL,
    LIST_BY_KIND,
    RESPOND_TOOL_CALL,
    Answers,
    ApprovalPolicy,
    QuestionPolicy,
    answers_body,
    automatic_answer,
    decide_body,
    tool_result_body,
    wanted,
)
from .async_stream import AsyncEventStream
from .events import APPROVAL_KINDS, Event, PendingRequest
from .turns import TERMINAL_STATUSES, TurnCollector, TurnResult
from .wait import DEFAULT_REQUEST_TIMEOUT, DEFAULT_TURN_TIMEOUT, _Deadline, _id

if TYPE_CHECKING:
    from .async_client import AsyncCodexManager

__all__ = ["AsyncWaiter"]


class AsyncWaiter:
    """`acm.wait`: send and wait for the reply, wait for a turn, wait for and answer requests."""

    def __init__(self, client: AsyncCodexManager) -> None:
        self._client = client

    def _session_stream(self, session_id: str, after: int | None = None) -> AsyncEventStream:
        return self._client.stream.events(threads=[session_id], after=after)

    # Turns ------------------------------------------------------------------------------------

    async def send_message_and_wait_reply(
        self,
        session_id: str,
        text: str,
        *,
        timeout: float | None = DEFAULT_TURN_TIMEOUT,
        approvals: ApprovalPolicy | None = None,
        questions: QuestionPolicy | None = None,
        on_event: Callable[[Event], Any] | None = None,
        **message_options: Any,
    ) -> TurnResult:
        """Sends `text` and blocks until the turn ends; returns the reply and the terminal status
        (`completed`, `failed` or `interrupted`).

        `approvals`: answer the turn's approvals with this decision (`"accept"`, …) or with what a
        function of the `PendingRequest` returns (None leaves it to someone else). `questions`: a
        function returning `{question_id: answer}` for user-input requests. `on_event` sees every
        event of the turn (deltas included) as it arrives. Other keyword arguments go to
        `sessions.send_message` (`model=`, `approval_policy=`, …).
        """
        deadline = _Deadline(timeout, f"waiting for the reply in session {session_id}")
        collector = TurnCollector(session_id)
        async with self._session_stream(session_id) as stream:
            await stream.wait_ready(deadline.remaining())
            sent = await self._client.sessions.send_message(session_id, text=text, **message_options)
            collector.set_turn(sent["turn"]["id"])
            return await self._follow(stream, collector, deadline, approvals, questions, on_event, False)

    async def for_turn(
        self,
        session_id: str,
        turn_id: str,
        *,
        timeout: float | None = DEFAULT_TURN_TIMEOUT,
        approvals: ApprovalPolicy | None = None,
        questions: QuestionPolicy | None = None,
        on_event: Callable[[Event], Any] | None = None,
    ) -> TurnResult:
        """Waits for a turn started elsewhere. A turn that already ended is rebuilt from the
        session's recorded events."""
        deadline = _Deadline(timeout, f"waiting for turn {turn_id}")
        collector = TurnCollector(session_id, turn_id)
        async with self._session_stream(session_id) as stream:
            await stream.wait_ready(deadline.remaining())
            turns = (await self._client.sessions.get(session_id))["turns"]
            status = next((t["status"] for t in turns if t["id"] == turn_id), None)
            if status not in TERMINAL_STATUSES:
                return await self._follow(stream, collector, deadline, approvals, questions, on_event, True)
        async with self._session_stream(session_id, after=0) as history:
            return await self._follow(history, collector, deadline, None, None, on_event, False)

    async def _follow(
        self,
        stream: AsyncEventStream,
        collector: TurnCollector,
        deadline: _Deadline,
        approvals: ApprovalPolicy | None,
        questions: QuestionPolicy | None,
        on_event: Callable[[Event], Any] | None,
        check_pending: bool,
    ) -> TurnResult:
        if check_pending and (approvals is not None or questions is not None):
            # Requests raised before we subscribed are only in the pending lists.
            for request in await self._pending(collector.session_id, None, collector.turn_id):
                await self._auto_answer(request, approvals, questions)
        while True:
            event = await stream.next(timeout=deadline.remaining())
            if on_event is not None and (event.turn_id in (None, collector.turn_id)):
                result = on_event(event)
                if inspect.isawaitable(result):
                    await result
            if event.type == "request.created" and event.turn_id == collector.turn_id:
                await self._auto_answer(PendingRequest.from_event(event), approvals, questions)
            if collector.feed(event):
                return collector.result()

    async def _auto_answer(
        self, request: PendingRequest, approvals: ApprovalPolicy | None, questions: QuestionPolicy | None
    ) -> None:
        answer = automatic_answer(request, approvals, questions)
        if answer is not None:
            await self._client.call(answer.operation, path={"id": answer.request_id}, body=answer.body)

    # Requests ---------------------------------------------------------------------------------

    async def _pending(
        self, session_id: str, kinds: Sequence[str] | None, turn_id: str | None
    ) -> list[PendingRequest]:
        out: list[PendingRequest] = []
        for operation in dict.fromkeys(LIST_BY_KIND[k] for k in (kinds or LIST_BY_KIND)):
            rows = (await self._client.call(operation, path={"id": session_id}, query={"status": "pending"}))[
                "requests"
            ]
            out += [r for r in map(PendingRequest.from_api, rows) if wanted(r, kinds, turn_id)]
        return sorted(out, key=lambda r: str(r.raw.get("createdAt", "")))

    async def for_request(
        self,
        session_id: str,
        *,
        kinds: Sequence[str] | None = None,
        turn_id: str | None = None,
        timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> PendingRequest:
        """The oldest pending request of the session (of these kinds, of this turn), waiting for one
        to be created if none is pending. Kinds: `commandApproval`, `fileChangeApproval`,
        `userInput`, `toolCall`."""
        deadline = _Deadline(timeout, f"waiting for a request in session {session_id}")
        async with self._session_stream(session_id) as stream:
            await stream.wait_ready(deadline.remaining())
            pending = await self._pending(session_id, kinds, turn_id)
            if pending:
                return pending[0]
            while True:
                event = await stream.next(timeout=deadline.remaining())
                if event.type == "request.created":
                    request = PendingRequest.from_event(event)
                    if wanted(request, kinds, turn_id):
                        return request

    async def for_approval(
        self, session_id: str, *, turn_id: str | None = None, timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    ) -> PendingRequest:
        """The next command or file-change approval of the session."""
        return await self.for_request(session_id, kinds=APPROVAL_KINDS, turn_id=turn_id, timeout=timeout)

    async def for_question(
        self, session_id: str, *, turn_id: str | None = None, timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    ) -> PendingRequest:
        """The next user-input request of the session (`params["questions"]`)."""
        return await self.for_request(session_id, kinds=("userInput",), turn_id=turn_id, timeout=timeout)

    async def for_tool_call(
        self, session_id: str, *, turn_id: str | None = None, timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    ) -> PendingRequest:
        """The next dynamic tool call of the session (`params["tool"]`, `params["arguments"]`)."""
        return await self.for_request(session_id, kinds=("toolCall",), turn_id=turn_id, timeout=timeout)

    async def approve(self, request: PendingRequest | str, decision: str = "accept") -> Any:
        """Decides an approval: `accept`, `acceptForSession`, `decline` or `cancel` (the turn ends)."""
        return await self._client.call(DECIDE_APPROVAL, path={"id": _id(request)}, body=decide_body(decision))

    async def answer_question(self, request: PendingRequest | str, answers: Answers) -> Any:
        """Answers a user-input request: `{question_id: "label or text"}` (or a list of answers)."""
        return await self._client.call(ANSWER_QUESTION, path={"id": _id(request)}, body=answers_body(answers))

    async def respond_to_tool_call(
        self, request: PendingRequest | str, result: Any, *, success: bool = True
    ) -> Any:
        """Answers a dynamic tool call with text (other values are sent as JSON text)."""
        return await self._client.call(
            RESPOND_TOOL_CALL, path={"id": _id(request)}, body=tool_result_body(result, success)
        )
