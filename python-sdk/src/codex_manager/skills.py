"""Remote skills: Python functions offered to the model as dynamic tools of a session.

    skills = Skills()

    @skills.tool
    def lookup_ticket(id: str) -> str:
        '''Looks up a ticket.

        Args:
            id: The ticket id, like T-42.
        '''
        return f"ticket {id} is OPEN"

    with skills.session(cm) as session:            # creates the session with the tools
        session.send_message_and_wait_reply("…")    # tool calls are answered meanwhile

The input schema comes from the type hints, descriptions from the docstring (Google, NumPy or
Sphinx style). A function that raises answers the call with `success: false` and the error text;
the model sees the failure and the session goes on.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints, overload

from ._requests import tool_result_body
from ._schema import json_schema_for, object_schema, parse_docstring

if TYPE_CHECKING:
    from .async_client import AsyncCodexManager
    from .client import CodexManager
    from .skill_session import AsyncSkillSession, SkillSession

__all__ = ["Skills", "Tool", "ToolResult", "json_schema_for", "parse_docstring"]

log = logging.getLogger("codex_manager")
F = TypeVar("F", bound=Callable[..., Any])
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class ToolResult:
    """What a tool answers. Return one to control `success` or send content items yourself
    (`[{"type": "inputText", "text": …}, {"type": "inputImage", "imageUrl": …}]`); any other return
    value is sent as text (strings as they are, everything else as JSON)."""

    content: Any
    success: bool = True

    @classmethod
    def failure(cls, text: str) -> ToolResult:
        return cls(text, success=False)

    @classmethod
    def image(cls, image_url: str) -> ToolResult:
        return cls([{"type": "inputImage", "imageUrl": image_url}])

    def body(self) -> dict[str, Any]:
        """The body of `POST /api/tool-calls/:id/response`."""
        return tool_result_body(self.content, self.success)

    @property
    def text(self) -> str:
        return "\n".join(
            i.get("text", "") for i in self.body()["contentItems"] if i.get("type") == "inputText"
        )


# Tools -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: dict[str, Any]
    fn: Callable[..., Any] = field(repr=False)

    @classmethod
    def from_function(
        cls, fn: Callable[..., Any], *, name: str | None = None, description: str | None = None
    ) -> Tool:
        tool_name = name or fn.__name__
        if not TOOL_NAME.match(tool_name):
            raise ValueError(f"tool name {tool_name!r}: use letters, digits, _ and -, at most 64")
        summary, param_docs = parse_docstring(inspect.getdoc(fn))
        text = description if description is not None else summary
        if not text:
            raise ValueError(f"tool {tool_name!r} needs a description: give it a docstring or description=")
        if len(text) > MAX_DESCRIPTION:
            raise ValueError(
                f"tool {tool_name!r}: the description is longer than {MAX_DESCRIPTION} characters"
            )
        try:
            hints = get_type_hints(fn, include_extras=True)
        except NameError as e:
            raise TypeError(
                f"tool {tool_name!r}: cannot resolve its type hints ({e}); define the types at module level"
            ) from e
        props: dict[str, Any] = {}
        required: list[str] = []
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.kind is p.POSITIONAL_ONLY:
                raise ValueError(
                    f"tool {tool_name!r}: parameter {p.name!r} is positional-only; tools take named arguments"
                )
            schema = json_schema_for(hints.get(p.name, Any))
            if p.name in param_docs and param_docs[p.name] and "description" not in schema:
                schema["description"] = param_docs[p.name]
            if p.default is p.empty:
                required.append(p.name)
            else:
                default = p.default.value if isinstance(p.default, enum.Enum) else p.default
                try:
                    json.dumps(default)
                    schema["default"] = default
                except TypeError:
                    pass  # not JSON: the model cannot be told, the function still applies it
            props[p.name] = schema
        return cls(tool_name, text, object_schema(props, required), fn)

    def definition(self) -> dict[str, Any]:
        """The entry of `dynamicTools` on session create."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
        }

    def _bind(self, arguments: Any) -> inspect.BoundArguments:
        if not isinstance(arguments, dict):
            raise TypeError(f"arguments must be a JSON object, got {type(arguments).__name__}")
        bound = inspect.signature(self.fn).bind(**arguments)
        hints = get_type_hints(self.fn)
        for key, value in bound.arguments.items():
            hint = hints.get(key)
            if isinstance(hint, type) and issubclass(hint, enum.Enum) and not isinstance(value, hint):
                bound.arguments[key] = hint(value)
        return bound

    def invoke(self, arguments: Any) -> ToolResult:
        """Runs the function (a coroutine function on its own event loop); never raises."""
        try:
            bound = self._bind(arguments)
            value = self.fn(*bound.args, **bound.kwargs)
            if inspect.isawaitable(value):
                value = asyncio.run(_await(value))
            return _as_result(value)
        except Exception as e:
            return self._failed(e)

    async def ainvoke(self, arguments: Any) -> ToolResult:
        """Awaits a coroutine function, runs a plain one in a worker thread; never raises."""
        try:
            bound = self._bind(arguments)
            if inspect.iscoroutinefunction(self.fn):
                value = await self.fn(*bound.args, **bound.kwargs)
            else:
                value = await asyncio.to_thread(self.fn, *bound.args, **bound.kwargs)
                if inspect.isawaitable(value):
                    value = await value
            return _as_result(value)
        except Exception as e:
            return self._failed(e)

    def _failed(self, error: Exception) -> ToolResult:
        log.warning("tool %s failed: %s: %s", self.name, type(error).__name__, error, exc_info=error)
        return ToolResult.failure(f"{type(error).__name__}: {error}")


