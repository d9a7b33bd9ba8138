"""Streamed Responses beside streamed runs: the time each adds to the upstream's first token.

The fake upstream (``python -m tests.upstream``) and the server (``python run.py``, WORKERS=1,
SQLite in a temp dir) run in their own processes on loopback. Per iteration, with one prompt:
the upstream's own stream, a streamed run (new thread, created untimed) and a streamed response
(``POST /v1/responses`` with ``stream: true``), in a rotating order. Each is timed from sending
to its first text delta (``delta.content``, ``thread.message.delta``,
``response.output_text.delta``). Prints p50/p99 of each API's TTFT minus the upstream's in the
same iteration, the response/run ratio, and the server CPU per streamed response and per run.

    .venv/bin/python bench/response_stream.py [--iterations 150] [--words 5] [--chunk-delay-ms 20]

It stops by itself: the loop is bounded in count and time, and both processes are stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_relay import (  # noqa: E402
    BEARER,
    Process,
    Target,
    group_cpu,
    pct,
    start_server,
    start_upstream,
    stream_chat,
)
from bench.run_stream import Api, prompt_of  # noqa: E402


async def stream_response(api: Api, model: str, prompt: str) -> tuple[float | None, str]:
    """Seconds to the first output_text delta, and an error if the stream did not complete."""
    body = {"model": model, "input": prompt, "stream": True}
    started = time.perf_counter()
    first: float | None = None
    event = ""
    completed = False
    async with api.client.stream(
        "POST", api.url + "/v1/responses", json=body, headers=api.headers
    ) as resp:
        if resp.status_code != 200:
            return None, f"HTTP {resp.status_code} {(await resp.aread())[:300]!r}"
        async for line in resp.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "response.output_text.delta" and first is None:
                    first = time.perf_counter() - started
                completed = completed or event == "response.completed"
    return first, "" if completed else "no response.completed"


async def bench(args: argparse.Namespace, server_url: str, upstream: str, server: Process) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        api = Api(client, server_url, upstream)
        direct = Target(
            "direct", upstream + "/chat/completions", {"authorization": f"Bearer {BEARER}"}
        )
        model = f"fake-slow-stream-{args.chunk_delay_ms}"
        assistant = await api.create("/v1/assistants", {"model": model})
        added: dict[str, list[float]] = {"run": [], "response": []}
        cpu: dict[str, float] = {"run": 0.0, "response": 0.0}
        errors: list[str] = []
        pgid = server.popen.pid

        async def one(i: int) -> None:
            prompt = prompt_of(args.words, i)
            thread_id = await api.thread(prompt)
            chat = {
                "model": model,
                "stream": True,
                "messages": [{"role": "user", "content": prompt}],
            }
            order = ["direct", "run", "response"]
            order = order[i % 3 :] + order[: i % 3]
            firsts: dict[str, float | None] = {}
            for kind in order:
                before = group_cpu(pgid)
                if kind == "direct":
                    own = await stream_chat(client, direct, chat)
                    firsts[kind] = own.arrivals[0] if own.ok and own.arrivals else None
                elif kind == "run":
                    run = await api.run(thread_id, assistant["id"])
                    firsts[kind] = run.first.get("thread.message.delta") if run.ok else None
                    if not run.ok:
                        errors.append(run.error)
                else:
                    first, error = await stream_response(api, model, prompt)
                    firsts[kind] = first
                    if error:
                        errors.append(error)
                if i >= 0 and kind != "direct":
                    cpu[kind] += group_cpu(pgid) - before
            base = firsts["direct"]
            if i < 0 or base is None:
                return
            for kind in ("run", "response"):
                value = firsts[kind]
                if value is not None:
                    added[kind].append(value - base)

        for i in range(-6, 0):  # warm-up: connections, the lazy LiteLLM import, caches
            await one(i)
        deadline = time.monotonic() + 300
        done = 0
        for i in range(args.iterations):
            if time.monotonic() > deadline:
                print(f"  (stopped after {i} iterations: 5 minute budget)")
                break
            await one(i)
            done += 1
        print(
            f"\nfirst streamed token added over the upstream's own, {done} iterations, "
            f"fake-slow-stream-{args.chunk_delay_ms}, {args.words}-chunk replies"
        )
        for kind in ("run", "response"):
            values = added[kind]
            print(
                f"  {kind:9} p50 {pct(values, 50) * 1000:6.2f} ms   p99 "
                f"{pct(values, 99) * 1000:6.2f} ms   server CPU "
                f"{cpu[kind] / max(done, 1) * 1000:5.1f} ms per stream (n={len(values)})"
            )
        ratio = pct(added["response"], 50) / max(pct(added["run"], 50), 1e-9)
        print(f"  response/run added-TTFT ratio (p50): {ratio:.2f}")
        for text in errors[:5]:
            print(f"  error: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--words", type=int, default=5)
    parser.add_argument("--chunk-delay-ms", type=int, default=20)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="response-stream-") as tmp:
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
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
