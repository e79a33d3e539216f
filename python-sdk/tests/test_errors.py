"""The exception classes mirror the API's error codes (services/core/src/errors.ts, docs/api.md)."""

from __future__ import annotations

import re

import pytest
from support.stack import ROOT

from codex_manager import errors
from codex_manager.errors import ERROR_CODES, error_class_for


def server_codes() -> dict[str, int]:
    """`code: status` from the server's STATUS table."""
    text = (ROOT / "services" / "core" / "src" / "errors.ts").read_text()
    table = text.split("const STATUS", 1)[1].split("};", 1)[0]
    return {code: int(status) for code, status in re.findall(r"^\s*(\w+): (\d{3}),", table, re.M)}


def documented_codes() -> dict[str, int]:
    text = (ROOT / "docs" / "api.md").read_text()
    return {code: int(status) for code, status in re.findall(r"^\| `(\w+)` \| (\d{3}) \|", text, re.M)}


def test_every_server_error_code_has_a_class_with_the_same_status() -> None:
    codes = server_codes()
    assert len(codes) > 10, "could not read the STATUS table of services/core/src/errors.ts"
    missing = {c: s for c, s in codes.items() if c not in ERROR_CODES}
    assert not missing, f"add these codes to ERROR_CODES in codex_manager/errors.py: {missing}"
    for code, status in codes.items():
        assert ERROR_CODES[code][0] == status, code


def test_every_documented_code_maps_to_its_class() -> None:
    for code, status in documented_codes().items():
        assert code in ERROR_CODES, f"docs/api.md lists {code}, the SDK does not"
        assert ERROR_CODES[code][0] == status


@pytest.mark.parametrize(
    ("status", "code", "cls", "family"),
    [
        (400, "invalid_request", errors.InvalidRequestError, errors.APIError),
        (401, "unauthorized", errors.UnauthorizedError, errors.APIError),
        (404, "not_found", errors.NotFoundError, errors.APIError),
        (410, "gone", errors.GoneError, errors.NotFoundError),
        (409, "conflict", errors.ConflictError, errors.APIError),
        (409, "idempotency_in_progress", errors.IdempotencyInProgressError, errors.ConflictError),
        (503, "runtime_unavailable", errors.RuntimeUnavailableError, errors.ServerError),
        (504, "runtime_timeout", errors.RuntimeTimeoutError, errors.ServerError),
        (410, "cursor_expired", errors.CursorExpiredError, errors.StreamError),
        # Codes the SDK does not know yet still land in the right family by status.
        (404, "brand_new_code", errors.NotFoundError, errors.APIError),
        (418, "teapot", errors.APIError, errors.CodexManagerError),
        (599, "odd", errors.ServerError, errors.APIError),
    ],
)
def test_a_response_maps_to_its_class_and_family(status: int, code: str, cls: type, family: type) -> None:
    chosen = error_class_for(status, code)
    assert chosen is cls
    assert issubclass(chosen, family)


def test_an_api_error_prints_status_code_message_and_suggestion() -> None:
    e = errors.UnauthorizedError(
        "missing or wrong bearer token", status=401, code="unauthorized", suggestion="send Authorization"
    )
    assert str(e) == "401 unauthorized: missing or wrong bearer token (send Authorization)"
    assert e.details == {}


def test_every_exception_is_exported_from_the_errors_module() -> None:
    exported = set(errors.__all__)
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == errors.__name__:
            assert name in exported, name