async def _await(value: Any) -> Any:
    return await value


def _as_result(value: Any) -> ToolResult:
    return value if isinstance(value, ToolResult) else ToolResult(value)


class Skills:
    """A set of tools. Register functions with `@skills.tool` (optionally `name=`, `description=`)."""

    def __init__(self, functions: Sequence[Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for fn in functions:
            self.add(fn)

    @overload
    def tool(self, fn: F, /) -> F: ...

    @overload
    def tool(self, /, *, name: str | None = None, description: str | None = None) -> Callable[[F], F]: ...

    def tool(
        self, fn: F | None = None, /, *, name: str | None = None, description: str | None = None
    ) -> F | Callable[[F], F]:
        def register(f: F) -> F:
            self.add(f, name=name, description=description)
            return f

        return register(fn) if fn is not None else register

    def add(self, fn: Callable[..., Any], *, name: str | None = None, description: str | None = None) -> Tool:
        tool = Tool.from_function(fn, name=name, description=description)
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def definitions(self) -> list[dict[str, Any]]:
        """`dynamicTools` for `POST /api/sessions`."""
        return [t.definition() for t in self._tools.values()]

    def run(self, name: str, arguments: Any) -> ToolResult:
        tool = self._tools.get(name)
        return tool.invoke(arguments) if tool else ToolResult.failure(f"unknown tool {name!r}")

    async def arun(self, name: str, arguments: Any) -> ToolResult:
        tool = self._tools.get(name)
        return await tool.ainvoke(arguments) if tool else ToolResult.failure(f"unknown tool {name!r}")

    @overload
    def session(
        self, client: CodexManager, *, session_id: str | None = None, **create_options: Any
    ) -> SkillSession: ...

    @overload
    def session(
        self, client: AsyncCodexManager, *, session_id: str | None = None, **create_options: Any
    ) -> AsyncSkillSession: ...

    def session(
        self,
        client: CodexManager | AsyncCodexManager,
        *,
        session_id: str | None = None,
        **create_options: Any,
    ) -> SkillSession | AsyncSkillSession:
        """A context manager (`with`, or `async with` for the asyncio client) that creates a session
        with these tools (`create_options`: `cwd=`, `model=`, `approval_policy=`, `sandbox=`, …) —
        or serves an existing one given `session_id` — and answers its tool calls until it exits."""
        from .async_client import AsyncCodexManager
        from .skill_session import AsyncSkillSession, SkillSession

        if isinstance(client, AsyncCodexManager):
            return AsyncSkillSession(client, self, session_id=session_id, create_options=create_options)
        return SkillSession(client, self, session_id=session_id, create_options=create_options)
