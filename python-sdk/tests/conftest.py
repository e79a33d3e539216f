"""Fixtures: an isolated environment for every test, and one real stack (demo mode) per session for
the tests marked `stack`, started on first use."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.stack import ROOT, Stack, start_stack

from codex_manager import CodexManager


def _load_generator() -> None:
    """tools/generate.py as module `tools_generate`, for tests of the generator itself."""
    spec = importlib.util.spec_from_file_location(
        "tools_generate", ROOT / "python-sdk" / "tools" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tools_generate"] = module
    spec.loader.exec_module(module)


_load_generator()

_ENV = ("CM_URL", "CM_TOKEN", "CM_PROFILE", "CM_ACTOR", "CM_CONFIG_FILE", "XDG_CONFIG_HOME")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's profiles or CM_* variables."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CM_CONFIG_FILE", str(tmp_path / "no-profiles.json"))


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    started = start_stack()
    failed_before = request.session.testsfailed
    try:
        yield started
    finally:
        started.stop(keep_data=request.session.testsfailed > failed_before)


@pytest.fixture
def cm(stack: Stack) -> Iterator[CodexManager]:
    with CodexManager(stack.url, token=stack.token, actor="pytest") as client:
        yield client


@pytest.fixture(scope="session")
def served_operations(stack: Stack) -> set[str]:
    """operationIds the running server serves (its own OpenAPI document)."""
    with CodexManager(stack.url, token=stack.token) as client:
        doc = client.system.openapi()
    return {op["operationId"] for methods in doc["paths"].values() for op in methods.values()}


def require_operations(served: set[str], *operation_ids: str) -> None:
    """Skips a test whose routes this build does not serve yet (they land from other branches);
    the reason names them, so a skip is never silent."""
    missing = [o for o in operation_ids if o not in served]
    if missing:
        pytest.skip(f"this build does not serve {', '.join(missing)} yet")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()) or "cm" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.stack)
