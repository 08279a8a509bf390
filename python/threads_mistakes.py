"""Four thread mistakes: Python notices three of them while the program
runs, and the fourth not at all."""

import threading


def dry():
    pass


dryer = threading.Thread(target=dry, name="dryer")

try:
    dryer.join()
except RuntimeError as e:
    print(f"join before start: RuntimeError: {e}")

dryer.start()
dryer.join()
try:
    dryer.start()
except RuntimeError as e:
    print(f"start twice:       RuntimeError: {e}")

try:
    threading.current_thread().join()  # wait for my own end: for ever
except RuntimeError as e:
    print(f"join yourself:     RuntimeError: {e}")

# Sharing without a lock is *not* an error in Python: it just may go wrong.
dried = 0


def count_some():
    global dried
    for _ in range(1000):
        dried += 1  # read, add, write back: another thread may step in between


counters = [threading.Thread(target=count_some) for _ in range(2)]
for t in counters:
    t.start()
for t in counters:
    t.join()
print("share a counter:   no error raised (whether updates were lost is luck)")
