"""The Questions screen: the open questions of this break (at most `per_break`, best first), one at
a time in its context, answered with one key (CONTRACT.md, "The TUI")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from tui.widgets.modals import OTHER, NoteInput, RulePicker

if TYPE_CHECKING:
    from daemon.log.store import Store
    from profiles.questions.build import Question
    from profiles.questions.context import TrackContext
    from profiles.windows.adaptive import Window
    from tui.app import Hook, TapeopApp

PLOT_TICKS_HZ = (50, 100, 200, 500, 1000, 2000, 5000, 10000)
PLOT_FLOOR_DB = -60.0


@dataclass(frozen=True)
class Asked:
    """A question with what the screen shows around it, read in a worker."""

    question: Question
    saved_at: str  # the save's time, "YYYY-MM-DD HH:MM"
    file: str  # the saved file's name
    changes: list[str]  # its changes as sentences
    others: list[str]  # the save's other changes as sentences


def read_questions(store: Store, user: str | None, limit: int) -> list[Asked]:
    """The open questions of one break with their context (blocking: a worker's)."""
    from daemon.log.events import CHANGE_TYPES
    from daemon.sessions.changes import Change
    from daemon.sessions.sentences import outline, sentence
    from profiles.questions.ask import open_questions

    def said(event_type: str, payload: dict) -> str:
        return sentence(Change.from_payload(event_type, payload))

    found = []
    for question in open_questions(store, user, limit):
        save = list(store.events(session=question.session, version=question.version))
        saved = next((e for e in save if e.type == "session-saved"), None)
        own = set(question.refers_to)
        rest = [
            Change.from_payload(e.type, e.payload) for e in save if e.type in CHANGE_TYPES and e.position not in own
        ]
        others = ["  " * depth + line for depth, line in outline(rest)]
        found.append(
            Asked(
                question,
                f"{saved.at:%Y-%m-%d %H:%M}" if saved else "?",
                str(saved.payload.get("file", "")).replace("\\", "/").rsplit("/", 1)[-1] if saved else "",
                [said(e.type, e.payload) for e in question.changes],
                others,
            )
        )
    return found


class QuestionsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "answer('reason')", "Reason"),
        Binding("t", "answer('taste')", "Taste"),
        Binding("m", "answer('mistake')", "Mistake"),
        Binding("l", "answer('later')", "Later"),
        Binding("n", "note", "Note"),
        Binding("o", "hook('open_in_daw')", "Open"),
        Binding("p", "hook('play')", "Play"),
        Binding("w", "probe", "Window"),
        Binding("j,down,right", "move(1)", "Next", show=False),
        Binding("k,up,left", "move(-1)", "Previous", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[Asked] | None = None  # None until read
        self.index = 0
        self.note: str | None = None
        self.rules: list[tuple[str, str]] = []
        self.answered = 0
        self.shown: set[int] = set()
        self.contexts: dict[int, TrackContext] = {}  # by question id, measured once

    @property
    def tapeop(self) -> TapeopApp:
        return cast("TapeopApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("reading the open questions...", id="counter")
        with Horizontal(id="question-pane"):
            with VerticalScroll(id="question-body", can_focus=False):
                yield Static(id="question")
            with Vertical(id="audio-pane"):
                yield Static(id="audio")
                yield PlotextPlot(id="spectrum")
        yield Static(id="note-line")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @property
    def current(self) -> Asked | None:
        if not self.asked:
            return None
        return self.asked[self.index]

    # --- workers: every store access -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="questions-load")
    def load(self) -> None:
        from profiles.questions.ask import rules

        store = self.tapeop.store()
        asked = read_questions(store, self.tapeop.user, self.tapeop.per_break)
        found = [(r.name, r.summary) for r in rules()]
        self.app.call_from_thread(self._loaded, asked, found)

    def _loaded(self, asked: list[Asked], found: list[tuple[str, str]]) -> None:
        self.asked, self.rules, self.index = asked, found, 0
        self.show()
        if asked:
            self.measure_contexts([a.question for a in asked])

    @work(thread=True, group="questions-asked")
    def mark_asked(self, question: Question) -> None:
        from profiles.questions.ask import mark_asked

        mark_asked(self.tapeop.store(), [question])

    @work(thread=True, group="questions-answer")
    def send_answer(self, question: Question, kind: str, rule: str | None, note: str | None) -> None:
        from daemon.errors import AppError
        from profiles.questions.ask import answer

        try:
            answer(self.tapeop.store(), question.id, kind, rule=rule, note=note, known=question)
        except AppError as exc:
            self.app.call_from_thread(self.notify, f"question {question.id}: {exc}", severity="error")

    @work(thread=True, exclusive=True, group="questions-context")
    def measure_contexts(self, questions: list[Question]) -> None:
        """The audio numbers and spectrum of each question's track (profiles.questions.context), in
        the order asked, all of the break's measured ahead: the next question shows with its own."""
        worker = get_current_worker()
        reader = self.tapeop.context_reader()
        for question in questions:
            if worker.is_cancelled:
                return
            with self.tapeop.context_lock:
                found = reader.measure(question, cancelled=lambda: worker.is_cancelled)
            if not worker.is_cancelled:
                self.app.call_from_thread(self._measured, question.id, found)

    def _measured(self, question_id: int, found: TrackContext) -> None:
        self.contexts[question_id] = found
        if self.current is not None and self.current.question.id == question_id:
            self.show_context(found)

    @work(thread=True, group="questions-hook")
    def run_hook(self, hook: Hook, question: Question) -> None:
        said = hook(question)
        self.app.call_from_thread(self.notify, said)

    # --- what is shown ---------------------------------------------------------------------------

    def show(self) -> None:
        counter = self.query_one("#counter", Static)
        body = self.query_one("#question", Static)
        self.query_one("#note-line", Static).update(f"note for the next answer: {self.note}" if self.note else "")
        asked = self.current
        if self.asked is None:
            return
        if asked is None:
            done = f" ({self.answered} answered)" if self.answered else ""
            counter.update(f"no open questions left{done}")
            body.update("Nothing to ask now: every unexplained change is answered or waits for a later break.")
            self.query_one("#audio-pane").display = False
            return
        counter.update(f"question {self.index + 1} of {len(self.asked)}")
        body.update(self.render_question(asked))
        self.show_context(self.contexts.get(asked.question.id))  # measured ahead, or on its way
        if asked.question.id not in self.shown:
            self.shown.add(asked.question.id)  # recorded once, by the worker (if not asked before)
            self.mark_asked(asked.question)

    def show_context(self, found: TrackContext | None) -> None:
        """The track's audio numbers and its spectrum before/after, or that they are being measured."""
        pane = self.query_one("#audio-pane")
        asked = self.current
        pane.display = asked is not None and asked.question.track is not None
        numbers = self.query_one("#audio", Static)
        plot = self.query_one("#spectrum", PlotextPlot)
        if found is None:
            numbers.update(Text("measuring the track's audio...", style="dim"), layout=False)
            plot.display = False
            return
        text = Text()
        text.append(f"{found.track or 'the session'}: what the rules measured\n", style="bold")
        for line in found.lines():
            text.append(f"  {line}\n")
        spectrum = found.spectrum
        if spectrum is not None and not spectrum.differs:
            text.append(
                "  the spectrum is the same before and after (the change is not an EQ or fader move)\n", style="dim"
            )
        numbers.update(text, layout=False)  # its height is fixed (app.tcss): no layout to redo
        plot.display = spectrum is not None
        if spectrum is None:
            return
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("spectrum, dB: blue before, red after")  # no legend: plotext's fails on a tiny plot
        plt.xscale("log")
        low, high = float(spectrum.freqs_hz[0]), float(spectrum.freqs_hz[-1])
        ticks = [f for f in PLOT_TICKS_HZ if low <= f <= high]
        plt.xticks([float(f) for f in ticks], [f"{f // 1000}k" if f >= 1000 else str(f) for f in ticks])
        plt.ylim(PLOT_FLOOR_DB, 0)
        plt.plot(spectrum.freqs_hz.tolist(), spectrum.before_db.tolist(), color="blue", marker="braille")
        plt.plot(spectrum.freqs_hz.tolist(), spectrum.after_db.tolist(), color="red", marker="braille")
        if found.lowest is not None:
            plt.vline(found.lowest.freq_hz, color="green")
            plt.text(f"lowest {found.lowest.note}", found.lowest.freq_hz, PLOT_FLOOR_DB + 6, color="green")
        plot.refresh()

    @staticmethod
    def render_question(asked: Asked) -> Text:
        q = asked.question
        text = Text()
        text.append(q.prompt, style="bold")
        text.append("\n\n")
        where = " / ".join(p for p in (q.track, q.device) if p)
        for label, value in (
            ("session", f"{q.session}, version {q.version}"),
            ("saved", f"{asked.saved_at}  {asked.file}"),
            ("on", where or "the session"),
        ):
            text.append(f"{label:>8}  ", style="dim")
            text.append(f"{value}\n")
        text.append("\n  changes\n", style="bold")
        for line in asked.changes:
            text.append(f"    {line}\n")
        if asked.others:
            text.append("\n  the save's other changes\n", style="dim bold")
            for line in asked.others:
                text.append(f"    {line}\n", style="dim")
        return text

    # --- keys ------------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.asked:
            self.index = (self.index + step) % len(self.asked)
            self.show()

    def action_answer(self, kind: str) -> None:
        if self.current is None:
            return
        if kind != "reason":
            self.answer_current(kind, None)
            return

        def picked(rule: str | None) -> None:
            if rule == OTHER and not self.note:
                self.app.push_screen(NoteInput("The reason, in your words:"), lambda note: self._other(note))
            elif rule is not None:
                self.answer_current("reason", rule)

        self.app.push_screen(RulePicker(self.rules), picked)

    def _other(self, note: str | None) -> None:
        if note:
            self.note = note
            self.answer_current("reason", OTHER)

    def answer_current(self, kind: str, rule: str | None) -> None:
        assert self.asked is not None
        asked = self.asked.pop(self.index)
        self.send_answer(asked.question, kind, rule, self.note)
        self.note = None
        self.answered += 1
        self.index = min(self.index, max(len(self.asked) - 1, 0))
        self.show()

    def action_note(self) -> None:
        def noted(note: str | None) -> None:
            self.note = note
            self.show()

        self.app.push_screen(NoteInput("A note, sent with the next answer:", self.note or ""), noted)

    def action_probe(self) -> None:
        """Probe the window of acceptability of the question's setting (tui.screens.probe)."""
        from profiles.windows.probe import amount
        from tui.screens.probe import ProbeScreen, probed_parameter

        asked = self.current
        if asked is None:
            return
        parameter = probed_parameter(asked.question)
        if parameter is None or asked.question.track is None:
            self.notify("No setting with a number here to probe a window for.", severity="warning")
            return

        def probed(window: Window | None) -> None:
            if window is not None:
                partial = ", partial" if window.partial else ""
                span = f"{amount(window.low, window.unit)} .. {amount(window.high, window.unit)}"
                self.notify(f"window recorded: {span} ({window.n} answers{partial})")

        self.app.push_screen(ProbeScreen(asked.question, parameter), probed)

    def action_hook(self, name: str) -> None:
        hook: Hook | None = getattr(self.tapeop, name)
        if hook is None:
            what = "opener (o)" if name == "open_in_daw" else "player (p)"
            self.notify(f"This build has no {what} yet.", severity="warning")
        elif self.current is not None:
            self.run_hook(hook, self.current.question)
