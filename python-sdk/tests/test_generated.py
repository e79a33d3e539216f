"""The route layer is generated from docs/openapi.json, committed, and the same for both clients."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

from support.stack import ROOT

from codex_manager import AsyncCodexManager, CodexManager
from codex_manager._generated.operations import OPERATIONS

GENERATOR = ROOT / "python-sdk" / "tools" / "generate.py"


def test_the_committed_route_layer_matches_docs_openapi_json() -> None:
    """Fails after a route is added or changed: run `npm run sdk:generate` (after `npm run openapi`)."""
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def operation_ids() -> list[str]:
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text())
    return sorted(op["operationId"] for methods in doc["paths"].values() for op in methods.values())


def method_for(client: CodexManager | AsyncCodexManager, operation_id: str) -> object:
    from tools_generate import snake  # the generator's own naming rule

    group, _, action = operation_id.partition(".")
    return getattr(getattr(client, snake(group), None), snake(action), None)


def test_every_route_has_a_method_in_both_clients() -> None:
    ids = operation_ids()
    assert set(ids) == set(OPERATIONS)
    missing = []
    for op_id in ids:
        for client in (CodexManager(), AsyncCodexManager()):
            if method_for(client, op_id) is None:
                missing.append(f"{type(client).__name__}: {op_id}")
    assert not missing, missing


def test_sync_and_async_methods_have_the_same_names_and_parameters() -> None:
    sync_client, async_client = CodexManager(), AsyncCodexManager()
    for op_id in operation_ids():
        sync_method = method_for(sync_client, op_id)
        async_method = method_for(async_client, op_id)
        assert (
            inspect.signature(sync_method).parameters.keys()
            == inspect.signature(async_method).parameters.keys()
        )  # type: ignore[arg-type]
        is_stream = OPERATIONS[op_id].response == "stream"
        assert inspect.iscoroutinefunction(async_method) is not is_stream, op_id
        assert not inspect.iscoroutinefunction(sync_method)
    public = [n for n in dir(sync_client.wait) if not n.startswith("_")]
    assert public == [n for n in dir(async_client.wait) if not n.startswith("_")]
    for name in public:
        sync_helper, async_helper = getattr(sync_client.wait, name), getattr(async_client.wait, name)
        assert (
            inspect.signature(sync_helper).parameters.keys()
            == inspect.signature(async_helper).parameters.keys()
        )
        assert inspect.iscoroutinefunction(async_helper), name


def test_the_generator_names_groups_methods_and_path_parameters_pythonically(tmp_path: Path) -> None:
    doc = {
        "openapi": "3.1.0",
        "paths": {
            "/api/tool-calls/{id}/response": {
                "post": {
                    "operationId": "toolCalls.respond",
                    "summary": "Answer a tool call",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "contentItems": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "type": {"const": "inputText"},
                                                    "text": {"type": "string"},
                                                },
                                                "required": ["type", "text"],
                                                "additionalProperties": False,
                                            },
                                        },
                                        "success": {"type": "boolean", "default": True},
                                        "class": {"type": ["string", "null"]},
                                    },
                                    "required": ["contentItems"],
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"status": {"enum": ["resolved", "already_resolved"]}},
                                        "required": ["status"],
                                        "additionalProperties": False,
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
    }
    from tools_generate import Types, read_ops, render_api

    ops = read_ops(doc, Types())
    code = render_api(ops, asynchronous=False)
    assert "class ToolCallsAPI:" in code
    assert "self.tool_calls = ToolCallsAPI(client)" in code
    assert "    def respond(\n        self,\n        tool_call_id: str," in code
    assert "content_items: Sequence[ContentItem]," in code
    assert "class_: str | None | NotGiven = NOT_GIVEN," in code  # keywords get a trailing underscore
    assert "success: bool | None = None," in code
    assert '"contentItems": content_items' in code and "keep_none=('class',)" in code


def test_the_request_helpers_routes_agree_with_the_generated_table() -> None:
    """The wait and skills helpers declare the interactive-request routes they use; once the API
    document has them, both must say the same."""
    from codex_manager._requests import REQUEST_OPERATIONS

    for op_id, declared in REQUEST_OPERATIONS.items():
        generated = OPERATIONS.get(op_id)
        if generated is not None:
            assert (generated.method, generated.path, generated.path_params) == (
                declared.method,
                declared.path,
                declared.path_params,
            ), op_id
            assert set(declared.query_params) <= set(generated.query_params), op_id


def test_literal_types_are_python_source() -> None:
    from tools_generate import Types

    assert Types().expr({"enum": [True, "a", 1, None]}, ["X"]) == 'Literal[True, "a", 1, None]'
    assert Types().expr({"const": False}, ["X"]) == "Literal[False]"
    assert Types().expr({"type": ["string", "null"]}, ["X"]) == "str | None"
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert Types().expr(counts, ["X"]) == "dict[str, int]"
