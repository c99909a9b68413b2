"""The lowest musically useful frequency of a track: the lowest fundamental that carries a real
share of its musical content over the piece, named as a note, and the share of energy below it.

Read from a long-term average spectrum of the low band, where a note played again and again
stands out as a narrow peak and everything that is not a note does not:
- the low band (up to 1 kHz, the fundamentals of musical sources) is taken out of the frames the
  overlap-save bank transforms anyway: their spectrum times a 1 kHz low-pass, whose response is
  nil above the new Nyquist frequency, inverse-transformed at 1/16 of the size, is exactly the
  low-passed signal decimated to about 3 kHz. Its Welch spectrum (2.7 s Hann frames, half
  overlapping) has 0.37 Hz bins: two notes a semitone apart at 41 Hz (2.4 Hz) are clearly apart;
- silence adds nothing to an average of power; noise and rumble have smooth long-term spectra;
- a note is a local maximum that stands PROMINENCE_DB above the lowest bins on *both* of its
  flanks, within half a semitone (a slope, such as the top of a rumble band, is high on one side
  only), between 20 Hz and 1 kHz;
- it carries a real share when its energy (its main lobe, above its flanks) is at least
  MIN_SHARE_OF_STRONGEST of the strongest note's: a faint note or a spurious peak does not set
  the lowest note; a fundamental the track keeps returning to does.
The peak's frequency is refined by parabolic interpolation of its log power. The energy below
it is counted from a semitone under the note (and outside the Hann main lobe) down to 0 Hz, as a
share of the track's whole energy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft
import scipy.signal

from analyzers.notes import hz_to_midi, midi_to_hz, note_name
from analyzers.overlap import Framer

LOWEST_HZ = 20.0
HIGHEST_HZ = 1000.0
PROMINENCE_DB = 6.0
FLANK_SEMITONES = 3
SHOULDER_DB = 8.0
SHOULDER_SEMITONES = 3
MIN_SHARE_OF_STRONGEST = 0.01
LOW_BAND_RATE_HZ = 3000.0
LOW_FRAME_S = 2.7
_MAIN_LOBE_BINS = 2


@dataclass(frozen=True)
class LowestNote:
    freq_hz: float
    note: str
    energy_below: float  # share of the track's energy below the note, 0..1


class LowBand:
    """Collects the low band of the overlap-save frames and its long-term Hann spectrum."""

    def __init__(self, sample_rate_hz: int, fft_size: int, overlap: int, channels: int, taps: int) -> None:
        self.factor = 1 << max(0, round(np.log2(sample_rate_hz / LOW_BAND_RATE_HZ)))
        if fft_size % self.factor or overlap % self.factor:
            raise ValueError(f"frames of {fft_size} with an overlap of {overlap} do not decimate by {self.factor}")
        self.rate_hz = sample_rate_hz / self.factor
        self._overlap = overlap // self.factor
        self._size = fft_size // self.factor
        nyquist = self.rate_hz / 2
        lowpass = scipy.signal.firwin(
            taps, HIGHEST_HZ + 0.3 * (nyquist - HIGHEST_HZ), width=0.6 * (nyquist - HIGHEST_HZ), fs=sample_rate_hz
        )
        self._response = scipy.fft.rfft(lowpass, fft_size)[: self._size // 2 + 1].astype(np.complex64) / self.factor
        frame = 1 << int(np.ceil(np.log2(self.rate_hz * LOW_FRAME_S)))
        self._frame = frame
        self._window = scipy.signal.get_window("hann", frame).astype(np.float32)
        self._framer = Framer(channels, frame, frame // 2)
        self._sum = np.zeros(frame // 2 + 1)
        self._frames = 0
        self.freqs_hz: npt.NDArray[np.float64] = np.fft.rfftfreq(frame, 1.0 / self.rate_hz).astype(np.float64)

    def add(self, spectrum: npt.NDArray[np.complex64], new_samples: int) -> None:
        """Takes a frame's spectrum (channels, fft_size // 2 + 1) with `new_samples` new samples."""
        low = scipy.fft.irfft(spectrum[:, : self._size // 2 + 1] * self._response, self._size, axis=-1)
        count = -(-new_samples // self.factor)
        for frame in self._framer.push(low[:, self._overlap : self._overlap + count]):
            self._accumulate(frame)

    def _accumulate(self, frame: npt.NDArray[np.float32]) -> None:
        spectrum = scipy.fft.rfft(frame * self._window, axis=-1)
        self._sum += (np.abs(spectrum) ** 2).sum(axis=0)
        self._frames += 1

    def power(self) -> npt.NDArray[np.float64]:
        """Mean square per bin (one-sided, summed over channels). The samples after the last
        whole frame are taken as one more frame, zero-padded (so is a stream shorter than one)."""
        last = self._framer.flush()
        if last is not None:
            self._accumulate(last)
        scale = np.full(len(self._sum), 2.0)
        scale[[0, -1]] = 1.0
        return self._sum * scale / (self._frame * float(np.square(self._window).sum()) * max(self._frames, 1))


def note_energies(
    freqs_hz: npt.NDArray[np.float64], power: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(MIDI numbers, energy) of every equal-tempered semitone band from LOWEST_HZ to HIGHEST_HZ:
    the power of the bins within half a semitone of the note."""
    midi = np.arange(int(np.ceil(hz_to_midi(LOWEST_HZ))), int(np.floor(hz_to_midi(HIGHEST_HZ))) + 1)
    edges = 440.0 * 2.0 ** ((np.append(midi, midi[-1] + 1) - 69.5) / 12.0)
    which = np.searchsorted(edges, freqs_hz, side="right") - 1
    inside = (which >= 0) & (which < len(midi))
    return midi, np.bincount(which[inside], weights=power[inside], minlength=len(midi)).astype(np.float64)


def lowest_note(freqs_hz: npt.NDArray[np.float64], power: npt.NDArray[np.float64], total: float) -> LowestNote | None:
    """The lowest note in a long-term low-band power spectrum, with the share of `total` (the
    track's whole mean square) below it; None when there is no note (silence, noise)."""
    if total <= 0.0:
        return None
    midi, energy = note_energies(freqs_hz, power)
    strongest = energy.max(initial=0.0)
    if strongest <= 0.0:
        return None
    prominence = 10.0 ** (PROMINENCE_DB / 10.0)
    shoulder = 10.0 ** (SHOULDER_DB / 10.0)
    for n in range(FLANK_SEMITONES, len(midi) - SHOULDER_SEMITONES):
        e = energy[n]
        if e < MIN_SHARE_OF_STRONGEST * strongest or e < energy[n - 1]:
            continue
        if (
            e < prominence * energy[n - FLANK_SEMITONES : n].min()
            or energy[n + 1 : n + 1 + SHOULDER_SEMITONES].max() > shoulder * e
        ):
            continue
        freq = _peak_hz(freqs_hz, power, float(midi[n]))
        bin_hz = float(freqs_hz[1] - freqs_hz[0])
        below_hz = min(midi_to_hz(midi[n] - 1.0), freq - (_MAIN_LOBE_BINS + 1) * bin_hz)
        below = float(power[1:][freqs_hz[1:] < below_hz].sum()) / total
        return LowestNote(round(freq, 2), note_name(freq), min(below, 1.0))
    return None


def _peak_hz(freqs_hz: npt.NDArray[np.float64], power: npt.NDArray[np.float64], midi: float) -> float:
    """The frequency of the strongest bin within half a semitone of a note, refined by parabolic
    interpolation of its log power."""
    lo, hi = np.searchsorted(freqs_hz, [midi_to_hz(midi - 0.5), midi_to_hz(midi + 0.5)])
    k = int(lo + np.argmax(power[lo:hi])) if hi > lo else int(lo)
    k = min(max(k, 1), len(power) - 2)
    a, b, c = np.log(np.maximum(power[k - 1 : k + 2], 1e-300))
    denominator = a - 2.0 * b + c
    offset = 0.5 * (a - c) / denominator if denominator < 0 else 0.0
    return float(freqs_hz[k] + np.clip(offset, -0.5, 0.5) * (freqs_hz[1] - freqs_hz[0]))
