"""Every ```python block of docs/python.md runs as written against the real stack, each in its own
interpreter with warnings as errors. A `<!-- requires: op, op -->` comment before a block names the
routes it needs; it is skipped (saying so) while this build does not serve them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_operations
from support.stack import ROOT, Stack

DOC = ROOT / "docs" / "python.md"
BLOCK = re.compile(r"(?:<!-- requires: (?P<requires>[^>]*) -->\s*)?```python\n(?P<code>.*?)```", re.S)


def examples() -> list[tuple[str, list[str], str]]:
    out = []
    text = DOC.read_text()
    for m in BLOCK.finditer(text):
        line = text[: m.start("code")].count("\n") + 1
        requires = [r.strip() for r in (m.group("requires") or "").split(",") if r.strip()]
        out.append((f"docs/python.md:{line}", requires, m.group("code")))
    return out


def test_the_page_has_examples() -> None:
    assert len(examples()) >= 6


@pytest.mark.parametrize(("where", "requires", "code"), examples(), ids=[e[0] for e in examples()])
def test_the_example_runs_as_written(
    stack: Stack, served_operations: set[str], tmp_path: Path, where: str, requires: list[str], code: str
) -> None:
    require_operations(served_operations, *requires)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CM_")}
    env.update(
        CM_URL=stack.url,
        CM_TOKEN=stack.token,
        CM_CONFIG_FILE=str(tmp_path / "profiles.json"),
        PYTHONPATH=str(ROOT / "python-sdk" / "src"),
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{where} printed nothing"
