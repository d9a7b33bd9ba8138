"""``scripts/cassandra start`` waits for a node whose launch is slow, and notices one that died."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.storage_cassandra.node import PrivateNode, require_tools

# A `java` that is not java for its first seconds: its command line holds none of the node's
# arguments (as the shell forked to exec java has not exec'd yet), then it becomes the real java.
SLOW_LAUNCH = """#!/usr/bin/env bash
printf '%s\\0' "$@" > "$0.args"
exec -a launching bash -c 'sleep 4; mapfile -d "" args < "$1"; exec "$2" "${args[@]}"' _ \\
  "$0.args" "REAL_JAVA"
"""
DIES_AT_ONCE = """#!/usr/bin/env bash
exit 3
"""


def _fake_java(folder: Path, text: str) -> dict[str, str]:
    real = shutil.which("java")
    assert real is not None
    folder.mkdir()
    java = folder / "java"
    java.write_text(text.replace("REAL_JAVA", real))
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def test_a_node_whose_java_starts_slowly_is_waited_for_not_left_running(tmp_path: Path) -> None:
    require_tools()
    node = PrivateNode(tmp_path / "data")
    node.env.update(_fake_java(tmp_path / "bin", SLOW_LAUNCH))
    try:
        node.start()  # failed at once with "exited during startup", the node left running
        assert "CassandraDaemon" in Path(f"/proc/{node.pid()}/cmdline").read_text()
    finally:
        node.stop()


def test_a_node_that_dies_at_launch_fails_the_start_at_once(tmp_path: Path) -> None:
    require_tools()
    node = PrivateNode(tmp_path / "data")
    node.env.update(_fake_java(tmp_path / "bin", DIES_AT_ONCE))
    node.env["CASSANDRA_START_TIMEOUT"] = "120"
    result = subprocess.run(
        ["bash", "scripts/cassandra", "start"],
        env=node.env,
        capture_output=True,
        text=True,
        timeout=60,  # far below the start timeout: the exit is seen, not waited out
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode != 0
    assert "exited during startup" in result.stderr
    with pytest.raises(FileNotFoundError):
        node.pid()
