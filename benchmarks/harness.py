"""Timing helpers: every figure is printed as a ratio against a floor measured in the same run
on the same data, so the numbers mean the same on a fast or a slow machine."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection


@dataclass
class Timing:
    name: str
    median_ms: float
    p95_ms: float

    def __str__(self) -> str:
        return f"{self.median_ms:8.2f} ms median, {self.p95_ms:8.2f} ms p95"


def measure(name: str, fn: Callable[[], object], *, repeat: int = 30, warmup: int = 3) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return Timing(name, statistics.median(samples), p95)


def sql(query: str, params=None) -> Callable[[], object]:
    def run():
        with connection.cursor() as cur:
            cur.execute(query, params or [])
            return cur.fetchall() if cur.description else cur.rowcount

    return run


def report(title: str, measured: Timing, floor: Timing) -> dict:
    ratio = measured.median_ms / floor.median_ms if floor.median_ms else float("inf")
    print(f"  {title}")
    print(f"    floor  ({floor.name}): {floor}")
    print(f"    actual ({measured.name}): {measured}")
    print(f"    ratio: {ratio:6.1f}x the floor")
    return {
        "title": title,
        "floor_ms": round(floor.median_ms, 3),
        "actual_ms": round(measured.median_ms, 3),
        "actual_p95_ms": round(measured.p95_ms, 3),
        "ratio": round(ratio, 2),
    }


def explain(query: str, params=None) -> str:
    """The plan that ran, so a figure can be read with the plan behind it."""
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + query, params or [])
        return "\n".join("      " + row[0] for row in cur.fetchall()[:8])
