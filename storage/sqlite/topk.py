"""Exact cosine top-k over batches of float32 embeddings, with deterministic ties.

Batch scores are fast but not guaranteed bit-reproducible: with BLAS the same row can score a
last-bit differently depending on where it sits in a batch. So they only narrow the field to a
*pool* (everything within a rounding bound of the k-th best), and the pool is then scored exactly:
float32 x float32 products are exact in float64 and ``math.fsum`` rounds their sum correctly, so
identical embeddings always get identical scores and ties fall to the scan order (the caller scans
by vector store id, file id, chunk index, which is the order ties must break in).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def to_float32(embedding: Sequence[float]) -> F32:
    return np.asarray(embedding, dtype=np.float32)


def exact_dot(a: F32, b: F32) -> float:
    """The correctly rounded dot product of two float32 vectors."""
    return math.fsum((a.astype(np.float64) * b.astype(np.float64)).tolist())


def exact_norm(vector: F32) -> float:
    return math.sqrt(exact_dot(vector, vector))


class CosineTopK:
    """Feed batches in tie-break order with ``offer``; ``best`` gives (key, score) best first."""

    def __init__(self, query: Sequence[float], k: int) -> None:
        if k < 1:
            raise ValueError("limit must be at least 1")
        self._k = k
        self._query = to_float32(query)
        self._query_norm = exact_norm(self._query)
        if self._query_norm == 0.0 or not math.isfinite(self._query_norm):
            raise ValueError("the query embedding must be a non-zero, finite vector")
        dims = len(self._query)
        # Bound on the error of a batch score: float64 dot products of length `dims`, then a cosine.
        self._tolerance = 4 * dims * 2.0**-53 + 1e-15
        gamma = dims * 2.0**-24
        self._fast_tolerance = 2 * gamma / (1 - gamma) + 1e-12
        self._scores: F64 = np.empty(0, dtype=np.float64)
        self._ordinals: I64 = np.empty(0, dtype=np.int64)
        self._keys: I64 = np.empty(0, dtype=np.int64)
        self._vectors: F32 = np.empty((0, dims), dtype=np.float32)
        self._norms: F64 = np.empty(0, dtype=np.float64)

    @property
    def dimensions(self) -> int:
        return len(self._query)

    def offer(
        self, keys: I64, norms: F64, vectors: F32, first_ordinal: int, *, fast: bool = False
    ) -> None:
        """Consider a batch: row i has key ``keys[i]`` and tie ordinal ``first_ordinal + i``.

        ``fast`` scores with one float32 BLAS product (for a large in-memory matrix), whose error
        is bounded by ``n * 2**-24 / (1 - n * 2**-24)`` of the cosine; the pool widens to match.
        """
        ordinals = first_ordinal + np.arange(len(keys), dtype=np.int64)
        self._offer(keys, norms, vectors, ordinals, fast)

    def offer_rows(
        self, keys: I64, norms: F64, vectors: F32, rows: I64, first_ordinal: int
    ) -> None:
        """Consider ``rows`` (ascending) of a matrix; row r has ordinal ``first_ordinal + r``."""
        self._offer(keys[rows], norms[rows], vectors[rows], first_ordinal + rows, True)

    def _offer(self, keys: I64, norms: F64, vectors: F32, ordinals: I64, fast: bool) -> None:
        if fast:
            dots = np.dot(vectors, self._query).astype(np.float64)
            self._tolerance = max(self._tolerance, self._fast_tolerance)
        else:
            # einsum accumulates in float64 without a float64 copy of the batch and without BLAS
            # threads, which on small machines cost more in contention than they save.
            dots = np.einsum("ij,j->i", vectors, self._query, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = dots / (norms * self._query_norm)
        scores = np.where(norms > 0, np.nan_to_num(scores, nan=-np.inf), 0.0)
        keep = _near_top(scores, self._k, self._tolerance)
        self._scores = np.concatenate([self._scores, scores[keep]])
        self._ordinals = np.concatenate([self._ordinals, ordinals[keep]])
        self._keys = np.concatenate([self._keys, keys[keep]])
        self._vectors = np.concatenate([self._vectors, vectors[keep]])
        self._norms = np.concatenate([self._norms, norms[keep]])
        pool = _near_top(self._scores, self._k, self._tolerance)
        if len(pool) < len(self._scores):
            self._scores, self._ordinals = self._scores[pool], self._ordinals[pool]
            self._keys, self._vectors, self._norms = (
                self._keys[pool],
                self._vectors[pool],
                self._norms[pool],
            )

    def best(self) -> list[tuple[int, float]]:
        exact = np.array(
            [
                exact_dot(vector, self._query) / (norm * self._query_norm) if norm > 0 else 0.0
                for vector, norm in zip(self._vectors, self._norms, strict=True)
            ],
            dtype=np.float64,
        )
        order = np.lexsort((self._ordinals, -exact))[: self._k]
        return [(int(self._keys[i]), float(exact[i])) for i in order]


def _near_top(scores: F64, k: int, tolerance: float) -> I64:
    """Indices of every score that could, after exact rescoring, be among the k best."""
    if len(scores) <= k:
        return np.arange(len(scores), dtype=np.int64)
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    return np.flatnonzero(scores >= kth - tolerance).astype(np.int64)
