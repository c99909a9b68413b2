"""A desktop notification, where the platform has one: "3 questions about today's session: tapeop ask".

Sent through desktop-notifier (PyPI; maintained; D-Bus on Linux, the Notification Center on
macOS, WinRT toasts on Windows), the optional `notify` extra. Where the library is not installed,
no notification server answers (a headless machine, no D-Bus session) or sending fails for any
other reason, nothing is shown and the reason is logged once at debug level: a notification is a
courtesy, never a failure of the service. `TAPEOP_NOTIFY=0` turns them off.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("tapeop.desktop")
APP_NAME = "tapeop"


def notify(title: str, message: str) -> bool:
    """Show a notification; whether one was handed to the platform."""
    if os.environ.get("TAPEOP_NOTIFY", "1") == "0":
        return False
    try:
        from desktop_notifier import DesktopNotifierSync
    except ImportError:
        log.debug("no desktop notification: desktop-notifier is not installed (pip install 'tapeop[notify]')")
        return False
    try:
        DesktopNotifierSync(app_name=APP_NAME).send(title=title, message=message)
    except Exception as exc:  # noqa: BLE001 - any platform failure: no notification, the service goes on
        log.debug("no desktop notification: %s", exc)
        return False
    return True


def questions_message(count: int, sessions: list[str]) -> tuple[str, str]:
    """The notification of a down-time with `count` questions, about these sessions (most asked first)."""
    about = sessions[0] if len(set(sessions)) == 1 else f"{len(set(sessions))} sessions"
    noun = "question" if count == 1 else "questions"
    return f"tapeop: {count} {noun}", f"{count} {noun} about {about}: tapeop ask"
