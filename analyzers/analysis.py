"""One streaming pass over an audio source that measures everything an engineer checks before a
mix: integrated loudness and loudness range, momentary and short-term series, sample and true
peak, RMS and crest factor, the 1/3-octave band shares, centroid and tilt, and the lowest note.

The pass reads the source in blocks and runs one FFT overlap-save bank (analyzers.overlap) over
it: per frame, one forward FFT per channel feeds the K-weighting filter (loudness), the true-peak
interpolator's in-between phases and the long-term spectrum. Memory stays constant in the length
of the file: a frame, the 100 ms segment energies (36,000 floats an hour) and one spectrum.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from analyzers.audio import AudioSource, FileSource, Planar, pack_arrays, refuse_non_finite, unpack_arrays
from analyzers.loudness import Loudness, SegmentMeter, k_weighting_taps
from analyzers.overlap import OverlapSave
from analyzers.pitch import LowBand, LowestNote, lowest_note
from analyzers.spectrum import Bands, LongTermSpectrum, centroid_hz
from analyzers.truepeak import PeakMeter, interpolation_delay, interpolation_taps

FRAME_S = 0.68  # frames of 32768 samples at 44.1 and 48 kHz: 1.5 Hz bins


@dataclass(frozen=True)
class AudioAnalysis:
    sample_rate_hz: int
    channels: int
    duration_s: float
    loudness: Loudness
    true_peak_dbtp: float
    sample_peak_dbfs: float
    rms_dbfs: float
    bands: Bands
    freqs_hz: npt.NDArray[np.float64]
    power: npt.NDArray[np.float64]
    lowest: LowestNote | None

    @property
    def integrated_lufs(self) -> float | None:
        return self.loudness.integrated_lufs

    @property
    def crest_factor_db(self) -> float | None:
        """Sample peak over RMS; None in silence."""
        if not np.isfinite(self.rms_dbfs):
            return None
        return self.sample_peak_dbfs - self.rms_dbfs

    @property
    def centroid_hz(self) -> float | None:
        return centroid_hz(self.freqs_hz, self.power)

    def report(self) -> dict[str, Any]:
        """The per-file report of CONTRACT.md (without its path): finite numbers or None."""
        lowest = self.lowest
        return {
            "sample_rate_hz": self.sample_rate_hz,
            "channels": self.channels,
            "duration_s": round(self.duration_s, 3),
            "integrated_lufs": _finite(self.integrated_lufs, 2),
            "loudness_range_lu": _finite(self.loudness.loudness_range_lu, 2),
            "true_peak_dbtp": _finite(self.true_peak_dbtp, 2),
            "sample_peak_dbfs": _finite(self.sample_peak_dbfs, 2),
            "rms_dbfs": _finite(self.rms_dbfs, 2),
            "crest_factor_db": _finite(self.crest_factor_db, 2),
            "lowest_note_hz": None if lowest is None else round(lowest.freq_hz, 1),
            "lowest_note": None if lowest is None else lowest.note,
            "energy_below_lowest_note": None if lowest is None else _finite(lowest.energy_below, 4),
            "spectral_centroid_hz": _finite(self.centroid_hz, 1),
            "spectral_tilt_db_per_octave": _finite(self.bands.tilt_db_per_octave, 2),
            "bands": [
                {"center_hz": float(center), "share": round(float(share), 4)}
                for center, share in zip(self.bands.centers_hz, self.bands.shares, strict=True)
            ],
        }

    def to_bytes(self) -> bytes:
        """A self-describing serialization (.npz, no pickles) for caches."""
        scalars = {
            "sample_rate_hz": self.sample_rate_hz,
            "channels": self.channels,
            "duration_s": self.duration_s,
            "true_peak_dbtp": _finite(self.true_peak_dbtp, 9),
            "sample_peak_dbfs": _finite(self.sample_peak_dbfs, 9),
            "rms_dbfs": _finite(self.rms_dbfs, 9),
            "tail": self.loudness.tail,
            "lowest": None
            if self.lowest is None
            else [self.lowest.freq_hz, self.lowest.note, self.lowest.energy_below],
        }
        return pack_arrays(
            scalars=np.frombuffer(json.dumps(scalars).encode(), dtype=np.uint8),
            segments=self.loudness.segments,
            freqs_hz=self.freqs_hz,
            power=self.power,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> AudioAnalysis:
        arrays = unpack_arrays(data)
        scalars = json.loads(arrays["scalars"].tobytes())
        segments, freqs, power = arrays["segments"], arrays["freqs_hz"], arrays["power"]
        lowest = scalars["lowest"]
        return cls(
            sample_rate_hz=scalars["sample_rate_hz"],
            channels=scalars["channels"],
            duration_s=scalars["duration_s"],
            loudness=Loudness.of_segments(segments, scalars["tail"]),
            true_peak_dbtp=_or_silence(scalars["true_peak_dbtp"]),
            sample_peak_dbfs=_or_silence(scalars["sample_peak_dbfs"]),
            rms_dbfs=_or_silence(scalars["rms_dbfs"]),
            bands=Bands.of(freqs, power),
            freqs_hz=freqs,
            power=power,
            lowest=None if lowest is None else LowestNote(lowest[0], lowest[1], lowest[2]),
        )


def fft_size(sample_rate_hz: int) -> int:
    """Frames of about FRAME_S seconds, a power of two."""
    return 1 << max(10, int(np.ceil(np.log2(sample_rate_hz * FRAME_S))))


def analyze(source: AudioSource) -> AudioAnalysis:
    """Measures a source in one streaming pass."""
    info = source.info
    rate, channels = info.sample_rate_hz, info.channels
    k_taps = k_weighting_taps(rate)
    between = interpolation_taps(rate)
    bank = np.zeros((1 + len(between), max(len(k_taps), between.shape[1])))
    bank[0, : len(k_taps)] = k_taps
    bank[1:, : between.shape[1]] = between
    size = fft_size(rate)
    overlap = 1 << int(np.ceil(np.log2(bank.shape[1] - 1)))
    engine = OverlapSave(channels, bank, size, overlap)
    segments = SegmentMeter(rate, channels)
    peaks = PeakMeter(channels)
    spectrum = LongTermSpectrum(size, rate)
    low_band = LowBand(rate, size, overlap, channels, taps=overlap + 1)
    counted = _Counted(source.blocks(engine.hop))
    squares = 0.0
    with np.errstate(invalid="ignore", over="ignore"):  # a damaged file's NaN: refused below, in one line
        for frame in engine.frames(counted, tail=interpolation_delay()):
            real = max(0, min(frame.samples.shape[1], counted.frames - frame.start))
            samples = frame.samples[:, :real]
            segments.add(frame.outputs[:, 0, :real])
            peaks.add(samples, frame.outputs[:, 1:, :])
            spectrum.add(frame.spectrum)
            low_band.add(frame.spectrum, frame.samples.shape[1])
            squares += float(np.einsum("ij,ij->", samples, samples, dtype=np.float64))
    refuse_non_finite(peaks.sample_peak, source)
    frames = counted.frames
    power = spectrum.power()
    with np.errstate(divide="ignore"):
        rms_dbfs = 10.0 * float(np.log10(squares / (frames * channels))) if frames and squares > 0 else float("-inf")
    return AudioAnalysis(
        sample_rate_hz=rate,
        channels=channels,
        duration_s=frames / rate,
        loudness=Loudness.of_segments(segments.segments(), segments.tail()),
        true_peak_dbtp=peaks.true_peak_dbtp,
        sample_peak_dbfs=peaks.sample_peak_dbfs,
        rms_dbfs=rms_dbfs,
        bands=Bands.of(spectrum.freqs_hz, power),
        freqs_hz=spectrum.freqs_hz,
        power=power,
        lowest=lowest_note(low_band.freqs_hz, low_band.power(), float(power[1:].sum())),
    )


def analyze_file(path: str | Path) -> AudioAnalysis:
    """Measures an audio file, streamed from disk; AudioError names it when it cannot be read."""
    return analyze(FileSource(path))


class _Counted:
    """Passes blocks through and counts their frames (the stream's true length)."""

    def __init__(self, blocks: Iterator[Planar]) -> None:
        self._blocks = blocks
        self.frames = 0

    def __iter__(self) -> Iterator[Planar]:
        for block in self._blocks:
            self.frames += block.shape[1]
            yield block


def _or_silence(value: float | None) -> float:
    return float("-inf") if value is None else float(value)


def _finite(value: float | None, digits: int) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits) + 0.0  # + 0.0: -0.0 reads 0.0
