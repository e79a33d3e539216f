"""The lifecycle of a session whose dynamic tool calls the SDK answers (see skills.py).

Enter: create the session with the tools (or take an existing one), subscribe to its `request.*`
events, answer the tool calls already pending, then answer each new one as it arrives. Exit: stop,
and answer the calls still pending with a failure — left unanswered, they would hold the turn
forever, since the runtime has no timeout for them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._requests import LIST_BY_KIND, RESPOND_TOOL_CALL
from .errors import CodexManagerError, ConflictError, NotFoundError, WaitTimeoutError
from .events import Event, PendingRequest
from .skills import Skills, ToolResult
from .turns import TurnResult

if TYPE_CHECKING:
    from .async_client import AsyncCodexManager
    from .async_stream import AsyncEventStream
    from .client import CodexManager
    from .stream import EventStream

__all__ = ["AsyncSkillSession", "SkillSession", "ToolCall"]

log = logging.getLogger("codex_manager")
STOPPED_TEXT = "the tool host stopped before answering this call"


@dataclass(frozen=True)
class ToolCall:
    """One call the session answered: what the model asked and what it got."""

    request_id: str
    tool: str
    arguments: Any
    result: ToolResult
    delivered: bool


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _create_body(skills: Skills, options: dict[str, Any]) -> dict[str, Any]:
    body = {_camel(k): v for k, v in options.items() if v is not None}
    body["dynamicTools"] = skills.definitions() + list(body.get("dynamicTools", []))
    return body


def _tool_call(request: PendingRequest) -> tuple[str, Any]:
    return str(request.params.get("tool", "")), request.params.get("arguments", {})


class _Base:
    def __init__(self, skills: Skills, session_id: str | None, create_options: dict[str, Any]) -> None:
        self.skills = skills
        self._session_id = session_id
        self._create_options = create_options
        self._seen: set[str] = set()
        self.calls: list[ToolCall] = []
        """Every call answered so far, in order."""
        self.failure: BaseException | None = None
        """Why serving stopped early (the stream failed for good), if it did."""

    @property
    def session_id(self) -> str:
        if self._session_id is None:
            raise RuntimeError("the session is created when the context is entered")
        return self._session_id

    def _claim(self, request: PendingRequest) -> bool:
        """Each request is answered once, whether it came from the pending list or an event."""
        if request.kind != "toolCall" or request.id in self._seen:
            return False
        self._seen.add(request.id)
        return True

    def _record(self, request: PendingRequest, result: ToolResult, delivered: bool) -> None:
        tool, arguments = _tool_call(request)
        self.calls.append(ToolCall(request.id, tool, arguments, result, delivered))


def _delivery_error(error: CodexManagerError, request: PendingRequest) -> None:
    if isinstance(error, (ConflictError, NotFoundError)):
        # Answered by someone else (409) or expired with its runtime (410): nothing to do.
        log.info("tool call %s was not ours to answer: %s", request.id, error)
    else:
        log.error("could not deliver the answer to tool call %s: %s", request.id, error)


class SkillSession(_Base):
    """`with skills.session(cm, cwd=...) as session:` — see the module docstring."""

    def __init__(
        self, client: CodexManager, skills: Skills, *, session_id: str | None, create_options: dict[str, Any]
    ) -> None:
        super().__init__(skills, session_id, create_options)
        self._client = client
        self._stop = threading.Event()
        self._stream: EventStream | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SkillSession:
        if self._session_id is None:
            created = self._client.call(
                "sessions.create", body=_create_body(self.skills, self._create_options)
            )
            self._session_id = str(created["session"]["id"])
        stream = self._client.stream.events(threads=[self.session_id], types=["request."])
        self._stream = stream
        try:
            stream.wait_ready()
            for request in self._pending():
                self._answer(request)
        except BaseException:
            stream.close()
            raise
        self._thread = threading.Thread(target=self._serve, name="codex-manager-skills", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._stream is not None:
            self._stream.close()
        try:
            for request in self._pending():
                self._deliver(request, ToolResult.failure(STOPPED_TEXT))
        except CodexManagerError as e:
            log.warning("could not answer the tool calls left pending: %s", e)
        if self.failure is not None and exc is None:
            raise self.failure

    def send_message_and_wait_reply(self, text: str, **options: Any) -> TurnResult:
        """`cm.wait.send_message_and_wait_reply` on this session (tool calls are answered meanwhile)."""
        return self._client.wait.send_message_and_wait_reply(self.session_id, text, **options)

    def _pending(self) -> list[PendingRequest]:
        rows = self._client.call(
            LIST_BY_KIND["toolCall"], path={"id": self.session_id}, query={"status": "pending"}
        )
        return [PendingRequest.from_api(r) for r in rows["requests"]]

    def _serve(self) -> None:
        assert self._stream is not None
        try:
            while not self._stop.is_set():
                try:
                    event: Event = self._stream.next(timeout=0.2)
                except WaitTimeoutError:
                    continue
                if event.type == "request.created":
                    self._answer(PendingRequest.from_event(event))
        except StopIteration:
            return
        except BaseException as e:  # the stream failed for good (e.g. 401): report it at exit
            self.failure = e
            log.error("serving tool calls of session %s stopped: %s", self._session_id, e)

    def _answer(self, request: PendingRequest) -> None:
        if not self._claim(request):
            return
        tool, arguments = _tool_call(request)
        self._deliver(request, self.skills.run(tool, arguments))

    def _deliver(self, request: PendingRequest, result: ToolResult) -> None:
        try:
            self._client.call(RESPOND_TOOL_CALL, path={"id": request.id}, body=result.body())
            self._record(request, result, True)
        except CodexManagerError as e:
            _delivery_error(e, request)
            self._record(request, result, False)


class AsyncSkillSession(_Base):
    """`async with skills.session(acm, cwd=...) as session:` — see the module docstring."""

    def __init__(
        self,
        client: AsyncCodexManager,
        skills: Skills,
        *,
        session_id: str | None,
        create_options: dict[str, Any],
    ) -> None:
        super().__init__(skills, session_id, create_options)
        self._client = client
        self._stream: AsyncEventStream | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> AsyncSkillSession:
        if self._session_id is None:
            created = await self._client.call(
                "sessions.create", body=_create_body(self.skills, self._create_options)
            )
            self._session_id = str(created["session"]["id"])
        stream = self._client.stream.events(threads=[self.session_id], types=["request."])
        self._stream = stream
        try:
            await stream.wait_ready()
            for request in await self._pending():
                await self._answer(request)
        except BaseException:
            await stream.aclose()
            raise
        self._task = asyncio.get_running_loop().create_task(self._serve(), name="codex-manager-skills")
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._stream is not None:
            await self._stream.aclose()
        try:
            for request in await self._pending():
                await self._deliver(request, ToolResult.failure(STOPPED_TEXT))
        except CodexManagerError as e:
            log.warning("could not answer the tool calls left pending: %s", e)
        if self.failure is not None and exc is None:
            raise self.failure

    async def send_message_and_wait_reply(self, text: str, **options: Any) -> TurnResult:
        """`acm.wait.send_message_and_wait_reply` on this session (tool calls are answered meanwhile)."""
        return await self._client.wait.send_message_and_wait_reply(self.session_id, text, **options)

    async def _pending(self) -> list[PendingRequest]:
        rows = await self._client.call(
            LIST_BY_KIND["toolCall"], path={"id": self.session_id}, query={"status": "pending"}
        )
        return [PendingRequest.from_api(r) for r in rows["requests"]]

    async def _serve(self) -> None:
        assert self._stream is not None
        try:
            async for event in self._stream:
                if event.type == "request.created":
                    await self._answer(PendingRequest.from_event(event))
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.failure = e
            log.error("serving tool calls of session %s stopped: %s", self._session_id, e)

    async def _answer(self, request: PendingRequest) -> None:
        if not self._claim(request):
            return
        tool, arguments = _tool_call(request)
        await self._deliver(request, await self.skills.arun(tool, arguments))

    async def _deliver(self, request: PendingRequest, result: ToolResult) -> None:
        try:
            await self._client.call(RESPOND_TOOL_CALL, path={"id": request.id}, body=result.body())
            self._record(request, result, True)
        except CodexManagerError as e:
            _delivery_error(e, request)
            self._record(request, result, False)
