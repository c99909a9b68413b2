"""Passive windows of acceptability: the range of a setting an engineer leaves in place, learned
from their history alone (no probe, no question).

For each session and each (track, device, parameter) the engineer changed in it:

- **Settled value**: the parameter's value at the end of the session's history, i.e. the `after`
  of its last change there (a later save of the session changes nothing more). Only parameters
  the engineer changed count: an untouched default says nothing of taste.
- **Taken back**: a change that a later save of the same session undid (the parameter returned
  to the change's `before`: profiles/takeback.py, the rule the questions use too). Its `after` is
  evidence of a value outside the window: it is counted in `outside` and never settled (unless it
  is the session's settled value too, when the engineer came back to it).

Values are grouped by (role, device kind, parameter without its band number, band type, region,
unit): the role from the track's name and DAW role (profiles/roles.py), the device kind from the
term's prefix (eq., comp., gate., limiter., delay., reverb.; channel terms have none), the band type
from the change's `where.band_type`, the region from the band's frequency at the end of the session
(for `freq_hz` the value itself). A band's frequency and type, and a track's DAW role, come from
the events (`device-added` and `track-added` carry them whole, `parameter-changed` updates them);
what the session held before its first event is read from one snapshot per session when the caller
gives `snapshot` (e.g. `store.session_at`), never one per event.

**Edges.** Where a group has `min_n` settled values or more, its edges are the 10th and 90th
percentiles of the settled values, estimated with scikit-learn's `QuantileRegressor` (no features:
an intercept only, fitted by linear programming on the pinball loss, so each edge is a sample
quantile with no assumption of a distribution, and the same estimator takes features later: the
song's tempo, the track's loudness). The scale fits the unit: logarithmic for Hz, ms, s, Q and
ratios (where all values are positive), linear for dB and the rest.

**Trimming by taken-back values.** A taken-back value outside [low, high] only counts. One inside
pulls the nearer edge past it: that edge moves to the midpoint (in the window's scale) between the
taken-back value and the nearest settled value on the far side of it; where no settled value lies
on that side, the other edge moves instead, to the midpoint between the value and the nearest
settled value on the near side. Taken-back values are applied nearest to an edge first, each
against the window the earlier ones left.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import QuantileRegressor

from daemon.log.records import LoggedEvent
from daemon.sessions.model import Session
from profiles.roles import role_of
from profiles.takeback import later_values, taken_back_in

QUANTILES = (0.1, 0.9)
LOG_UNITS = ("Hz", "ms", "s", "Q", ":1")
REGIONS = (("sub", 60.0), ("low", 250.0), ("low-mid", 2000.0), ("high-mid", 6000.0), ("high", math.inf))
DEVICE_KINDS = {
    "eq": "eq",
    "comp": "compressor",
    "gate": "gate",
    "limiter": "limiter",
    "delay": "delay",
    "reverb": "reverb",
}
_BAND = re.compile(r"^eq\.band(\d+)\.(\w+)$")
_SEND = re.compile(r"^send\..+\.level_db$")


@dataclass(frozen=True)
class HistoryWindow:
    role: str
    device: str | None  # device kind ("eq", "compressor", ...) or None for the channel
    parameter: str  # the term without the band number: "freq_hz", "gain_db", "volume_db", "send_level_db"...
    band_type: str | None  # for EQ band terms
    region: str | None  # frequency region of an EQ band, None otherwise
    low: float
    high: float
    unit: str
    n: int  # settled values it rests on
    outside: int  # values later taken back (counted as outside)
    sessions: int
    source: str = "history"

    def to_json(self) -> dict[str, object]:
        """The profile export's `windows` entry (CONTRACT.md), with `region`, `outside` and `sessions` added."""
        return {
            "role": self.role,
            "device": self.device,
            "parameter": self.parameter,
            "band_type": self.band_type,
            "low": self.low,
            "high": self.high,
            "unit": self.unit,
            "source": self.source,
            "n": self.n,
            "region": self.region,
            "outside": self.outside,
            "sessions": self.sessions,
        }


def region_of(freq_hz: float | None) -> str | None:
    """ "sub" below 60 Hz, "low" below 250, "low-mid" below 2k, "high-mid" below 6k, else "high"."""
    if freq_hz is None or not math.isfinite(freq_hz) or freq_hz <= 0:
        return None
    return next(name for name, top in REGIONS if freq_hz < top)


