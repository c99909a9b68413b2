"""Audio in, in one layout: planar float32, shape (channels, frames), C-contiguous.

Files are decoded by soundfile in blocks and converted to that layout once, here; every analyzer
takes planar blocks. A source streams: nothing holds a whole file unless it is already in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import soundfile as sf

Planar = npt.NDArray[np.float32]  # (channels, frames)


class AudioError(ValueError):
    """An audio file that cannot be read; names the file and says why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def refuse_non_finite(found: npt.ArrayLike, source: object) -> None:
    """AudioError (naming the source's path where it has one) when a measurement came out NaN or
    infinite: the audio holds such samples, which no meter can read."""
    if not np.isfinite(found).all():
        raise AudioError(
            getattr(source, "path", "the audio"), "it holds NaN or infinite samples (a damaged float file?)"
        )


@dataclass(frozen=True)
class AudioInfo:
    sample_rate_hz: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz


class AudioSource(Protocol):
    """Something that streams planar float32 blocks of at most `frames` frames each."""

    @property
    def info(self) -> AudioInfo: ...

    def blocks(self, frames: int) -> Iterator[Planar]: ...


def planar(samples: npt.ArrayLike) -> Planar:
    """Interleaved (frames, channels) or mono (frames,) samples, as soundfile and most code hold
    them, to the planar layout."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        return x[np.newaxis, :].copy()
    if x.ndim != 2:
        raise ValueError(f"audio must be (frames,) or (frames, channels), not shape {x.shape}")
    return np.ascontiguousarray(x.T)


class ArraySource:
    """Audio already in memory, planar (channels, frames)."""

    def __init__(self, samples: npt.ArrayLike, sample_rate_hz: int) -> None:
        x = np.asarray(samples, dtype=np.float32)
        if x.ndim == 1:
            x = x[np.newaxis, :]
        if x.ndim != 2 or x.shape[0] < 1:
            raise ValueError(f"planar audio must be (channels, frames), not shape {x.shape}")
        if sample_rate_hz <= 0:
            raise ValueError(f"sample rate must be positive, not {sample_rate_hz}")
        self.samples = x
        self._info = AudioInfo(int(sample_rate_hz), x.shape[0], x.shape[1])

    @property
    def info(self) -> AudioInfo:
        return self._info

    def blocks(self, frames: int) -> Iterator[Planar]:
        for start in range(0, self.samples.shape[1], frames):
            yield self.samples[:, start : start + frames]


class FileSource:
    """An audio file read by soundfile (WAV, FLAC, AIFF, OGG, ...) in blocks."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            info = sf.info(str(self.path))
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise unreadable(self.path, exc) from None
        if info.samplerate <= 0 or info.channels <= 0:
            raise AudioError(self.path, f"no audio ({info.channels} channels at {info.samplerate} Hz)")
        self._info = AudioInfo(info.samplerate, info.channels, info.frames)

    @property
    def info(self) -> AudioInfo:
        return self._info

    def blocks(self, frames: int) -> Iterator[Planar]:
        buffer = np.empty((frames, self._info.channels), dtype=np.float32)
        try:
            with sf.SoundFile(str(self.path)) as f:
                while True:
                    n = f.read(frames, dtype="float32", always_2d=True, out=buffer)
                    if not len(n):
                        return
                    yield np.ascontiguousarray(n.T)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise unreadable(self.path, exc) from None


def unreadable(path: str | Path, exc: BaseException) -> AudioError:
    """The error for an audio file the decoder refused, naming the file and quoting why."""
    text = str(exc).strip() or type(exc).__name__
    return AudioError(path, f"not readable as audio ({text})")


def pack_arrays(**arrays: npt.ArrayLike) -> bytes:
    """Named arrays as the bytes of an .npz (no pickles) for the caches. Not compressed: float
    data gains a quarter at most from zlib and loads about ten times faster without it."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def unpack_arrays(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """The arrays `pack_arrays` packed (or any .npz without pickles), by name."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}
