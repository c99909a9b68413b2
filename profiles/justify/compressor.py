"""A compressor as the rules reckon with it, without rendering: the setting of a track's
compressor in a save (standard comp.* terms, defaults filled in: 0 dB knee, 10 ms attack, 100 ms
release) and the track's loudness with that setting's gain reduction taken off each 100 ms
segment (analyzers.dynamics). Shared by the dynamics and clip-prevention rules and by the
make-up grouping (profiles.justify.together), so no rule imports another.
"""

from __future__ import annotations

from analyzers.dynamics import compressed_loudness
from analyzers.loudness import Loudness
from daemon.sessions.model import Session
from profiles.justify import SaveChanges

DEFAULTS = {"comp.knee_db": 0.0, "comp.attack_ms": 10.0, "comp.release_ms": 100.0}


def setting(session: Session, track: str, device: object) -> dict[str, float] | None:
    """The setting (comp.* terms, defaults filled in) of a track's enabled compressor `device` in
    `session`; None when there is none or it lacks a threshold or a ratio."""
    try:
        devices = session.track(track).devices
    except KeyError:
        return None
    for found in devices:
        if found.name == device and found.kind == "compressor":
            values = {
                **DEFAULTS,
                **{k: float(v) for k, v in found.params if k.startswith("comp.") and isinstance(v, int | float)},
            }
            if "comp.threshold_db" not in values or "comp.ratio" not in values or not found.enabled:
                return None
            return {**values, "comp.ratio": max(1.0, values["comp.ratio"])}  # under 1:1 is no compressor
    return None


def compressed(save: SaveChanges, track: str, setting: dict[str, float]) -> Loudness | None:
    """The track's loudness with the compressor's gain reduction taken off each 100 ms segment
    (make-up and output gains not included)."""
    measured, effect = save.measured(track), save.compressor_effect(track, setting)
    if measured is None or effect is None:
        return None
    return compressed_loudness(measured.loudness, effect)
