"""Ingestion throughput: PDF text extraction (pages/s) and token chunking (chunks/s, tokens/s).

Builds a 100-page PDF of ~400 words a page with fpdf2, then times ``extract_text`` and
``chunk_text`` with the ``auto`` strategy, reporting medians; and the extraction as ingestion runs
it, in the bounded child process started ahead (``isolate.extract_bounded``: the file sent on
stdin, the text back as JSON), against ``extract_text`` in this process as the baseline.
Finishes in well under a minute.

    .venv/bin/python bench/ingest_bench.py [--pages 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fpdf import FPDF

from assistants.ingest import AUTO_CHUNKING, chunk_with, extract_text, get_encoding
from assistants.vector_stores.isolate import Children, ProcessLimits, extract_bounded

T = TypeVar("T")
WORDS_PER_PAGE = 400
BUDGET_SECONDS = 45.0
_VOCABULARY_TEXT = (
    "the of and to in is was for on that with as by at from his her it an were are which this "
    "be or has had not but been their they one all also more new first who after other two some "
    "time there about into when would only over many most these world between during through "
    "report market growth customer quarterly revenue estimate analysis system network policy "
    "engineering department infrastructure management operational requirements documentation "
    "performance availability significantly approximately responsibility international "
    "river mountain library orchard bridge harvest festival museum village council contract"
)
_VOCABULARY = _VOCABULARY_TEXT.split()


def page_text(rng: random.Random, words: int) -> str:
    sentences, sentence = [], []
    for _ in range(words):
        sentence.append(rng.choice(_VOCABULARY))
        if len(sentence) >= rng.randint(8, 22):
            sentences.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        sentences.append(" ".join(sentence).capitalize() + ".")
    return "\n".join(" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6))


def build_pdf(pages: int) -> bytes:
    rng = random.Random(2024)
    document = FPDF(format="A4")
    document.set_auto_page_break(auto=False)
    document.set_font("Helvetica", size=9)
    for number in range(1, pages + 1):
        document.add_page()
        document.multi_cell(0, 4.5, f"Page {number}\n{page_text(rng, WORDS_PER_PAGE)}")
    return bytes(document.output())


def timed(runs: int, deadline: float, work: Callable[[], T]) -> tuple[float, T]:
    """Median seconds over up to ``runs`` calls (at least one), stopping early at ``deadline``."""
    samples: list[float] = []
    result: T
    while True:
        started = time.perf_counter()
        result = work()
        samples.append(time.perf_counter() - started)
        if len(samples) >= runs or time.perf_counter() > deadline:
            return statistics.median(samples), result


async def through_child(pdf: bytes, runs: int) -> float:
    """Median seconds of ``extract_bounded`` with a child started ahead and idle (as for a file
    that arrives while the worker is quiet)."""
    children = Children(ProcessLimits())
    samples: list[float] = []
    try:
        await extract_bounded(pdf, "bench.pdf", None, ProcessLimits(), children=children)
        for _ in range(runs):
            await asyncio.sleep(1.0)  # the waiting child has imported its parsers
            started = time.perf_counter()
            await extract_bounded(pdf, "bench.pdf", None, ProcessLimits(), children=children)
            samples.append(time.perf_counter() - started)
    finally:
        await children.aclose()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    deadline = time.perf_counter() + BUDGET_SECONDS

    started = time.perf_counter()
    pdf = build_pdf(args.pages)
    built = time.perf_counter() - started
    print(f"built {args.pages}-page PDF ({len(pdf) / 1024:,.0f} KiB) in {built:.2f} s")

    started = time.perf_counter()
    get_encoding()
    print(f"tokenizer load (cold):  {(time.perf_counter() - started) * 1000:8.1f} ms")

    extract_seconds, extracted = timed(args.runs, deadline, lambda: extract_text(pdf, "bench.pdf"))
    assert extracted.pages == args.pages, extracted.pages
    words = len(extracted.text.split())
    print(
        f"extraction:            {args.pages / extract_seconds:8.1f} pages/s   "
        f"({extract_seconds * 1000:.0f} ms for {args.pages} pages, {words:,} words)"
    )

    child_seconds = asyncio.run(through_child(pdf, args.runs))
    print(
        f"extraction in the child: {child_seconds * 1000:6.0f} ms "
        f"({child_seconds / extract_seconds:.2f}x of in-process)"
    )

    chunk_seconds, chunks = timed(
        max(args.runs, 5), deadline, lambda: chunk_with(extracted.text, AUTO_CHUNKING)
    )
    tokens = chunks[-1].token_end
    print(
        f"chunking (auto 800/400): {len(chunks) / chunk_seconds:8.0f} chunks/s  "
        f"{tokens / chunk_seconds:10,.0f} tokens/s   ({len(chunks)} chunks, {tokens:,} tokens, "
        f"{chunk_seconds * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
