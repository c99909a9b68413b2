"""The Log screen: every event with its verdict, as sentences (like `tapeop events`), filtered by
what the engineer types (session, track, type), and live: a worker reads the new events each poll."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

if TYPE_CHECKING:
    from daemon.log.records import LoggedEvent
    from daemon.log.store import Store
    from tui.app import TapeopApp

COLUMNS = ("#", "time", "user", "session", "v", "type", "verdict", "what")
VERDICT = COLUMNS.index("verdict")
BATCH = 5000  # events read per query: a big log arrives in pieces, never held twice


@dataclass
class Row:
    position: int
    cells: list[str]  # as COLUMNS
    judged: bool

    def matches(self, terms: list[str]) -> bool:
        text = " ".join(self.cells).lower()
        return all(term in text for term in terms)


def what(event: LoggedEvent) -> str:
    """One event as a sentence."""
    from daemon.log.events import CHANGE_TYPES
    from daemon.sessions.changes import Change
    from daemon.sessions.sentences import sentence

    payload = event.payload
    if event.type in CHANGE_TYPES:
        return sentence(Change.from_payload(event.type, payload))
    if event.type == "session-saved":
        name = str(payload.get("file", "")).replace("\\", "/").rsplit("/", 1)[-1]
        return f"saved {name} ({payload.get('changes', 0)} change(s))"
    if event.type == "save-rejected":
        return f"rejected {payload.get('file')}: {payload.get('reason')}"
    if event.type == "question-answered":
        rule = f" ({payload['rule']})" if payload.get("rule") else ""
        return f"question {payload.get('question')}: {payload.get('answer')}{rule}"
    if event.type == "question-asked":
        return f"question {payload.get('question')} asked"
    return ""


def verdict(event: LoggedEvent) -> str:
    if event.type == "change-unexplained":
        return "unexplained"
    return f"justified: {event.payload.get('rule')}"  # the reason is in `tapeop events`


def read_after(store: Store, after: int) -> tuple[list[Row], dict[int, str], int]:
    """The events after position `after`: the rows to add, the verdicts by the position they
    judge, and the last position read (blocking: a worker's)."""
    from daemon.log.events import JUDGED_TYPES, VERDICT_TYPES

    rows: list[Row] = []
    verdicts: dict[int, str] = {}
    last = after
    while True:
        batch = list(store.events(after=last, limit=BATCH))
        for event in batch:
            if event.type in VERDICT_TYPES:
                verdicts[event.payload["refers_to"]] = verdict(event)
                continue
            judged = event.type in JUDGED_TYPES
            cells = [
                str(event.position),
                f"{event.at:%Y-%m-%d %H:%M}",
                event.user,
                event.session,
                str(event.version or "-"),
                event.type,
                "not judged yet" if judged else "",
                what(event),
            ]
            rows.append(Row(event.position, cells, judged))
        if batch:
            last = batch[-1].position
        if len(batch) < BATCH:
            return rows, verdicts, last


class LogScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("slash", "filter", "Filter")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, Row] = {}
        self.verdicts: dict[int, str] = {}  # verdicts read before their change (never, in order; kept anyway)
        self.last = 0
        self.terms: list[str] = []

    @property
    def tapeop(self) -> TapeopApp:
        return cast("TapeopApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder="filter: a session, track or type; several with commas (/ to type, enter for the table)",
            id="filter",
        )
        table: DataTable[str] = DataTable(id="log", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            table.add_column(column, key=column)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#log", DataTable).focus()
        self.poll()
        self.set_interval(self.tapeop.poll_seconds, self.poll)

    @work(thread=True, exclusive=True, group="log-poll")
    def poll(self) -> None:
        found = read_after(self.tapeop.store(), self.last)
        self.app.call_from_thread(self._add, *found)

    def _add(self, rows: list[Row], verdicts: dict[int, str], last: int) -> None:
        if last <= self.last:
            return
        self.last = last
        table = self.query_one("#log", DataTable)
        for row in rows:
            self.rows[row.position] = row
            if row.position in self.verdicts:
                row.cells[VERDICT] = self.verdicts.pop(row.position)
            if row.matches(self.terms):
                table.add_row(*row.cells, key=str(row.position))
        for position, said in verdicts.items():
            judged = self.rows.get(position)
            if judged is None:
                self.verdicts[position] = said
                continue
            judged.cells[VERDICT] = said
            if str(position) in table.rows:
                table.update_cell(str(position), "verdict", said, update_width=True)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.terms = [term.strip() for term in event.value.lower().split(",") if term.strip()]
        table = self.query_one("#log", DataTable)
        table.clear()
        for row in self.rows.values():
            if row.matches(self.terms):
                table.add_row(*row.cells, key=str(row.position))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#log", DataTable).focus()
