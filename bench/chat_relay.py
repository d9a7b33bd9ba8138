"""What the server adds to chat completions, over HTTP, against the same fake provider.

Processes on loopback: the fake upstream (``python -m tests.upstream``); the server (``python
run.py``, WORKERS=1, SQLite in a temp dir) twice: with its direct relay (the default) and with
``ASSISTANTS_LLM_RELAY=litellm`` (every call through ``litellm.acompletion``, as before the direct
relay: the baseline); a thin LiteLLM relay (``bench/thin_relay.py``: ``acompletion`` and nothing
else); and, when its venv exists, LiteLLM's own proxy (``litellm --config``, one worker). The
client is httpx with raw SSE reading, the same code for every target, so its overhead cancels out.

1. Streaming: ``--requests`` rounds of the same request (model ``fake-slow-stream-<ms>``, a
   ``--words``-chunk reply, one chunk per word), sent one at a time straight to the upstream and
   through each relay (in alternating order). Per round: added time to first token (first
   non-empty ``delta.content``), added arrival time of every content chunk, added inter-chunk gap;
   per relay: CPU per streamed request and per relayed chunk (its process's CPU time over the run,
   divided by the streams and by the chunks of each). ``--proxy-stream`` adds LiteLLM's proxy.
   A byte relay (aiohttp forwarding the upstream's bytes under uvicorn, parsing nothing) shows
   the floor of any relay on this stack.
2. Non-streaming throughput: ``--concurrency`` clients for ``--seconds`` each against the
   upstream directly (the ceiling), the server and LiteLLM's proxy, ``--rounds`` times
   alternating; requests/s, p50/p99 latency, errors with their status and body.

    .venv/bin/python bench/chat_relay.py [--requests 200] [--words 30] [--chunk-delay-ms 10]
        [--concurrency 16] [--seconds 10] [--rounds 2] [--proxy-stream] [--skip-proxy]

It stops by itself (every loop is bounded) and stops every process it started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import litellm_proxy  # noqa: E402

BEARER = "sk-bench"
SERVER = "server"
BEFORE = "server, litellm relay"
THIN = "thin litellm relay"
PROXY = "litellm proxy"
FLOOR = "byte relay (floor)"
VOCABULARY = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu one two three "
    "four five six seven eight nine ten"
)
WORDS = VOCABULARY.split()


# ------------------------------------------------------ processes (run_stream.py uses them too)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A child in its own process group, its output in a log file; ``stop()`` ends that group."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], workdir: Path, cwd: Path
    ) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                break
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {url}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)


def start_upstream(workdir: Path) -> tuple[Process, str]:
    """The fake provider in its own process (no GIL shared with the server); its /v1 base URL."""
    port = free_port()
    process = Process(
        "upstream",
        [sys.executable, "-m", "tests.upstream", "--port", str(port)],
        {**os.environ, "PYTHONPATH": str(ROOT)},
        workdir,
        ROOT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    process.wait_http(base + "/models")
    return process, base


def start_server(workdir: Path, name: str = "server", **env: str) -> tuple[Process, str]:
    """``python run.py`` as users run it: one worker, SQLite in ``workdir``; returns once the
    server is warm (LiteLLM imported)."""
    port = free_port()
    process = Process(
        name,
        [sys.executable, str(ROOT / "run.py")],
        {
            **os.environ,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WORKERS": "1",
            "ASSISTANTS_STORE": f"sqlite:///{workdir}/{name}.db",
            "LOG_LEVEL": "warning",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            **env,
        },
        workdir,
        workdir,
    )
    url = f"http://127.0.0.1:{port}"
    process.wait_http(url + "/v1/health")
    # The model list waits for LiteLLM's background import: measured CPU must not include it.
    bearer = {"authorization": f"Bearer {BEARER}"}
    httpx.get(url + "/v1/models", headers=bearer, timeout=120).raise_for_status()
    return process, url


def start_thin_relay(workdir: Path, base: str, mode: str = "litellm") -> tuple[Process, str]:
    """bench/thin_relay.py: litellm.acompletion behind a bare Starlette route, or (`bytes`) a
    byte-forwarding relay with nothing on top."""
    port = free_port()
    args = ["--port", str(port), "--upstream", base, "--mode", mode]
    process = Process(
        f"thin-relay-{mode}",
        [sys.executable, "-m", "bench.thin_relay", *args],
        {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        workdir,
        ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    process.wait_http(url + "/v1/health", timeout=180)
    return process, url


# ---------------------------------------------------------------- statistics


def group_cpu(pgid: int | None) -> float:
    """CPU seconds (user + system) of every live process in the group; NaN off Linux."""
    if pgid is None:
        return float("nan")
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        entries = os.listdir("/proc")
    except OSError:
        return float("nan")
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def pct(values: list[float], q: float) -> float:
    """Percentile by linear interpolation (q in 0..100); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


