"""Every event type tapeop writes or reads, in one registry, with the fields each carries.

The names are the stable kebab-case types of ../shared/CONTRACT.md; the ones marked "added" are
additions that contract allows (a new type is an addition, never a change of an old one).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    summary: str
    fields: tuple[str, ...]
    added: bool = False  # not (yet) listed in CONTRACT.md


CHANGE_FIELDS = ("track", "device", "parameter", "before", "after", "unit", "where")  # `where` only when set

EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType(
            "session-saved",
            "a save was accepted: its version, file, sha256, save time and number of changes",
            ("version", "file", "sha256", "saved_at", "changes"),
        ),
        EventType(
            "session-started",
            "the first save of a session: `after` holds its tracks, tempo and application",
            CHANGE_FIELDS,
        ),
        EventType(
            "track-added", "a track appeared; `after` holds it whole, `where` its group and position", CHANGE_FIELDS
        ),
        EventType("track-removed", "a track is gone", CHANGE_FIELDS),
        EventType("track-renamed", "a track changed name; before and after are the names", CHANGE_FIELDS),
        EventType(
            "track-moved",
            "a track changed group or order; before and after are {parent, index}",
            CHANGE_FIELDS,
            added=True,
        ),
        EventType(
            "parameter-changed", "a channel, send, device or session setting changed, in standard units", CHANGE_FIELDS
        ),
        EventType(
            "device-added", "a device was inserted; `after` holds it whole, `where.index` its slot", CHANGE_FIELDS
        ),
        EventType("device-removed", "a device was taken out of the chain", CHANGE_FIELDS),
        EventType(
            "device-renamed", "a device (the same instance) changed name; before and after are the names", CHANGE_FIELDS
        ),
        EventType("device-toggled", "a device was switched on or bypassed", CHANGE_FIELDS),
        EventType("device-moved", "a device moved in the chain; before and after are slot indices", CHANGE_FIELDS),
        EventType(
            "plugin-state-changed", "the opaque state of a plug-in changed (sha256 before and after)", CHANGE_FIELDS
        ),
        EventType("send-added", "a send appeared; `after` holds it whole", CHANGE_FIELDS),
        EventType("send-removed", "a send is gone", CHANGE_FIELDS),
        EventType(
            "automation-changed",
            "an automation lane was added, removed or edited; before and after are [time, value] points",
            CHANGE_FIELDS,
        ),
        EventType("clip-added", "an audio clip appeared; `after` holds it whole", CHANGE_FIELDS),
        EventType("clip-removed", "an audio clip is gone", CHANGE_FIELDS),
        EventType(
            "clip-changed",
            "an audio clip moved, was trimmed, faded or changed gain; before and after hold the changed fields",
            CHANGE_FIELDS,
        ),
        EventType("tempo-changed", "the tempo (tempo_bpm) or the time signature changed", CHANGE_FIELDS),
        EventType(
            "markers-changed",
            "the arrangement markers changed; before and after are [name, time] lists",
            CHANGE_FIELDS,
            added=True,
        ),
        EventType("save-rejected", "a session file could not be read: the file and the reason", ("file", "reason")),
        EventType(
            "change-justified",
            "a change has an objective reason",
            ("refers_to", "rule", "reason", "confidence", "evidence"),
        ),
        EventType("change-unexplained", "no rule explains a change: it becomes a question", ("refers_to",)),
        EventType(
            "question-asked",
            "a question was first shown: its id and the changes it is about",
            ("question", "refers_to"),
        ),
        EventType(
            "question-answered",
            "the engineer answered a question: its id, answer (reason, taste, mistake, later), rule and note",
            ("question", "refers_to", "answer", "rule", "note"),
        ),
        EventType(
            "down-time",
            "the engineer went idle: questions answered later come back",
            ("idle_minutes",),
            added=True,
        ),
        EventType("window-probed", "a window of acceptability was probed", ("refers_to",)),
    )
}

# The types the differ produces: the ones whose events carry a change.
CHANGE_TYPES = frozenset(name for name, event in EVENT_TYPES.items() if event.fields == CHANGE_FIELDS)
# The changes justification judges: all but the first save's summary, which no engineer made.
JUDGED_TYPES = CHANGE_TYPES - {"session-started"}
# The justification processor's verdicts: exactly one per judged change (the latest counts).
VERDICT_TYPES = ("change-justified", "change-unexplained")
