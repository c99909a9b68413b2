"""The Questions screen under a Pilot, on a real store: every key, what it appends, and what a new
app (a later break) shows again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from textual_plotext import PlotextPlot

from daemon.log.store import Store
from profiles.questions.ask import down_time, open_questions
from profiles.questions.build import Question
from tests.tui.conftest import USER
from tui.app import TapeopApp
from tui.screens.questions import QuestionsScreen
from tui.widgets.modals import NoteInput, RulePicker

PER_BREAK = 5
pytestmark = pytest.mark.asyncio


def app_on(url: str, **hooks: Callable[[Question], str]) -> TapeopApp:
    return TapeopApp(url, USER, PER_BREAK, **hooks)


async def settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen(app: TapeopApp) -> QuestionsScreen:
    return next(s for s in app.screen_stack if isinstance(s, QuestionsScreen))


def counter(app: TapeopApp) -> str:
    return str(screen(app).query_one("#counter", Static).content)


def current_id(app: TapeopApp) -> int:
    asked = screen(app).current
    assert asked is not None
    return asked.question.id


def answers(store: Store) -> dict[int, dict]:
    """The latest answer given by hand (not inferred) to each question."""
    found = {}
    for event in store.events(types=("question-answered",)):
        if not event.payload.get("inferred"):
            found[event.payload["question"]] = event.payload
    return found


async def test_it_opens_on_the_best_open_question_in_its_context(store_url: str, open_store) -> None:
    best = open_questions(open_store(), USER, PER_BREAK)
    app = app_on(store_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert counter(app) == f"question 1 of {len(best)}"
        assert current_id(app) == best[0].id
        shown = str(screen(app).query_one("#question", Static).content)
        assert best[0].prompt in shown
        assert f"{best[0].session}, version {best[0].version}" in shown
        assert "2024-05-01" in shown and "->" in shown


async def test_beside_it_the_tracks_audio_numbers_and_its_spectrum(store_url: str) -> None:
    app = app_on(store_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await settle(pilot)  # the measurement, started once the question shows
        shown = screen(app)
        for _ in range(len(shown.asked or [])):
            asked = shown.current
            assert asked is not None and asked.question.track is not None
            numbers = str(shown.query_one("#audio", Static).content)
            assert f"{asked.question.track}: what the rules measured" in numbers
            assert "LUFS" in numbers and "dBTP" in numbers and "lowest note" in numbers and "masked by" in numbers
            plot = shown.query_one("#spectrum", PlotextPlot)
            assert plot.display and plot.size.height >= 12
            await pilot.press("j")
            await settle(pilot)
            await settle(pilot)


async def test_showing_a_question_records_it_asked_once(store_url: str, open_store) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        first = current_id(app)
        await pilot.press("j", "k", "j")
        await settle(pilot)
        second = screen(app).asked[1].question.id  # type: ignore[index]
    asked = [e.payload["question"] for e in open_store().events(types=("question-asked",))]
    assert sorted(asked) == sorted([first, second]), "each shown question once, the others not"


async def test_j_k_and_the_arrows_move_between_questions(store_url: str) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        ids = [a.question.id for a in screen(app).asked or []]
        assert len(ids) >= 3
        for key, index in (("j", 1), ("down", 2), ("k", 1), ("up", 0), ("right", 1), ("left", 0), ("k", len(ids) - 1)):
            await pilot.press(key)
            assert current_id(app) == ids[index], key
            assert counter(app) == f"question {index + 1} of {len(ids)}"


async def test_t_m_l_answer_and_move_on(store_url: str, open_store) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        total = len(screen(app).asked or [])
        given = {}
        for key, kind in (("t", "taste"), ("m", "mistake"), ("l", "later")):
            given[current_id(app)] = kind
            await pilot.press(key)
            await settle(pilot)
        assert counter(app).endswith(f"of {total - 3}") or total - 3 == 0
    found = answers(open_store())
    assert {q: found[q]["answer"] for q in given} == given
    assert all(found[q]["rule"] is None and found[q]["note"] is None for q in given)


async def test_r_picks_a_rule_and_the_answer_names_it(store_url: str, open_store) -> None:
    app = app_on(store_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        question = current_id(app)
        rules = [name for name, _ in screen(app).rules]
        await pilot.press("r")
        assert isinstance(app.screen, RulePicker)
        options = app.screen.query_one(OptionList)
        assert options.option_count == len(rules) + 1, "one line per rule, and other"
        options.highlighted = len(rules) - 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QuestionsScreen)
    answer = answers(open_store())[question]
    assert (answer["answer"], answer["rule"]) == ("reason", rules[-1])


async def test_r_other_asks_for_the_reason_as_a_note(store_url: str, open_store) -> None:
    app = app_on(store_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        question = current_id(app)
        await pilot.press("r")
        options = app.screen.query_one(OptionList)
        options.highlighted = options.option_count - 1
        await pilot.press("enter")
        assert isinstance(app.screen, NoteInput)
        await pilot.press(*"sits behind the vocal", "enter")
        await settle(pilot)
    answer = answers(open_store())[question]
    assert (answer["answer"], answer["rule"], answer["note"]) == ("reason", "other", "sits behind the vocal")


async def test_escape_in_the_picker_answers_nothing(store_url: str, open_store) -> None:
    app = app_on(store_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        question = current_id(app)
        await pilot.press("r", "escape")
        await settle(pilot)
        assert current_id(app) == question
    assert answers(open_store()) == {}


async def test_n_takes_a_note_that_goes_with_the_next_answer(store_url: str, open_store) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        question = current_id(app)
        await pilot.press("n")
        assert isinstance(app.screen, NoteInput)
        await pilot.press(*"too boomy", "enter")
        assert "too boomy" in str(screen(app).query_one("#note-line", Static).content)
        await pilot.press("t")
        await settle(pilot)
        following = current_id(app)
        await pilot.press("m")
        await settle(pilot)
    found = answers(open_store())
    assert (found[question]["answer"], found[question]["note"]) == ("taste", "too boomy")
    assert found[following]["note"] is None, "a note goes with one answer only"


async def test_o_and_p_call_their_hooks_with_the_current_question(store_url: str) -> None:
    called: list[tuple[str, int]] = []

    def opener(question: Question) -> str:
        called.append(("open", question.id))
        return "opened in REAPER"

    def player(question: Question) -> str:
        called.append(("play", question.id))
        return "playing before, then after"

    app = app_on(store_url, open_in_daw=opener, play=player)
    async with app.run_test() as pilot:
        await settle(pilot)
        question = current_id(app)
        await pilot.press("o", "p")
        await settle(pilot)
        said = [n.message for n in app._notifications]
    assert called == [("open", question), ("play", question)]
    assert said == ["opened in REAPER", "playing before, then after"]


async def test_o_and_p_without_hooks_say_this_build_has_none(store_url: str) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("o", "p")
        said = [n.message for n in app._notifications]
    assert said == ["This build has no opener (o) yet.", "This build has no player (p) yet."]


async def test_q_quits(store_url: str) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_an_answer_and_q_at_once_leave_the_answer_in_the_log(store_url: str, open_store) -> None:
    """The engineer answers and quits in one breath (or both keys come in one read on a busy
    machine): the answer the screen took is in the log once the app has ended."""
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        first = current_id(app)
        # As the terminal's driver posts them when one read brings both keys: one after the other,
        # with no wait between (pilot.press would wait for the app to be idle after each).
        app.post_message(events.Key("m", "m"))
        app.post_message(events.Key("q", "q"))
        await pilot.pause()
        assert not app.is_running
    assert answers(open_store())[first]["answer"] == "mistake"


async def test_when_none_are_left_it_says_so(store_url: str) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        for _ in range(len(screen(app).asked or [])):
            await pilot.press("t")
            await settle(pilot)
        assert counter(app).startswith("no open questions left")
        await pilot.press("t", "j", "o")  # nothing to answer, move to or open: no error
        await settle(pilot)


async def test_answered_questions_do_not_come_back_and_later_ones_wait_for_a_down_time(
    store_url: str, open_store
) -> None:
    app = app_on(store_url)
    async with app.run_test() as pilot:
        await settle(pilot)
        taste, later = current_id(app), screen(app).asked[1].question.id  # type: ignore[index]
        await pilot.press("t", "l")
        await settle(pilot)
    again = app_on(store_url)
    async with again.run_test() as pilot:
        await settle(pilot)
        shown = {a.question.id for a in screen(again).asked or []}
    assert taste not in shown and later not in shown
    down_time(open_store(), USER, 15)
    after = app_on(store_url)
    async with after.run_test() as pilot:
        await settle(pilot)
        shown = {a.question.id for a in screen(after).asked or []}
    assert later in shown and taste not in shown
