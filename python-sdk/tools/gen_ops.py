"""The operations of an OpenAPI document, read into what the renderers need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gen_types import Types, is_error_schema, pascal, singular, snake

# Attributes the hand-written clients define next to the route groups.
RESERVED = {"wait", "close", "aclose", "request", "call", "config", "transport", "stream_events"}


@dataclass
class Param:
    api: str
    py: str
    type: str
    required: bool
    nullable: bool = False
    description: str | None = None

    def signature(self) -> str:
        if self.required:
            return f"{self.py}: {self.type}"
        if self.nullable:
            return f"{self.py}: {self.type} | NotGiven = NOT_GIVEN"
        return f"{self.py}: {self.type} | None = None"


@dataclass
class Op:
    id: str
    group: str
    action: str
    method: str
    path: str
    summary: str
    description: str | None
    path_params: list[Param] = field(default_factory=list)
    query: list[Param] = field(default_factory=list)
    fields: list[Param] | None = None  # body fields as keyword arguments
    body_param: Param | None = None  # or the whole body as `body=`
    response: str = "json"
    result: str = "Any"
    result_statuses: tuple[int, ...] = ()

    @property
    def py_group(self) -> str:
        return snake(self.group)

    @property
    def py_action(self) -> str:
        return snake(self.action)


def path_param_name(path: str, name: str) -> str:
    if name != "id":
        return snake(name)
    before = path.split("{" + name + "}")[0].rstrip("/").split("/")[-1]
    return snake(singular(before)) + "_id" if before and before != "api" else "id"


def read_ops(doc: dict[str, Any], types: Types) -> list[Op]:
    ops: list[Op] = []
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            op_id: str = spec["operationId"]
            group, _, action = op_id.partition(".")
            names = [pascal(group) + pascal(action)]
            op = Op(
                op_id, group, action, method.upper(), path, spec.get("summary", ""), spec.get("description")
            )
            used: set[str] = set()
            for p in spec.get("parameters", []):
                where = p["in"]
                if where == "path":
                    py = path_param_name(path, p["name"])
                    param = Param(p["name"], py, types.expr(p["schema"], [pascal(p["name"])]), True)
                    op.path_params.append(param)
                elif where == "query":
                    py = snake(p["name"])
                    t = types.expr(p["schema"], [names[0] + pascal(p["name"])], query=True)
                    op.query.append(
                        Param(p["name"], py, t, False, description=p["schema"].get("description"))
                    )
                else:
                    continue
                used.add(py)
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                props = body.get("properties")
                if (
                    body.get("type") == "object"
                    and props
                    and body.get("additionalProperties") in (None, False)
                ):
                    required = set(body.get("required") or [])
                    op.fields = []
                    for key, sub in props.items():
                        py = snake(key)
                        py = py + "_body" if py in used or py in ("idempotency_key", "timeout") else py
                        t = types.expr(sub, [pascal(singular(key)), names[0] + pascal(key)], arg=True)
                        nullable = "None" in t.split(" | ") and key not in required
                        if nullable:
                            t = " | ".join(x for x in t.split(" | ") if x != "None") + " | None"
                        op.fields.append(Param(key, py, t, key in required, nullable, sub.get("description")))
                else:
                    op.body_param = Param(
                        "body", "body", types.expr(body, [names[0] + "Body"], arg=True), True
                    )
            results: list[str] = []
            statuses: list[int] = []
            for status, resp in spec.get("responses", {}).items():
                if status == "default":
                    continue
                content = resp.get("content", {})
                if "text/event-stream" in content:
                    op.response = "stream"
                    continue
                schema = content.get("application/json", {}).get("schema")
                ok = status.startswith("2")
                if schema is None:
                    if ok and not results:
                        op.response = "any"
                    continue
                if is_error_schema(schema):
                    continue
                if not ok:
                    statuses.append(int(status))
                op.response = "json"
                t = types.expr(schema, [names[0] + "Result"])
                if t not in results:
                    results.append(t)
            op.result_statuses = tuple(statuses)
            if op.response == "json" and results:
                op.result = " | ".join(results)
            elif op.response == "any":
                op.result = "Any"
            ops.append(op)
    ops.sort(key=lambda o: o.id)
    groups = {o.py_group for o in ops}
    clash = groups & RESERVED
    if clash:
        raise SystemExit(f"route groups {sorted(clash)} collide with client attributes; rename them")
    return ops
