"""Who is running? The main program and four helper threads say who they are.

Each helper stores its line in its own slot; main joins the helpers in the
order it started them and prints the lines, so the order never changes.

With --one-after-another, four threads all named "dryer" run one at a time
(each starts after the last one ended) and print their name and ident:
names are labels that may repeat, and a finished thread's ident may be
given to the next one.
"""

import sys
import threading


def whoami(words):
    me = threading.current_thread()
    return f"{me.name} (tid {threading.get_native_id()}) says: {words}"


said = [None] * 4


def helper(n):
    said[n - 1] = whoami(f"I'm helper number {n}")


def one_after_another():
    for n in range(1, 5):
        dryer = threading.Thread(target=lambda: None, name="dryer")
        dryer.start()
        dryer.join()
        print(f"{dryer.name} number {n}: ident {dryer.ident}")


if "--one-after-another" in sys.argv:
    one_after_another()
    sys.exit()

print(whoami("I'm the main program"))
helpers = [threading.Thread(target=helper, args=(n,)) for n in range(1, 5)]
for t in helpers:
    t.start()
for t in helpers:
    t.join()
for line in said:
    print(line)
