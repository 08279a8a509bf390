"""How many small items per second go through multiprocessing.JoinableQueue?

One producer (this process) puts integers; 1 or 2 consumer processes take
them and call task_done(); the clock stops when join() returns. Prints one
line per setting: "consumers=N items=M seconds=S items_per_s=R".
Used by the Rust benchmark tests/benches/queue.rs to compare, side by side.
"""

import multiprocessing as mp
import sys
import time

STOP = -1


def consume(rack):
    while True:
        item = rack.get()
        rack.task_done()
        if item == STOP:
            return


def measure(consumers, items):
    rack = mp.JoinableQueue()
    workers = [mp.Process(target=consume, args=(rack,)) for _ in range(consumers)]
    for w in workers:
        w.start()
    start = time.perf_counter()
    for i in range(items):
        rack.put(i)
    for _ in workers:
        rack.put(STOP)
    rack.join()
    seconds = time.perf_counter() - start
    for w in workers:
        w.join()
    return seconds


def main():
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    mp.set_start_method("fork")
    for consumers in (1, 2):
        seconds = measure(consumers, items)
        print(f"consumers={consumers} items={items} seconds={seconds:.3f} "
              f"items_per_s={items / seconds:.0f}")


if __name__ == "__main__":
    main()
