"""Start + join latency of multiprocessing.Process, per start method.

Used by tests/benches/process.rs. For each method, one warm-up start (the
forkserver starts its server then), then ROUNDS timed rounds of
Process(target=nothing).start() + join(). Prints one line per method:
"method=fork rounds=N median_ms=M mean_ms=A".
"""

import multiprocessing as mp
import statistics
import sys
import time


def nothing():
    pass


def measure(method, rounds):
    ctx = mp.get_context(method)
    warm = ctx.Process(target=nothing)
    warm.start()
    warm.join()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        p = ctx.Process(target=nothing)
        p.start()
        p.join()
        times.append(time.perf_counter() - start)
    return times


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for method, rounds in [("fork", 300), ("forkserver", 100), ("spawn", 20)]:
        times = measure(method, max(3, int(rounds * scale)))
        print(
            f"method={method} rounds={len(times)} "
            f"median_ms={statistics.median(times) * 1e3:.3f} "
            f"mean_ms={statistics.mean(times) * 1e3:.3f}"
        )
