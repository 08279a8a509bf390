"""The washer and the dryer, in Python: our own version of the lesson.

The washer (this process) washes four dishes and puts each on the dish
rack, a JoinableQueue. A daemonic dryer process takes them off, dries them
and marks each one done. join() waits until every dish is done.

The dryer starts after the whole stack is on the rack, so the eight lines
always come out in the same order (see the chapter for why). By then the
first put has started the rack's feeder thread, and forking a process that
runs threads is risky; so the dryer is started with "forkserver": it is
forked from a clean, single-threaded server process instead.
"""

import multiprocessing as mp


def dryer(rack):
    while True:
        dish = rack.get()
        print(f"Drying {dish} dish", flush=True)
        rack.task_done()


def main():
    rack = mp.JoinableQueue()
    drying = mp.Process(target=dryer, args=(rack,), daemon=True)
    for dish in ["salad", "bread", "entree", "dessert"]:
        print(f"Washing {dish} dish", flush=True)
        rack.put(dish)
    drying.start()
    rack.join()  # every dish put has been marked done


if __name__ == "__main__":
    mp.set_start_method("forkserver")  # not "fork": the feeder thread runs
    main()
