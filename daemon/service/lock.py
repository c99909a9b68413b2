"""One watcher per database, and how it is stopped.

- `instance_lock`: flock(LOCK_EX|LOCK_NB) on a lock file beside the SQLite database (else in the
  data folder, named by a hash of the URL); the kernel releases it on any death, kill -9 included.
  The status file the service writes (`status_path`) sits beside the lock.
- SIGTERM and SIGINT (`stop_on_signals`) end the watcher's loop after the save in hand, whose
  transaction commits or rolls back as a whole.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from daemon import config
from daemon.errors import AppError

if TYPE_CHECKING:
    from daemon.service.watcher import Watcher


@dataclass
class InstanceLock:
    """An flock held on `path` for the life of this process (released on any death)."""

    path: Path
    fd: int = field(repr=False)

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def lock_path(url: str) -> Path:
    """The lock file of a database: beside an SQLite file, else in the data folder."""
    if url.startswith("sqlite") and "///" in url:
        db = url.split("///", 1)[1].split("?", 1)[0]
        if db and db != ":memory:":
            file = Path(db)
            return file.with_name(file.name + ".watch.lock")
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return config.data_dir() / "locks" / f"watch-{digest}.lock"


def seen_path(url: str) -> Path:
    """Where the watcher keeps what it has ingested (daemon.service.seen), beside the instance lock."""
    lock = lock_path(url)
    return lock.with_name(lock.stem + ".seen.json")


def status_path(url: str) -> Path:
    """The status file of a database's watcher (what `tapeop service status` reads), beside its lock."""
    return lock_path(url).with_suffix(".json")


@contextlib.contextmanager
def instance_lock(url: str) -> Iterator[InstanceLock]:
    """Hold the database's watcher lock, or raise AppError("already running (pid N)")."""
    path = lock_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise AppError(f"cannot lock {path} ({exc.strerror or exc})", "check the folder's permissions") from None
        raise AppError(
            f"already running (pid {_holder(path)})",
            f"one tapeop watch per database; stop that one first, or give another --db (lock: {path})",
        ) from None
    lock = InstanceLock(path, fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lock
    finally:
        lock.release()


def _holder(path: Path) -> str:
    """The pid written by the lock's holder (it writes it right after locking)."""
    for _ in range(20):
        with contextlib.suppress(OSError, ValueError):
            return str(int(path.read_text().strip()))
        time.sleep(0.05)
    return "unknown"


def stop_on_signals(watcher: Watcher) -> None:
    """SIGTERM and SIGINT stop the watcher after the save in hand (main thread only)."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        watcher.stop(f"signal {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
