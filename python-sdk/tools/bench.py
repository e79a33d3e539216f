#!/usr/bin/env python3
"""Measures the SDK against a demo stack (numbers, not assertions; the tests never time anything).

    python3 python-sdk/tools/bench.py                         # starts its own demo stack
    python3 python-sdk/tools/bench.py --url URL --token TOKEN # or uses a running one

Prints: call latency (blocking, and asyncio with concurrency), a short turn end to end through
`send_message_and_wait_reply`, and event-stream throughput on a flood of deltas for both clients.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE.parent / "tests")]

from codex_manager import AsyncCodexManager, CodexManager  # noqa: E402


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def report(name: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    p50, p90 = pct(ms, 0.5), pct(ms, 0.9)
    print(f"{name:44s} n={len(ms):4d}  p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  max {max(ms):7.1f} ms")


def rate_line(name: str, span: float, count: int) -> None:
    print(f"{name:44s} {count} events in {span * 1000:.0f} ms: {count / span:8.0f} events/s")


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def replay_sync(cm: CodexManager, session_id: str) -> tuple[float, int]:
    """Reads a finished session's events back from seq 0: the client side alone (parse, queue)."""
    t, count = time.perf_counter(), 0
    with cm.stream.events(threads=[session_id], after=0) as stream:
        for event in stream:
            count += 1
            if event.type == "runtime.turn.completed":
                return time.perf_counter() - t, count
    raise AssertionError("stream ended")


async def replay_async(acm: AsyncCodexManager, session_id: str) -> tuple[float, int]:
    t, count = time.perf_counter(), 0
    async with acm.stream.events(threads=[session_id], after=0) as stream:
        async for event in stream:
            count += 1
            if event.type == "runtime.turn.completed":
                return time.perf_counter() - t, count
    raise AssertionError("stream ended")


def flood_sync(cm: CodexManager, n: int, session_id: str) -> tuple[float, int]:
    with cm.stream.events(threads=[session_id]) as stream:
        stream.wait_ready()
        turn_id = cm.sessions.send_message(session_id, text=f"scn:flood:{n}")["turn"]["id"]
        first, count = None, 0
        for event in stream:
            if event.type == "runtime.item.agentMessage.delta":
                first = first or time.perf_counter()
                count += 1
            if event.type == "runtime.turn.completed" and event.params["turn"]["id"] == turn_id:
                return time.perf_counter() - (first or time.perf_counter()), count
    raise AssertionError("stream ended")


async def flood_async(acm: AsyncCodexManager, n: int, session_id: str) -> tuple[float, int]:
    async with acm.stream.events(threads=[session_id]) as stream:
        await stream.wait_ready()
        turn_id = (await acm.sessions.send_message(session_id, text=f"scn:flood:{n}"))["turn"]["id"]
        first, count = None, 0
        async for event in stream:
            if event.type == "runtime.item.agentMessage.delta":
                first = first or time.perf_counter()
                count += 1
            if event.type == "runtime.turn.completed" and event.params["turn"]["id"] == turn_id:
                return time.perf_counter() - (first or time.perf_counter()), count
    raise AssertionError("stream ended")


def run(url: str, token: str | None, calls: int, turns: int, flood: int) -> None:
    cm = CodexManager(url, token=token)
    session_id = cm.sessions.create()["session"]["id"]
    report("sync  system.health", timed(cm.system.health, calls))
    report("sync  sessions.get", timed(lambda: cm.sessions.get(session_id), calls))

    async def async_calls() -> None:
        async with AsyncCodexManager(url, token=token) as acm:
            samples = []
            for _ in range(calls):
                t = time.perf_counter()
                await acm.sessions.get(session_id)
                samples.append(time.perf_counter() - t)
            report("async sessions.get", samples)
            t = time.perf_counter()
            await asyncio.gather(*(acm.sessions.get(session_id) for _ in range(calls)))
            elapsed = time.perf_counter() - t
            print(
                f"{'async sessions.get, all concurrently':44s} n={calls:4d}  {calls / elapsed:7.0f} calls/s"
            )
            samples = []
            for _ in range(turns):
                t = time.perf_counter()
                await acm.wait.send_message_and_wait_reply(session_id, "scn:text")
                samples.append(time.perf_counter() - t)
            report("async send_message_and_wait_reply scn:text", samples)
            for _ in range(2):
                rate_line("async stream flood (live)", *await flood_async(acm, flood, flooded))
            rate_line("async stream replay from seq 0", *await replay_async(acm, flooded))

    report(
        "sync  send_message_and_wait_reply scn:text",
        timed(lambda: cm.wait.send_message_and_wait_reply(session_id, "scn:text"), turns),
    )
    flooded = cm.sessions.create()["session"]["id"]
    for _ in range(2):
        rate_line("sync  stream flood (live)", *flood_sync(cm, flood, flooded))
    rate_line("sync  stream replay from seq 0", *replay_sync(cm, flooded))
    asyncio.run(async_calls())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--flood", type=int, default=20_000)
    args = parser.parse_args()
    if args.url:
        run(args.url, args.token, args.calls, args.turns, args.flood)
        return 0
    from support.stack import start_stack  # type: ignore[import-not-found]  # tests/ is on sys.path

    stack = start_stack("python-sdk-bench")
    try:
        run(stack.url, stack.token, args.calls, args.turns, args.flood)
    finally:
        stack.stop(keep_data=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
