"""The tempo grid: does a time (a delay, a reverb pre-delay) sit on a musical subdivision of the
tempo? Subdivisions from a whole note to a 1/64, each straight, dotted (x 1.5) and triplet
(x 2/3), the quarter note being one beat."""

from __future__ import annotations

from dataclasses import dataclass

DIVISIONS = (1, 2, 4, 8, 16, 32, 64)
FEELS = (("", 1.0), (" dotted", 1.5), (" triplet", 2.0 / 3.0))


@dataclass(frozen=True)
class GridFit:
    subdivision: str  # "1/8 dotted"
    grid_ms: float
    error_ms: float  # time - grid
    error_pct: float  # of the grid value

    @property
    def abs_error_pct(self) -> float:
        return abs(self.error_pct)


def subdivisions_ms(tempo_bpm: float) -> dict[str, float]:
    """Every subdivision's length in ms at a tempo."""
    if not tempo_bpm > 0:
        raise ValueError(f"tempo must be positive, not {tempo_bpm}")
    whole_ms = 4.0 * 60000.0 / tempo_bpm
    return {f"1/{d}{name}": whole_ms / d * factor for d in DIVISIONS for name, factor in FEELS}


def grid_fit(time_ms: float, tempo_bpm: float) -> GridFit:
    """The subdivision nearest to `time_ms` (by relative error) and how far off it is."""
    if not time_ms > 0:
        raise ValueError(f"a time on the grid must be positive, not {time_ms} ms")
    name, grid = min(subdivisions_ms(tempo_bpm).items(), key=lambda item: abs(time_ms / item[1] - 1.0))
    return GridFit(name, grid, time_ms - grid, 100.0 * (time_ms - grid) / grid)
