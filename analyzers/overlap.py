"""A bank of FIR filters run over a stream by FFT overlap-save, one FFT per frame for all of them.

Every frame of `fft_size` samples overlaps the previous one by `overlap` samples (at least each
filter's length minus one), so the last `fft_size - overlap` outputs of each filter are exactly
those of the linear convolution. The frame's spectrum, computed once, is handed on as well: the
spectrum analysis reuses it, and one forward FFT feeds every filter and every meter.

Costs per frame: one real FFT per channel and one inverse per channel and filter, in float32
(scipy.fft keeps single precision, which is ample for meters reading to 0.001 dB).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft

from analyzers.audio import Planar


@dataclass(frozen=True)
class Frame:
    """One step of the stream.

    `spectrum` (channels, fft_size // 2 + 1): the unwindowed FFT of the whole frame (the overlap
    included). `outputs` (channels, filters, n): each filter's output for the frame's new samples.
    `samples` (channels, n): those new samples. `start`: the stream index of the first of them
    (the stream starts with `overlap` zeros of history, which have no index)."""

    spectrum: npt.NDArray[np.complex64]
    outputs: npt.NDArray[np.float32]
    samples: Planar
    start: int


class OverlapSave:
    """Runs FIR `taps` (filters, length) over planar blocks of `channels` channels."""

    def __init__(self, channels: int, taps: npt.ArrayLike, fft_size: int, overlap: int) -> None:
        taps = np.atleast_2d(np.asarray(taps, dtype=np.float64))
        if taps.shape[1] - 1 > overlap:
            raise ValueError(f"filters of {taps.shape[1]} taps need an overlap of {taps.shape[1] - 1}, not {overlap}")
        if fft_size <= overlap:
            raise ValueError(f"an FFT of {fft_size} cannot hold an overlap of {overlap}")
        self.channels = channels
        self.fft_size = fft_size
        self.overlap = overlap
        self.hop = fft_size - overlap
        self._responses = scipy.fft.rfft(taps, fft_size, axis=-1).astype(np.complex64)

    def frames(self, blocks: Iterable[Planar], tail: int = 0) -> Iterator[Frame]:
        """Frames over the stream of `blocks`, followed by `tail` zeros (to let filter delays
        flush). The last frame is shorter when the stream does not fill it."""
        framer = Framer(self.channels, self.fft_size, self.hop, lead=self.overlap)
        start = 0
        for block in _with_tail(blocks, self.channels, tail):
            for buffer in framer.push(block):
                yield self._step(buffer, self.hop, start)
                start += self.hop
        new = framer.pending
        last = framer.flush()
        if last is not None:
            yield self._step(last, new, start)

    def _step(self, buffer: Planar, new: int, start: int) -> Frame:
        spectrum = scipy.fft.rfft(buffer, axis=-1)
        out = scipy.fft.irfft(spectrum[:, np.newaxis, :] * self._responses, self.fft_size, axis=-1)
        end = self.overlap + new
        return Frame(spectrum, out[:, :, self.overlap : end], buffer[:, self.overlap : end].copy(), start)


class Framer:
    """Cuts a stream of planar blocks into frames of `size` samples that advance by `hop`, the
    first frame starting with `lead` zeros before the stream. A yielded frame is the framer's own
    buffer: valid until the next one is asked for."""

    def __init__(self, channels: int, size: int, hop: int, lead: int = 0) -> None:
        if not 0 < hop <= size or not 0 <= lead < size:
            raise ValueError(f"frames of {size} cannot advance by {hop} after {lead} leading zeros")
        self._buffer = np.zeros((channels, size), dtype=np.float32)
        self._size, self._hop = size, hop
        self._fill = lead
        self.pending = 0  # samples taken that no frame has carried yet

    def push(self, block: Planar) -> Iterator[Planar]:
        taken = 0
        while taken < block.shape[1]:
            n = min(self._size - self._fill, block.shape[1] - taken)
            self._buffer[:, self._fill : self._fill + n] = block[:, taken : taken + n]
            self._fill += n
            self.pending += n
            taken += n
            if self._fill == self._size:
                self.pending = 0
                yield self._buffer
                kept = self._size - self._hop
                self._buffer[:, :kept] = self._buffer[:, self._hop :]
                self._fill = kept

    def flush(self) -> Planar | None:
        """The last, zero-padded frame when samples are pending, else None."""
        if not self.pending:
            return None
        self._buffer[:, self._fill :] = 0.0
        self._fill = self._size - self._hop
        self.pending = 0
        return self._buffer


def _with_tail(blocks: Iterable[Planar], channels: int, tail: int) -> Iterator[Planar]:
    for block in blocks:
        if block.shape[0] != channels:
            raise ValueError(f"a block of {block.shape[0]} channels in a stream of {channels}")
        yield block
    if tail:
        yield np.zeros((channels, tail), dtype=np.float32)
