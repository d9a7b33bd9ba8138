"""A private Cassandra node for one test module, run by ``scripts/cassandra`` on free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cassandra"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateNode:
    """``start``/``stop`` a node with its own ports and data folder (never the shared 9042 one)."""

    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "CASSANDRA_DATA": str(data),
            "CASSANDRA_PORT": str(self.port),
            "CASSANDRA_STORAGE_PORT": str(free_port()),
            "CASSANDRA_JMX_PORT": str(free_port()),
            "CASSANDRA_HEAP": os.environ.get("FAULT_CASSANDRA_HEAP", "768m"),
            "CASSANDRA_START_TIMEOUT": "240",
            # The test stops the node soon after creating its schema (and freezes it meanwhile):
            # sync the commit log often so the schema survives the stop.
            "CASSANDRA_COMMITLOG_SYNC_MS": "200",
            # A restart must find the data the node had (CI exports CASSANDRA_FRESH=1).
            "CASSANDRA_FRESH": "0",
        }

    def start(self) -> float:
        """Start (or restart) the node; seconds until it answered CQL."""
        return self._run("start")

    def stop(self) -> float:
        return self._run("stop")

    def pid(self) -> int:
        return int((Path(self.env["CASSANDRA_DATA"]) / "cassandra.pid").read_text().strip())

    def _run(self, command: str) -> float:
        began = time.monotonic()
        result = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"scripts/cassandra {command} failed:\n{result.stderr[-3000:]}")
        return time.monotonic() - began


def require_tools() -> None:
    """The node needs java (and mvn for the first fetch); in CI their absence is a failure."""
    missing = [tool for tool in ("java", "bash") if shutil.which(tool) is None]
    if not SCRIPT.exists():
        missing.append(str(SCRIPT))
    if missing:
        message = f"cannot run a private Cassandra node: missing {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
