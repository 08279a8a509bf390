"""How fast are Python's threads? Two numbers for tests/benches/threads.rs.

1. queue.Queue throughput: one producer thread (main) puts integers, one
   consumer thread gets them.
2. threading.Thread start + join latency for an empty thread.

Prints "queue items=N seconds=S items_per_s=R" and
"thread spawns=N median_us=M mean_us=A".
"""

import statistics
import sys
import threading
import time
import queue

STOP = -1


def consume(rack):
    while rack.get() != STOP:
        pass


def queue_rate(items):
    rack = queue.Queue()
    consumer = threading.Thread(target=consume, args=(rack,))
    consumer.start()
    start = time.perf_counter()
    for i in range(items):
        rack.put(i)
    rack.put(STOP)
    consumer.join()
    seconds = time.perf_counter() - start
    return seconds


def nothing():
    pass


def spawn_join(rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        t = threading.Thread(target=nothing)
        t.start()
        t.join()
        times.append(time.perf_counter() - start)
    return times


def main():
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    queue_rate(items // 10)  # warm-up
    # The median of 5 rounds, like the Rust side (tests/benches/threads.rs).
    seconds = statistics.median(queue_rate(items) for _ in range(5))
    print(f"queue items={items} seconds={seconds:.3f} items_per_s={items / seconds:.0f}")
    spawn_join(200)  # warm-up
    times = spawn_join(2000)
    print(f"thread spawns={len(times)} median_us={statistics.median(times) * 1e6:.1f} "
          f"mean_us={statistics.mean(times) * 1e6:.1f}")


if __name__ == "__main__":
    main()
