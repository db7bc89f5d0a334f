"""Timing for the benchmarks that time calls inside one process."""

import statistics
import time


def median_ms(function, repeat=5):
    """Return the median wall time of ``repeat`` calls of ``function``, in ms."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000
