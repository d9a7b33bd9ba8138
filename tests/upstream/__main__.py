"""`python -m tests.upstream --port N`: run the fake provider in the foreground (for benchmarks)."""

from __future__ import annotations

import argparse

import uvicorn

from tests.upstream.app import create_app
from tests.upstream.log import RequestLog


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake OpenAI-compatible upstream.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    # A long-running benchmark target must not grow without bound, so nothing is kept.
    log = _DiscardingLog()
    uvicorn.run(
        create_app(log),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        lifespan="off",
    )


class _DiscardingLog(RequestLog):
    def append(self, item: object) -> None:
        return None


if __name__ == "__main__":
    main()
