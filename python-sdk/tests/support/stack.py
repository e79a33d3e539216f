"""The whole stack as a user runs it (`npm start -- --demo`), for the test session.

The database comes from `test/helpers/db-server.ts`, which provides it exactly as the jest suites get
theirs (DATABASE_URL, else Testcontainers, else embedded PostgreSQL under .data/test/pg; a database
cloned from the migrated template). Letting the launcher run its own embedded PostgreSQL would cost
an initdb per run and ignore DATABASE_URL, so `npm test` would test the SDK against a different
database setup than everything else.

The stack runs with an API token, so every SDK call in the suite is authenticated for real.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT = 240.0  # a loaded 2-core machine: embedded PostgreSQL + four services + codex


class _Output:
    """Collects a child's output on a thread; waits for a line matching a pattern."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._proc = proc
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            with self._cond:
                self._lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def text(self) -> str:
        with self._cond:
            return "\n".join(self._lines)

    def wait_for(self, pattern: str, timeout: float, what: str) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    m = regex.search(line)
                    if m:
                        return m
                seen = len(self._lines)
                if self._proc.poll() is not None and not self._thread.is_alive():
                    raise RuntimeError(f"{what} exited (code {self._proc.returncode}):\n{self.text()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{what} not ready after {timeout} s:\n{self.text()}")
                self._cond.wait(min(left, 1.0))


@dataclass
class Stack:
    url: str
    token: str
    data_dir: Path
    database_url: str
    _launcher: subprocess.Popen[str] = field(repr=False)
    _db: subprocess.Popen[str] = field(repr=False)
    _out: _Output = field(repr=False)

    def output(self) -> str:
        return self._out.text()

    @property
    def workspace(self) -> Path:
        """The default cwd of sessions in demo mode."""
        return self.data_dir / "demo-workspace"

    def stop(self, keep_data: bool) -> None:
        _stop(self._launcher, 30)
        if self._db.stdin is not None:
            self._db.stdin.close()  # the helper drops the database and stops its server
        _stop(self._db, 60, signal_first=False)
        if not keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _stop(proc: subprocess.Popen[str], timeout: float, signal_first: bool = True) -> None:
    if proc.poll() is None and signal_first:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


def start_stack(label: str = "python-sdk") -> Stack:
    db = subprocess.Popen(
        ["node", "--import", "tsx", "test/helpers/db-server.ts", label],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    db_out = _Output(db)
    try:
        database_url = json.loads(db_out.wait_for(r'^\{"url":', STARTUP_TIMEOUT, "the test database").string)[
            "url"
        ]
    except BaseException:
        _stop(db, 30)
        raise
    token = secrets.token_urlsafe(24)
    data_dir = ROOT / ".data" / "test" / f"{label}-{secrets.token_hex(3)}"
    data_dir.mkdir(parents=True)
    env = {**os.environ, "CM_API_TOKEN": token, "CM_LOG_LEVEL": "info"}
    for name in ("CM_URL", "CM_TOKEN", "CM_PROFILE", "DATABASE_URL"):
        env.pop(name, None)
    launcher = subprocess.Popen(
        [
            *("node", "--import", "tsx", "ops/launcher/main.ts", "--demo", "--port", "0"),
            *("--data-dir", str(data_dir), "--database-url", database_url),
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out = _Output(launcher)
    stack = Stack("", token, data_dir, database_url, launcher, db, out)
    try:
        m = out.wait_for(r"ready at (http://\S+)|not healthy|failed to start", STARTUP_TIMEOUT, "the stack")
        if not m.group(1):
            raise RuntimeError(f"the stack failed:\n{out.text()}")
        stack.url = m.group(1)
    except BaseException:
        stack.stop(keep_data=True)
        raise
    return stack
