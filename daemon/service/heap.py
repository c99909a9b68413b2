"""Handing freed memory back to the system, for the always-on service.

Reading a large session builds an lxml tree of about 900 bytes an element (a 32 MB project.xml
of 433,000 elements: about 400 MB). When the tree is freed, glibc's allocator keeps those pages:
the Python objects made while the tree was alive are scattered through them, so the heap cannot
shrink from its top. A watcher that read one such session stayed at 730 MB between saves, with
45 MB of objects alive. `malloc_trim(0)` returns every wholly free page inside the heap as well
(glibc 2.8 and later): the same watcher then stays at 340 MB. It takes about 20 ms on that heap,
well under a millisecond on a small one.

Pages given back cost something to take again: reading the next save of that session faults
its tree's pages in anew, about 0.3 s. So the service gives back once work has paused
(`WhenIdle`, a minute): while saves keep coming, the heap stays as it is.

Where the C library has no malloc_trim (macOS, musl), `give_back()` does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections.abc import Callable

_TRIM: Callable[[int], int] | None = None
if sys.platform.startswith("linux"):
    try:
        _TRIM = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        _TRIM = None


def give_back() -> None:
    """Return the allocator's wholly free pages to the system (glibc); elsewhere, nothing."""
    if _TRIM is not None:
        _TRIM(0)


GIVE_BACK_AFTER_S = 60.0


class WhenIdle:
    """Gives the heap back once work (`worked()`, from any thread) has paused for `after_s`:
    `tick()`, called now and then, does it once per pause."""

    def __init__(self, after_s: float = GIVE_BACK_AFTER_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.after_s = after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._worked_at: float | None = None

    def worked(self) -> None:
        with self._lock:
            self._worked_at = self._clock()

    def tick(self) -> bool:
        """Give back if work has paused long enough since it was last done; True if it did."""
        with self._lock:
            if self._worked_at is None or self._clock() - self._worked_at < self.after_s:
                return False
            self._worked_at = None
        give_back()
        return True
