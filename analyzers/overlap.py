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
        buffer = np.zeros((self.channels, self.fft_size), dtype=np.float32)
        fill = self.overlap
        start = 0

        def step(n: int) -> Frame:
            spectrum = scipy.fft.rfft(buffer, axis=-1)
            out = scipy.fft.irfft(spectrum[:, np.newaxis, :] * self._responses, self.fft_size, axis=-1)
            end = self.overlap + n
            return Frame(spectrum, out[:, :, self.overlap : end], buffer[:, self.overlap : end].copy(), start)

        for block in _with_tail(blocks, self.channels, tail):
            taken = 0
            while taken < block.shape[1]:
                n = min(self.fft_size - fill, block.shape[1] - taken)
                buffer[:, fill : fill + n] = block[:, taken : taken + n]
                fill += n
                taken += n
                if fill == self.fft_size:
                    yield step(self.hop)
                    start += self.hop
                    buffer[:, : self.overlap] = buffer[:, self.hop :]
                    fill = self.overlap
        if fill > self.overlap:
            buffer[:, fill:] = 0.0
            yield step(fill - self.overlap)


def _with_tail(blocks: Iterable[Planar], channels: int, tail: int) -> Iterator[Planar]:
    for block in blocks:
        if block.shape[0] != channels:
            raise ValueError(f"a block of {block.shape[0]} channels in a stream of {channels}")
        yield block
    if tail:
        yield np.zeros((channels, tail), dtype=np.float32)
