"""What the engineer can do with a question in `tapeop ask` besides answering it: open its save in
the DAW with the change highlighted (`open_in_daw`). Here, beside the TUI that calls it, because it
writes session files (daemon.formats), which the learning code in profiles/ never touches.

Both return one sentence for the person (what was done, or why it could not be), and raise nothing
an engineer cannot act on: a save that is gone, unreadable or in a nested archive is said.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from daemon.errors import AppError
from daemon.files import archive_parts
from daemon.log.records import LoggedEvent
from daemon.log.store import Store
from profiles.questions.build import Question


def save_file(store: Store, question: Question) -> str | None:
    """The file of the save a question is about, as the log recorded it (`a.zip!Song/Song.als`
    for a save read from inside an archive)."""
    for event in store.events(session=question.session, types=("session-saved",)):
        if event.version == question.version:
            return str(event.payload["file"])
    return None


def change_time(changes: list[LoggedEvent]) -> float | None:
    """Where on the timeline the question's changes happen, in the session's time unit: a clip's
    position, an automation lane's first changed point; None for a setting of no time (a fader)."""
    for event in changes:
        payload: dict[str, Any] = event.payload
        for side in ("after", "before"):
            value = payload.get(side)
            if event.type.startswith("clip") and isinstance(value, dict) and _finite(value.get("position")):
                return float(value["position"])
            if event.type == "automation-changed" and isinstance(value, list) and value and _finite(value[0][0]):
                return float(value[0][0])
    return None


def open_in_daw(store: Store, question: Question) -> str:
    """Write the question's save as a copy beside it, the track red and a marker "tapeop: why?" at
    the change, and open it with the system's opener. The original is never touched."""
    from daemon.formats.highlight import highlight_copy, open_with_system

    recorded = save_file(store, question)
    if recorded is None:
        return f"no save v{question.version} of {question.session} in the log"
    parts = archive_parts(recorded)
    if len(parts) > 2:
        return f"{recorded}: a save inside an archive inside an archive cannot be opened"
    source = Path(parts[0])
    if not source.exists():
        return f"{source}: the save is no longer there"
    try:
        copy = highlight_copy(
            source, question.track or "", change_time(question.changes), member=parts[1] if len(parts) == 2 else None
        )
    except AppError as exc:
        return str(exc)
    why_not = open_with_system(copy)
    return f"opened {copy}" if why_not is None else why_not


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
