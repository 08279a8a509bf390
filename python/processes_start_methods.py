"""Three ways Python starts a process, and what the child gets to see.

`dishes` is filled in two steps: one at import time (every child runs or
copies the import), one only in the parent, under the main guard. A forked
child is a copy of the parent's memory, so it sees both; a spawned or
forkserver child starts from a fresh interpreter that imports this file
again, so it sees only the first.
"""

import multiprocessing as mp

dishes = ["salad"]  # set while importing this file


def show(method):
    print(f"{method:>10}: the child sees {dishes}", flush=True)


if __name__ == "__main__":
    dishes.append("bread")  # only in the parent's memory
    print(f"{'parent':>10}: I see {dishes}")
    for method in ["fork", "forkserver", "spawn"]:
        child = mp.get_context(method).Process(target=show, args=(method,))
        child.start()
        child.join()
