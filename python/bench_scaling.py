"""Python's side of tests/benches/scaling.rs.

1. CPU scaling: the checksum of python/threads_or_processes.py (the same
   scrubbing as the Rust side: splitmix64 rounds in 64-bit arithmetic) with
   1 thread, 2 threads and 2 processes; median of 3 rounds (taking turns)
   after a warm-up on a tenth of the dishes. Python is slow at this: the
   bench's 400,000 dishes take a few seconds for each way.
2. Memory per worker: how much resident memory one more waiting thread
   costs, and how much one more waiting process (fork and spawn) holds,
   read from /proc.

Arguments: DISHES SCRUBS. Prints lines of key=value words for the Rust
bench to read:
  cpu way=1_thread dishes=N scrubs=K rounds=R median_s=S checksum=0x...
  memory kind=thread workers=K rss_kib=R
  memory kind=process_fork workers=K rss_kib=R private_kib=P
"""

import multiprocessing
import statistics
import sys
import threading

from threads_or_processes import DISHES, SCRUBS, WAYS, timed

WORKERS = 16
ROUNDS = 3


def kib(path, keys):
    """Sum of the given fields (in kB) of a /proc status-like file."""
    total = 0
    with open(path) as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in keys:
                total += int(value.split()[0])
    return total


def rss(pid="self"):
    return kib(f"/proc/{pid}/status", {"VmRSS"})


def private(pid):
    return kib(f"/proc/{pid}/smaps_rollup", {"Private_Clean", "Private_Dirty"})


def thread_memory():
    ready = threading.Barrier(WORKERS + 1)
    go = threading.Event()

    def wait():
        ready.wait()
        go.wait()

    before = rss()
    helpers = [threading.Thread(target=wait) for _ in range(WORKERS)]
    for t in helpers:
        t.start()
    ready.wait()
    after = rss()
    go.set()
    for t in helpers:
        t.join()
    print(f"memory kind=thread workers={WORKERS} rss_kib={(after - before) / WORKERS:.0f}")


def wait_in_child(ready, go):
    ready.wait()
    go.wait()


def process_memory(method):
    ctx = multiprocessing.get_context(method)
    ready = ctx.Barrier(WORKERS + 1)
    go = ctx.Event()
    helpers = [ctx.Process(target=wait_in_child, args=(ready, go)) for _ in range(WORKERS)]
    for p in helpers:
        p.start()
    ready.wait()
    rss_kib = statistics.median(rss(p.pid) for p in helpers)
    private_kib = statistics.median(private(p.pid) for p in helpers)
    go.set()
    for p in helpers:
        p.join()
    print(f"memory kind=process_{method} workers={WORKERS} rss_kib={rss_kib:.0f} "
          f"private_kib={private_kib:.0f}")


def main():
    dishes = int(sys.argv[1]) if len(sys.argv) > 1 else DISHES
    scrubs = int(sys.argv[2]) if len(sys.argv) > 2 else SCRUBS
    # The ways take turns, round after round, so that a burst of other work
    # on the machine slows all of them alike.
    times = {name: [] for name, _ in WAYS}
    sums = {name: set() for name, _ in WAYS}
    for round in range(ROUNDS + 1):
        for name, way in WAYS:
            total, seconds = timed(way, dishes if round else dishes // 10, scrubs)
            if round:  # round 0 is the warm-up
                times[name].append(seconds)
                sums[name].add(total)
    for name, _ in WAYS:
        seconds = statistics.median(times[name])
        (checksum,) = sums[name]  # every round the same, or this fails
        print(f"cpu way={name.replace(' ', '_')} dishes={dishes} scrubs={scrubs} "
              f"rounds={ROUNDS} median_s={seconds:.4f} checksum={checksum:#018x}")
    thread_memory()
    process_memory("fork")
    process_memory("spawn")


if __name__ == "__main__":
    main()
