"""A typed change between two saves, as the differ produces it and the event log stores it.

`type` is one of the change event types of ../shared/CONTRACT.md (see daemon/log/events.py). The
fields a person reads are `track`, `device`, `parameter`, `before`, `after` and `unit`; `where`
holds the addresses that `apply_changes` needs (indices in the previous save's depth-first track
order, a device's index in its chain), so that applying the changes of (old, new) to old gives new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daemon.sessions.sentences import sentence


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
        """One line a person reads: "Kick: EQ bell 556 Hz -7.8 dB -> 907 Hz -4.1 dB" (see sentences.py)."""
        return sentence(self)
