"""Threads or processes? The same work, several ways, in Python.

CPU-bound: "scrubbing" a stack of dishes is a plain loop of arithmetic: it
keeps the CPU busy and never waits. Each dish's number is mixed SCRUBS
times with the steps of splitmix64, in 64-bit arithmetic, exactly as
examples/threads-or-processes.rs does, and the checksum is the sum of the
scrubbed dishes (modulo 2**64): the same stack gives the same checksum in
both languages. We do it with one thread, with two threads that take half
the stack each, and with two processes that do the same. The sum must be
the same every time.

I/O-bound: waiting for slow answers. Each answer comes from a child
process on a pipe; the child's `sleep` stands in for a slow server on the
other end of a network. We wait with one thread, then with one thread per
answer. Every answer must arrive.

The times are printed as "0.24 s".
"""

import argparse
import multiprocessing
import subprocess
import threading
import time

DISHES = 100_000
SCRUBS = 16
MASK = (1 << 64) - 1  # Rust's u64 wraps around; Python's int must be cut


# ANCHOR: ways
def scrub(first, last, scrubs):
    """The checksum of dishes first..last-1, each mixed `scrubs` times."""
    total = 0
    for x in range(first, last):
        for _ in range(scrubs):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
            x ^= x >> 31
        total = (total + x) & MASK
    return total


def halves(dishes):
    return [(0, dishes // 2), (dishes // 2, dishes)]


def one_thread(dishes, scrubs):
    return scrub(0, dishes, scrubs)


def two_threads(dishes, scrubs):
    sums = [0, 0]

    def scrub_half(i, first, last):
        sums[i] = scrub(first, last, scrubs)

    helpers = [threading.Thread(target=scrub_half, args=(i, first, last))
               for i, (first, last) in enumerate(halves(dishes))]
    for t in helpers:
        t.start()
    for t in helpers:
        t.join()
    return sum(sums) & MASK


def scrub_and_send(sums, first, last, scrubs):
    sums.put(scrub(first, last, scrubs))


def two_processes(dishes, scrubs):
    sums = multiprocessing.SimpleQueue()
    helpers = [multiprocessing.Process(target=scrub_and_send, args=(sums, first, last, scrubs))
               for first, last in halves(dishes)]
    for p in helpers:
        p.start()
    total = (sums.get() + sums.get()) & MASK
    for p in helpers:
        p.join()
    return total
# ANCHOR_END: ways


WAYS = [("1 thread", one_thread), ("2 threads", two_threads), ("2 processes", two_processes)]


# ANCHOR: waits
def wait_for(n, seconds):
    """Ask a child process for answer n and wait for it on a pipe: 1 if it came."""
    script = 'sleep "$1"; echo "answer $2"'
    child = subprocess.run(["sh", "-c", script, "server", f"{seconds:.3f}", str(n)],
                           capture_output=True, text=True)  # blocks, using no CPU
    return int(child.stdout.strip() == f"answer {n}")


def waits_one_thread(answers, seconds):
    return sum(wait_for(n, seconds) for n in range(1, answers + 1))


def waits_many_threads(answers, seconds):
    got = [0] * answers

    def ask(n):
        got[n - 1] = wait_for(n, seconds)

    waiters = [threading.Thread(target=ask, args=(n,)) for n in range(1, answers + 1)]
    for t in waiters:
        t.start()
    for t in waiters:
        t.join()
    return sum(got)
# ANCHOR_END: waits


def timed(way, *args):
    start = time.perf_counter()
    total = way(*args)
    return total, time.perf_counter() - start


def number_in(low, high):
    """An argparse type: a whole number from low to high."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not in {low}..={high}")
        return value
    return parse


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dishes", nargs="?", type=number_in(0, 50_000_000), default=DISHES,
                        help="how many dishes to scrub")
    parser.add_argument("--scrubs", type=number_in(1, 1000), default=SCRUBS,
                        help="how many times each dish is scrubbed (rounds of mixing)")
    parser.add_argument("--answers", type=number_in(1, 100), default=4,
                        help="how many slow answers to wait for")
    parser.add_argument("--wait-ms", type=number_in(0, 60_000), default=100,
                        help="how long each answer takes, in ms")
    args = parser.parse_args()

    print(f"scrubbing {args.dishes} dishes, {args.scrubs} scrubs each")
    for name, way in WAYS:
        total, seconds = timed(way, args.dishes, args.scrubs)
        print(f"{name:<12} sum {total:#018x}  {seconds:.2f} s")

    each = args.wait_ms / 1000
    print(f"waiting for {args.answers} answers, {each:.2f} s each")
    for name, way in [("1 thread", waits_one_thread),
                      (f"{args.answers} threads", waits_many_threads)]:
        got, seconds = timed(way, args.answers, each)
        print(f"{name:<12} {got} answers  {seconds:.2f} s")
