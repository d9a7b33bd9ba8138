"""The ring of a local cluster as each node's gossip sees it (no nodetool, no JMX).

Used by ``scripts/cassandra-cluster``. For every node it asks over CQL (driver pinned to that one
node) for ``system_views.gossip_info``. The ring has converged when every node answers and sees
every node in state NORMAL, ready for clients, at the generation that node reports for itself. A
restarted node gets a new generation (its start time), so a peer that still shows the old one has
not yet seen it rejoin.

    RING_HOSTS=127.0.0.1,127.0.0.2 RING_PORT=9142 python scripts/cassandra_ring.py [--wait]

Exit 0 when converged; 1 otherwise (with ``--wait``: not converged within ``RING_TIMEOUT`` s).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import WhiteListRoundRobinPolicy

GOSSIP = "SELECT address, generation, status_with_port, rpc_ready FROM system_views.gossip_info"


@dataclass(frozen=True, slots=True)
class Peer:
    generation: int
    state: str
    ready: bool


def gossip_of(host: str, port: int) -> dict[str, Peer] | None:
    """``host``'s view of the ring, or None when it does not answer CQL."""
    profile = ExecutionProfile(
        load_balancing_policy=WhiteListRoundRobinPolicy([host]), request_timeout=5
    )
    cluster = Cluster(
        [host],
        port=port,
        protocol_version=5,
        connect_timeout=3,
        control_connection_timeout=3,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
    )
    try:
        session = cluster.connect()
        view = {}
        for address, generation, status, ready in session.execute(GOSSIP):
            state = (status or "").split(",")[0] or "?"
            view[address] = Peer(int(generation or 0), state, ready == "true")
        return view
    except Exception:
        return None
    finally:
        cluster.shutdown()


def report(hosts: list[str], port: int) -> tuple[bool, list[str]]:
    views = {host: gossip_of(host, port) for host in hosts}
    own = {h: v[h].generation for h, v in views.items() if v is not None and h in v}
    converged = True
    lines = []
    for host, view in views.items():
        if view is None:
            converged = False
            lines.append(f"{host}: does not answer CQL")
            continue
        seen = []
        for peer in hosts:
            found = view.get(peer)
            if found is None:
                seen.append(f"{peer} unknown")
                converged = False
            elif peer in own and found.generation != own[peer]:
                seen.append(f"{peer} stale (an earlier start)")
                converged = False
            elif found.state != "NORMAL" or not found.ready:
                seen.append(f"{peer} {found.state.lower()}{'' if found.ready else ' not ready'}")
                converged = False
            elif peer not in own:
                seen.append(f"{peer} normal (as last seen, now silent)")
            else:
                seen.append(f"{peer} normal")
        lines.append(f"{host}: sees {', '.join(seen)}")
    return converged, lines


def main() -> int:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    hosts = [h for h in os.environ["RING_HOSTS"].split(",") if h]
    port = int(os.environ["RING_PORT"])
    wait = "--wait" in sys.argv[1:]
    deadline = time.monotonic() + float(os.environ.get("RING_TIMEOUT", "90"))
    while True:
        converged, lines = report(hosts, port)
        if converged or not wait or time.monotonic() > deadline:
            break
        time.sleep(1)
    for line in lines:
        print(line, file=sys.stderr if wait else sys.stdout)
    if wait and not converged:
        print("the ring did not converge in time", file=sys.stderr)
    return 0 if converged else 1


if __name__ == "__main__":
    sys.exit(main())
