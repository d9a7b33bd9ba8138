"""A hung node in a 3-node cluster: document reads with speculative execution vs without.

    .venv/bin/python bench/cluster_hung_node.py [--seconds 8] [--concurrency 8] [--delay 0.5]

Starts a private cluster (``scripts/cassandra cluster``, free ports, a temporary folder), writes
``--docs`` documents at replication factor 3, then reads them with two providers on the same
cluster, interleaved: the baseline (``speculative_delay=0``: a request waits for its coordinator
until ``timeout``) and the default (``--delay``: an idempotent request without an answer is also
sent to the next node). First with every node up, then with one node frozen (SIGSTOP: a GC pause,
a stalled disk) for ``--seconds``. Prints p50/p99/max and failures per phase and the ratios of the
default to the baseline. SIGKILL is not the case here: a killed node's connections close at once,
and the retry policy moves its requests (see tests/storage_cassandra/test_cluster.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.base import DocumentStore, Key, Kind
from storage.cassandra.provider import CassandraProvider
from storage.errors import StorageError
from storage.settings import CassandraSettings
from tests.storage_cassandra.cluster import LocalCluster

TENANT = "tenant-bench"
TIMEOUT = 10.0


@dataclass
class Samples:
    """Seconds per read, failed ones included (a user waits for those too)."""

    took: list[float] = field(default_factory=list)
    failed: int = 0

    def q(self, p: float) -> float:
        ordered = sorted(self.took)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0

    def line(self) -> str:
        answered = len(self.took) - self.failed
        return (
            f"{answered:5d} answered  {self.failed:3d} failed  p50 {self.q(50) * 1000:7.1f} ms  "
            f"p99 {self.q(99) * 1000:8.1f} ms  max {self.q(100) * 1000:8.1f} ms"
        )


async def reader(docs: DocumentStore, keys: list[Key], until: float, out: Samples) -> None:
    while time.monotonic() < until:
        began = time.monotonic()
        try:
            await docs.get(random.choice(keys))
        except StorageError:
            out.failed += 1
        out.took.append(time.monotonic() - began)


async def phase(
    providers: dict[str, DocumentStore], keys: list[Key], seconds: float, concurrency: int
) -> dict[str, Samples]:
    until = time.monotonic() + seconds
    results = {name: Samples() for name in providers}
    await asyncio.gather(
        *(
            reader(docs, keys, until, results[name])
            for name, docs in providers.items()
            for _ in range(concurrency)
        )
    )
    return results


def settings(cluster: LocalCluster, delay: float) -> CassandraSettings:
    return CassandraSettings(
        hosts=tuple(cluster.addresses),
        port=cluster.port,
        keyspace="bench_hung",
        replication={"class": "SimpleStrategy", "replication_factor": "3"},
        consistency="LOCAL_QUORUM",
        timeout=TIMEOUT,
        speculative_delay=delay,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--docs", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        cluster = LocalCluster(Path(tmp) / "cluster")
        print(f"starting a 3-node cluster ... ({cluster.start():.0f}s)", flush=True)
        baseline = CassandraProvider(settings(cluster, 0.0), chunk_dimensions=())
        speculative = CassandraProvider(settings(cluster, args.delay), chunk_dimensions=())
        try:
            await baseline.start()
            await speculative.start()
            docs = {
                "no speculation (baseline)": baseline.store.docs,
                f"speculative after {args.delay}s": speculative.store.docs,
            }
            writer = next(iter(docs.values()))
            # One partition per document (a message per thread): coordinators spread over nodes.
            keys = [Key(TENANT, Kind.MESSAGE, f"thread_{i:05d}", "msg_1") for i in range(args.docs)]
            await asyncio.gather(*(writer.put(k, {"id": k.id}) for k in keys))
            healthy = await phase(docs, keys, args.seconds, args.concurrency)
            frozen = int((Path(tmp) / "cluster" / "node2" / "cassandra.pid").read_text())
            os.kill(frozen, signal.SIGSTOP)
            try:
                hung = await phase(docs, keys, args.seconds, args.concurrency)
            finally:
                os.kill(frozen, signal.SIGCONT)
        finally:
            await baseline.close()
            await speculative.close()
            cluster.discard()

    print(f"\nreads at LOCAL_QUORUM, {args.concurrency} in flight per provider, timeout {TIMEOUT}s")
    for title, results in (("all nodes up", healthy), ("node 2 frozen (SIGSTOP)", hung)):
        print(f"\n{title} ({args.seconds:.0f}s)")
        for name, samples in results.items():
            print(f"  {name:28s} {samples.line()}")
    print()
    for title, results in (("all nodes up", healthy), ("node 2 frozen", hung)):
        base, spec = (results[name] for name in docs)
        answered = (len(spec.took) - spec.failed) / max(1, len(base.took) - base.failed)
        print(
            f"{title}: speculative / baseline: p50 {spec.q(50) / base.q(50):.2f}, "
            f"p99 {spec.q(99) / base.q(99):.2f}, reads answered {answered:.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
