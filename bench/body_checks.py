"""CPU cost of the JSON body checks (nesting depth, lone surrogates, integral floats) per request.

The baseline is what the server did before them, ``json.loads`` of the decoded body; measured in
the same run on the same bodies: a small createAssistant, a chat of 50 messages, a 1 MB message,
an embeddings request of 2048 x 512 tokens, a chat sent with ``ensure_ascii`` (emoji as surrogate
pair escapes) and a vector store file with ``max_chunk_size_tokens: 816.0`` (which also pays for
``integers_as_int`` against the operation's schema).

Usage: python bench/body_checks.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.json_body import integers_as_int, parse_body  # noqa: E402

CHUNKING_SCHEMA = {
    "type": "object",
    "properties": {
        "file_id": {"type": "string"},
        "chunking_strategy": {
            "oneOf": [
                {"type": "object", "properties": {"type": {"type": "string"}}},
                {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "static": {
                            "type": "object",
                            "properties": {
                                "max_chunk_size_tokens": {"type": "integer"},
                                "chunk_overlap_tokens": {"type": "integer"},
                            },
                        },
                    },
                },
            ]
        },
    },
}


def bodies() -> dict[str, tuple[bytes, dict | None]]:
    chat = [
        {"role": "user" if i % 2 else "assistant", "content": f"turn {i} " * 20} for i in range(50)
    ]
    emoji = [{"role": "user", "content": "smile \U0001f600 " * 20} for _ in range(50)]
    return {
        "small createAssistant": (
            json.dumps({"model": "gpt-4o", "name": "a", "metadata": {"k": "v"}}).encode(),
            None,
        ),
        "chat, 50 messages": (json.dumps({"model": "m", "messages": chat}).encode(), None),
        "1 MB message": (json.dumps({"role": "user", "content": "x" * 1_000_000}).encode(), None),
        "embeddings 2048x512 tokens": (
            json.dumps({"model": "e", "input": [list(range(512))] * 2048}).encode(),
            None,
        ),
        "chat, emoji escaped (ensure_ascii)": (
            json.dumps({"model": "m", "messages": emoji}, ensure_ascii=True).encode(),
            None,
        ),
        "chunking 816.0 (+ integers_as_int)": (
            json.dumps(
                {
                    "file_id": "file-1",
                    "chunking_strategy": {
                        "type": "static",
                        "static": {"max_chunk_size_tokens": 816.0, "chunk_overlap_tokens": 400},
                    },
                }
            ).encode(),
            CHUNKING_SCHEMA,
        ),
    }


def checked(raw: bytes, schema: dict | None) -> object:
    parsed = parse_body(raw)
    if parsed.integral_floats and schema is not None:
        return integers_as_int(parsed.value, schema)
    return parsed.value


def cpu_per_call(stmt, number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        stmt()
    return (time.process_time() - start) / number


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"{'body':40} {'bytes':>10} {'json.loads':>12} {'checked':>12} {'ratio':>7}")
    for name, (raw, schema) in bodies().items():
        number = max(1, 50_000 // max(len(raw) // 100, 1))

        def baseline(raw: bytes = raw) -> object:
            return json.loads(raw.decode())

        def ours(raw: bytes = raw, schema: dict | None = schema) -> object:
            return checked(raw, schema)

        # Alternate the two in rounds, so both see the same machine load; medians of each.
        pairs = [
            (cpu_per_call(baseline, number), cpu_per_call(ours, number)) for _ in range(args.rounds)
        ]
        base = statistics.median(b for b, _ in pairs)
        mine = statistics.median(o for _, o in pairs)
        ratio = statistics.median(o / b for b, o in pairs)
        print(
            f"{name:40} {len(raw):>10} {base * 1e6:>10.1f}us {mine * 1e6:>10.1f}us {ratio:>6.2f}x"
        )


if __name__ == "__main__":
    main()
