"""Run the upstream with uvicorn in a background thread, on a loopback address and a free port."""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn

from tests.upstream.app import create_app
from tests.upstream.log import RequestLog


class _HideInjectedDrops(logging.Filter):
    """Keeps uvicorn's error log quiet about the connection drops injected on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return type(exc).__name__ != "CutStream"


class Upstream:
    """A running fake provider: `base_url` ends in /v1; `requests` logs what it received."""

    def __init__(
        self,
        server: uvicorn.Server,
        thread: threading.Thread,
        port: int,
        log: RequestLog,
        host: str = "127.0.0.1",
    ) -> None:
        self._server = server
        self._thread = thread
        self.host = host
        self.port = port
        self.requests = log
        self.base_url = f"http://{host}:{port}/v1"
        self.root_url = f"http://{host}:{port}"
        """Anthropic's clients add `/v1/messages` to their base URL themselves."""

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> Upstream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_upstream(
    port: int = 0, *, host: str = "127.0.0.1", startup_timeout: float = 10.0
) -> Upstream:
    """Start the fake provider in a daemon thread and return once it accepts connections.

    `host` is a loopback address (127.0.0.0/8): tests and benchmarks reach nothing else.
    """
    if not host.startswith("127."):
        raise ValueError("the fake upstream listens on loopback addresses only")
    log = RequestLog()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(
        create_app(log),
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_HideInjectedDrops())
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-upstream", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake upstream did not start")
        time.sleep(0.01)
    return Upstream(server, thread, sock.getsockname()[1], log, host)
