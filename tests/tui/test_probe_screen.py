"""The probe screen under a Pilot, on the demo store: `w` on a question opens it, each probe is
played (the player stands in for the sound card, which is outside our reach), `1` `2` `3` `0`
answer, space plays again, escape records the window of the answers so far, marked partial."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui.conftest import USER
from tui.app import TapeopApp
from tui.screens.probe import ProbeScreen, probed_parameter
from tui.screens.questions import QuestionsScreen

pytestmark = pytest.mark.asyncio


async def settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_w_probes_the_questions_setting_and_escape_records_a_partial_window(
    store_url: str, open_store, tmp_path: Path
) -> None:
    played: list[Path] = []

    def player(path: Path) -> str | None:
        played.append(path)
        return None

    app = TapeopApp(store_url, USER, 5, player=player, probes_folder=tmp_path / "probes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        questions = app.screen
        assert isinstance(questions, QuestionsScreen) and questions.current is not None
        parameter = probed_parameter(questions.current.question)
        assert parameter is not None
        await pilot.press("w")
        await settle(pilot)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProbeScreen)
        body = str(screen.query_one("#probe-body", Static).content)
        assert "probe 1:" in body and parameter in body, body
        assert len(played) == 1 and played[0].name == "p1-switch.wav" and sf.info(str(played[0])).frames > 0
        await pilot.press("space")
        await settle(pilot)
        assert played[-1] == played[0] and len(played) == 2
        for key in ("2", "3", "1"):
            await pilot.press(key)
            await settle(pilot)
        assert "probe 4:" in str(screen.query_one("#probe-body", Static).content)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QuestionsScreen)
    events = list(open_store().events(types=("window-probed",)))
    assert len(events) == 1
    payload = events[0].payload
    assert payload["parameter"] == parameter and payload["window"]["partial"] is True
    assert [p["answer"] for p in payload["probes"]] == ["fine", "too-much", "not-enough"]
    assert payload["window"]["n"] == 3 and payload["window"]["low"] <= payload["window"]["high"]
