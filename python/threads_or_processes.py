"""Threads or processes? The same CPU-bound sum, three ways, in Python.

"Scrubbing" a stack of dishes is a plain loop of arithmetic: it keeps the
CPU busy and never waits. We do it with one thread, with two threads that
take half the stack each, and with two processes that do the same. The sum
must be the same every time; the times are printed as "0.24 s".
"""

import multiprocessing
import sys
import threading
import time

DISHES = 6_000_000


# ANCHOR: ways
def scrub(first, last):
    """Scrub dishes first..last-1: a little arithmetic per dish."""
    total = 0
    for dish in range(first, last):
        total += dish * dish % 7
    return total


def halves(dishes):
    return [(0, dishes // 2), (dishes // 2, dishes)]


def one_thread(dishes):
    return scrub(0, dishes)


def two_threads(dishes):
    sums = [0, 0]

    def scrub_half(i, first, last):
        sums[i] = scrub(first, last)

    helpers = [threading.Thread(target=scrub_half, args=(i, first, last))
               for i, (first, last) in enumerate(halves(dishes))]
    for t in helpers:
        t.start()
    for t in helpers:
        t.join()
    return sum(sums)


def scrub_and_send(sums, first, last):
    sums.put(scrub(first, last))


def two_processes(dishes):
    sums = multiprocessing.SimpleQueue()
    helpers = [multiprocessing.Process(target=scrub_and_send, args=(sums, first, last))
               for first, last in halves(dishes)]
    for p in helpers:
        p.start()
    total = sums.get() + sums.get()
    for p in helpers:
        p.join()
    return total
# ANCHOR_END: ways


WAYS = [("1 thread", one_thread), ("2 threads", two_threads), ("2 processes", two_processes)]


def timed(way, dishes):
    start = time.perf_counter()
    total = way(dishes)
    return total, time.perf_counter() - start


if __name__ == "__main__":
    dishes = int(sys.argv[1]) if len(sys.argv) > 1 else DISHES
    print(f"scrubbing {dishes} dishes")
    for name, way in WAYS:
        total, seconds = timed(way, dishes)
        print(f"{name:<12} sum {total}  {seconds:.2f} s")
