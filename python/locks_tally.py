"""Dryer threads keep one shared tally of dried dishes.

Each dryer reads the tally, puts the dish away (a function call), then
writes the tally plus one. Run with --without-lock to drop the lock.
"""
import sys
import threading

DRYERS = 4
DISHES = 100_000  # each

tally = 0
tally_lock = threading.Lock()
shelf = []


def put_away(dish):
    shelf.append(dish)


def dry_with_lock():
    global tally
    for dish in range(DISHES):
        with tally_lock:  # wait for the lock, hold it for this block only
            seen = tally
            put_away(dish)
            tally = seen + 1


def dry_without_lock():
    global tally
    for dish in range(DISHES):
        seen = tally
        put_away(dish)  # CPython may switch threads here...
        tally = seen + 1  # ...and this write wipes out another dryer's dishes


def run(dry):
    global tally
    tally = 0
    shelf.clear()
    dryers = [threading.Thread(target=dry) for _ in range(DRYERS)]
    for dryer in dryers:
        dryer.start()
    for dryer in dryers:
        dryer.join()
    return tally


print(f"with the lock: {run(dry_with_lock)} of {DRYERS * DISHES}")
if "--without-lock" in sys.argv:
    print(f"without the lock: {run(dry_without_lock)} of {DRYERS * DISHES}")
