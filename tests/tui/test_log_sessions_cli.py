"""The Log screen (every event with its verdict, filtered, live), the Sessions screen (each save
on a timeline) and the `tapeop ask` command that starts the app."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from daemon.cli import main
from daemon.log.events import VERDICT_TYPES
from profiles.questions.ask import down_time
from tests.tui.conftest import USER
from tui.app import TapeopApp
from tui.screens.log import LogScreen
from tui.screens.sessions import SessionsScreen


async def settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.asyncio
async def test_the_log_shows_every_event_with_its_verdict(store_url: str, open_store) -> None:
    app = TapeopApp(store_url, USER, 5, poll_seconds=60)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)  # the questions screen records its first question asked
        events = [e for e in open_store().events() if e.type not in VERDICT_TYPES]
        unexplained = {e.payload["refers_to"] for e in open_store().events(types=("change-unexplained",))}
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LogScreen)
        table = app.screen.query_one("#log", DataTable)
        assert table.row_count == len(events)
        for position in unexplained:
            assert table.get_cell(str(position), "verdict") == "unexplained"


@pytest.mark.asyncio
async def test_the_log_filters_by_what_is_typed(store_url: str) -> None:
    app = TapeopApp(store_url, USER, 5, poll_seconds=60)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        table = app.screen.query_one("#log", DataTable)
        everything = table.row_count
        await pilot.press("slash", *"song b, kick", "enter")
        shown = [table.get_row_at(i) for i in range(table.row_count)]
        assert 0 < len(shown) < everything
        assert all(row[3] == "Song B" and "kick" in " ".join(row).lower() for row in shown)
        app.screen.query_one("#filter", Input).value = "session-saved"
        await pilot.pause()
        assert {table.get_row_at(i)[5] for i in range(table.row_count)} == {"session-saved"}


@pytest.mark.asyncio
async def test_the_log_is_live(store_url: str, open_store) -> None:
    app = TapeopApp(store_url, USER, 5, poll_seconds=0.05)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        table = app.screen.query_one("#log", DataTable)
        before = table.row_count
        event = down_time(open_store(), USER, 15)
        for _ in range(100):
            await pilot.pause(0.05)
            if table.row_count > before:
                break
        assert table.row_count == before + 1
        assert table.get_row_at(before)[5] == event.type


@pytest.mark.asyncio
async def test_the_sessions_screen_shows_each_save(store_url: str, open_store) -> None:
    saves = list(open_store().events(types=("session-saved",)))
    app = TapeopApp(store_url, USER, 5)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        table = app.screen.query_one("#sessions", DataTable)
        assert table.row_count == len(saves)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [r[1] for r in rows] == [f"v{s.version}" for s in sorted(saves, key=lambda s: (s.session, s.version))]
        assert sum(int(r[4] or 0) for r in rows) > 0, "the demo has unexplained changes"
        await pilot.press("f1")
        assert app.current_mode == "questions"


def test_tapeop_ask_starts_the_app_on_the_store_and_user(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[TapeopApp] = []
    monkeypatch.setattr(TapeopApp, "run", lambda self: started.append(self))
    assert main(["ask", "--db", store_url, "--user", "greg"]) == 0
    (app,) = started
    assert (app.store_url, app.user, app.per_break) == (store_url, "greg", 5)