def split_term(term: str) -> tuple[str | None, str, str | None] | None:
    """(device kind, parameter without band number, band prefix) of a standard term, or None
    for terms that are not settings on a scale (plug-ins' raw params, device fields, session ones)."""
    if term in ("volume_db", "pan"):
        return (None, term, None)
    if _SEND.match(term):
        return (None, "send_level_db", None)
    band = _BAND.match(term)
    if band:
        if band.group(2) in ("type", "enabled"):
            return None
        return ("eq", band.group(2), f"eq.band{band.group(1)}")
    prefix, _, leaf = term.partition(".")
    if prefix in DEVICE_KINDS and leaf and "." not in leaf:
        return (DEVICE_KINDS[prefix], leaf, None)
    return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _SessionState:
    """What one session holds that its changes do not repeat: tracks' DAW roles, EQ bands' frequency and type."""

    def __init__(self, session: Session | None) -> None:
        self.roles: dict[str, str] = {}
        self.bands: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(dict)  # (track, device, band) -> terms
        if session is not None:
            for _, track in session.walk():
                self.roles.setdefault(track.name, track.role)
                for device in track.devices:
                    self._device(track.name, device.name, device.params)

    def _device(self, track: str, device: str, params: Iterable[Any]) -> None:
        for term, value in params:
            band = _BAND.match(str(term))
            if band and band.group(2) in ("freq_hz", "type"):
                self.bands[(track, device, f"eq.band{band.group(1)}")][band.group(2)] = value

    def apply(self, event: LoggedEvent) -> None:
        p = event.payload
        track = p.get("track")
        if event.type == "track-added" and isinstance(p.get("after"), dict):
            self.roles[str(track)] = str(p["after"].get("role", "audio"))
        elif event.type == "track-renamed" and p.get("before") in self.roles:
            self.roles[str(p.get("after"))] = self.roles.pop(str(p["before"]))
        elif event.type == "device-added" and isinstance(p.get("after"), dict):
            self._device(str(track), str(p.get("device")), p["after"].get("params") or ())
        elif event.type == "parameter-changed":
            band = _BAND.match(str(p.get("parameter")))
            if band and band.group(2) in ("freq_hz", "type"):
                self.bands[(str(track), str(p.get("device")), f"eq.band{band.group(1)}")][band.group(2)] = p.get(
                    "after"
                )


@dataclass
class _Group:
    settled: list[float]
    outside: list[float]
    sessions: set[str]


def history_windows(
    events: Iterable[LoggedEvent],
    min_n: int = 5,
    snapshot: Callable[[str, int], Session | None] | None = None,
) -> list[HistoryWindow]:
    """The windows of one engineer's history (`events` already filtered by user, in log order);
    one per group with `min_n` settled values or more. `snapshot(session, version)` (optional,
    e.g. `store.session_at`) gives what each session held before its first event: its tracks'
    DAW roles and its EQ bands' frequencies and types. The rules are the module's docstring."""
    states: dict[str, _SessionState] = {}
    changes: list[LoggedEvent] = []
    for event in events:
        if event.session not in states:
            version = event.version or 1
            seed = snapshot(event.session, max(version - 1, 1)) if snapshot is not None else None
            states[event.session] = _SessionState(seed)
        if event.type == "parameter-changed" and split_term(str(event.payload.get("parameter"))) is not None:
            changes.append(event)
        states[event.session].apply(event)
    later = later_values(changes)
    last: dict[tuple[Any, ...], LoggedEvent] = {}
    undone: dict[tuple[Any, ...], list[LoggedEvent]] = defaultdict(list)
    for event in changes:
        key = (event.session, event.payload.get("track"), event.payload.get("device"), event.payload.get("parameter"))
        previous = last.get(key)
        if previous is None or (event.version or 0, event.position) >= (previous.version or 0, previous.position):
            last[key] = event
        if taken_back_in(event, later) is not None:
            undone[key].append(event)
    groups: dict[tuple[Any, ...], _Group] = defaultdict(lambda: _Group([], [], set()))
    for key, final in last.items():
        session, track, device, term = key
        state = states[session]
        kind, parameter, band = split_term(str(term)) or (None, "", None)
        band_terms = state.bands.get((str(track), str(device), band), {}) if band else {}
        where = final.payload.get("where") or {}
        band_type = (where.get("band_type") or band_terms.get("type")) if band else None
        freq: Any = band_terms.get("freq_hz") if band else None
        raw: Any = final.payload.get("after")
        settled = float(raw) if _number(raw) else None
        taken = [float(e.payload["after"]) for e in undone.get(key, ()) if _number(e.payload.get("after"))]
        taken = [v for v in taken if settled is None or not math.isclose(v, settled, abs_tol=1e-6)]
        role = role_of(str(track or ""), state.roles.get(str(track)))
        unit = str(final.payload.get("unit") or "")
        values = ([(settled, True)] if settled is not None else []) + [(v, False) for v in taken]
        for value, is_settled in values:
            region = region_of(value) if parameter == "freq_hz" else region_of(float(freq)) if _number(freq) else None
            group = groups[(role, kind, parameter, band_type if isinstance(band_type, str) else None, region, unit)]
            if is_settled:
                group.settled.append(value)
                group.sessions.add(session)
            else:
                group.outside.append(value)
    out = []
    for (role, kind, parameter, band_type, region, unit), group in groups.items():
        if len(group.settled) < max(min_n, 1):
            continue
        low, high = _edges(group.settled, group.outside, unit)
        out.append(
            HistoryWindow(
                role, kind, parameter, band_type, region, low, high, unit,
                n=len(group.settled), outside=len(group.outside), sessions=len(group.sessions),
            )
        )  # fmt: skip
    return sorted(out, key=lambda w: (w.role, w.device or "", w.parameter, w.band_type or "", w.region or ""))


