"""A washer and two dryer processes: the drying order is up to the scheduler."""

import multiprocessing as mp


def dryer(rack, name):
    while True:
        dish = rack.get()
        print(f"Drying {dish} dish ({name})", flush=True)
        rack.task_done()


if __name__ == "__main__":
    rack = mp.JoinableQueue(1)
    for name in ("dryer 1", "dryer 2"):
        mp.Process(target=dryer, args=(rack, name), daemon=True).start()
    for dish in ("salad", "bread"):
        print(f"Washing {dish} dish", flush=True)
        rack.put(dish)
    rack.join()
