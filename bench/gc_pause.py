"""How long a full garbage collection stops the server's event loop, with and without the heap
that start-up leaves (the app, its spec validators and LiteLLM) frozen.

In one fresh interpreter: import and build what a served process holds once LiteLLM is loaded,
add a working set of short-lived request-like objects, then time `gc.collect()` (a full
collection, as the collector runs on its own every so often under load) `--rounds` times as it
is (the baseline), then after `gc.freeze()` (what `run.py` does once LiteLLM is loaded), and
prints both and the ratio.

    .venv/bin/python bench/gc_pause.py [--rounds 5] [--live 20000]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def full_collections(rounds: int, live: int) -> list[float]:
    """Full collections with `live` request-like objects alive (made after any freeze)."""
    # What requests in flight hold: small dicts and lists, as parsed bodies and events are.
    held = [{"id": f"msg_{i}", "content": [{"type": "text", "text": str(i)}]} for i in range(live)]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - start) * 1000)
    del held
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--live", type=int, default=20_000, help="request-like objects alive")
    args = parser.parse_args()

    os.environ.setdefault("ASSISTANTS_STORE", "sqlite:///:memory:")
    from app.factory import create_app
    from app.settings import Settings
    from inference.loader import load_litellm

    create_app(Settings.from_env())
    load_litellm()
    gc.collect()
    tracked = len(gc.get_objects())
    before = full_collections(args.rounds, args.live)
    gc.freeze()
    frozen = gc.get_freeze_count()
    after = full_collections(args.rounds, args.live)
    gc.unfreeze()

    b, a = statistics.median(before), statistics.median(after)
    print(f"tracked objects after start-up: {tracked:,}; request-like objects alive: {args.live:,}")
    walked = f"p50 {b:7.2f} ms, max {max(before):.2f}"
    print(f"full collection, start-up heap walked (baseline): {walked}")
    print(f"full collection, {frozen:,} objects frozen: p50 {a:7.2f} ms, max {max(after):.2f}")
    print(f"ratio: {a / b:.3f}x ({b / a:.0f}x shorter)")


if __name__ == "__main__":
    main()