# ---------------------------------------------------------------- streaming legs


@dataclass
class Target:
    name: str
    url: str  # full chat completions URL
    headers: dict[str, str]
    pgid: int | None = None  # the process group serving it, for its CPU time


@dataclass
class StreamResult:
    ok: bool
    arrivals: list[float] = field(default_factory=list)  # seconds from send, per content chunk
    error: str = ""
    chunks: int = 0  # chunk events received (every `data:` but [DONE])


async def stream_chat(client: httpx.AsyncClient, target: Target, body: dict) -> StreamResult:
    started = time.perf_counter()
    arrivals: list[float] = []
    chunks = 0
    try:
        async with client.stream("POST", target.url, json=body, headers=target.headers) as resp:
            if resp.status_code != 200:
                text = (await resp.aread()).decode(errors="replace")
                return StreamResult(False, error=f"{resp.status_code} {text[:300]}")
            async for line in resp.aiter_lines():
                if not line.startswith("data: "):
                    continue
                now = time.perf_counter()
                payload = line[6:]
                if payload == "[DONE]":
                    break
                chunk = json.loads(payload)
                if "error" in chunk:
                    return StreamResult(False, arrivals, f"stream error {payload[:300]}")
                chunks += 1
                choices = chunk.get("choices") or []
                if choices and (choices[0].get("delta") or {}).get("content"):
                    arrivals.append(now - started)
    except httpx.HTTPError as exc:
        return StreamResult(False, arrivals, f"{type(exc).__name__}: {exc}")
    return StreamResult(True, arrivals, chunks=chunks)


async def streaming(
    targets: list[Target], requests: int, words: int, delay_ms: int
) -> dict[str, dict[str, list[float]]]:
    """Per target: added ttft/chunk/gap/last (s), errors, and cpu (s per request, one value)."""
    model = f"fake-slow-stream-{delay_ms}"
    prompt = " ".join((WORDS * 4)[: words - 1])  # "Echo: " + words-1 words = `words` chunks
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": prompt}]}
    baseline = targets[0]
    added: dict[str, dict[str, list[float]]] = {
        t.name: {"ttft": [], "chunk": [], "gap": [], "last": [], "errors": []} for t in targets
    }
    direct_ttft: list[float] = []
    chunks_per_stream = 0
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        for target in targets:  # warm-up: connections, lazy imports, first-call caches
            for _ in range(5):
                result = await stream_chat(client, target, body)
                if not result.ok:
                    raise RuntimeError(f"warm-up via {target.name} failed: {result.error}")
        cpu_before = {t.name: group_cpu(t.pgid) for t in targets}
        deadline = time.monotonic() + 600
        done = 0
        for i in range(requests):
            if time.monotonic() > deadline:
                print(f"  (stopped after {i} pairs: 10 minute budget)")
                break
            order = targets if i % 2 == 0 else list(reversed(targets))
            results = {t.name: await stream_chat(client, t, body) for t in order}
            done += 1
            base = results[baseline.name]
            if not base.ok or not base.arrivals:
                added[baseline.name]["errors"].append(1)
                continue
            direct_ttft.append(base.arrivals[0])
            chunks_per_stream = base.chunks
            for target in targets[1:]:
                leg = results[target.name]
                rows = added[target.name]
                if not leg.ok or len(leg.arrivals) != len(base.arrivals):
                    rows["errors"].append(1)
                    if len(rows["errors"]) <= 3:
                        print(f"  {target.name}: {leg.error or 'chunk count differs'}")
                    continue
                rows["ttft"].append(leg.arrivals[0] - base.arrivals[0])
                rows["last"].append(leg.arrivals[-1] - base.arrivals[-1])
                for k, (s, d) in enumerate(zip(leg.arrivals, base.arrivals, strict=True)):
                    rows["chunk"].append(s - d)
                    if k:
                        gap_s = s - leg.arrivals[k - 1]
                        gap_d = d - base.arrivals[k - 1]
                        rows["gap"].append(gap_s - gap_d)
        for t in targets:  # the upstream (the baseline's process) serves every leg
            streams = max(done, 1) * (len(targets) if t is baseline else 1)
            added[t.name]["cpu"] = [(group_cpu(t.pgid) - cpu_before[t.name]) / streams]
            added[t.name]["chunks"] = [float(chunks_per_stream)]
    added[baseline.name]["ttft"] = direct_ttft
    return added


# ---------------------------------------------------------------- non-streaming throughput


@dataclass
class LoadResult:
    name: str
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    cpu: float = float("nan")  # CPU seconds the target's processes spent in the window

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


