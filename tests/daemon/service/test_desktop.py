"""Desktop notifications: sent through desktop-notifier where it is installed, quietly nothing
where it is not or where the platform has no notification server."""

from __future__ import annotations

import sys
import types

import pytest

from daemon.service import desktop


def _fake(monkeypatch: pytest.MonkeyPatch, send) -> list[tuple[str, str, str]]:  # noqa: ANN001
    sent: list[tuple[str, str, str]] = []

    class DesktopNotifierSync:  # the platform's notification server is outside our reach
        def __init__(self, app_name: str) -> None:
            self.app_name = app_name

        def send(self, title: str, message: str) -> None:
            send()
            sent.append((self.app_name, title, message))

    module = types.ModuleType("desktop_notifier")
    module.DesktopNotifierSync = DesktopNotifierSync  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "desktop_notifier", module)
    return sent


def test_a_notification_is_handed_to_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _fake(monkeypatch, lambda: None)
    assert desktop.notify(*desktop.questions_message(3, ["Song A", "Song A", "Song A"]))
    assert sent == [("tapeop", "tapeop: 3 questions", "3 questions about Song A: tapeop ask")]
    assert desktop.questions_message(1, ["Song A"])[1] == "1 question about Song A: tapeop ask"
    assert desktop.questions_message(2, ["Song A", "Song B"])[1] == "2 questions about 2 sessions: tapeop ask"


def test_no_server_no_library_or_turned_off_is_quietly_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dbus() -> None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")

    sent = _fake(monkeypatch, no_dbus)
    assert desktop.notify("t", "m") is False and sent == []
    monkeypatch.setitem(sys.modules, "desktop_notifier", None)  # not installed: the import fails
    assert desktop.notify("t", "m") is False
    monkeypatch.setenv("TAPEOP_NOTIFY", "0")
    assert desktop.notify("t", "m") is False
