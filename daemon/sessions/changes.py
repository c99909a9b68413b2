"""A typed change between two saves, as the differ produces it and the event log stores it.

`type` is one of the change event types of ../shared/CONTRACT.md (see daemon/log/events.py). The
fields a person reads are `track`, `device`, `parameter`, `before`, `after` and `unit`; `where`
holds the addresses that `apply_changes` needs (indices in the previous save's depth-first track
order, a device's index in its chain), so that applying the changes of (old, new) to old gives new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    type: str
    track: str | None = None
    device: str | None = None
    parameter: str | None = None
    before: Any = None
    after: Any = None
    unit: str | None = None
    where: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The change as the JSON fields of its event (position, session and so on come from the
        log): every field a person reads is there, null where it does not apply (a fader has no
        device, pan no unit), as CONTRACT.md shows them."""
        out: dict[str, Any] = {
            "track": self.track,
            "device": self.device,
            "parameter": self.parameter,
            "before": self.before,
            "after": self.after,
            "unit": self.unit or None,
        }
        if self.where:
            out["where"] = self.where
        return out

    @classmethod
    def from_payload(cls, type_: str, payload: dict[str, Any]) -> Change:
        return cls(
            type=type_,
            track=payload.get("track"),
            device=payload.get("device"),
            parameter=payload.get("parameter"),
            before=payload.get("before"),
            after=payload.get("after"),
            unit=payload.get("unit"),
            where=dict(payload.get("where", {})),
        )

    def describe(self) -> str:
        """One line a person reads: "Kick / EQ: eq.band2.gain_db -2.0 dB -> -4.5 dB"."""
        subject = " / ".join(x for x in (self.track, self.device) if x) or "session"
        what = self.parameter or ""
        if self.type in ("parameter-changed", "tempo-changed"):
            presence = self.where.get("presence")
            if presence == "added":
                return f"{subject}: {what} set to {_fmt(self.after, self.unit)} (new)"
            if presence == "removed":
                return f"{subject}: {what} removed (was {_fmt(self.before, self.unit)})"
            return f"{subject}: {what} {_fmt(self.before, self.unit)} -> {_fmt(self.after, self.unit)}"
        if self.type == "session-started":
            tracks = (self.after or {}).get("tracks", [])
            return f"session started with {len(tracks)} track(s): {', '.join(tracks[:8])}{' ...' if len(tracks) > 8 else ''}"
        if self.type == "track-renamed":
            return f"track renamed {self.before!r} -> {self.after!r}"
        if self.type == "device-toggled":
            return f"{subject}: {'on' if self.after else 'bypassed'}"
        if self.type == "device-moved":
            return f"{subject}: moved from slot {self.before + 1} to {self.after + 1}"
        return f"{subject}: {self.type}{(' ' + what) if what else ''}"


def _fmt(value: Any, unit: str | None) -> str:
    if value is None:
        return "-inf dB" if unit == "dB" else "none"
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1e5 else f"{value:.6g}"
        return f"{text} {unit}".strip() if unit else text
    return f"{value} {unit}".strip() if unit else str(value)
