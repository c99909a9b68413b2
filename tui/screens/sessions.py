"""The Sessions screen: each session's saves on a timeline, with how many changes each made and
how many of them no rule explains (read again each time the screen is shown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

if TYPE_CHECKING:
    from daemon.log.store import Store
    from tui.app import TapeopApp

BAR = 24  # the widest bar, in cells, for the save with the most changes


@dataclass(frozen=True)
class Save:
    session: str
    version: int | None
    saved_at: str
    changes: int
    unexplained: int


def read_saves(store: Store, user: str | None) -> list[Save]:
    """Every save, by session then version (blocking: a worker's). A change counts as unexplained
    when its latest verdict says so."""
    from daemon.log.events import VERDICT_TYPES

    saves = []
    latest: dict[int, tuple[str, int | None, str]] = {}  # the change judged -> its latest verdict
    for event in store.events(types=("session-saved", *VERDICT_TYPES), user=user):
        if event.type == "session-saved":
            saves.append((event.session, event.version, f"{event.at:%Y-%m-%d %H:%M}", int(event.payload["changes"])))
        else:
            latest[event.payload["refers_to"]] = (event.session, event.version, event.type)
    unexplained: dict[tuple[str, int | None], int] = {}
    for session, version, kind in latest.values():
        if kind == "change-unexplained":
            unexplained[session, version] = unexplained.get((session, version), 0) + 1
    return [
        Save(session, version, at, changes, unexplained.get((session, version), 0))
        for session, version, at, changes in sorted(saves, key=lambda s: (s[0], s[1] or 0))
    ]


def timeline(save: Save, most: int) -> Text:
    """The save's changes as a bar, its unexplained ones in red at its start."""
    width = 0 if not save.changes else max(1, round(BAR * save.changes / max(most, 1)))
    red = 0 if not save.unexplained else max(1, round(width * save.unexplained / save.changes))
    return Text.assemble(("█" * red, "red"), ("█" * (width - red), "green"), " " * (BAR - width))


class SessionsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "reload", "Reload")]

    @property
    def tapeop(self) -> TapeopApp:
        return cast("TapeopApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str | Text] = DataTable(id="sessions", cursor_type="row")
        for column in ("session", "version", "saved", "changes", "unexplained", "timeline"):
            table.add_column(column, key=column)
        yield table
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="sessions-load")
    def load(self) -> None:
        saves = read_saves(self.tapeop.store(), self.tapeop.user)
        self.app.call_from_thread(self._show, saves)

    def _show(self, saves: list[Save]) -> None:
        table = self.query_one("#sessions", DataTable)
        table.clear()
        most = max((s.changes for s in saves), default=0)
        previous = None
        for save in saves:
            name = save.session if save.session != previous else ""
            previous = save.session
            table.add_row(
                name,
                f"v{save.version}",
                save.saved_at,
                str(save.changes),
                str(save.unexplained) if save.unexplained else "",
                timeline(save, most),
            )
