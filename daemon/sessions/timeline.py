"""Sentences for the timeline: automation lanes, clips (audio and notes) and markers. Their
times are in the session's time unit, which the change states; where it does not, amounts of
time are left out ("moved earlier") rather than guessed."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from daemon.sessions.wording import (
    ARROW,
    amount,
    change_of,
    counted,
    db,
    file_name,
    is_number,
    listing,
    pair,
    position,
    quoted,
    term_name,
)

if TYPE_CHECKING:
    from daemon.sessions.changes import Change


def time_unit(change: Change) -> str | None:
    """The session's time unit as the change states it (its `unit`, or `where["time_unit"]`):
    "s" or "beats"; None when it does not say."""
    for said in (change.unit, change.where.get("time_unit")):
        if said in ("s", "seconds", "sec"):
            return "s"
        if said in ("beats", "beat"):
            return "beats"
    return None


def automation(change: Change) -> list[str]:
    lane = f"{term_name(change.parameter or '')} automation"
    a = change.before if isinstance(change.before, list) else None
    b = change.after if isinstance(change.after, list) else None
    unit = time_unit(change)
    if a is None and b is None:
        return [f"{lane} changed"]
    if a is None:
        return [f"{lane} added: {counted(len(b or []), 'point')}{_span(b, unit)}"]
    if b is None:
        return [f"{lane} removed (had {counted(len(a), 'point')})"]
    if len(a) == len(b):
        return [f"{lane} edited: {counted(len(b), 'point')}{_span(b, unit)}"]
    return [f"{lane}: {len(a)}{ARROW}{counted(len(b), 'point')}{_span(b, unit)}"]


def _span(points: list[Any] | None, unit: str | None) -> str:
    times = [p[0] for p in points or [] if isinstance(p, (list, tuple)) and p and is_number(p[0])]
    if not times or unit is None:
        return ""
    return f", {position(min(times), unit)} to {position(max(times), unit)}"


def _clip_label(change: Change, clip: dict[str, Any] | None = None) -> str:
    if clip is not None:
        name = clip.get("name") or file_name(str(clip.get("file") or ""))
        kind = "note clip" if clip.get("file") == "" and clip.get("notes") else "clip"
    else:  # a changed clip: by its new name, its old file, or what `parameter` says (its file, or a note clip's name)
        before = change.before if isinstance(change.before, dict) else {}
        after = change.after if isinstance(change.after, dict) else {}
        if "notes" in before or "notes" in after:  # a note clip: `parameter` is its name, not a path
            name = after.get("name") or change.parameter or ""
        else:
            name = after.get("name") or file_name(str(before.get("file") or change.parameter or ""))
        kind = "clip"
    return f"{kind} {quoted(name)}" if name else kind


def clip_came(change: Change) -> list[str]:
    added = change.type == "clip-added"
    clip = change.after if added else change.before
    clip = clip if isinstance(clip, dict) else {}
    unit = time_unit(change)
    text = f"{_clip_label(change, clip)} {'added' if added else 'removed'}"
    if unit is not None and is_number(clip.get("position")):
        text += f" {'at' if added else 'from'} {position(clip['position'], unit)}"
        if is_number(clip.get("duration")):
            text += f", {amount(clip['duration'], unit)} long"
    if clip.get("notes"):
        text += f", {counted(len(clip['notes']), 'note')}"
    if clip.get("enabled") is False:
        text += ", muted"
    return [text]


def clip_changed(change: Change) -> list[str]:
    a = change.before if isinstance(change.before, dict) else {}
    b = change.after if isinstance(change.after, dict) else {}
    unit = time_unit(change)
    done = _clip_edits(a, b, unit)
    notes = note_summary(a.get("notes"), b.get("notes")) if "notes" in b or "notes" in a else ""
    label = _clip_label(change)
    if not done:
        return [f"{label}: {notes}" if notes else f"{label} changed"]
    text = f"{label} {listing(done)}"
    return [f"{text}; {notes}" if notes else text]


def _delta(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    x, y = a.get(key), b.get(key)
    return float(y) - float(x) if is_number(x) and is_number(y) else None


def _clip_edits(a: dict[str, Any], b: dict[str, Any], unit: str | None) -> list[str]:
    """The edits of a clip, in the words of an editor: moved, trimmed or extended, slipped, faded."""
    done: list[str] = []
    moved, longer, slipped = (_delta(a, b, k) for k in ("position", "duration", "play_start"))
    if "file" in b:
        done.append(f"now plays {quoted(file_name(str(b['file'])))}")
    start_edge = (
        moved is not None and longer is not None and slipped is not None and math.isclose(moved, slipped, abs_tol=1e-6)
    )
    if start_edge and moved is not None and math.isclose(moved, -(longer or 0.0), abs_tol=1e-6):
        done.append(f"{_trimmed(-moved, unit)} at its start")
        moved = longer = slipped = None
    if moved is not None and "position" in b:
        done.append(_moved(moved, unit))
    if longer is not None and "duration" in b:
        done.append(f"{_trimmed(longer, unit)} at its end")
    if slipped is not None and "play_start" in b:
        way = "further into" if slipped > 0 else "earlier in"
        done.append(f"starts {amount(slipped, unit)} {way} its audio" if unit else f"starts {way} its audio")
    if "gain_db" in b:
        done.append(f"gain {change_of(a.get('gain_db'), b['gain_db'], db)}")
    for key, word in (("fade_in", "fade-in"), ("fade_out", "fade-out")):
        if key in b:
            done.append(_fade(word, a.get(key), b[key], unit))
    if "enabled" in b:
        done.append("unmuted" if b["enabled"] else "muted")
    if "name" in b:
        done.append(f"renamed from {quoted(a.get('name', ''))}")
    return done


def _moved(by: float, unit: str | None) -> str:
    way = "later" if by > 0 else "earlier"
    return f"moved {amount(by, unit)} {way}" if unit else f"moved {way}"


def _trimmed(longer: float, unit: str | None) -> str:
    how = "extended" if longer > 0 else "trimmed"
    return f"{how} {amount(longer, unit)}" if unit else how


def _fade(word: str, a: Any, b: Any, unit: str | None) -> str:
    if not is_number(b) or b == 0:
        return f"{word} removed"
    if unit is None:
        return f"{word} {'added' if not a else 'changed'}"
    if not is_number(a) or a == 0:
        return f"{word} of {amount(b, unit)} added"
    return f"{word} {amount(a, unit)}{ARROW}{amount(b, unit)}"


def note_summary(before: Any, after: Any) -> str:
    """What happened to a clip's notes ([time, duration, key, velocity]): "3 notes added, 1 removed,
    2 moved". Notes are matched by key and time; the same key at another time is moved; a note
    whose velocity or length changed is changed."""
    old = [n for n in before or [] if isinstance(n, (list, tuple)) and len(n) >= 4]
    new = [n for n in after or [] if isinstance(n, (list, tuple)) and len(n) >= 4]
    left = list(range(len(old)))
    unmatched: list[int] = []
    changed = 0
    for j, note in enumerate(new):
        i = next((i for i in left if old[i][2] == note[2] and math.isclose(old[i][0], note[0], abs_tol=1e-6)), None)
        if i is None:
            unmatched.append(j)
            continue
        left.remove(i)
        changed += not (
            math.isclose(old[i][1], note[1], abs_tol=1e-6) and math.isclose(old[i][3], note[3], abs_tol=1e-6)
        )
    moved = 0
    added = 0
    for j in unmatched:
        same_key = [i for i in left if old[i][2] == new[j][2]]
        if same_key:
            left.remove(min(same_key, key=lambda i: abs(old[i][0] - new[j][0])))
            moved += 1
        else:
            added += 1
    parts = [(added, "added"), (len(left), "removed"), (moved, "moved"), (changed, "changed")]
    said = [f"{n} {how}" for n, how in parts if n]
    if not said:
        return "notes reordered"
    first = next(n for n, _ in parts if n)
    said[0] = f"{counted(first, 'note')} {said[0].split(' ', 1)[1]}"
    return ", ".join(said)


def markers(change: Change) -> list[str]:
    unit = time_unit(change)
    old = [(str(m[0]), m[1]) for m in change.before or [] if isinstance(m, (list, tuple)) and len(m) == 2]
    new = [(str(m[0]), m[1]) for m in change.after or [] if isinstance(m, (list, tuple)) and len(m) == 2]
    for m in list(new):
        same = next((o for o in old if o[0] == m[0] and _same_time(o[1], m[1])), None)
        if same is not None:
            old.remove(same)
            new.remove(m)
    said: list[str] = []
    for name, at in list(new):
        moved = next((o for o in old if o[0] == name), None)
        if moved is not None:
            old.remove(moved)
            new.remove((name, at))
            x, y = pair(moved[1], at, lambda v, extra: position(v, unit, extra))
            said.append(f"marker {quoted(name)} moved {x}{ARROW}{y}" if unit else f"marker {quoted(name)} moved")
    for name, at in list(new):
        renamed = next((o for o in old if _same_time(o[1], at)), None)
        if renamed is not None:
            old.remove(renamed)
            new.remove((name, at))
            said.append(f"marker{_at(at, unit, 'at')} renamed {quoted(renamed[0])}{ARROW}{quoted(name)}")
    said += [f"marker {quoted(name)} removed" + _at(at, unit, "was at") for name, at in old]
    said += [f"marker {quoted(name)} added" + _at(at, unit, "at") for name, at in new]
    return said or ["markers reordered"]


def _same_time(a: Any, b: Any) -> bool:
    return is_number(a) and is_number(b) and math.isclose(a, b, abs_tol=1e-6)


def _at(value: Any, unit: str | None, word: str) -> str:
    if unit is None or not is_number(value):
        return ""
    return f" ({word} {position(value, unit)})" if word == "was at" else f" {word} {position(value, unit)}"
