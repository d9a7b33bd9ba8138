"""Requests carrying a vector: the server's driver sockets (TCP_NODELAY) against the driver's
default (Nagle's algorithm on), in the same run, on one node.

    .venv/bin/python bench/cql_sockets.py [--requests 200] [--dims 1536]
    CASSANDRA_PORT=29042 .venv/bin/python bench/cql_sockets.py

Per socket setting: p50/p99 of a point read whose one parameter is a query vector (what every
vector search sends), of a single-row insert of a vector, and of a point read without a vector
(the floor). A fresh keyspace, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.cassandra.cluster import new_cluster


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(requests: int, call: Callable[[int], Any]) -> tuple[float, float]:
    out = []
    for i in range(requests):
        began = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - began) * 1000)
    return pct(out, 50), pct(out, 99)


def measure(nagle: bool, keyspace: str, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    host = os.environ.get("CASSANDRA_HOST", "127.0.0.1")
    port = int(os.environ.get("CASSANDRA_PORT", "9042"))
    cluster = new_cluster(
        consistency="ONE", serial_consistency="SERIAL", timeout=30, contact_points=[host], port=port
    )
    if nagle:
        cluster.sockopts = None  # the driver's default
    session = cluster.connect()
    try:
        table = f"{keyspace}.vectors"
        read_vector = session.prepare(
            f"SELECT id, similarity_dot_product(embedding, ?) FROM {table} WHERE id = 0"
        )
        read_plain = session.prepare(f"SELECT id FROM {table} WHERE id = 0")
        insert = session.prepare(f"INSERT INTO {table} (id, embedding) VALUES (?, ?)")
        rng = np.random.default_rng(3)
        vectors = [rng.standard_normal(args.dims).astype(np.float32).tolist() for _ in range(16)]
        session.execute(insert, (0, vectors[0]))
        return {
            "read with a vector": timed(
                args.requests, lambda i: session.execute(read_vector, (vectors[i % 16],))
            ),
            "insert of a vector": timed(
                args.requests, lambda i: session.execute(insert, (1 + i, vectors[i % 16]))
            ),
            "read without a vector": timed(args.requests, lambda i: session.execute(read_plain)),
        }
    finally:
        cluster.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--dims", type=int, default=1536)
    args = parser.parse_args()
    host = os.environ.get("CASSANDRA_HOST", "127.0.0.1")
    port = int(os.environ.get("CASSANDRA_PORT", "9042"))
    keyspace = f"cql_sockets_{uuid.uuid4().hex[:10]}"
    setup = new_cluster(
        consistency="ONE", serial_consistency="SERIAL", timeout=60, contact_points=[host], port=port
    )
    admin = setup.connect()
    try:
        admin.execute(
            f"CREATE KEYSPACE {keyspace} WITH replication ="
            " {'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        admin.execute(
            f"CREATE TABLE {keyspace}.vectors (id int PRIMARY KEY,"
            f" embedding vector<float, {args.dims}>)"
        )
        results = {"TCP_NODELAY": measure(False, keyspace, args)}
        results["driver default (Nagle)"] = measure(True, keyspace, args)
    finally:
        admin.execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
        setup.shutdown()
    print(f"\n== {args.requests} requests each, {args.dims}-float vectors, {host}:{port}")
    fast, slow = results["TCP_NODELAY"], results["driver default (Nagle)"]
    for label in fast:
        print(
            f"{label:22s} TCP_NODELAY p50 {fast[label][0]:6.2f} ms p99 {fast[label][1]:6.2f} ms"
            f" | Nagle p50 {slow[label][0]:6.2f} ms p99 {slow[label][1]:6.2f} ms"
            f" -> {slow[label][0] / fast[label][0]:.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
