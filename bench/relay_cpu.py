"""Server CPU per relayed chunk of a stream, for chat completions, runs and responses.

The cost of one more chunk, with the per-request cost taken out: for each API, ``--streams``
streams with a short reply (``--short`` chunks) and as many with a long one (``--long`` chunks),
one at a time; the server's CPU time (its process group, from /proc) for each set, and

    CPU per chunk = (CPU of the long set - CPU of the short set) / (chunks long - chunks short)

(every streamed event counted: text deltas and the few lifecycle events). The baseline, measured
the same way in the same run: a byte relay (``bench/thin_relay.py --mode bytes``: aiohttp
forwarding the upstream's bytes under uvicorn, parsing nothing), the floor of any relay on this
stack. Processes on loopback: the fake upstream (``python -m tests.upstream``, model
``fake-slow-stream-<ms>``), the server (``python run.py``, one worker, SQLite in a temp dir; warm:
LiteLLM's background import is done before anything is measured) and the byte relay.

    .venv/bin/python bench/relay_cpu.py [--streams 20] [--short 20] [--long 400] [--rounds 2]

It stops by itself (bounded loops) and stops every process it started.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_relay import (  # noqa: E402
    BEARER,
    VOCABULARY,
    group_cpu,
    start_server,
    start_thin_relay,
    start_upstream,
)

ASSISTANTS = {"OpenAI-Beta": "assistants=v2"}
APIS = ("chat", "run", "response", "byte relay (floor)")


def prompt_of(chunks: int) -> str:
    """A prompt the fake upstream echoes as ``chunks`` chunks ("Echo: " and one per word)."""
    words = VOCABULARY.split()
    return " ".join(words[i % len(words)] for i in range(chunks - 1))


@dataclass(frozen=True)
class Leg:
    """One API: how to open its stream, and the process whose CPU it costs."""

    name: str
    url: str
    pgid: int
    request: Callable[[str], dict]


async def stream_once(client: httpx.AsyncClient, leg: Leg, prompt: str) -> int:
    """Stream one reply; the number of `data:` events received."""
    spec = leg.request(prompt)
    events = 0
    async with client.stream("POST", leg.url + spec["path"], **spec["send"]) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{leg.name}: {response.status_code} {await response.aread()!r}")
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                events += 1
    return events


async def cpu_of_set(
    client: httpx.AsyncClient, leg: Leg, prompt: str, streams: int
) -> tuple[float, float]:
    """Server CPU seconds of ``streams`` streams, and the events per stream."""
    before = group_cpu(leg.pgid)
    events = 0
    for _ in range(streams):
        events += await stream_once(client, leg, prompt)
    return group_cpu(leg.pgid) - before, events / streams


async def measure(legs: list[Leg], args: argparse.Namespace) -> dict[str, list[float]]:
    per_chunk: dict[str, list[float]] = {leg.name: [] for leg in legs}
    short, long = prompt_of(args.short), prompt_of(args.long)
    async with httpx.AsyncClient(timeout=120) as client:
        for leg in legs:  # warm-up: connections, first-call caches
            for _ in range(3):
                await stream_once(client, leg, short)
        for round_ in range(args.rounds):
            order = legs if round_ % 2 == 0 else list(reversed(legs))
            for leg in order:
                cpu_short, events_short = await cpu_of_set(client, leg, short, args.streams)
                cpu_long, events_long = await cpu_of_set(client, leg, long, args.streams)
                extra = (events_long - events_short) * args.streams
                per_chunk[leg.name].append((cpu_long - cpu_short) / extra)
    return per_chunk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--short", type=int, default=20)
    parser.add_argument("--long", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--chunk-delay-ms", type=int, default=1)
    args = parser.parse_args()
    model = f"fake-slow-stream-{args.chunk_delay_ms}"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        started = []
        try:
            upstream, base = start_upstream(workdir)
            started.append(upstream)
            server, server_url = start_server(workdir)
            started.append(server)
            floor, floor_url = start_thin_relay(workdir, base, mode="bytes")
            started.append(floor)
            auth = {"authorization": f"Bearer {BEARER}", "base-url": base}
            assistant = httpx.post(
                server_url + "/v1/assistants",
                json={"model": model},
                headers={**auth, **ASSISTANTS},
                timeout=30,
            ).json()["id"]

            def chat(prompt: str) -> dict:
                messages = [{"role": "user", "content": prompt}]
                body = {"model": model, "stream": True, "messages": messages}
                return {"path": "/v1/chat/completions", "send": {"json": body, "headers": auth}}

            def run(prompt: str) -> dict:
                thread = {"messages": [{"role": "user", "content": prompt}]}
                body = {"assistant_id": assistant, "stream": True, "thread": thread}
                headers = {**auth, **ASSISTANTS}
                return {"path": "/v1/threads/runs", "send": {"json": body, "headers": headers}}

            def response(prompt: str) -> dict:
                body = {"model": model, "stream": True, "input": prompt}
                return {"path": "/v1/responses", "send": {"json": body, "headers": auth}}

            server_pgid = server.popen.pid
            legs = [
                Leg("chat", server_url, server_pgid, chat),
                Leg("run", server_url, server_pgid, run),
                Leg("response", server_url, server_pgid, response),
                Leg("byte relay (floor)", floor_url, floor.popen.pid, chat),
            ]
            per_chunk = asyncio.run(measure(legs, args))
        finally:
            for process in reversed(started):
                process.stop()
    floor_ms = statistics.median(per_chunk["byte relay (floor)"]) * 1000
    print(
        f"server CPU per relayed chunk ({args.streams} streams of {args.short} and of "
        f"{args.long} chunks per set, {args.rounds} rounds; median of the rounds)"
    )
    print(f"{'stream':22s} {'ms/chunk':>9s} {'rounds':>22s} {'vs floor':>9s}")
    for name in APIS:
        values = per_chunk[name]
        median = statistics.median(values) * 1000
        rounds = " ".join(f"{v * 1000:.3f}" for v in values)
        print(f"{name:22s} {median:9.3f} {rounds:>22s} {median / floor_ms:8.2f}x")


if __name__ == "__main__":
    main()
