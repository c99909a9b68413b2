"""Masking between two tracks: how much one (the masker) covers the other (the target) in each
critical band while both play, and what an EQ change or a pan move would do to that, computed on
their band spectra without rendering any audio.

- Each track is summarized as `BandFrames`: the energy of each 0.17 s step (0.34 s Hann frames,
  50 % overlap) in semitone-wide bands from 20 Hz to 20 kHz. Semitone bands are fine enough to
  apply a narrow EQ (each band's gain is |H|^2 averaged over 8 points across it, from the RBJ
  responses of analyzers.eq) and are summed into the 24 critical bands of Zwicker (Bark scale)
  for the index.
- The masker's energy spreads to neighbouring critical bands, falling 25 dB per Bark downwards
  and 10 dB per Bark upwards (the simple two-slope spreading of Schroeder et al. 1979 and
  Terhardt's level-independent slopes): a low masker covers the bands above it more.
- A step counts where both tracks play: each is within 40 dB of its own loud level (the 95th
  percentile of its steps) and above -80 dBFS.
- In each critical band, the masked degree is the masker's share of the band's energy,
  m = E_masker / (E_masker + E_target): 0.5 when they are equally strong, 0.91 when the masker
  is 10 dB above. The index of the band is the mean of m weighted by the target's energy over
  the steps where both play; the overall index weights every band the same way. Where the target
  has no energy (under -60 dB of its strongest band), nothing of it can be masked: no index.
- Pan: tracks are mono sources panned with a constant-power (-3 dB centre) law; masking is
  reckoned per side and weighted by the target's energy on each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

import numpy as np
import numpy.typing as npt
import scipy.fft

from analyzers.audio import AudioSource, pack_arrays, refuse_non_finite, unpack_arrays
from analyzers.eq import EqBand, total_power_gain
from analyzers.overlap import Framer

BARK_EDGES_HZ = (
    20, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720,
    2000, 2320, 2700, 3150, 3700, 4400, 5300, 6400, 7700, 9500, 12000, 15500, 20000,
)  # fmt: skip
SPREAD_DOWN_DB_PER_BARK = 25.0
SPREAD_UP_DB_PER_BARK = 10.0
ACTIVE_RANGE_DB = 40.0
ACTIVE_FLOOR_DBFS = -80.0
FRAME_S = 0.34
LOWEST_HZ, HIGHEST_HZ = 20.0, 20000.0
_SUBPOINTS = 8
_NEGLIGIBLE = np.float32(1e-18)
NO_ENERGY = 1e-6  # a band holding under -60 dB of the target's strongest holds nothing of it


def semitone_edges_hz() -> npt.NDArray[np.float64]:
    count = int(np.ceil(12 * np.log2(HIGHEST_HZ / LOWEST_HZ)))
    return LOWEST_HZ * 2.0 ** (np.arange(count + 1) / 12.0)


@dataclass(frozen=True)
class BandFrames:
    """Energy (steps, bands) of one track in semitone bands (edges in `edges_hz`)."""

    energy: npt.NDArray[np.float64]
    step_s: float
    edges_hz: npt.NDArray[np.float64] = field(default_factory=semitone_edges_hz)

    @property
    def centers_hz(self) -> npt.NDArray[np.float64]:
        return np.sqrt(self.edges_hz[:-1] * self.edges_hz[1:])

    @cached_property
    def critical(self) -> npt.NDArray[np.float64]:
        """Energy (steps, 24) in the critical bands BARK_EDGES_HZ (each semitone band goes whole
        to the critical band its centre falls in)."""
        which = np.clip(np.searchsorted(BARK_EDGES_HZ, self.centers_hz, side="right") - 1, 0, len(BARK_EDGES_HZ) - 2)
        assign = np.zeros((len(which), len(BARK_EDGES_HZ) - 1))
        assign[np.arange(len(which)), which] = 1.0
        return self.energy @ assign

    @cached_property
    def critical_totals(self) -> npt.NDArray[np.float64]:
        """The energy in each critical band, summed over the steps."""
        return np.asarray(self.critical.sum(axis=0), dtype=np.float64)

    @cached_property
    def spread(self) -> npt.NDArray[np.float64]:
        """The critical-band energy as a masker spreads it to the neighbouring bands."""
        return self.critical @ _SPREADING

    @cached_property
    def spread_by_band(self) -> npt.NDArray[np.float32]:
        """`spread` as float32, bands by steps (the layout MaskingPair works in)."""
        return np.ascontiguousarray(self.spread.T, dtype=np.float32)

    @cached_property
    def critical_by_band(self) -> npt.NDArray[np.float32]:
        """`critical` as float32, bands by steps."""
        return np.ascontiguousarray(self.critical.T, dtype=np.float32)

    @cached_property
    def playing(self) -> npt.NDArray[np.bool_]:
        """The steps where the track plays: within ACTIVE_RANGE_DB of its loud level (the 95th
        percentile of its steps) and above ACTIVE_FLOOR_DBFS."""
        level = 10.0 * np.log10(np.maximum(self.energy.sum(axis=1), 1e-30))
        if not len(level):
            return np.zeros(0, dtype=bool)
        loud = float(np.percentile(level, 95))
        return level > max(ACTIVE_FLOOR_DBFS, loud - ACTIVE_RANGE_DB)

    def to_bytes(self) -> bytes:
        """A compact serialization for caches; the energies in float32 (7 digits: the masking
        index needs far fewer)."""
        energy = self.energy.astype(np.float32)
        return pack_arrays(energy=energy, step_s=np.array([self.step_s]), edges_hz=self.edges_hz)

    @classmethod
    def from_bytes(cls, data: bytes) -> BandFrames:
        arrays = unpack_arrays(data)
        return cls(arrays["energy"].astype(np.float64), float(arrays["step_s"][0]), arrays["edges_hz"])

    def with_eq(self, bands: Sequence[EqBand], sample_rate_hz: float = 48000.0) -> BandFrames:
        """The same track through EQ `bands` (each semitone band scaled by its mean |H|^2)."""
        if not bands:
            return self
        lo, hi = self.edges_hz[:-1], self.edges_hz[1:]
        points = lo[:, None] * (hi / lo)[:, None] ** ((np.arange(_SUBPOINTS) + 0.5) / _SUBPOINTS)
        gain = total_power_gain(bands, points.ravel(), sample_rate_hz).reshape(points.shape).mean(axis=1)
        return BandFrames(self.energy * gain, self.step_s, self.edges_hz)


def band_frames(source: AudioSource) -> BandFrames:
    """A track's BandFrames, streamed (channels are summed in power)."""
    info = source.info
    size = 1 << int(np.ceil(np.log2(info.sample_rate_hz * FRAME_S)))
    hop = size // 2
    window = np.hanning(size + 1)[:-1].astype(np.float32)
    freqs = np.fft.rfftfreq(size, 1.0 / info.sample_rate_hz)
    edges = semitone_edges_hz()
    index = np.searchsorted(edges, freqs, side="right") - 1
    inside = (index >= 0) & (index < len(edges) - 1)
    scale = 2.0 / (size * float(np.square(window).sum()))
    rows = []
    framer = Framer(info.channels, size, hop, lead=hop)  # the first step is centred on the start
    with np.errstate(invalid="ignore", over="ignore"):  # NaN or infinite samples: refused below
        for block in source.blocks(hop):
            for frame in framer.push(block):
                power = (np.abs(scipy.fft.rfft(frame * window, axis=-1)) ** 2).sum(axis=0) * scale
                rows.append(np.bincount(index[inside], weights=power[inside], minlength=len(edges) - 1))
    energy = np.array(rows, dtype=np.float64) if rows else np.zeros((0, len(edges) - 1))
    refuse_non_finite(energy, source)
    return BandFrames(energy, hop / info.sample_rate_hz, edges)


