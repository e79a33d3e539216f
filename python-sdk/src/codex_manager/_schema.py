"""Python type hints and docstrings -> JSON Schema and descriptions, for remote skills."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

__all__ = ["json_schema_for", "object_schema", "parse_docstring"]

# Type hints -> JSON Schema ---------------------------------------------------------------------

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    type(None): {"type": "null"},
}


def json_schema_for(tp: Any) -> dict[str, Any]:
    """The JSON Schema of a type hint: scalars, Optional/unions, Literal, Enum, list/tuple/set,
    dict, TypedDict, dataclasses and `Annotated[T, "description"]`. Other types are a TypeError."""
    if tp is Any or tp is inspect.Parameter.empty:
        return {}
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    origin, args = get_origin(tp), get_args(tp)
    if origin is typing.Annotated:
        schema = json_schema_for(args[0])
        notes = [a for a in args[1:] if isinstance(a, str)]
        if notes:
            schema["description"] = " ".join(notes)
        return schema
    if origin in (Union, types.UnionType):
        options = [json_schema_for(a) for a in args]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is Literal:
        schema = {"enum": list(args)}
        kinds = {type(a) for a in args}
        if len(kinds) == 1 and next(iter(kinds)) in _SCALARS:
            schema.update(_SCALARS[next(iter(kinds))])
        return schema
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        schema = {"enum": values}
        if all(isinstance(v, str) for v in values):
            schema["type"] = "string"
        return schema
    if origin in (list, set, frozenset, Sequence, typing.Sequence) or tp in (list, set, frozenset):
        return {"type": "array", "items": json_schema_for(args[0]) if args else {}}
    if origin is tuple or tp is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": json_schema_for(args[0])}
        if args:
            items = [json_schema_for(a) for a in args]
            return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
        return {"type": "array"}
    if origin in (dict, Mapping, typing.Mapping) or tp is dict:
        if args and args[0] is not str:
            raise TypeError(f"{tp}: JSON objects have string keys")
        return {"type": "object", "additionalProperties": json_schema_for(args[1]) if args else {}}
    if typing.is_typeddict(tp):
        hints = get_type_hints(tp, include_extras=True)
        required = getattr(tp, "__required_keys__", set(hints))
        return object_schema(
            {k: json_schema_for(v) for k, v in hints.items()}, [k for k in hints if k in required]
        )
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = get_type_hints(tp, include_extras=True)
        props, required = {}, []
        for f in dataclasses.fields(tp):
            props[f.name] = json_schema_for(hints.get(f.name, Any))
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        return object_schema(props, required)
    raise TypeError(
        f"cannot describe {tp!r} as JSON Schema; use str, int, float, bool, list, dict, Literal, Enum, "
        "TypedDict or a dataclass"
    )


def object_schema(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


# Docstrings ------------------------------------------------------------------------------------

_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Returns?|Yields?|Raises|Examples?|Notes?|See Also)\s*:?$"
)
_ARG_SECTIONS = ("args", "arguments", "parameters", "params")
_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*(?::\s*(.*))?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) from a Google, NumPy or Sphinx style docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    numpy = False
    entry_indent: int | None = None
    current: str | None = None
    i = 0
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        underlined = (
            i + 1 < len(lines) and len(lines[i + 1].strip()) > 2 and set(lines[i + 1].strip()) == {"-"}
        )
        header = _SECTION.match(stripped)
        sphinx = re.match(r"^:param\s+(?:[^:]*\s)?(\w+):\s*(.*)$", stripped)
        if header and (stripped.endswith(":") or underlined):
            section, numpy, entry_indent, current = header.group(1).lower(), underlined, None, None
            i += 2 if underlined else 1
            continue
        if sphinx:
            section, current = "sphinx", sphinx.group(1)
            params[current] = sphinx.group(2).strip()
        elif section == "sphinx":
            if stripped.startswith(":"):
                current = None  # :returns:, :raises: …
            elif current and stripped:
                params[current] = f"{params[current]} {stripped}".strip()
        elif section in _ARG_SECTIONS and stripped:
            if entry_indent is None:
                entry_indent = _indent(line)
            entry = _ENTRY.match(stripped) if _indent(line) <= entry_indent else None
            if entry:
                current = entry.group(1)
                params[current] = "" if numpy else (entry.group(2) or "").strip()
            elif current:
                params[current] = f"{params[current]} {stripped}".strip()
        elif section is None:
            description.append(line)
        i += 1
    return "\n".join(description).strip(), params
