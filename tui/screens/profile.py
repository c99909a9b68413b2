"""The Profile screen: what the engineer's answers have said so far, one row per kind of move on a
kind of track (profiles.questions.lessons), read again each time the screen is shown.

It is the tally of the answers only. The engineer's aesthetic profile, which weighs every change
in the log and not only the questioned ones, is not built yet; the screen says so above the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

if TYPE_CHECKING:
    from profiles.questions.lessons import Lesson
    from tui.app import TapeopApp

NOT_YET = (
    "What your answers have said so far, by kind of move on a kind of track. The full aesthetic profile "
    "(what you do to each kind of track, weighed over every change in the log) is not built yet."
)


class ProfileScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "reload", "Reload")]

    @property
    def tapeop(self) -> TapeopApp:
        return cast("TapeopApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(NOT_YET, id="profile-note", classes="empty")
        table: DataTable[str] = DataTable(id="lessons", cursor_type="row")
        for column in ("track", "moves", "answered", "inferred", "open", "sessions", "answers"):
            table.add_column(column, key=column)
        yield table
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="profile-load")
    def load(self) -> None:
        from profiles.questions.ask import load
        from profiles.questions.lessons import lessons

        found = lessons(load(self.tapeop.store(), self.tapeop.user))
        self.app.call_from_thread(self._show, found)

    def _show(self, found: list[Lesson]) -> None:
        table = self.query_one("#lessons", DataTable)
        table.clear()
        for lesson in found:
            table.add_row(
                lesson.track_kind or "(session)",
                lesson.what,
                str(lesson.by_hand or ""),
                str(lesson.inferred or ""),
                str(lesson.open + lesson.later or ""),
                str(len(lesson.sessions)),
                lesson.said,
            )
