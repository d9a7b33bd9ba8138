"""Cold start: how soon a fresh server answers, and what its first model call and model list cost.

In fresh processes, ``--runs`` times each (medians), all on 127.0.0.1:

1. ``python run.py`` (one worker, SQLite in a temp dir): process start to the first ``/v1/health``
   answer; then, at once, the first chat completion through the fake upstream (``base-url``)
   and the first ``GET /v1/models``; then a warm chat completion. The first chat completion is
   also measured streamed (to the end of the stream), and, as its baseline, with
   ``ASSISTANTS_LLM_RELAY=litellm`` (the same server without the early path: the call waits for
   ``import litellm``). The baseline of ``/v1/health``, in the same run: a bare Starlette app
   under uvicorn (process start to first answer).
2. The test suite's ``LiveServer`` (uvicorn in a thread of a fresh process): process start to
   the first ``/v1/health``.
3. ``GET /v1/models`` on a warm server (``--requests``, p50 latency over HTTP) against the same
   list from the bare app.

Processes run with compiled bytecode, as an installed server does (a private cache under
``${XDG_CACHE_HOME:-~/.cache}/assistants-bench/pycache``, filled by a first unmeasured start);
``--no-bytecode`` measures them compiling every module instead.

    .venv/bin/python bench/cold_start.py [--runs 5] [--requests 200] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_relay import free_port, start_upstream  # noqa: E402

BARE = """
import sys
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
import uvicorn

async def health(request):
    return JSONResponse({"status": "ok"})

async def models(request):
    return JSONResponse({"object": "list", "data": MODELS})

