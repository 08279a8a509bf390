"""Dryer threads keep one shared tally of dried dishes."""
import sys
import threading

DRYERS = 4
DISHES = 100_000  # each

tally = 0
tally_lock = threading.Lock()


def dry_with_lock():
    global tally
    for _ in range(DISHES):
        with tally_lock:  # wait for the lock, hold it for this block only
            tally += 1


def dry_without_lock():
    global tally
    for _ in range(DISHES):
        seen = tally  # another dryer may write the tally right here...
        tally = seen + 1  # ...and this write wipes out its dish


def run(dry):
    global tally
    tally = 0
    dryers = [threading.Thread(target=dry) for _ in range(DRYERS)]
    for dryer in dryers:
        dryer.start()
    for dryer in dryers:
        dryer.join()
    return tally


print(f"with the lock: {run(dry_with_lock)} of {DRYERS * DISHES}")
if "--without-lock" in sys.argv:
    print(f"without the lock: {run(dry_without_lock)} of {DRYERS * DISHES}")
