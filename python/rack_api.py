"""A tour of the dish rack's API in Python, one process, nothing concurrent."""

import multiprocessing as mp
import queue


def main():
    rack = mp.JoinableQueue(maxsize=2)
    rack.put("salad")
    rack.put("bread")
    print("on the rack:", rack.qsize(), "full:", rack.full())
    try:
        rack.put_nowait("entree")
    except queue.Full:
        print("put_nowait: Full, the entree stays in our hands")
    try:
        rack.put("entree", timeout=0.05)
    except queue.Full:
        print("put with a timeout: Full")
    print("got", rack.get())
    print("got", rack.get())
    try:
        rack.get_nowait()
    except queue.Empty:
        print("get_nowait: Empty")
    try:
        rack.get(timeout=0.05)
    except queue.Empty:
        print("get with a timeout: Empty")
    rack.task_done()
    rack.task_done()
    rack.join()
    print("join: every dish is done")
    try:
        rack.task_done()
    except ValueError as error:
        print("one task_done too many: ValueError:", error)
    rack.close()


if __name__ == "__main__":
    main()
