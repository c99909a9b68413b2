"""What the engineer can do with a question in `tapeop ask` besides answering it: open its save in
the DAW with the change highlighted (`open_in_daw`), and hear it (`hear`: the track's audio through
the setting before and after, loudness-matched, played where there is an output device). Here,
beside the TUI that calls them, because they write session files (daemon.formats), which the
learning code in profiles/ never touches.

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
    saved = store.saved(question.session, question.version)
    return None if saved is None else str(saved.payload["file"])


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


MAX_SECONDS = 600.0  # of a track's audio read to find the excerpt: a long take is not read whole
RENDERED = ("eq", "compressor", "limiter", "gate")


def hear(store: Store, question: Question, folder: Path) -> str:
    """Render the question's track before and after its change (the excerpt where it plays, through
    the device's settings of the two saves, or its fader), write `<stem>.before.wav`,
    `<stem>.after.wav` and `<stem>.ab.wav` (before, a breath, after) in `folder`, and play the last.
    Returns what was done, or why not (missing audio is said, not hidden)."""
    import numpy as np
    import soundfile as sf

    from analyzers.render import play, render_before_after, write_pair
    from daemon.audio.session import NoAudioError, track_samples

    after = store.session_at(question.session, question.version or 0)
    before = store.session_at(question.session, (question.version or 0) - 1)
    recorded = save_file(store, question)
    if after is None or before is None or recorded is None or question.track is None:
        return "nothing to hear: the saves before and after this change are not both in the log"
    try:
        track_after, track_before = after.track(question.track), before.track(question.track)
    except KeyError:
        return f"nothing to hear: {question.track} is not in both saves"
    kind, settings = _what_changed(question, track_before, track_after)
    if kind is None:
        return f"cannot render this change ({settings}): only EQ, compressor, limiter, gate and fader changes are"
    try:
        samples, rate = track_samples(recorded, after, question.track, folder / "audio", MAX_SECONDS)
    except NoAudioError as exc:
        return f"no audio: {exc.reason}"
    a, b = render_before_after(
        samples, rate, kind, settings[0], settings[1],
        volume_db_before=None if kind == "fader" else track_before.channel.volume_db,
        volume_db_after=None if kind == "fader" else track_after.channel.volume_db,
    )  # fmt: skip
    stem = f"q{question.id}"
    paths = write_pair(a, b, rate, folder, stem)
    joined = np.concatenate([a, np.zeros((a.shape[0], rate // 2), dtype=a.dtype), b], axis=1)
    ab = folder / f"{stem}.ab.wav"
    sf.write(str(ab), joined.T, rate, subtype="PCM_24")
    why_not = play(ab)
    files = f"before: {paths[0]}, after: {paths[1]}"
    return f"playing before, then after ({files})" if why_not is None else f"{why_not} {files}"


def _what_changed(question: Question, before: Any, after: Any) -> tuple[str | None, Any]:
    """The device kind to render and its (before, after) settings; a fader when no device changed."""
    if question.device is None:
        return "fader", ({"volume_db": before.channel.volume_db}, {"volume_db": after.channel.volume_db})
    slot = (question.changes[0].payload.get("where") or {}).get("device")
    old = before.devices[slot] if isinstance(slot, int) and slot < len(before.devices) else None
    new = next((d for d in after.devices if d.name == question.device), None)
    if old is None or new is None:
        return None, f"{question.device} is not in both saves"
    if new.kind not in RENDERED:
        return None, f"{question.device} is a {new.kind}"
    return new.kind, ({**old.param_dict, "enabled": old.enabled}, {**new.param_dict, "enabled": new.enabled})