def _edges(settled: list[float], outside: list[float], unit: str) -> tuple[float, float]:
    """The window's (low, high): quantiles of the settled values, trimmed by the taken-back ones."""
    log = unit in LOG_UNITS and all(v > 0 for v in settled)
    forward: Callable[[float], float] = math.log if log else float
    back: Callable[[float], float] = math.exp if log else float
    y = np.array([forward(v) for v in settled])
    low, high = (_quantile(y, q) for q in QUANTILES)
    ys = sorted(y.tolist())
    rejected = [forward(v) for v in outside if v > 0 or not log]
    for v in sorted(rejected, key=lambda v: min(abs(v - low), abs(high - v))):
        if not low < v < high:
            continue
        above = [s for s in ys if v < s <= high]
        below = [s for s in ys if low <= s < v]
        if v - low <= high - v:
            if above:
                low = (v + above[0]) / 2
            elif below:
                high = (v + below[-1]) / 2
        elif below:
            high = (v + below[-1]) / 2
        elif above:
            low = (v + above[0]) / 2
    return (back(low), back(high))


def _quantile(y: np.ndarray, q: float) -> float:
    """The q-quantile of y: an intercept-only QuantileRegressor (pinball loss, no regularization)."""
    if np.ptp(y) == 0:
        return float(y[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant feature column: its coefficient is moot
        model = QuantileRegressor(quantile=q, alpha=0.0, solver="highs").fit(np.zeros((len(y), 1)), y)
    return float(model.intercept_)


def window_for(
    windows: Sequence[HistoryWindow],
    role: str,
    device: str | None,
    parameter: str,
    band_type: str | None,
    freq_hz: float | None,
) -> HistoryWindow | None:
    """The window of a setting: the one of the same role, device kind, parameter and band type in
    the region of `freq_hz` (for EQ terms); else, when that region has none, the one of those
    whose region is nearest (in octaves from the region's middle), most values first."""
    same = [
        w
        for w in windows
        if w.role == role and w.device == device and w.parameter == parameter and w.band_type == band_type
    ]
    if not same:
        return None
    region = region_of(freq_hz)
    exact = [w for w in same if w.region == region]
    if exact:
        return max(exact, key=lambda w: w.n)
    if freq_hz is None or freq_hz <= 0:
        return max(same, key=lambda w: w.n)
    middles = {"sub": 40.0, "low": 120.0, "low-mid": 700.0, "high-mid": 3500.0, "high": 10000.0}
    return min(same, key=lambda w: (abs(math.log2(freq_hz / middles.get(w.region or "", 1000.0))), -w.n))