@dataclass(frozen=True)
class Masking:
    """Per critical band (edges BARK_EDGES_HZ): the index (0..1, None where the target has no
    energy while both play), the overall index, and the share of steps where both play."""

    band_index: tuple[float | None, ...]
    index: float | None
    both_playing: float


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power (-3 dB centre) power gains (left, right) of a pan position -1..+1."""
    angle = (min(max(pan, -1.0), 1.0) + 1.0) * math.pi / 4.0
    return math.cos(angle) ** 2, math.sin(angle) ** 2


def masking(masker: BandFrames, target: BandFrames, masker_pan: float = 0.0, target_pan: float = 0.0) -> Masking:
    """How much `masker` covers `target` in each critical band while both play."""
    return MaskingPair(masker, target).at(masker_pan, target_pan)


class MaskingPair:
    """Two tracks set against each other once, weighed at any pans: what depends on one track
    alone (critical bands, spreading, when it plays) is kept on its BandFrames, what depends on
    the pair (the steps where both play, the product of their energies) here, so a pan what-if
    costs a few passes over the steps. `bands` (a mask over the critical bands) limits the work to
    the bands asked about; the others read None.

    The per-step arithmetic runs in float32 (about 7 digits, far finer than the index needs),
    bands by steps; the sums over steps are taken in float64."""

    def __init__(self, masker: BandFrames, target: BandFrames, bands: npt.NDArray[np.bool_] | None = None) -> None:
        steps = min(len(masker.energy), len(target.energy))
        both = masker.playing[:steps] & target.playing[:steps]
        self.bands = np.ones(len(BARK_EDGES_HZ) - 1, dtype=bool) if bands is None else bands
        self.both_playing = float(both.mean()) if steps else 0.0
        t = target.critical_by_band[:, :steps]
        rows = None if both.all() else np.flatnonzero(both)
        if rows is not None:
            t = np.take(t, rows, axis=1)
        # The target's energy per band while both play: the weights. A band holding under
        # NO_ENERGY of its strongest holds nothing of it: it reads None and is left out of the
        # overall index (where it would weigh a millionth at most), and out of the arithmetic.
        all_bands = t.sum(axis=1, dtype=np.float64)
        floor = NO_ENERGY * all_bands.max(initial=0.0)
        self.computed = self.bands & (all_bands > floor) & (all_bands > 0)
        self.weights = all_bands[self.computed]
        m = masker.spread_by_band[self.computed, :steps]
        if rows is not None:
            m = np.take(m, rows, axis=1)
        # One scale for both (the largest energy to 1): the shares are ratios, unchanged by it.
        # Energies 180 dB under the largest are taken as none: their products would fall in
        # float32's subnormal range, where arithmetic is many times slower, and they weigh nothing.
        t = t[self.computed]
        scale = np.float32(1.0 / (max(float(m.max(initial=0.0)), float(t.max(initial=0.0))) or 1.0))
        self.m, self.t = m * scale, t * scale
        self.m[self.m < _NEGLIGIBLE] = 0.0
        self.t[self.t < _NEGLIGIBLE] = 0.0
        self.product = self.m * self.t
        self.weights = self.weights * float(scale)
        self.total_weight = float(self.weights.sum())

    def at(self, masker_pan: float = 0.0, target_pan: float = 0.0) -> Masking:
        """The masking with the two tracks at these pans."""
        weighted = self._weighted(masker_pan, target_pan)
        band_index: list[float | None] = [None] * len(self.bands)
        for band, w, s in zip(
            np.flatnonzero(self.computed).tolist(), weighted.tolist(), self.weights.tolist(), strict=True
        ):
            band_index[band] = w / s
        return Masking(tuple(band_index), self._overall(weighted), self.both_playing)

    def index_at(self, masker_pan: float = 0.0, target_pan: float = 0.0) -> float | None:
        """The overall index of `at` alone (what weighing pans against each other needs)."""
        return self._overall(self._weighted(masker_pan, target_pan))

    def index_by_side(self, masker_pan: float = 0.0, target_pan: float = 0.0) -> tuple[float, float] | None:
        """What the left and the right side each add to the overall index (they sum to
        `index_at`): a pan move that scales one track's gain on a side by k leaves that side's
        part at least min(k, 1) of what it was."""
        if self.total_weight <= 0:
            return None
        left, right = self._weighted_sides(masker_pan, target_pan)
        return float(left.sum()) / self.total_weight, float(right.sum()) / self.total_weight

    def _weighted(self, masker_pan: float, target_pan: float) -> npt.NDArray[np.float64]:
        left, right = self._weighted_sides(masker_pan, target_pan)
        return left + right

    def _weighted_sides(
        self, masker_pan: float, target_pan: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per side (left, right) the masker's share of each band weighted by the target's energy
        there, (m gm)(t gt) / (m gm + t gt), summed over the steps; the pan law's gains on the two
        sides sum to 1, so the weights are the target's energy."""
        sides = []
        for gm, gt in zip(pan_gains(masker_pan), pan_gains(target_pan), strict=True):
            if gm > 0.0 and gt > 0.0:
                denominator = self.m * np.float32(gm)
                denominator += self.t * np.float32(gt)
                denominator += np.float32(1e-30)  # a step where neither has energy adds nothing
                np.divide(self.product, denominator, out=denominator)
                sides.append(denominator.sum(axis=1) * (gm * gt))  # pairwise sums: float32 is exact enough
            else:
                sides.append(np.zeros(len(self.m)))
        return sides[0], sides[1]

    def _overall(self, weighted: npt.NDArray[np.float64]) -> float | None:
        return float(weighted.sum() / self.total_weight) if self.total_weight > 0 else None