async def load(target: Target, concurrency: int, seconds: float, warmup: int = 20) -> LoadResult:
    body = {
        "model": "bench-fast",
        "messages": [{"role": "user", "content": "how fast is the relay today"}],
    }
    result = LoadResult(target.name)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(warmup):
            response = await client.post(target.url, json=body, headers=target.headers)
            if response.status_code != 200:
                raise RuntimeError(f"warm-up via {target.name}: {response.status_code}")

        cpu_before = group_cpu(target.pgid)
        started = time.perf_counter()
        stop_at = started + seconds
        last_done = started

        async def worker() -> None:
            nonlocal last_done
            while time.perf_counter() < stop_at:
                sent = time.perf_counter()
                try:
                    response = await client.post(target.url, json=body, headers=target.headers)
                    status, text = response.status_code, response.text
                except httpx.HTTPError as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"
                done = time.perf_counter()
                last_done = max(last_done, done)
                if status == 200:
                    result.latencies.append(done - sent)
                else:
                    key = f"{status} {text[:200]}"
                    result.errors[key] = result.errors.get(key, 0) + 1

        await asyncio.wait_for(
            asyncio.gather(*(worker() for _ in range(concurrency))), seconds + 60
        )
        result.elapsed = last_done - started
        result.cpu = group_cpu(target.pgid) - cpu_before
    return result


# ---------------------------------------------------------------- main


def print_streaming(added: dict[str, dict[str, list[float]]], names: list[str]) -> None:
    direct = added[names[0]]["ttft"]
    print(
        f"direct upstream TTFT: p50 {pct(direct, 50) * 1000:.2f} ms, "
        f"p99 {pct(direct, 99) * 1000:.2f} ms over {len(direct)} requests"
    )
    print(f"{'added by (ms)':44} {'p50':>8} {'p99':>8} {'n':>6}")
    for name in names[1:]:
        rows = added[name]
        for key, label in [
            ("ttft", "time to first token"),
            ("chunk", "arrival of each chunk"),
            ("gap", "inter-chunk gap"),
            ("last", "arrival of last chunk"),
        ]:
            values = rows[key]
            print(
                f"{name + ': ' + label:44} {ms(pct(values, 50))} {ms(pct(values, 99))} "
                f"{len(values):6d}"
            )
        if rows["errors"]:
            print(f"{name}: {len(rows['errors'])} failed or mismatched streams")
    chunks = added[names[0]]["chunks"][0] or float("nan")
    upstream = added[names[0]]["cpu"][0] * 1000
    print(
        f"\nCPU of each relay ({chunks:.0f} chunks per stream; the upstream serving one stream: "
        f"{upstream:.2f} ms)"
    )
    print(f"{'relay':28} {'ms/stream':>10} {'ms/chunk':>9} {'TTFT p50':>9} {'TTFT p99':>9}")
    for name in names[1:]:
        rows = added[name]
        cpu = rows["cpu"][0] * 1000
        print(
            f"{name:28} {cpu:10.2f} {cpu / chunks:9.3f} {ms(pct(rows['ttft'], 50))} "
            f"{ms(pct(rows['ttft'], 99))}"
        )
    if SERVER in names and BEFORE in names:
        after, before = added[SERVER], added[BEFORE]
        print(
            f"{SERVER} vs {BEFORE}: CPU per chunk "
            f"{after['cpu'][0] / before['cpu'][0]:.2f}x, added TTFT p50 "
            f"{pct(after['ttft'], 50) / pct(before['ttft'], 50):.2f}x"
        )
    for other in (THIN, PROXY, FLOOR):
        if SERVER in names and other in names:
            print(
                f"{SERVER} vs {other}: CPU per chunk "
                f"{added[SERVER]['cpu'][0] / added[other]['cpu'][0]:.2f}x, added TTFT p50 "
                f"{pct(added[SERVER]['ttft'], 50) / pct(added[other]['ttft'], 50):.2f}x"
            )


