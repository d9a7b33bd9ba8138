"""What the outbound policy adds to a streamed chat: policy on vs off, in the same run.

The fake upstream runs in its own process on 127.0.0.1. In this process, two `LiteLLMEngine`s
stream the same chat (``--words`` chunks) through the server's inference path (the direct relay by
default; ``ASSISTANTS_LLM_RELAY=litellm`` in the environment for LiteLLM's), alternating,
``--requests`` times each after a warm-up:

- off: no policy (`outbound=None`): the provider client without checks;
- on: a policy with server keys' defaults and ``ASSISTANTS_OUTBOUND_ALLOW=127.0.0.1`` (so loopback
  is refused but for that address): the check before the call, and the policy-bound provider
  client (the direct relay's, or the OpenAI client LiteLLM is handed), which checks each new
  connection.

Printed: wall time per stream (p50, p99), CPU per stream (this process), the on/off ratios, and how
often the resolver ran (an IP base URL needs none; a host name, `--host-name`, once per
connection plus the cached check before calls). Also the bare cost of one policy decision.

    .venv/bin/python bench/outbound_policy.py [--requests 300] [--words 30] [--host-name]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench.chat_relay import WORDS, start_upstream  # noqa: E402
from inference import ChatRequest, InferenceSettings, LiteLLMEngine, options_from_headers  # noqa: E402
from outbound import OutboundPolicy, system_resolver  # noqa: E402


@dataclass
class Leg:
    name: str
    engine: LiteLLMEngine
    walls: list[float] = field(default_factory=list)
    cpu: float = 0.0


class CountingResolver:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return await system_resolver(host, port)


async def one_stream(leg: Leg, base_url: str, text: str) -> None:
    options = options_from_headers({"base-url": base_url, "Authorization": "Bearer sk-bench"})
    request = ChatRequest(model="fake-model", messages=[{"role": "user", "content": text}])
    started, cpu = time.perf_counter(), time.process_time()
    chunks = 0
    async for _ in leg.engine.chat_stream(request, options):
        chunks += 1
    leg.walls.append(time.perf_counter() - started)
    leg.cpu += time.process_time() - cpu
    if chunks < 3:
        raise RuntimeError(f"{leg.name}: only {chunks} chunks")


def decision_cost(policy: OutboundPolicy, rounds: int = 20000) -> float:
    address = ipaddress.ip_address("127.0.0.1")
    started = time.perf_counter()
    for _ in range(rounds):
        policy.refusal("127.0.0.1", address)
    return (time.perf_counter() - started) / rounds


async def run(args: argparse.Namespace, base_url: str) -> None:
    policy = OutboundPolicy.from_lists(["127.0.0.1"], [], refuse_private=True)
    resolver = CountingResolver()
    relay = os.environ.get("ASSISTANTS_LLM_RELAY", "direct")
    off = Leg("off", LiteLLMEngine(InferenceSettings(outbound=None, relay=relay)))
    on = Leg("on", LiteLLMEngine(InferenceSettings(outbound=policy, relay=relay), resolver))
    if args.host_name:
        base_url = base_url.replace("127.0.0.1", "localhost")
        policy = OutboundPolicy.from_lists(["localhost"], [], refuse_private=True)
        on = Leg("on", LiteLLMEngine(InferenceSettings(outbound=policy, relay=relay), resolver))
    text = " ".join(WORDS[i % len(WORDS)] for i in range(args.words - 2))
    for leg in (off, on):
        leg.engine.warm()
        for _ in range(args.warmup):
            await one_stream(leg, base_url, text)
        leg.walls.clear()
        leg.cpu = 0.0
    resolver.calls = 0
    for i in range(args.requests):
        for leg in (off, on) if i % 2 == 0 else (on, off):
            await one_stream(leg, base_url, text)
    for leg in (off, on):
        await leg.engine.aclose()

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] * 1000

    print(f"base URL {base_url}, {args.requests} streams per leg, {args.words} chunks each")
    print(f"{'leg':<5}{'p50 ms':>10}{'p99 ms':>10}{'CPU ms/stream':>16}")
    for leg in (off, on):
        print(
            f"{leg.name:<5}{p(leg.walls, 50):>10.2f}{p(leg.walls, 99):>10.2f}"
            f"{leg.cpu / args.requests * 1000:>16.2f}"
        )
    print(
        f"on/off: p50 {p(on.walls, 50) / p(off.walls, 50):.3f}, "
        f"CPU {on.cpu / off.cpu:.3f} ({(on.cpu - off.cpu) / args.requests * 1e6:+.0f} us/stream)"
    )
    print(f"resolver calls during the measured streams: {resolver.calls}")
    print(f"one policy decision (IP address): {decision_cost(policy) * 1e6:.2f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--words", type=int, default=30)
    parser.add_argument("--host-name", action="store_true", help="base URL by name (localhost)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        upstream, base_url = start_upstream(Path(workdir))
        try:
            asyncio.run(run(args, base_url))
        finally:
            upstream.stop()


if __name__ == "__main__":
    main()
