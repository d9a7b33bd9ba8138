"""Streaming Assistants runs over HTTP: added latency of the first token, and concurrent runs.

The fake upstream (``python -m tests.upstream``) and the server (``python run.py``, WORKERS=1,
SQLite in a temp dir) run in their own processes on loopback; the client is httpx reading SSE
raw, the same code for the run and for the upstream's own stream.

1. First token: one assistant (model ``fake-slow-stream-<ms>``); per iteration a new thread with
   one user message (created untimed), then ``POST /v1/threads/{id}/runs`` with ``stream: true``
   timed from sending to the first ``thread.message.delta``, paired with the same prompt streamed
   straight from the upstream (first non-empty ``delta.content``), alternating which goes first.
   Prints p50/p99 of run TTFT minus direct TTFT (target: < 10 ms p50) and when each earlier event
   arrived.
2. Concurrency: for each level (``--levels``), that many runs started at once on fresh threads
   (slow-stream model, ``--ramp-words``-chunk replies), after the same number of concurrent
   direct upstream streams for reference. Per level: runs that completed, errors (HTTP status and
   body, ``error`` / ``thread.run.failed`` events, missing or short streams), p50/p99 TTFT, p50/p99
   run duration and wall time. A level that fails stops the ramp.

    .venv/bin/python bench/run_stream.py [--iterations 200] [--words 5] [--chunk-delay-ms 20]
        [--levels 10,25,50,100] [--ramp-delay-ms 50] [--ramp-words 30]

It stops by itself: every loop is bounded, each level has a deadline, and every process it
started is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_relay import (  # noqa: E402
    BEARER,
    WORDS,
    Process,
    StreamResult,
    Target,
    group_cpu,
    ms,
    pct,
    start_server,
    start_upstream,
    stream_chat,
)

EVENTS = [
    "thread.run.created",
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.message.created",
    "thread.message.delta",
    "thread.run.completed",
]


@dataclass
class RunResult:
    ok: bool = False
    status: int = 0
    first: dict[str, float] = field(default_factory=dict)  # event -> seconds from send
    deltas: int = 0
    total: float = 0.0
    error: str = ""


class Api:
    def __init__(self, client: httpx.AsyncClient, url: str, upstream: str) -> None:
        self.client = client
        self.url = url
        self.headers = {"authorization": f"Bearer {BEARER}", "base-url": upstream}

    async def create(self, path: str, body: dict) -> dict:
        response = await self.client.post(self.url + path, json=body, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    async def thread(self, prompt: str) -> str:
        body = {"messages": [{"role": "user", "content": prompt}]}
        return (await self.create("/v1/threads", body))["id"]

    async def run(self, thread_id: str, assistant_id: str) -> RunResult:
        result = RunResult()
        started = time.perf_counter()
        event = ""
        path = f"/v1/threads/{thread_id}/runs"
        body = {"assistant_id": assistant_id, "stream": True}
        try:
            async with self.client.stream(
                "POST", self.url + path, json=body, headers=self.headers
            ) as resp:
                result.status = resp.status_code
                if resp.status_code != 200:
                    text = (await resp.aread()).decode(errors="replace")
                    result.error = f"HTTP {resp.status_code} {text[:300]}"
                    return result
                async for line in resp.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                        continue
                    if not line.startswith("data: "):
                        continue
                    now = time.perf_counter() - started
                    result.first.setdefault(event, now)
                    if event == "thread.message.delta":
                        result.deltas += 1
                    elif event in ("error", "thread.run.failed", "thread.run.expired"):
                        result.error = f"{event}: {line[6:306]}"
                    elif event == "done":
                        break
        except httpx.HTTPError as exc:
            result.error = f"{type(exc).__name__}: {exc!r}"[:300]
        result.total = time.perf_counter() - started
        if not result.error and "thread.run.completed" not in result.first:
            result.error = f"stream ended without thread.run.completed after {sorted(result.first)}"
        result.ok = not result.error
        return result


def prompt_of(words: int, offset: int = 0) -> str:
    """`words` chunks in the reply: "Echo: " plus words-1 words."""
    vocabulary = WORDS * 4
    start = offset % len(WORDS)
    return " ".join(vocabulary[start : start + words - 1])


async def first_token(
    api: Api, direct: Target, iterations: int, words: int, delay_ms: int, server_pgid: int
) -> tuple[list[float], list[float], dict[str, list[float]], list[str], float]:
    model = f"fake-slow-stream-{delay_ms}"
    assistant = await api.create("/v1/assistants", {"model": model, "name": "bench"})
    added: list[float] = []
    direct_ttft: list[float] = []
    events: dict[str, list[float]] = {name: [] for name in EVENTS}
    errors: list[str] = []

    async def one(i: int) -> None:
        prompt = prompt_of(words, i)
        thread_id = await api.thread(prompt)
        body = {"model": model, "stream": True, "messages": [{"role": "user", "content": prompt}]}
        if i % 2:
            run = await api.run(thread_id, assistant["id"])
            own = await stream_chat(api.client, direct, body)
        else:
            own = await stream_chat(api.client, direct, body)
            run = await api.run(thread_id, assistant["id"])
        if i < 0:
            return
        if not run.ok or "thread.message.delta" not in run.first:
            errors.append(run.error or "no thread.message.delta")
            return
        if not own.ok or not own.arrivals:
            errors.append(f"direct: {own.error}")
            return
        direct_ttft.append(own.arrivals[0])
        added.append(run.first["thread.message.delta"] - own.arrivals[0])
        for name in EVENTS:
            if name in run.first:
                events[name].append(run.first[name])

    for i in range(-5, 0):  # warm-up: connections, the lazy LiteLLM import, caches
        await one(i)
    cpu_before = group_cpu(server_pgid)
    deadline = time.monotonic() + 300
    done = 0
    for i in range(iterations):
        if time.monotonic() > deadline:
            print(f"  (stopped after {i} iterations: 5 minute budget)")
            break
        await one(i)
        done += 1
    cpu = (group_cpu(server_pgid) - cpu_before) / max(done, 1)
    return added, direct_ttft, events, errors, cpu


@dataclass
class Level:
    n: int
    wall: float = 0.0
    direct_ttft: list[float] = field(default_factory=list)
    direct_total: list[float] = field(default_factory=list)
    direct_errors: list[str] = field(default_factory=list)
    runs: list[RunResult] = field(default_factory=list)
    cpu: float = float("nan")  # server CPU seconds while the runs streamed

    @property
    def errors(self) -> list[RunResult]:
        return [r for r in self.runs if not r.ok]


async def concurrency_level(
    api: Api,
    direct: Target,
    assistant_id: str,
    n: int,
    words: int,
    delay_ms: int,
    timeout: float,
    server_pgid: int,
) -> Level:
    level = Level(n)
    model = f"fake-slow-stream-{delay_ms}"
    prompts = [prompt_of(words, i) for i in range(n)]
    bodies = [
        {"model": model, "stream": True, "messages": [{"role": "user", "content": p}]}
        for p in prompts
    ]
    own: list[StreamResult] = await asyncio.wait_for(
        asyncio.gather(*(stream_chat(api.client, direct, b) for b in bodies)), timeout
    )
    for result in own:
        if result.ok and result.arrivals:
            level.direct_ttft.append(result.arrivals[0])
            level.direct_total.append(result.arrivals[-1])
        else:
            level.direct_errors.append(result.error)

    threads = []
    for p in prompts:  # untimed, one at a time
        threads.append(await api.thread(p))
    cpu_before = group_cpu(server_pgid)
    started = time.perf_counter()
    tasks = [asyncio.ensure_future(api.run(t, assistant_id)) for t in threads]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    level.wall = time.perf_counter() - started
    await asyncio.sleep(0.5)  # the last runs' final writes
    level.cpu = group_cpu(server_pgid) - cpu_before
    for task in pending:
        task.cancel()
    for task in tasks:
        if task in done and task.exception() is None:
            level.runs.append(task.result())
        else:
            level.runs.append(RunResult(error=f"no answer within {timeout:.0f} s (hung)"))
    for result in level.runs:
        if result.ok and result.deltas != words:
            result.ok = False
            result.error = f"{result.deltas} deltas, expected {words}"
    return level


def print_level(level: Level) -> None:
    ok = [r for r in level.runs if r.ok]
    ttft = [r.first["thread.message.delta"] for r in ok]
    durations = [r.total for r in ok]
    print(
        f"{level.n:5d} {len(ok):5d} {len(level.errors):6d} {ms(pct(ttft, 50))} {ms(pct(ttft, 99))}"
        f" {ms(pct(level.direct_ttft, 50))} {ms(pct(level.direct_ttft, 99))}"
        f" {pct(durations, 50):7.2f} {pct(durations, 99):7.2f} {pct(level.direct_total, 50):7.2f}"
        f" {level.wall:7.2f} {level.cpu / level.n * 1000:8.1f}"
    )
    shown: dict[str, int] = {}
    for result in level.errors:
        key = f"status {result.status}: {result.error}"
        shown[key] = shown.get(key, 0) + 1
    for text, count in list(shown.items())[:6]:
        print(f"      {count} x {text}")
    if level.direct_errors:
        print(f"      direct upstream errors: {level.direct_errors[:3]}")


async def bench(args: argparse.Namespace, server_url: str, upstream: str, server: Process) -> None:
    limits = httpx.Limits(max_connections=max(args.levels) + 16, max_keepalive_connections=32)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        api = Api(client, server_url, upstream)
        direct = Target(
            "direct", upstream + "/chat/completions", {"authorization": f"Bearer {BEARER}"}
        )
        if args.iterations > 0:
            await part_one(api, direct, args, server.popen.pid)
        await part_two(api, direct, args, client, server_url, server)


async def part_one(api: Api, direct: Target, args: argparse.Namespace, server_pgid: int) -> None:
    print(
        f"\n[1] first streamed token of a run, fake-slow-stream-{args.chunk_delay_ms}, "
        f"{args.words}-chunk replies, {args.iterations} iterations (new thread each)"
    )
    t0 = time.perf_counter()
    added, direct_ttft, events, errors, cpu = await first_token(
        api, direct, args.iterations, args.words, args.chunk_delay_ms, server_pgid
    )
    print(
        f"direct upstream TTFT: p50 {pct(direct_ttft, 50) * 1000:.2f} ms, "
        f"p99 {pct(direct_ttft, 99) * 1000:.2f} ms"
    )
    print(
        f"run TTFT added over direct: p50 {pct(added, 50) * 1000:.2f} ms, "
        f"p99 {pct(added, 99) * 1000:.2f} ms  (target p50 < 10 ms; n={len(added)}, "
        f"errors={len(errors)})"
    )
    print(f"{'  event, from sending the request (ms)':44} {'p50':>8} {'p99':>8}")
    for name in EVENTS:
        label = f"  first {name}"
        print(f"{label:44} {ms(pct(events[name], 50))} {ms(pct(events[name], 99))}")
    print(f"  server CPU per iteration (create thread + streamed run): {cpu * 1000:.1f} ms")
    for text in errors[:5]:
        print(f"  error: {text}")
    print(f"  ({time.perf_counter() - t0:.0f} s)")


async def part_two(
    api: Api,
    direct: Target,
    args: argparse.Namespace,
    client: httpx.AsyncClient,
    server_url: str,
    server: Process,
) -> None:
    print(
        f"\n[2] concurrent streaming runs on one worker, fake-slow-stream-{args.ramp_delay_ms},"
        f" {args.ramp_words}-chunk replies (a run streams for "
        f"~{args.ramp_delay_ms * (args.ramp_words - 1) / 1000:.1f} s)"
    )
    model = f"fake-slow-stream-{args.ramp_delay_ms}"
    assistant = await api.create("/v1/assistants", {"model": model})
    print(
        f"{'runs':>5} {'ok':>5} {'errors':>6} {'TTFT ms':>8} {'':>8} {'direct':>8} {'':>8}"
        f" {'run s':>7} {'':>7} {'direct':>7} {'wall s':>7} {'CPU ms':>8}"
    )
    print(
        f"{'':5} {'':5} {'':6} {'p50':>8} {'p99':>8} {'p50':>8} {'p99':>8}"
        f" {'p50':>7} {'p99':>7} {'p50':>7} {'':>7} {'per run':>8}"
    )
    for n in args.levels:
        level = await concurrency_level(
            api, direct, assistant["id"], n, args.ramp_words, args.ramp_delay_ms,
            args.level_timeout, server.popen.pid,
        )  # fmt: skip
        print_level(level)
        health = await health_of(client, server_url)
        if health != 200 or server.popen.poll() is not None:
            print(f"  server unhealthy after {n} runs: /v1/health -> {health}")
            break
        if level.errors:
            print(f"  stopping the ramp: {len(level.errors)} of {n} runs failed")
            break
        await asyncio.sleep(1)


async def health_of(client: httpx.AsyncClient, url: str) -> int:
    try:
        return (await client.get(url + "/v1/health", timeout=10)).status_code
    except httpx.HTTPError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--words", type=int, default=5)
    parser.add_argument("--chunk-delay-ms", type=int, default=20)
    parser.add_argument(
        "--levels", type=lambda s: [int(x) for x in s.split(",")], default=[10, 25, 50, 100]
    )
    parser.add_argument("--ramp-delay-ms", type=int, default=50)
    parser.add_argument("--ramp-words", type=int, default=30)
    parser.add_argument("--level-timeout", type=float, default=120)
    args = parser.parse_args()

    load_avg = os.getloadavg()
    print(f"load average before: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="run-stream-") as tmp:
        workdir = Path(tmp)
        started: list[Process] = []
        try:
            upstream, base = start_upstream(workdir)
            started.append(upstream)
            server, server_url = start_server(workdir)
            started.append(server)
            asyncio.run(bench(args, server_url, base, server))
        finally:
            for process in reversed(started):
                process.stop()
        log = (workdir / "server.log").read_text(errors="replace").strip()
        if log:
            print(f"\nserver log (last 3000 chars):\n{log[-3000:]}")
    load_avg = os.getloadavg()
    print(f"load average after: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")


if __name__ == "__main__":
    main()
