"""Answering interactive requests: the operations and bodies, shared by both clients."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._http import Operation
from .events import APPROVAL_KINDS, PendingRequest

# operationIds of the interactive-request routes (docs/api.md, "Interactive requests").
DECIDE_APPROVAL = "approvals.decide"
ANSWER_QUESTION = "toolInput.decide"
RESPOND_TOOL_CALL = "toolCalls.respond"
LIST_BY_KIND: dict[str, str] = {
    "commandApproval": "approvals.list",
    "fileChangeApproval": "approvals.list",
    "userInput": "toolInput.list",
    "toolCall": "toolCalls.list",
}

# The routes these helpers are written against (docs/api.md). The generated table wins when it has
# them; these let the helpers work with a server whose routes are newer than the generated layer. A
# test checks they agree with the generated table.
REQUEST_OPERATIONS: dict[str, Operation] = {
    DECIDE_APPROVAL: Operation(DECIDE_APPROVAL, "POST", "/api/approvals/{id}/decision", ("id",), (), True),
    ANSWER_QUESTION: Operation(ANSWER_QUESTION, "POST", "/api/tool-input/{id}/decision", ("id",), (), True),
    RESPOND_TOOL_CALL: Operation(
        RESPOND_TOOL_CALL, "POST", "/api/tool-calls/{id}/response", ("id",), (), True
    ),
    "approvals.list": Operation(
        "approvals.list", "GET", "/api/sessions/{id}/approvals", ("id",), ("status",)
    ),
    "toolInput.list": Operation(
        "toolInput.list", "GET", "/api/sessions/{id}/tool-input", ("id",), ("status",)
    ),
    "toolCalls.list": Operation(
        "toolCalls.list", "GET", "/api/sessions/{id}/tool-calls", ("id",), ("status",)
    ),
}

Answers = Mapping[str, str | Sequence[str]]
# "accept" for every approval, or a function of the request returning a decision (None: leave it).
ApprovalPolicy = str | Callable[[PendingRequest], str | None]
QuestionPolicy = Callable[[PendingRequest], Answers | None]


@dataclass(frozen=True)
class Answer:
    """A call to make: operation, request id, body."""

    operation: str
    request_id: str
    body: dict[str, Any]


def decide_body(decision: str) -> dict[str, Any]:
    return {"decision": decision}


def answers_body(answers: Answers) -> dict[str, Any]:
    """`{"color": "Blue"}` or `{"color": ["Blue"]}` -> `{"answers": {"color": ["Blue"]}}`."""
    out: dict[str, list[str]] = {}
    for question, value in answers.items():
        out[question] = [value] if isinstance(value, str) else [str(v) for v in value]
    return {"answers": out}


def tool_result_body(content: Any, success: bool = True) -> dict[str, Any]:
    """Content items for a tool call: text as is, anything else as JSON text."""
    if isinstance(content, list) and all(isinstance(c, dict) and "type" in c for c in content):
        items = content
    elif isinstance(content, str):
        items = [{"type": "inputText", "text": content}]
    elif content is None:
        items = [{"type": "inputText", "text": ""}]
    else:
        items = [{"type": "inputText", "text": json.dumps(content, ensure_ascii=False, default=str)}]
    return {"contentItems": items, "success": bool(success)}


def automatic_answer(
    request: PendingRequest, approvals: ApprovalPolicy | None, questions: QuestionPolicy | None
) -> Answer | None:
    """What the wait helpers answer on their own, or None to leave the request to someone else."""
    if request.kind in APPROVAL_KINDS and approvals is not None:
        decision = approvals if isinstance(approvals, str) else approvals(request)
        return None if decision is None else Answer(DECIDE_APPROVAL, request.id, decide_body(decision))
    if request.kind == "userInput" and questions is not None:
        answers = questions(request)
        return None if answers is None else Answer(ANSWER_QUESTION, request.id, answers_body(answers))
    return None


def wanted(request: PendingRequest, kinds: Sequence[str] | None, turn_id: str | None) -> bool:
    return (kinds is None or request.kind in kinds) and (turn_id is None or request.turn_id == turn_id)
