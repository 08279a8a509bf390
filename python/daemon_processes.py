"""Python's daemon flag for processes, in two small scenes.

1. A daemonic dryer that would dry forever: when main's code is over,
   Python terminates it instead of waiting for it.
2. A daemonic process may not start children of its own.
"""

import multiprocessing as mp


def dry_forever(ready):
    print(f"dryer: daemon={mp.current_process().daemon}, drying forever", flush=True)
    ready.set()
    mp.Event().wait()  # nobody will ever set this one


def try_to_hire(report):
    helper = mp.Process(target=print, args=("helper: hired",))
    try:
        helper.start()
    except AssertionError as e:
        report.put(f"{mp.current_process().name}: {e}")


if __name__ == "__main__":
    ready = mp.Event()
    dryer = mp.Process(target=dry_forever, args=(ready,), daemon=True)
    dryer.start()
    ready.wait()  # so the dryer has printed before main goes on

    report = mp.Queue()
    boss = mp.Process(target=try_to_hire, args=(report,), name="boss", daemon=True)
    boss.start()
    print(report.get())
    boss.join()

    print("main: my last line; Python now terminates the daemonic dryer")