MODELS = [
    {"id": f"model-{i}", "object": "model", "created": 1700000000, "owned_by": "openai"}
    for i in range(int(sys.argv[2]))
]
app = Starlette(routes=[Route("/v1/health", health), Route("/v1/models", models)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
"""

LIVE = """
import sys, time, tempfile
sys.path.insert(0, {root!r})
from app.settings import Settings
from tests.support.live_server import LiveServer
server = LiveServer(Settings(store="sqlite:///" + tempfile.mkdtemp() + "/l.db", workers=1))
server.start()
print("ready", flush=True)
sys.stdin.readline()
server.stop()
"""


def bytecode_env(enabled: bool) -> dict[str, str]:
    env = dict(os.environ)
    if enabled:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        env["PYTHONPYCACHEPREFIX"] = str(Path(cache) / "assistants-bench" / "pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env.pop("PYTHONPYCACHEPREFIX", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def wait_for(
    url: str, started: float, process: subprocess.Popen[bytes], limit: float = 120
) -> float:
    """Seconds from `started` to the first 200 of `url`."""
    with httpx.Client(timeout=2) as client:
        while time.perf_counter() - started < limit:
            if process.poll() is not None:
                raise RuntimeError(f"the process exited ({process.returncode}) before answering")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                time.sleep(0.01)
    raise RuntimeError(f"no answer from {url} within {limit} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def timed_post(client: httpx.Client, url: str, body: dict, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.post(url, json=body, headers=headers, timeout=120)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
    return time.perf_counter() - started


def timed_stream(client: httpx.Client, url: str, body: dict, headers: dict[str, str]) -> float:
    """Seconds to the end of a streamed chat completion."""
    started = time.perf_counter()
    with client.stream(
        "POST", url, json={**body, "stream": True}, headers=headers, timeout=120
    ) as r:
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code} {r.read()[:300]!r}")
        if b"data: [DONE]" not in b"".join(r.iter_bytes()):
            raise RuntimeError(f"{url}: the stream did not end with [DONE]")
    return time.perf_counter() - started


def timed_get(client: httpx.Client, url: str, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url, headers=headers, timeout=120)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
    return time.perf_counter() - started, len(response.json()["data"])


def server_run(
    env: dict[str, str], upstream: str, *, stream: bool = False, relay: str = "direct"
) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    headers = {"authorization": "Bearer sk-cold", "base-url": upstream}
    chat = {"model": "fake-model", "messages": [{"role": "user", "content": "first call"}]}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py")],
            env={
                **env, "PORT": str(port), "HOST": "127.0.0.1", "WORKERS": "1",
                "LOG_LEVEL": "warning", "ASSISTANTS_STORE": f"sqlite:///{tmp}/c.db",
                "ASSISTANTS_LLM_RELAY": relay,
            },
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        # Made before the start: a client's own set-up (TLS context) must not count.
        client = httpx.Client()
        first = timed_stream if stream else timed_post
        try:
            health = wait_for(url + "/v1/health", started, process)
            first_chat = first(client, url + "/v1/chat/completions", chat, headers)
            models_url = url + "/v1/models"
            first_models, listed = timed_get(client, models_url, {"authorization": "Bearer sk"})
            warm_chat = statistics.median(
                timed_post(client, url + "/v1/chat/completions", chat, headers) for _ in range(5)
            )
        finally:
            client.close()
            stop(process)
    return {
        "health": health,
        "first_chat": first_chat,
        "first_models": first_models,
        "warm_chat": warm_chat,
        "listed": listed,
    }


def bare_run(env: dict[str, str], models: int) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", BARE, str(port), str(models)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        return wait_for(f"http://127.0.0.1:{port}/v1/health", started, process)
    finally:
        stop(process)


def live_server_run(env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", LIVE.format(root=str(ROOT))],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stdin is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the LiveServer did not start")
        ready = time.perf_counter() - started
        process.stdin.write("\n")
        process.stdin.flush()
        process.wait(30)
        return ready
    finally:
        if process.poll() is None:
            stop(process)  # type: ignore[arg-type]


def warm_models(env: dict[str, str], upstream: str, requests: int, listed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port, bare_port = free_port(), free_port()
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py")],
            env={
                **env, "PORT": str(port), "HOST": "127.0.0.1", "WORKERS": "1",
                "LOG_LEVEL": "warning", "ASSISTANTS_STORE": f"sqlite:///{tmp}/m.db",
            },
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        bare = subprocess.Popen(
            [sys.executable, "-c", BARE, str(bare_port), str(listed)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            ours_url = f"http://127.0.0.1:{port}/v1/models"
            bare_url = f"http://127.0.0.1:{bare_port}/v1/models"
            wait_for(f"http://127.0.0.1:{port}/v1/health", time.perf_counter(), server)
            wait_for(bare_url, time.perf_counter(), bare)
            headers = {"authorization": "Bearer sk-models"}
            ours: list[float] = []
            theirs: list[float] = []
            with httpx.Client(timeout=30) as client:
                for url in (ours_url, bare_url):
                    for _ in range(20):
                        client.get(url, headers=headers)
                for _ in range(requests):
                    for url, samples in ((ours_url, ours), (bare_url, theirs)):
                        started = time.perf_counter()
                        response = client.get(url, headers=headers)
                        samples.append(time.perf_counter() - started)
                        assert response.status_code == 200
        finally:
            stop(server)
            stop(bare)
    p50, bare_p50 = statistics.median(ours), statistics.median(theirs)
    print(
        f"\n[3] GET /v1/models, warm, {listed} models (a caller's OpenAI key), {requests} requests"
        f"\n    server p50 {p50 * 1000:.2f} ms, p99 {pct(ours, 99) * 1000:.2f} ms; bare Starlette "
        f"same list p50 {bare_p50 * 1000:.2f} ms; ratio {p50 / bare_p50:.2f}x"
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-bytecode", action="store_true")
    args = parser.parse_args()
    env = bytecode_env(not args.no_bytecode)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        upstream, base = start_upstream(Path(tmp))
        try:
            server_run(env, base)  # fills the bytecode cache; not measured
            live_server_run(env)
            runs, streamed, waiting = [], [], []
            for _ in range(args.runs):  # interleaved, so that the machine's load hits all alike
                runs.append(server_run(env, base))
                streamed.append(server_run(env, base, stream=True)["first_chat"])
                waiting.append(server_run(env, base, relay="litellm")["first_chat"])
            listed = int(runs[0]["listed"])
            bare = [bare_run(env, listed) for _ in range(args.runs)]
            live = [live_server_run(env) for _ in range(args.runs)]

            def med(key: str) -> float:
                return statistics.median(r[key] for r in runs)

            mode = "compiling every module" if args.no_bytecode else "bytecode cached"
            print(f"\n[1] `python run.py`, {args.runs} fresh starts each ({mode}), medians")
            bare_health = statistics.median(bare)
            print(
                f"    first /v1/health {med('health'):.2f} s; bare Starlette+uvicorn "
                f"{bare_health:.2f} s; ratio {med('health') / bare_health:.2f}x"
            )
            first, waited = med("first_chat"), statistics.median(waiting)
            print(
                f"    then at once: first chat completion {first * 1000:.0f} ms (streamed: "
                f"{statistics.median(streamed) * 1000:.0f} ms); the same server waiting for "
                f"`import litellm` (ASSISTANTS_LLM_RELAY=litellm): {waited * 1000:.0f} ms; ratio "
                f"{first / waited:.3f}x\n    a warm chat completion: {med('warm_chat') * 1000:.1f} "
                f"ms (first / warm: {first / med('warm_chat'):.1f}x); first GET /v1/models "
                f"{med('first_models') * 1000:.0f} ms ({listed} models)"
            )
            print(f"\n[2] tests' LiveServer: first /v1/health {statistics.median(live):.2f} s")
            warm_models(env, base, args.requests, listed)
        finally:
            upstream.stop()
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
