"""systemd service notifications: READY, WATCHDOG, STATUS, STOPPING (sd_notify(3)).

The protocol (man7.org sd_notify(3), systemd.service(5)):

- systemd puts the address of a datagram socket in `$NOTIFY_SOCKET`: a file system path, or an
  abstract socket name written with a leading `@` (sent as a NUL byte). Each notification is one
  datagram of newline-separated `KEY=VALUE` assignments. Without `$NOTIFY_SOCKET` we are not under
  systemd (or under `Type=simple`) and every call here does nothing.
- `READY=1` only once the daemon really serves (`Type=notify`): after the start-up scan, with the
  observer running. `STOPPING=1` when it begins to shut down. `STATUS=...` is one line shown by
  `systemctl status`. `EXTEND_TIMEOUT_USEC=...` asks for more time while a long start-up scan runs.
- With `WatchdogSec=` systemd sets `$WATCHDOG_USEC` (and `$WATCHDOG_PID`, the process meant); the
  service must send `WATCHDOG=1` at least that often, and should at half of it, from the working loop
  itself so that a stuck loop stops the pings. A missed ping brings SIGABRT, then
  `Restart=on-failure`. `Notifier.ping()` sends one when half the interval has passed since the last.

Why hand-written rather than a library: the protocol is the handful of lines below and is a stable,
documented interface. `sdnotify` (PyPI) has not been released since 2017 and leaves the watchdog
interval, `$WATCHDOG_PID` and rate of pings to the caller; `systemd-python` needs libsystemd's
headers to build. Sending never raises: a notification that cannot be delivered is logged once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

from daemon.errors import one_line

log = logging.getLogger("tapeop.notify")


class Notifier:
    """Notifications to systemd; every method is a no-op when `address` is None (not under systemd)."""

    def __init__(
        self,
        address: str | None,
        watchdog_usec: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address or None
        self._target: str | bytes | None = None
        if self.address and self.address.startswith("@"):
            self._target = b"\0" + self.address[1:].encode()
        elif self.address and self.address.startswith("/"):
            self._target = self.address
        elif self.address:  # vsock:... and other kinds systemd may grow: not ours to speak
            log.warning("NOTIFY_SOCKET=%s is not a unix socket address: no systemd notifications", self.address)
        self.watchdog_usec = watchdog_usec if watchdog_usec and watchdog_usec > 0 else None
        self._clock = clock
        self._last_ping: float | None = None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, unset: bool = False) -> Notifier:
        """The notifier systemd set up for this process, if any.

        `WATCHDOG_USEC` counts only when `WATCHDOG_PID` is absent or names this process.
        `unset=True` removes the variables from `os.environ` so that child processes do not inherit them.
        """
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET")
        usec: int | None = None
        pid = env.get("WATCHDOG_PID")
        if pid is None or pid.strip() == str(os.getpid()):
            try:
                usec = int(env.get("WATCHDOG_USEC", ""))
            except ValueError:
                usec = None
        if unset and environ is None:
            for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
                os.environ.pop(key, None)
        return cls(address, usec)

    @property
    def enabled(self) -> bool:
        return self._target is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between pings (half of `WatchdogSec`), or None without a watchdog."""
        if not self.enabled or self.watchdog_usec is None:
            return None
        return self.watchdog_usec / 2_000_000

    def notify(self, *assignments: str) -> bool:
        """Send `KEY=VALUE` assignments in one datagram; True when it was delivered."""
        if self._target is None or not assignments:
            return False
        message = "\n".join(assignments).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # not inheritable (PEP 446)
                self._socket.sendto(message, self._target)
            except OSError as exc:
                if not self._warned:
                    log.warning("cannot notify systemd at %s: %s", self.address, exc)
                    self._warned = True
                return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """READY=1 (with a status line): the daemon serves."""
        return self.notify("READY=1", *([_status(status)] if status else []))

    def status(self, text: str) -> bool:
        return self.notify(_status(text))

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *([_status(status)] if status else []))

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for `seconds` more to start or stop (EXTEND_TIMEOUT_USEC)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={max(1, int(seconds * 1_000_000))}")

    def watchdog(self) -> bool:
        """WATCHDOG=1 now."""
        self._last_ping = self._clock()
        return self.notify("WATCHDOG=1")

    def ping(self) -> bool:
        """WATCHDOG=1 if half the watchdog interval has passed since the last one: call it from every
        turn of the working loop, and wait at most `watchdog_interval` between turns."""
        interval = self.watchdog_interval
        if interval is None:
            return False
        now = self._clock()
        if self._last_ping is not None and now - self._last_ping < interval:
            return False
        return self.watchdog()

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _status(text: str) -> str:
    return "STATUS=" + one_line(text)  # a newline would start another assignment
