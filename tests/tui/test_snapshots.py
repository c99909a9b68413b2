"""What each screen looks like, on the demo store of a fixed seed with its clock frozen (conftest),
compared with the SVGs under __snapshots__ (pytest-textual-snapshot; `--snapshot-update` after a
change meant to be seen). No cursor blinks in them: the inputs are unfocused when they are taken,
and the log, whose rows of today's questions carry today's time, is shown filtered to the changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.conftest import USER
from tui.app import TapeopApp

SIZE = (120, 36)


def app_on(url: str) -> TapeopApp:
    return TapeopApp(url, USER, 5, poll_seconds=3600)


def keys(*pressed: str) -> Any:
    async def run_before(pilot: Pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in pressed:
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run_before


def test_the_questions_screen(snap_compare: Any, store_url: str) -> None:
    assert snap_compare(app_on(store_url), terminal_size=SIZE, run_before=keys())


def test_the_second_question_with_a_note(snap_compare: Any, store_url: str) -> None:
    assert snap_compare(app_on(store_url), terminal_size=SIZE, run_before=keys("j", "n", *"airy", "enter"))


def test_the_rule_picker(snap_compare: Any, store_url: str) -> None:
    assert snap_compare(app_on(store_url), terminal_size=SIZE, run_before=keys("r"))


def test_the_log_screen(snap_compare: Any, store_url: str) -> None:
    filtered = ("f2", "slash", *"parameter-changed", "enter")
    assert snap_compare(app_on(store_url), terminal_size=(160, 36), run_before=keys(*filtered))


def test_the_sessions_screen(snap_compare: Any, store_url: str) -> None:
    assert snap_compare(app_on(store_url), terminal_size=SIZE, run_before=keys("f3"))


def test_the_profile_screen(snap_compare: Any, store_url: str) -> None:
    assert snap_compare(app_on(store_url), terminal_size=SIZE, run_before=keys("t", "f4"))


def test_the_probe_screen(snap_compare: Any, store_url: str) -> None:
    # A fixed folder for the renders (their path is on the screen); the player stands in for the sound card.
    app = TapeopApp(
        store_url,
        USER,
        5,
        poll_seconds=3600,
        player=lambda path: None,
        probes_folder=Path("/tmp/tapeop-snapshot-probes"),
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("w", "2"))
