"""Shared by the peer-comparison scripts: wall-clock timing of one piece of work."""

from __future__ import annotations

import time
from typing import Any, Callable


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Runs fn `repeat` times; returns the fastest wall-clock time (s) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result
