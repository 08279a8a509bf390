"""Python waits for non-daemon threads at exit and abandons daemon threads.

Both helpers are blocked on purpose, so the run is the same every time:
the daemon waits for an event nobody sets; the non-daemon one waits for the
event main sets as its very last statement.
"""

import threading

never = threading.Event()
main_done = threading.Event()


def daemon_dryer():
    never.wait()  # blocks forever
    print("daemon dryer: finished")  # never printed


def tidy_dryer():
    main_done.wait()
    print("non-daemon dryer: main's code is over, but Python waited for me")


threading.Thread(target=daemon_dryer, daemon=True).start()
threading.Thread(target=tidy_dryer).start()  # daemon=False, like its creator
print("main: my last line")
main_done.set()
# The end of the program: Python now joins every non-daemon thread, then
# exits, and the daemon thread simply stops existing.
