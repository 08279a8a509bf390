"""Which C calls let go of the GIL? A counter thread tells.

One thread counts as fast as it can in Python code. Meanwhile the main
thread makes one long call into C: hashing and compressing a big buffer
(hashlib and zlib release the GIL while they work), then a long sum()
(which holds the GIL). While the GIL is released, the counter keeps
counting; while it is held, the counter nearly stops.
"""

import hashlib
import threading
import time
import zlib

data = bytes(range(256)) * (1 << 18)  # 64 MiB
count = 0
stop = False


def counter():
    global count
    while not stop:
        count += 1


def during(label, call):
    time.sleep(0.05)  # let the counter run first
    before, start = count, time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    print(f"{label:<26} {seconds:5.2f} s; meanwhile the counter counted {count - before}")


counting = threading.Thread(target=counter)
counting.start()
during("hashlib.sha256 (released)", lambda: hashlib.sha256(data).digest())
during("zlib.compress (released)", lambda: zlib.compress(data, 1))
during("sum(range(...)) (held)", lambda: sum(range(10_000_000)))
stop = True
counting.join()
