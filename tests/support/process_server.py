"""The server as users run it: `python run.py` in its own process (for kill and worker tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


class ProcessServer:
    def __init__(self, store: str, workdir: Path, *, log: Path | None = None, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "ASSISTANTS_STORE": store,
            "LOG_LEVEL": "warning",
            **env,
        }
        self.workdir = workdir
        self.log = log  # the server's stdout and stderr, when given
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> ProcessServer:
        output = self.log.open("ab") if self.log else None
        try:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "run.py")],
                cwd=self.workdir,
                env=self.env,
                stdout=output or subprocess.DEVNULL,
                stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            if output:
                output.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the server process did not start")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hooks run, like a crashed machine."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
