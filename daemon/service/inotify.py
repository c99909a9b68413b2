"""inotify's limits as the watcher meets them: its event queue overflowing, and its number of watches.

- Queue overflow: watchdog (>= 7.1) logs an overflow on `watchdog.observers.inotify_c` and
  rebuilds its watches, without telling handlers; older versions drop it silently (watchdog#654).
  `overflow_alarm` catches the log record and raises the watcher's alarm, which answers it with a
  full rescan after a quiet period.
- Watch limit: `inotify_watch_limit()` is `max_user_watches`; a tree with more folders than that
  (or an `OSError` ENOSPC or EMFILE when a watch is added, watchdog#673) makes the watcher poll that
  root instead (`daemon.service.watcher.Watcher`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

WATCHDOG_INOTIFY_LOGGER = "watchdog.observers.inotify_c"


class OverflowAlarm(logging.Handler):
    """watchdog reports an inotify queue overflow only as a warning on its logger: raise the alarm."""

    def __init__(self, alarm: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.alarm = alarm

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.alarm("inotify queue overflow (events were lost)")


@contextlib.contextmanager
def overflow_alarm(alarm: Callable[[str], None]) -> Iterator[None]:
    """Call `alarm(reason)` whenever watchdog logs an inotify queue overflow, while inside."""
    logger = logging.getLogger(WATCHDOG_INOTIFY_LOGGER)
    handler = OverflowAlarm(alarm)
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def inotify_watch_limit() -> int | None:
    """The kernel's `max_user_watches`; None where it cannot be read (not Linux)."""
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    except (OSError, ValueError):
        return None
