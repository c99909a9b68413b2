"""The scale each setting is probed on: linear or logarithmic, and one just-noticeable difference
(JND) of it, with where that JND comes from.

A value's position in JND units is `log2(value) / jnd` on a log scale (jnd in octaves) and
`value / jnd` on a linear one. Published JNDs (../shared/research/wave2-anchors.md, "Just-noticeable
differences") are marked "published:"; the rest are "assumed:", with the reasoning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    parameter: str  # the standard term, e.g. "eq.band1.freq_hz"
    unit: str  # "Hz", "dB", "ms", "s", ":1", "" ...
    log: bool  # True: probed in log steps (frequency, ratio, times)
    jnd: float  # one just-noticeable difference: in octaves when log, else in native units
    lowest: float
    highest: float
    jnd_source: str  # "published: ..." or "assumed: ..."

    def __post_init__(self) -> None:
        if not self.jnd > 0.0:
            raise ValueError(f"{self.parameter}: a JND must be positive, not {self.jnd}")
        if not self.lowest < self.highest or (self.log and self.lowest <= 0.0):
            raise ValueError(f"{self.parameter}: no range [{self.lowest}, {self.highest}] on this scale")

    def clip(self, value: float) -> float:
        return min(max(value, self.lowest), self.highest)

    def to_jnd(self, value: float) -> float:
        """The value's position in JND units (log2(value) / jnd on a log scale)."""
        value = self.clip(value)
        return math.log2(value) / self.jnd if self.log else value / self.jnd

    def from_jnd(self, u: float) -> float:
        """The value at a position in JND units, clipped to [lowest, highest]."""
        if self.log:
            exponent = u * self.jnd
            if exponent <= math.log2(self.lowest):
                return self.lowest
            if exponent >= math.log2(self.highest):
                return self.highest
            return self.clip(2.0**exponent)
        return self.clip(u * self.jnd)


def octaves(ratio: float) -> float:
    """A relative difference ΔV/V as a distance in octaves."""
    return math.log2(1.0 + ratio)


LEVEL_DB = 1.0
LEVEL_SOURCE = (
    "published: level JND of tones about 0.3-1.5 dB (Jesteadt et al. 1977), 0.68-1.22 dB for piano "
    "tones (Slade et al. 2022); 1 dB taken"
)
FREQ_SOURCE = (
    "published: resonance-frequency discrimination ΔF ≈ 0.079·F/√Q (JASA; measured for Q 1-36 at "
    "300-2000 Hz, extrapolated beyond)"
)
DRR_DB = 2.5
DRR_SOURCE = "published: direct-to-reverberant ratio JND 2-3 dB (Larsen et al., JASA 124(1), 2008); 2.5 dB taken"
ASSUMED_Q = 0.707
WITH_Q = ("bell", "notch", "bandpass")
REVERB_NAMES = re.compile(r"verb|hall|room|plate|chamber|spring|ambien", re.IGNORECASE)
DEFAULT_RATIO = 4.0