def masking_many(
    pairs: Sequence[tuple[BandFrames, BandFrames]],
    pans: Sequence[tuple[float, float]],
    bands: npt.NDArray[np.bool_] | None = None,
) -> list[Masking]:
    """`masking(masker, target, masker_pan, target_pan)` for many pairs at once, over the critical
    bands `bands` only (the others read None), in one pass of array arithmetic: the same numbers
    as MaskingPair, with the steps where a pair does not both play zeroed instead of dropped (they
    add nothing to either sum). For weighing one track's EQ change against every other track."""
    if not pairs:
        return []
    chosen = np.ones(len(BARK_EDGES_HZ) - 1, dtype=bool) if bands is None else bands
    steps = min(min(len(a.energy), len(b.energy)) for a, b in pairs)
    both = np.stack([a.playing[:steps] & b.playing[:steps] for a, b in pairs])
    mask = both.astype(np.float32)[:, None, :]
    m = np.stack([a.spread_by_band[chosen, :steps] for a, _ in pairs]) * mask
    t = np.stack([b.critical_by_band[chosen, :steps] for _, b in pairs]) * mask
    # The weights' floor is taken over all bands, whichever are asked about (as MaskingPair).
    all_bands = np.stack([b.critical_by_band[:, :steps] @ f for (_, b), f in zip(pairs, mask[:, 0, :], strict=True)])
    largest = np.maximum(m.max(axis=(1, 2), initial=0.0), t.max(axis=(1, 2), initial=0.0))
    scale = (1.0 / np.where(largest > 0, largest, 1.0)).astype(np.float32)[:, None, None]
    m *= scale
    t *= scale
    m[m < _NEGLIGIBLE] = 0.0
    t[t < _NEGLIGIBLE] = 0.0
    product = m * t
    gains = np.array([[pan_gains(mp), pan_gains(tp)] for mp, tp in pans])  # (pair, masker/target, side)
    weighted = np.zeros(m.shape[:2])
    for side in (0, 1):
        gm, gt = gains[:, 0, side], gains[:, 1, side]
        denominator = m * gm.astype(np.float32)[:, None, None]
        denominator += t * gt.astype(np.float32)[:, None, None]
        denominator += np.float32(1e-30)
        np.divide(product, denominator, out=denominator)
        weighted += denominator.sum(axis=2) * (gm * gt)[:, None]
    weights = all_bands[:, chosen] * scale[:, 0, :]
    floors = NO_ENERGY * all_bands.max(axis=1, initial=0.0) * scale[:, 0, 0]
    columns: list[int] = np.flatnonzero(chosen).tolist()
    weighted_rows = cast(list[list[float]], weighted.tolist())
    weight_rows = cast(list[list[float]], weights.tolist())
    found = []
    for p, (w_row, s_row) in enumerate(zip(weighted_rows, weight_rows, strict=True)):
        band_index: list[float | None] = [None] * len(chosen)
        total_weighted = total_weight = 0.0
        for band, w, s in zip(columns, w_row, s_row, strict=True):
            if s > floors[p] and s > 0:
                band_index[band] = w / s
                total_weighted += w
                total_weight += s
        overall = total_weighted / total_weight if total_weight > 0 else None
        found.append(Masking(tuple(band_index), overall, float(both[p].mean()) if steps else 0.0))
    return found


def _spreading() -> npt.NDArray[np.float64]:
    """The matrix spreading critical-band energy (masker band, target band): 25 dB per Bark down,
    10 dB per Bark up."""
    bands = len(BARK_EDGES_HZ) - 1
    distance = np.arange(bands)[None, :] - np.arange(bands)[:, None]  # target band - masker band
    slope = np.where(distance >= 0, SPREAD_UP_DB_PER_BARK, SPREAD_DOWN_DB_PER_BARK)
    return np.asarray(10.0 ** (-slope * np.abs(distance) / 10.0))


_SPREADING = _spreading()
