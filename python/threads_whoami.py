"""Who is running? The main program and four helper threads say who they are.

Each helper stores its line in its own slot; main joins the helpers in the
order it started them and prints the lines, so the order never changes.
"""

import threading


def whoami(words):
    me = threading.current_thread()
    return f"{me.name} (tid {threading.get_native_id()}) says: {words}"


said = [None] * 4


def helper(n):
    said[n - 1] = whoami(f"I'm helper number {n}")


print(whoami("I'm the main program"))
helpers = [threading.Thread(target=helper, args=(n,)) for n in range(1, 5)]
for t in helpers:
    t.start()
for t in helpers:
    t.join()
for line in said:
    print(line)
