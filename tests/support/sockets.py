"""Which TCP peers a process tree is connected to, read from ``/proc`` (Linux only)."""

from __future__ import annotations

import os
import socket
import struct
from collections import Counter
from pathlib import Path

ESTABLISHED = "01"


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def established_peers(pid: int) -> Counter[tuple[str, int]]:
    """Established IPv4 TCP connections of ``pid``'s tree, counted by remote (address, port)."""
    inodes: set[str] = set()
    for proc in descendants(pid):
        fd_dir = Path(f"/proc/{proc}/fd")
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:
            continue
        inodes.update(link[8:-1] for link in links if link.startswith("socket:["))
    peers: Counter[tuple[str, int]] = Counter()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        if state == ESTABLISHED and inode in inodes:
            address, port = remote.split(":")
            ip = socket.inet_ntoa(struct.pack("<I", int(address, 16)))
            peers[(ip, int(port, 16))] += 1
    return peers
