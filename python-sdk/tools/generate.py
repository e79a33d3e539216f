#!/usr/bin/env python3
"""Generates the SDK's route layer from docs/openapi.json.

    python3 python-sdk/tools/generate.py           # rewrite src/codex_manager/_generated/
    python3 python-sdk/tools/generate.py --check   # exit 1 when the committed output is stale

One class per operationId group (`sessions.create` -> `cm.sessions.create(...)`), for the blocking and
the asyncio client with the same method names and parameters; TypedDicts for the JSON results; and
the method list in docs/python.md. Path parameters are positional, everything else keyword-only and
snake_case; body fields become keyword arguments when the body is an object with known fields.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_ops import Op, read_ops
from gen_types import HEADER, Types, pascal, snake

__all__ = ["Op", "Types", "outputs", "read_ops", "render_api", "snake"]

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "openapi.json"
OUT = ROOT / "python-sdk" / "src" / "codex_manager" / "_generated"
DOCS = ROOT / "docs" / "python.md"
DOCS_BEGIN = "<!-- sdk-methods:begin -->"
DOCS_END = "<!-- sdk-methods:end -->"


def render_operations(ops: list[Op]) -> str:
    out = [
        HEADER,
        '"""Every operation of docs/openapi.json by operationId."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    out += ["from .._http import Operation", "", "OPERATIONS: dict[str, Operation] = {"]
    for o in ops:
        out.append(f"    {json.dumps(o.id)}: Operation(")
        out.append(f"        id={json.dumps(o.id)},")
        out.append(f"        method={json.dumps(o.method)},")
        out.append(f"        path={json.dumps(o.path)},")
        if o.path_params:
            out.append(
                f"        path_params=({''.join(json.dumps(p.api) + ', ' for p in o.path_params).rstrip()}),"
            )
        if o.query:
            out.append(
                f"        query_params=({''.join(json.dumps(p.api) + ', ' for p in o.query).rstrip()}),"
            )
        if o.fields is not None or o.body_param is not None:
            out.append("        has_body=True,")
        if o.response != "json":
            out.append(f"        response={json.dumps(o.response)},")
        if o.result_statuses:
            out.append(
                f"        result_statuses=({''.join(str(s) + ', ' for s in o.result_statuses).rstrip()}),"
            )
        out.append("    ),")
    out.append("}")
    return "\n".join(out) + "\n"


def docstring(o: Op, indent: str) -> list[str]:
    lines = [o.summary.rstrip(".") + "." if o.summary else o.id]
    if o.description:
        lines += ["", *o.description.splitlines()]
    documented = [p for p in [*o.query, *(o.fields or [])] if p.description]
    if documented:
        lines += ["", "Args:"] + [f"    {p.py}: {p.description}" for p in documented]
    lines += ["", f"`{o.method} {o.path}` (operation `{o.id}`)."]
    text = (
        [indent + '"""' + lines[0]]
        + [(indent + line) if line else "" for line in lines[1:]]
        + [indent + '"""']
    )
    return [t.replace("\\", "\\\\") for t in text]


def render_method(o: Op, asynchronous: bool) -> list[str]:
    params = ["self"] + [f"{p.py}: {p.type}" for p in o.path_params]
    keyword_only = [*o.query]
    if o.fields is not None:
        keyword_only += sorted(o.fields, key=lambda p: not p.required)
    if o.body_param is not None:
        keyword_only.insert(0, o.body_param)
    extras: list[str] = []
    if o.response != "stream":
        if o.method != "GET":
            extras.append("idempotency_key: str | None = None")
        extras.append("timeout: float | None = None")
    kw = [p.signature() for p in keyword_only] + extras
    if kw:
        params += ["*", *kw]
    stream_type = "AsyncEventStream" if asynchronous else "EventStream"
    returns = stream_type if o.response == "stream" else o.result
    # A method named `list` shadows the builtin inside the class body, for type checkers too.
    returns = re.sub(r"\blist\[", "builtins.list[", returns)
    is_async = asynchronous and o.response != "stream"
    head = f"    {'async ' if is_async else ''}def {o.py_action}("
    lines = [head] + [f"        {p}," for p in params] + [f"    ) -> {returns}:"]
    lines += docstring(o, "        ")
    path_args = "{" + ", ".join(f"{json.dumps(p.api)}: {p.py}" for p in o.path_params) + "}"
    query_args = "{" + ", ".join(f"{json.dumps(p.api)}: {p.py}" for p in o.query) + "}"
    if o.response == "stream":
        stream = f"self._client._stream(OPERATIONS[{json.dumps(o.id)}], path={path_args}, query={query_args})"
        lines.append(f"        return {stream}")
        return lines
    if len(path_args) > 70:
        path_args = (
            "{\n"
            + "".join(f"                {json.dumps(p.api)}: {p.py},\n" for p in o.path_params)
            + "            }"
        )
    if len(query_args) > 70:
        query_args = (
            "{\n"
            + "".join(f"                {json.dumps(p.api)}: {p.py},\n" for p in o.query)
            + "            }"
        )
    if o.fields is not None:
        nullable = tuple(p.api for p in o.fields if p.nullable)
        values = "{" + ", ".join(f"{json.dumps(p.api)}: {p.py}" for p in o.fields) + "}"
        if len(values) > 60:
            values = (
                "{\n"
                + "".join(f"                    {json.dumps(p.api)}: {p.py},\n" for p in o.fields)
                + "                }"
            )
            values = "\n" + " " * 16 + values + ",\n" + " " * 12
            body = (
                f"_fields({values}keep_none={nullable!r},\n            )"
                if nullable
                else f"_fields({values})"
            )
        else:
            body = f"_fields({values}, keep_none={nullable!r})" if nullable else f"_fields({values})"
    elif o.body_param is not None:
        body = "body"
    else:
        body = "NO_BODY"
    lines.append(f"        result = {'await ' if is_async else ''}self._client._call(")
    lines.append(f"            OPERATIONS[{json.dumps(o.id)}],")
    lines.append(f"            path={path_args},")
    lines.append(f"            query={query_args},")
    lines.append(f"            body={body},")
    lines.append(f"            idempotency_key={'idempotency_key' if o.method != 'GET' else 'None'},")
    lines.append("            timeout=timeout,")
    lines.append("        )")
    lines.append("        return result" if returns == "Any" else f'        return cast("{returns}", result)')
    return lines


def render_api(ops: list[Op], asynchronous: bool) -> str:
    caller = "AsyncCaller" if asynchronous else "SyncCaller"
    stream_type = "AsyncEventStream" if asynchronous else "EventStream"
    stream_module = "async_stream" if asynchronous else "stream"
    kind = "asyncio" if asynchronous else "blocking"
    out = [HEADER, f'"""Route groups of the {kind} client, one class per operationId group."""', ""]
    out += [
        "from __future__ import annotations",
        "",
        "import builtins",
        "from collections.abc import Sequence",
    ]
    out += ["from typing import TYPE_CHECKING, Any, Literal, cast", ""]
    out += [
        "from .._support import NO_BODY, NOT_GIVEN, NotGiven, _fields",
        "from .operations import OPERATIONS",
        "from .types import *  # noqa: F403",
        "",
    ]
    out += [
        "if TYPE_CHECKING:",
        f"    from .._support import {caller}",
        f"    from ..{stream_module} import {stream_type}",
        "",
    ]
    out += [
        "__all__ = ["
        + ", ".join(
            json.dumps(n) for n in ["API", *sorted(pascal(g) + "API" for g in {o.group for o in ops})]
        )
        + "]",
        "",
    ]
    groups: dict[str, list[Op]] = {}
    for o in ops:
        groups.setdefault(o.group, []).append(o)
    for group, members in sorted(groups.items()):
        out += ["", f"class {pascal(group)}API:", f'    """Operations `{group}.*`."""', ""]
        out += [f"    def __init__(self, client: {caller}) -> None:", "        self._client = client", ""]
        for o in members:
            out += [*render_method(o, asynchronous), ""]
    out += ["", "class API:", '    """Every route group of the API, as attributes."""', ""]
    for group in sorted(groups):
        out.append(f"    {snake(group)}: {pascal(group)}API")
    out += ["", f"    def _init_groups(self, client: {caller}) -> None:"]
    for group in sorted(groups):
        out.append(f"        self.{snake(group)} = {pascal(group)}API(client)")
    out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_init(ops: list[Op]) -> str:
    return "\n".join(
        [
            HEADER,
            '"""The route layer generated from docs/openapi.json."""',
            "",
            "from .operations import OPERATIONS",
            "",
            '__all__ = ["OPERATIONS"]',
            "",
        ]
    )


def render_docs_list(ops: list[Op]) -> str:
    lines = []
    for o in ops:
        args = [p.py for p in o.path_params]
        kw = [p.py + ("" if p.required else "=…") for p in [*(o.fields or []), *o.query]]
        if o.body_param is not None:
            kw.insert(0, "body=…")
        sig = ", ".join(args + (["*", *kw] if kw else []))
        lines.append(f"- `cm.{o.py_group}.{o.py_action}({sig})` — `{o.method} {o.path}` — {o.summary}")
    return "\n".join(lines)


def outputs(doc: dict[str, Any]) -> dict[Path, str]:
    types = Types()
    ops = read_ops(doc, types)
    files = {
        OUT / "__init__.py": render_init(ops),
        OUT / "operations.py": render_operations(ops),
        OUT / "sync_api.py": render_api(ops, asynchronous=False),
        OUT / "async_api.py": render_api(ops, asynchronous=True),
    }
    files[OUT / "types.py"] = types.render()
    if DOCS.exists():
        text = DOCS.read_text("utf-8")
        if DOCS_BEGIN in text and DOCS_END in text:
            head, rest = text.split(DOCS_BEGIN, 1)
            _, tail = rest.split(DOCS_END, 1)
            files[DOCS] = f"{head}{DOCS_BEGIN}\n\n{render_docs_list(ops)}\n\n{DOCS_END}{tail}"
    return files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail when the committed output is stale")
    parser.add_argument("--openapi", type=Path, default=OPENAPI)
    args = parser.parse_args(argv)
    doc = json.loads(args.openapi.read_text("utf-8"))
    files = outputs(doc)
    stale = [p for p, text in files.items() if not p.exists() or p.read_text("utf-8") != text]
    extra = [p for p in OUT.glob("*.py") if p not in files]
    if args.check:
        for p in stale + extra:
            print(f"stale: {p.relative_to(ROOT)}", file=sys.stderr)
        if stale or extra:
            print(
                "the Python SDK is out of date with docs/openapi.json: run `npm run sdk:generate`",
                file=sys.stderr,
            )
            return 1
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for p in extra:
        p.unlink()
    for p, text in files.items():
        if p in stale:
            p.write_text(text, "utf-8")
            print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