def print_load(rounds: list[list[LoadResult]]) -> None:
    print(
        f"{'target':24} {'round':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f" {'CPU ms/req':>10}"
    )
    names = [r.name for r in rounds[0]]
    for name in names:
        runs = [r for batch in rounds for r in batch if r.name == name]
        for i, r in enumerate(runs, 1):
            errors = sum(r.errors.values())
            print(
                f"{name:24} {i:5d} {r.rps:8.1f} {ms(pct(r.latencies, 50))} "
                f"{ms(pct(r.latencies, 99))} {errors:7d} {r.cpu_ms_per_request:10.2f}"
            )
            for text, count in list(r.errors.items())[:5]:
                print(f"    {count} x {text}")
        if len(runs) > 1:
            print(
                f"{name:24} {'med':>5} {statistics.median(r.rps for r in runs):8.1f} "
                f"{ms(statistics.median(pct(r.latencies, 50) for r in runs))} "
                f"{ms(statistics.median(pct(r.latencies, 99) for r in runs))} {'':7}"
                f" {statistics.median(r.cpu_ms_per_request for r in runs):10.2f}"
            )
    by_name = {n: statistics.median(r.rps for b in rounds for r in b if r.name == n) for n in names}
    for other in (BEFORE, THIN, PROXY):
        if SERVER in by_name and other in by_name and by_name[other]:
            print(f"{SERVER} / {other} req/s: {by_name[SERVER] / by_name[other]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--words", type=int, default=30)
    parser.add_argument("--chunk-delay-ms", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--proxy-stream", action="store_true", help="proxy leg when streaming")
    parser.add_argument("--skip-proxy", action="store_true")
    args = parser.parse_args()

    use_proxy = not args.skip_proxy
    if use_proxy and not litellm_proxy.available():
        print(
            "LiteLLM proxy venv not found at "
            f"{litellm_proxy.proxy_venv()}: skipping the proxy side-by-side.\n"
            f"Create it with `{litellm_proxy.CREATE_HINT}` (a separate venv with "
            '"litellm[proxy]==1.108.7").'
        )
        use_proxy = False

    load_avg = os.getloadavg()
    print(f"load average before: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="chat-relay-") as tmp:
        workdir = Path(tmp)
        started: list[Process | litellm_proxy.LiteLLMProxy] = []
        try:
            upstream, base = start_upstream(workdir)
            started.append(upstream)
            server, server_url = start_server(workdir)
            started.append(server)
            before, before_url = start_server(
                workdir, "server-litellm", ASSISTANTS_LLM_RELAY="litellm"
            )
            started.append(before)
            thin, thin_url = start_thin_relay(workdir, base)
            started.append(thin)
            floor, floor_url = start_thin_relay(workdir, base, "bytes")
            started.append(floor)
            proxy = None
            if use_proxy:
                proxy = litellm_proxy.LiteLLMProxy(
                    workdir,
                    free_port(),
                    base,
                    ["bench-fast", f"fake-slow-stream-{args.chunk_delay_ms}"],
                )
                started.append(proxy)
                proxy.start()
                print(f"LiteLLM proxy {litellm_proxy.proxy_version()} (own venv, 1 worker)")

            direct = Target(
                "direct",
                base + "/chat/completions",
                {"authorization": f"Bearer {BEARER}"},
                upstream.popen.pid,
            )
            server_headers = {"authorization": f"Bearer {BEARER}", "base-url": base}
            ours = Target(
                SERVER, server_url + "/v1/chat/completions", server_headers, server.popen.pid
            )
            baseline = Target(
                BEFORE, before_url + "/v1/chat/completions", server_headers, before.popen.pid
            )
            thin_target = Target(
                THIN,
                thin_url + "/v1/chat/completions",
                {"authorization": f"Bearer {BEARER}"},
                thin.popen.pid,
            )
            floor_target = Target(FLOOR, floor_url + "/v1/chat/completions", {}, floor.popen.pid)
            theirs = (
                Target(
                    PROXY,
                    proxy.url + "/v1/chat/completions",
                    {"authorization": f"Bearer {litellm_proxy.MASTER_KEY}"},
                    proxy.process.pid if proxy.process else None,
                )
                if proxy
                else None
            )

            legs = [direct, ours, baseline, thin_target, floor_target] + (
                [theirs] if theirs and args.proxy_stream else []
            )
            print(
                f"\n[1] streaming, fake-slow-stream-{args.chunk_delay_ms}, {args.words} chunks, "
                f"{args.requests} sequential requests per target (same httpx SSE reader)"
            )
            t0 = time.perf_counter()
            added = asyncio.run(streaming(legs, args.requests, args.words, args.chunk_delay_ms))
            print_streaming(added, [t.name for t in legs])
            print(f"  ({time.perf_counter() - t0:.0f} s)")

            print(
                f"\n[2] non-streaming chat, {args.concurrency} concurrent clients, "
                f"{args.seconds:g} s per target per round, {args.rounds} rounds"
            )
            targets = [direct, ours, baseline, thin_target] + ([theirs] if theirs else [])
            rounds = []
            for i in range(args.rounds):
                order = targets if i % 2 == 0 else [targets[0], *reversed(targets[1:])]
                batch = [asyncio.run(load(t, args.concurrency, args.seconds)) for t in order]
                rounds.append(sorted(batch, key=lambda r: [t.name for t in targets].index(r.name)))
            print_load(rounds)
            if server.popen.poll() is not None:
                print(f"the server exited:\n{server.log_tail()}")
        finally:
            for process in reversed(started):
                process.stop()
        server_log = (workdir / "server.log").read_text(errors="replace").strip()
        if server_log:
            print(f"\nserver log (last 2000 chars):\n{server_log[-2000:]}")
    load_avg = os.getloadavg()
    print(f"load average after: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")


if __name__ == "__main__":
    main()
