"""A private 3-node cluster for one test, run by ``scripts/cassandra cluster`` on free ports."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.storage_cassandra.node import SCRIPT, free_port


class LocalCluster:
    """Nodes on 127.0.0.1..127.0.0.N with their own data folders; never the shared 9042 node."""

    def __init__(self, data: Path, nodes: int = 3) -> None:
        self.nodes = nodes
        self.port = free_port()
        self.env = {
            **os.environ,
            "CASSANDRA_CLUSTER_DATA": str(data),
            "CASSANDRA_CLUSTER_NODES": str(nodes),
            "CASSANDRA_CLUSTER_PORT": str(self.port),
            "CASSANDRA_CLUSTER_STORAGE_PORT": str(free_port()),
            "CASSANDRA_CLUSTER_HEAP": os.environ.get("CLUSTER_CASSANDRA_HEAP", "512m"),
            "CASSANDRA_START_TIMEOUT": "240",
            "CASSANDRA_CLUSTER_RING_TIMEOUT": "120",
            # CI exports CASSANDRA_FRESH=1 for its own node; a restarted node keeps its data.
            "CASSANDRA_FRESH": "0",
        }

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.{n}" for n in range(1, self.nodes + 1)]

    def store_url(self, keyspace: str) -> str:
        hosts = ",".join(self.addresses)
        return (
            f"cassandra://{hosts}:{self.port}/{keyspace}"
            f"?replication=SimpleStrategy:{self.nodes}&consistency=LOCAL_QUORUM"
        )

    def start(self) -> float:
        """Start every node, one after another, until the ring converged; seconds taken."""
        return self._run("start")

    def kill(self, node: int) -> float:
        return self._run("kill", str(node))

    def restart(self, node: int) -> float:
        """Start ``node`` again on its data; return once every node's gossip shows it back."""
        return self._run("restart", str(node))

    def stop(self) -> float:
        return self._run("stop")

    def discard(self) -> None:
        """SIGKILL every node still running: quicker than ``stop`` for data thrown away."""
        for node in range(1, self.nodes + 1):
            self._call("kill", str(node))

    def status(self) -> str:
        result = self._call("status")
        return result.stdout

    def _run(self, *args: str) -> float:
        began = time.monotonic()
        result = self._call(*args)
        if result.returncode != 0:
            raise RuntimeError(
                f"scripts/cassandra cluster {' '.join(args)} failed:\n{result.stderr[-3000:]}"
            )
        return time.monotonic() - began

    def _call(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), "cluster", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
