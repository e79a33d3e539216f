"""What the generated route layer needs from the hand-written part."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._http import _NO_BODY, Operation

if TYPE_CHECKING:
    from .async_stream import AsyncEventStream
    from .stream import EventStream

NO_BODY: Any = _NO_BODY


class NotGiven:
    """Default of arguments that accept None as a value: omitted means "not sent", None means null."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def _fields(values: Mapping[str, Any], keep_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON body: arguments left at their default are not sent."""
    return {
        k: v for k, v in values.items() if not isinstance(v, NotGiven) and (v is not None or k in keep_none)
    }


class SyncCaller(Protocol):
    def _call(
        self,
        op: Operation,
        *,
        path: Mapping[str, Any],
        query: Mapping[str, Any],
        body: Any,
        idempotency_key: str | None,
        timeout: float | None,
    ) -> Any: ...

    def _stream(self, op: Operation, *, path: Mapping[str, Any], query: Mapping[str, Any]) -> EventStream: ...


class AsyncCaller(Protocol):
    async def _call(
        self,
        op: Operation,
        *,
        path: Mapping[str, Any],
        query: Mapping[str, Any],
        body: Any,
        idempotency_key: str | None,
        timeout: float | None,
    ) -> Any: ...

    def _stream(
        self, op: Operation, *, path: Mapping[str, Any], query: Mapping[str, Any]
    ) -> AsyncEventStream: ...
