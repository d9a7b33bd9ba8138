"""Per-request CPU cost of the server's HTTP layer against a bare Starlette app doing the same.

Both apps answer GET /v1/models (the same model list) and a validated POST /v1/assistants (the
bare app parses the JSON and keeps the object in a dict; ours validates against OpenAI's spec and
writes to the embedded SQLite store). Requests are driven in-process, so only the apps' own CPU
is measured (time.process_time). Cold start is timed in fresh processes: import to the first
answered request, and `python run.py` to the first /v1/health answer over HTTP.

Usage: python bench/http_overhead.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench.asgi_driver import call, lifespan, shutdown  # noqa: E402

ASSISTANT = json.dumps(
    {
        "model": "gpt-4o",
        "name": "bench",
        "instructions": "Be brief.",
        "tools": [{"type": "file_search"}, {"type": "function", "function": {"name": "f"}}],
        "metadata": {"k": "v"},
    }
).encode()


def bare_app(models: list[dict]):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    kept: dict[str, dict] = {}

    async def list_models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": models})

    async def create_assistant(request: Request) -> JSONResponse:
        body = await request.json()
        assistant = {"id": f"asst_{len(kept)}", "object": "assistant", **body}
        kept[assistant["id"]] = assistant
        return JSONResponse(assistant)

    return Starlette(
        routes=[
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/assistants", create_assistant, methods=["POST"]),
        ]
    )


async def per_request_cpu(app, method: str, path: str, body: bytes, n: int) -> float:
    for _ in range(max(20, n // 10)):
        assert await call(app, method, path, body) == 200
    samples = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(n // 5):
            await call(app, method, path, body)
        samples.append((time.process_time() - started) / (n // 5))
    return statistics.median(samples) * 1e6


async def measure(n: int) -> dict[str, float]:
    from app.factory import create_app
    from app.settings import Settings
    from inference.options import options_from_headers

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(store=f"sqlite:///{tmp}/bench.db", workers=1))
        task = await lifespan(app)
        state = app.state  # type: ignore[attr-defined]
        # What the driver sends (`Bearer sk-bench`): the registry of its provider, OpenAI.
        caller = options_from_headers({"authorization": "Bearer sk-bench"}, frozenset())
        models = await state.inference.list_models(caller)
        bare = bare_app(models)
        results = {
            "get_ours": await per_request_cpu(app, "GET", "/v1/models", b"", n),
            "get_bare": await per_request_cpu(bare, "GET", "/v1/models", b"", n),
            "post_ours": await per_request_cpu(app, "POST", "/v1/assistants", ASSISTANT, n),
            "post_bare": await per_request_cpu(bare, "POST", "/v1/assistants", ASSISTANT, n),
        }
        small = [m for m in models[:20]]
        bare_small = bare_app(small)
        results["models_listed"] = len(models)
        results["health_ours"] = await per_request_cpu(app, "GET", "/v1/health", b"", n)
        results["small_bare"] = await per_request_cpu(bare_small, "GET", "/v1/models", b"", n)
        await shutdown(task)
    return results


COLD = """
import asyncio, os, sys, tempfile, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from app.factory import create_app
from app.settings import Settings
from bench.asgi_driver import call, lifespan
async def main():
    app = create_app(Settings(store="sqlite:///" + tempfile.mkdtemp() + "/c.db", workers=1))
    await lifespan(app)
    assert await call(app, "GET", "/v1/health") == 200
    print(time.perf_counter() - t0)
asyncio.run(main())
"""


def cold_start_in_process() -> float:
    out = subprocess.run(
        [sys.executable, "-c", COLD.format(root=str(ROOT))],
        capture_output=True, text=True, check=True, env={**os.environ},
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def cold_start_launcher() -> float:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PORT": str(port),
            "WORKERS": "1",
            "ASSISTANTS_STORE": f"sqlite:///{tmp}/l.db",
        }
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py")],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            import httpx

            while time.perf_counter() - started < 30:
                try:
                    if (
                        httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code
                        == 200
                    ):
                        return time.perf_counter() - started
                except httpx.HTTPError:
                    time.sleep(0.02)
            raise RuntimeError("the server did not answer within 30 s")
        finally:
            process.terminate()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    results = asyncio.run(measure(args.requests))
    print(f"per-request CPU, median of 5 runs of {args.requests // 5} requests (microseconds)")
    print(f"{'request':44} {'ours':>9} {'bare':>9} {'ratio':>7}")
    rows = [
        (f"GET /v1/models ({results['models_listed']} models)", "get_ours", "get_bare"),
        ("POST /v1/assistants (validated, stored)", "post_ours", "post_bare"),
        ("GET /v1/health vs bare GET of 20 models", "health_ours", "small_bare"),
    ]
    for label, ours, bare in rows:
        ratio = results[ours] / results[bare]
        print(f"{label:44} {results[ours]:9.0f} {results[bare]:9.0f} {ratio:6.1f}x")
    print(f"cold start, import to first answered request: {cold_start_in_process():.2f} s")
    print(f"cold start, `python run.py` to first /v1/health: {cold_start_launcher():.2f} s")


if __name__ == "__main__":
    main()
