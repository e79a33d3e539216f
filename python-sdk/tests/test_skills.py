"""Functions become tool definitions (schema from hints, descriptions from docstrings); calling them
never raises: a failure is an answer with `success: false`."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, TypedDict

import pytest

from codex_manager import Skills, ToolResult
from codex_manager.skills import json_schema_for


class Priority(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Address(TypedDict):
    city: str
    zip: int


@dataclass
class Window:
    start: str
    days: int = 7


class Opaque:
    pass


skills = Skills()


@skills.tool
def lookup_ticket(id: str, include_history: bool = False) -> str:
    """Looks up a ticket in the tracker.

    Args:
        id: The ticket id, like T-42.
        include_history: Also list past states.
    """
    return f"ticket {id} is OPEN" + (" (was NEW)" if include_history else "")


@skills.tool(name="file-bug", description="Files a bug.")
def file_bug(
    title: Annotated[str, "One line."],
    priority: Priority = Priority.LOW,
    labels: list[str] | None = None,
    where: Optional[Address] = None,  # noqa: UP045 - the old spelling must work too
    window: Window | None = None,
    kind: Literal["ui", "api"] = "api",
) -> dict[str, Any]:
    return {"title": title, "priority": priority.value, "labels": labels or [], "kind": kind}


@skills.tool
def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"cannot do that: {reason}")


@skills.tool
async def slow_echo(text: str, times: int = 2) -> ToolResult:
    """Echoes text, asynchronously."""
    await asyncio.sleep(0)
    return ToolResult(text * times)


def test_definitions_carry_name_description_and_input_schema() -> None:
    [lookup, bug, _boom, echo] = skills.definitions()
    assert lookup == {
        "type": "function",
        "name": "lookup_ticket",
        "description": "Looks up a ticket in the tracker.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "description": "The ticket id, like T-42."},
                "include_history": {
                    "type": "boolean",
                    "description": "Also list past states.",
                    "default": False,
                },
            },
            "required": ["id"],
            "additionalProperties": False,
        },
    }
    props = bug["inputSchema"]["properties"]
    assert bug["name"] == "file-bug" and bug["description"] == "Files a bug."
    assert props["title"] == {"type": "string", "description": "One line."}
    assert props["priority"] == {"enum": ["low", "high"], "type": "string", "default": "low"}
    assert props["labels"] == {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
        "default": None,
    }
    assert props["where"]["anyOf"][0] == {
        "type": "object",
        "properties": {"city": {"type": "string"}, "zip": {"type": "integer"}},
        "additionalProperties": False,
        "required": ["city", "zip"],
    }
    assert props["window"]["anyOf"][0]["required"] == ["start"]
    assert props["kind"] == {"enum": ["ui", "api"], "type": "string", "default": "api"}
    assert bug["inputSchema"]["required"] == ["title"]
    assert echo["inputSchema"]["properties"]["times"] == {"type": "integer", "default": 2}


def test_a_call_runs_the_function_with_the_model_arguments() -> None:
    result = skills.run("lookup_ticket", {"id": "T-42", "include_history": True})
    assert result == ToolResult("ticket T-42 is OPEN (was NEW)")
    assert result.body() == {
        "contentItems": [{"type": "inputText", "text": "ticket T-42 is OPEN (was NEW)"}],
        "success": True,
    }


def test_enum_arguments_are_converted_and_other_results_sent_as_json() -> None:
    result = skills.run("file-bug", {"title": "x", "priority": "high"})
    assert result.success and result.text == '{"title": "x", "priority": "high", "labels": [], "kind": "api"}'


@pytest.mark.parametrize(
    ("name", "arguments", "text"),
    [
        ("explode", {"reason": "test"}, "ValueError: cannot do that: test"),
        ("lookup_ticket", {"ticket": "T-1"}, "TypeError: missing a required argument: 'id'"),
        ("lookup_ticket", ["T-1"], "TypeError: arguments must be a JSON object, got list"),
        ("nope", {}, "unknown tool 'nope'"),
    ],
)
def test_failures_become_unsuccessful_results_not_exceptions(name: str, arguments: Any, text: str) -> None:
    result = skills.run(name, arguments)
    assert (result.success, result.text) == (False, text)


def test_async_tools_run_in_both_clients_ways() -> None:
    assert skills.run("slow_echo", {"text": "ab"}).text == "abab"
    assert asyncio.run(skills.arun("slow_echo", {"text": "ab", "times": 3})).text == "ababab"
    assert (
        asyncio.run(skills.arun("lookup_ticket", {"id": "T-1"})).text == "ticket T-1 is OPEN"
    )  # sync tool, thread
    assert asyncio.run(skills.arun("explode", {"reason": "x"})).success is False


def test_registration_refuses_what_the_runtime_would_refuse() -> None:
    s = Skills()
    with pytest.raises(ValueError, match="needs a description"):
        s.add(lambda x: x, name="undocumented")
    with pytest.raises(ValueError, match="letters, digits"):
        s.add(lookup_ticket, name="bad name")
    s.add(lookup_ticket)
    with pytest.raises(ValueError, match="already registered"):
        s.add(lookup_ticket)

    def takes_opaque(thing: Opaque) -> None:
        """Bad."""

    with pytest.raises(TypeError, match="cannot describe"):
        s.add(takes_opaque)

    class Local:
        pass

    def takes_local(thing: Local) -> None:
        """Its hint is a string naming a class only this function's scope knows."""

    with pytest.raises(TypeError, match="define the types at module level"):
        s.add(takes_local)


def test_json_schema_for_common_hints() -> None:
    assert json_schema_for(float) == {"type": "number"}
    assert json_schema_for(tuple[int, ...]) == {"type": "array", "items": {"type": "integer"}}
    assert json_schema_for(dict[str, int]) == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert json_schema_for(Any) == {}
    with pytest.raises(TypeError, match="string keys"):
        json_schema_for(dict[int, str])
