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

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.fft

from analyzers.audio import AudioSource
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
    def spread(self) -> npt.NDArray[np.float64]:
        """The critical-band energy as a masker spreads it to the neighbouring bands."""
        return self.critical @ _SPREADING

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
        """A compact serialization (compressed .npz, no pickles) for caches."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, energy=self.energy, step_s=np.array([self.step_s]), edges_hz=self.edges_hz)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BandFrames:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(arrays["energy"], float(arrays["step_s"][0]), arrays["edges_hz"])

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
    for block in source.blocks(hop):
        for frame in framer.push(block):
            power = (np.abs(scipy.fft.rfft(frame * window, axis=-1)) ** 2).sum(axis=0) * scale
            rows.append(np.bincount(index[inside], weights=power[inside], minlength=len(edges) - 1))
    energy = np.array(rows, dtype=np.float64) if rows else np.zeros((0, len(edges) - 1))
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
    angle = (min(max(pan, -1.0), 1.0) + 1.0) * np.pi / 4.0
    return float(np.cos(angle) ** 2), float(np.sin(angle) ** 2)


def masking(masker: BandFrames, target: BandFrames, masker_pan: float = 0.0, target_pan: float = 0.0) -> Masking:
    """How much `masker` covers `target` in each critical band while both play. What depends on
    one track alone (critical bands, spreading, when it plays) is computed once per BandFrames, so
    weighing one track against many, at several pans, costs little more than the arithmetic."""
    steps = min(len(masker.energy), len(target.energy))
    both = masker.playing[:steps] & target.playing[:steps]
    m, t = masker.spread[:steps][both], target.critical[:steps][both]
    # Per side (left, right): the masker's share of each band, weighted by the target's energy
    # there: (m gm)(t gt) / (m gm + t gt), summed over the steps; the weights sum to the target's
    # energy (the pan law's gains on both sides sum to 1).
    gm, gt = np.array(pan_gains(masker_pan))[:, None, None], np.array(pan_gains(target_pan))[:, None, None]
    ms, ts = m[None] * gm, t[None] * gt
    total = ms + ts
    with np.errstate(divide="ignore", invalid="ignore"):
        weighted = np.where(total > 0, ms * ts / total, 0.0).sum(axis=(0, 1))
    weights = t.sum(axis=0)
    floor = NO_ENERGY * weights.max(initial=0.0)
    band_index = tuple(
        w / s if s > floor and s > 0 else None for w, s in zip(weighted.tolist(), weights.tolist(), strict=True)
    )
    total_weight = float(weights.sum())
    overall = float(weighted.sum() / total_weight) if total_weight > 0 else None
    return Masking(band_index, overall, float(both.mean()) if steps else 0.0)


def _spreading() -> npt.NDArray[np.float64]:
    """The matrix spreading critical-band energy (masker band, target band): 25 dB per Bark down,
    10 dB per Bark up."""
    bands = len(BARK_EDGES_HZ) - 1
    distance = np.arange(bands)[None, :] - np.arange(bands)[:, None]  # target band - masker band
    slope = np.where(distance >= 0, SPREAD_UP_DB_PER_BARK, SPREAD_DOWN_DB_PER_BARK)
    return np.asarray(10.0 ** (-slope * np.abs(distance) / 10.0))


_SPREADING = _spreading()