def _number(settings: Mapping[str, object] | None, key: str) -> float | None:
    value = (settings or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _eq_freq(parameter: str, settings: Mapping[str, object] | None) -> Scale:
    prefix = parameter.rsplit(".", 1)[0]
    kind = (settings or {}).get(f"{prefix}.type")
    q = _number(settings, f"{prefix}.q")
    if (kind is None or kind in WITH_Q) and q is not None and q > 0.0:
        jnd, source = octaves(0.079 / math.sqrt(q)), f"{FREQ_SOURCE}; Q {q:g} from the device"
    else:
        why = f"a {kind} has no meaningful Q" if kind is not None and kind not in WITH_Q else "no Q given"
        jnd = octaves(0.079 / math.sqrt(ASSUMED_Q))
        source = f"{FREQ_SOURCE}; assumed: Q {ASSUMED_Q} ({why}; a 2nd-order filter's Q)"
    return Scale(parameter, "Hz", True, jnd, 20.0, 20000.0, source)


def _comp_threshold(parameter: str, settings: Mapping[str, object] | None) -> Scale:
    device = parameter.split(".", 1)[0]
    ratio = _number(settings, f"{device}.ratio")
    given = ratio is not None and ratio > 1.0
    r = ratio if given and ratio is not None else DEFAULT_RATIO
    # Above the threshold, moving it by ΔT moves the gain reduction by ΔT·(1 − 1/R).
    jnd = min(LEVEL_DB / (1.0 - 1.0 / r), 6.0)
    source = (
        f"assumed: a threshold move ΔT changes the gain reduction of what is above it by ΔT·(1 − 1/R); "
        f"one level JND (1 dB) of that at ratio {r:g}{' from the device' if given else ' (none given)'}, at most 6 dB"
    )
    return Scale(parameter, "dB", False, jnd, -80.0 if device == "gate" else -60.0, 0.0, source)


def _mix(parameter: str, current: float) -> Scale:
    # mix m gives a wet/dry ratio m/(1 − m): 20·log10 of it moves by 8.69·Δm / (m(1 − m)).
    m = min(max(current, 0.05), 0.95)
    jnd = min(max(DRR_DB * m * (1.0 - m) / (20.0 / math.log(10.0)), 0.02), 0.1)
    source = (
        f"assumed: from the published DRR JND (2.5 dB, Larsen et al. 2008): the change of mix that moves "
        f"the wet/dry ratio by 2.5 dB at mix {m:.2f}, kept within 0.02-0.1"
    )
    return Scale(parameter, "", False, jnd, 0.0, 1.0, source)


# term pattern -> (unit, log, jnd, lowest, highest, source)
_FIXED: tuple[tuple[re.Pattern[str], tuple[str, bool, float, float, float, str]], ...] = tuple(
    (re.compile(pattern), spec)
    for pattern, spec in (
        (r"^(volume_db|trim\.volume_db|param\.trim_db)$", ("dB", False, LEVEL_DB, -60.0, 12.0, LEVEL_SOURCE)),
        (
            r"^eq\.band\d+\.gain_db$",
            (
                "dB",
                False,
                LEVEL_DB,
                -30.0,
                30.0,
                LEVEL_SOURCE + "; assumed: the same for a band's gain at any Q (no JND of EQ gain vs Q found; "
                "optimistic for narrow bells)",
            ),
        ),
        (
            r"^(eq|comp|limiter)\.(input_gain_db|output_gain_db)$|^comp\.makeup_db$|^limiter\.threshold_db$",
            ("dB", False, LEVEL_DB, -30.0, 30.0, LEVEL_SOURCE + " (the setting moves the level it passes)"),
        ),
        (
            r"^limiter\.ceiling_db$",
            ("dB", False, LEVEL_DB, -30.0, 0.0, "assumed: the ceiling moves the peak level; one level JND, 1 dB"),
        ),
        (
            r"^eq\.band\d+\.q$",
            ("", True, octaves(0.19), 0.1, 40.0, "assumed: a bandwidth change of about 19 % (a quarter octave of Q)"),
        ),
        (
            r"^eq\.band\d+\.slope_db_oct$",
            ("dB/oct", False, 6.0, 6.0, 96.0, "assumed: one filter order (6 dB/oct), the smallest step a filter has"),
        ),
        (
            r"^(comp|gate)\.ratio$",
            (":1", True, octaves(0.19), 1.0, 20.0, "assumed: a ratio change of about 19 % (a quarter octave)"),
        ),
        (
            r"^(comp|gate|limiter)\.attack_ms$",
            ("ms", True, octaves(0.25), 0.01, 1000.0, "assumed: a time-constant change of 25 % (Weber fraction)"),
        ),
        (
            r"^(comp|gate|limiter)\.release_ms$",
            ("ms", True, octaves(0.25), 1.0, 5000.0, "assumed: a time-constant change of 25 % (Weber fraction)"),
        ),
        (r"^comp\.knee_db$", ("dB", False, 3.0, 0.0, 24.0, "assumed: 3 dB of knee width")),
        (
            r"^gate\.range_db$",
            ("dB", False, 2.0, -80.0, 0.0, "assumed: 2 dB of floor (a level JND, doubled for the quiet part)"),
        ),
        (
            r"^delay\.time_ms$",
            ("ms", True, octaves(0.10), 1.0, 4000.0, "assumed: a 10 % change of an echo's time (timing of repeats)"),
        ),
        (r"^delay\.feedback$", ("", False, 0.05, 0.0, 1.0, "assumed: 5 % of feedback")),
        (
            r"^reverb\.decay_s$",
            (
                "s",
                True,
                octaves(0.05),
                0.1,
                30.0,
                "published: reverberation time JND 5 % (ISO 3382-1 Annex A; cited from the standard, not in the anchors)",
            ),
        ),
        (
            r"^reverb\.predelay_ms$",
            ("ms", False, 5.0, 0.0, 500.0, "assumed: 5 ms of pre-delay (the gap between the sound and its reverb)"),
        ),
        (
            r"^pan$",
            (
                "",
                False,
                0.05,
                -1.0,
                1.0,
                "assumed: 0.05 of the pan range, about 1.5° of a ±30° stereo image (the frontal minimum audible angle is about 1°)",
            ),
        ),
    )
)


def scale_for(parameter: str, current: float, settings: Mapping[str, object] | None = None) -> Scale:
    """The scale of a standard term at its current value, the device's other terms in `settings`
    (e.g. `eq.band1.q` and `eq.band1.type` for `eq.band1.freq_hz`). ValueError for a term with no
    scale (unknown, or not continuous: types, switches)."""
    if re.fullmatch(r"eq\.band\d+\.freq_hz", parameter):
        return _eq_freq(parameter, settings)
    if re.fullmatch(r"(comp|gate)\.threshold_db", parameter):
        return _comp_threshold(parameter, settings)
    if re.fullmatch(r"(delay|reverb)\.mix", parameter):
        return _mix(parameter, current)
    if match := re.fullmatch(r"send\.(.+)\.level_db", parameter):
        target = match.group(1)
        if REVERB_NAMES.search(target):
            source = f"{DRR_SOURCE}; the send to {target!r} sets a reverb's level against the dry track"
        else:
            source = f"assumed: as a reverb send (the published DRR JND, 2.5 dB; Larsen et al. 2008) for a send to {target!r}"
        return Scale(parameter, "dB", False, DRR_DB, -60.0, 12.0, source)
    for pattern, (unit, log, jnd, lowest, highest, source) in _FIXED:
        if pattern.fullmatch(parameter):
            return Scale(parameter, unit, log, jnd, lowest, highest, source)
    raise ValueError(f"no window scale for the term {parameter!r}")
