"""The Profile screen under a Pilot: a row per kind of move on a kind of track, counting the answers
the log holds, and an answer given on the Questions screen shows there when the screen comes back."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from profiles.questions.ask import answer, load
from profiles.questions.lessons import lessons, move_words
from tests.tui.conftest import USER
from tui.app import TapeopApp
from tui.screens.profile import ProfileScreen


def rows(app: TapeopApp) -> list[list[str]]:
    screen = app.screen
    assert isinstance(screen, ProfileScreen)
    table = screen.query_one("#lessons", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.asyncio
async def test_f4_shows_a_row_per_pattern_and_answers_show_up_there(store_url: str, open_store) -> None:
    store = open_store()
    questions = load(store, USER).questions
    first = questions[0]
    answer(store, first.id, "reason", "masking")  # answered before the app starts
    app = TapeopApp(store_url, USER, 5, poll_seconds=3600)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("f4")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        shown = rows(app)
        patterns = {q.pattern for q in questions}
        assert len(shown) == len(patterns)
        top = shown[0]  # the answered pattern comes first
        assert top[0] == first.pattern[0] and top[1] == ", ".join(move_words(m) for m in first.pattern[1:])
        assert top[2] == "1" and top[-1] == "reason: masking"
        assert sum(int(r[4] or 0) for r in shown) == sum(q.status == "open" for q in questions) - 1
        await pilot.press("f1")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("t")  # the best open question: taste
        await pilot.app.workers.wait_for_complete()
        await pilot.press("f4")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert sum(r[-1].count("taste") for r in rows(app)) >= 1
    assert [lesson.by_hand for lesson in lessons(load(open_store(), USER))].count(0) < len(patterns)


def test_moves_read_as_words() -> None:
    assert move_words("eq.band.gain_db-") == "EQ band gain down"
    assert move_words("volume_db+") == "volume up"
    assert move_words("pan-") == "pan left"
    assert move_words("device-added") == "device added"
