"""The probe screen: the window of acceptability of one setting of a question, found by listening
(`w` on the Questions screen; profiles.windows.probe). Each probe plays the track's excerpt at the
setting as it is, switching halfway to the probe's value; the engineer answers `1` not enough,
`2` fine, `3` too much, `0` can't hear; space plays it again; escape ends (the window of the
answers so far is recorded, marked partial). Rendering runs in a worker; keys wait for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from profiles.windows.probe import amount

if TYPE_CHECKING:
    from profiles.questions.build import Question
    from profiles.windows.adaptive import Window
    from profiles.windows.probe import Probe, Prober
    from tui.app import TapeopApp

SAID = {"not-enough": "not enough", "fine": "fine", "too-much": "too much", "cant-hear": "can't hear"}


def probed_parameter(question: Question) -> str | None:
    """The setting of a question a window is probed for: its first change of a number."""
    for event in question.changes:
        p = event.payload
        after = p.get("after")
        if event.type == "parameter-changed" and isinstance(after, (int, float)) and not isinstance(after, bool):
            return str(p.get("parameter"))
    return None


class ProbeScreen(Screen["Window | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "answer('not-enough')", "Not enough"),
        Binding("2", "answer('fine')", "Fine"),
        Binding("3", "answer('too-much')", "Too much"),
        Binding("0", "answer('cant-hear')", "Can't hear"),
        Binding("space", "play", "Play again"),
        Binding("escape", "done", "Done"),
    ]

    def __init__(self, question: Question, parameter: str) -> None:
        super().__init__()
        self.question = question
        self.parameter = parameter
        self.prober: Prober | None = None
        self.probe: Probe | None = None
        self.window: Window | None = None
        self.busy = True
        self.finished = False
        self.said: list[str] = []

    @property
    def tapeop(self) -> TapeopApp:
        return cast("TapeopApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"probing {self.question.track}: {self.parameter}", id="probe-title")
        yield Static("reading the track's audio and choosing the excerpt...", id="probe-body")
        yield Footer()

    def on_mount(self) -> None:
        self.prepare()

    # --- workers ---------------------------------------------------------------------------------

    @work(thread=True, group="probe")
    def prepare(self) -> None:
        from daemon.errors import AppError
        from profiles.windows.probe import Prober, find_target, history_prior

        store = self.tapeop.store()
        try:
            target = find_target(
                store, self.question.session, self.question.track or "", self.parameter, self.tapeop.user or ""
            )
            folder = self.tapeop.probes_folder / f"{target.refers_to}-{target.parameter}"
            prober = Prober(store, target, folder, prior=history_prior(store, target))
            probe = prober.next()
        except AppError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._ready, prober, probe)

    @work(thread=True, group="probe")
    def take(self, answer: str) -> None:
        assert self.prober is not None
        self.prober.answer(answer)
        probe = self.prober.next()
        window = self.prober.finish() if probe is None else None
        self.app.call_from_thread(self._next, probe, window)

    @work(thread=True, group="probe")
    def finish(self) -> None:
        assert self.prober is not None
        window = self.prober.finish()
        self.app.call_from_thread(self.dismiss, window)

    @work(thread=True, group="probe-play")
    def play(self, path: Path) -> None:
        why_not = self.tapeop.player(path)
        if why_not:
            self.app.call_from_thread(self.notify, f"{why_not} ({path})", severity="warning")

    # --- what is shown ---------------------------------------------------------------------------

    def _failed(self, message: str) -> None:
        self.busy, self.finished = False, True
        self.query_one("#probe-body", Static).update(Text(f"cannot probe this setting: {message}", style="red"))

    def _ready(self, prober: Prober, probe: Probe | None) -> None:
        self.prober = prober
        self._next(probe, None if probe is not None else prober.finish())

    def _next(self, probe: Probe | None, window: Window | None) -> None:
        self.probe, self.busy = probe, False
        if window is not None:
            self.window, self.finished = window, True
        elif probe is not None:
            self.play(Path(probe.files["switch"]))
        self.show()

    def show(self) -> None:
        prober = self.prober
        if prober is None:
            return
        target = prober.target
        text = Text()
        text.append(f"{target.track}: {target.parameter}", style="bold")
        text.append(f" now {amount(target.current, target.unit)} (moved from {amount(target.before, target.unit)})\n")
        text.append(f"excerpt at {prober.excerpt.start_s:.1f} s: {prober.excerpt.why}\n\n", style="dim")
        for line in self.said:
            text.append(f"  {line}\n")
        estimate = prober.window()
        if self.finished:
            text.append(
                f"\nwindow: {amount(estimate.low, estimate.unit)} .. {amount(estimate.high, estimate.unit)} from {estimate.n} answers "
                "(recorded; escape goes back)\n",
                style="bold green",
            )
        elif self.probe is not None:
            text.append(f"\nprobe {self.probe.number}: ", style="bold")
            text.append(amount(self.probe.value, target.unit), style="bold yellow")
            text.append(f"   (plays {amount(target.current, target.unit)}, switching halfway to the probe's)\n")
            text.append(
                f"   window so far: {amount(estimate.low, estimate.unit)} .. {amount(estimate.high, estimate.unit)}\n",
                style="dim",
            )
            text.append("   1 not enough   2 fine   3 too much   0 can't hear   space again\n")
            text.append(f"   files: {self.probe.files['switch']}\n", style="dim")
        self.query_one("#probe-body", Static).update(text)

    # --- keys ------------------------------------------------------------------------------------

    def action_answer(self, answer: str) -> None:
        if self.busy or self.finished or self.probe is None:
            return
        unit = self.prober.target.unit if self.prober is not None else ""
        self.said.append(f"probe {self.probe.number}: {amount(self.probe.value, unit)} -> {SAID[answer]}")
        self.busy = True
        self.take(answer)

    def action_play(self) -> None:
        if self.probe is not None and not self.finished:
            self.play(Path(self.probe.files["switch"]))

    def action_done(self) -> None:
        if self.busy:
            return
        if self.finished or self.prober is None:
            self.dismiss(self.window)
            return
        self.busy = True
        self.finish()
