"""A track's dry signal: its audio clips placed on the timeline, with clip gain and fades,
streamed from the files they reference. Nothing is rendered to disk and no file is read whole.

Clip placement is in seconds (the caller converts beats with the session's tempo). A clip plays
`duration_s` of its file from `offset_s` at `position_s`; fades are linear in amplitude, and
overlapping clips add. A file with another sample rate than the track's is refused (no
resampling: the session would not play it as written either), and so is a missing file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from analyzers.audio import AudioError, AudioInfo, FileSource, Planar, unreadable


@dataclass(frozen=True)
class ClipPlacement:
    path: Path
    position_s: float
    duration_s: float
    offset_s: float = 0.0
    gain_db: float = 0.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0


class DrySignal:
    """An AudioSource over a track's clips, from time 0 to the end of its last clip."""

    def __init__(self, clips: Sequence[ClipPlacement], channels: int | None = None) -> None:
        if not clips:
            raise ValueError("a dry signal needs at least one clip")
        infos = {clip.path: FileSource(clip.path).info for clip in clips}  # AudioError if unreadable
        rates = {info.sample_rate_hz for info in infos.values()}
        if len(rates) > 1:
            raise AudioError(clips[0].path, f"the track's clips have several sample rates: {sorted(rates)} Hz")
        self.clips = tuple(clips)
        rate = rates.pop()
        channels = channels or max(info.channels for info in infos.values())
        end = max(round((c.position_s + c.duration_s) * rate) for c in clips)
        self._info = AudioInfo(rate, channels, max(0, end))

    @property
    def info(self) -> AudioInfo:
        return self._info

    def blocks(self, frames: int) -> Iterator[Planar]:
        rate, channels = self._info.sample_rate_hz, self._info.channels
        spans = [
            (round(c.position_s * rate), round((c.position_s + c.duration_s) * rate), c)
            for c in self.clips
            if c.duration_s > 0
        ]
        open_files: dict[int, sf.SoundFile] = {}
        try:
            for start in range(0, self._info.frames, frames):
                stop = min(start + frames, self._info.frames)
                out = np.zeros((channels, stop - start), dtype=np.float32)
                for number, (first, last, clip) in enumerate(spans):
                    lo, hi = max(first, start), min(last, stop)
                    if lo >= hi:
                        if last <= start and number in open_files:
                            open_files.pop(number).close()
                        continue
                    try:
                        if number not in open_files:
                            open_files[number] = sf.SoundFile(str(clip.path))
                        part = _clip_part(open_files[number], clip, first, last, lo, hi, rate, channels)
                    except (sf.LibsndfileError, RuntimeError) as exc:
                        raise unreadable(clip.path, exc) from None
                    out[:, lo - start : hi - start] += part
                yield out
        finally:
            for f in open_files.values():
                f.close()


def _clip_part(
    f: sf.SoundFile, clip: ClipPlacement, first: int, last: int, lo: int, hi: int, rate: int, channels: int
) -> Planar:
    """The clip's samples for timeline frames [lo, hi), with gain and fades, as `channels`."""
    source_start = round(clip.offset_s * rate) + (lo - first)
    n = hi - lo
    part = np.zeros((n, f.channels), dtype=np.float32)
    if 0 <= source_start < f.frames:
        f.seek(source_start)
        got = f.read(min(n, f.frames - source_start), dtype="float32", always_2d=True)
        part[: len(got)] = got
    t = np.arange(lo, hi, dtype=np.float64)
    envelope = np.full(n, 10.0 ** (clip.gain_db / 20.0))
    if clip.fade_in_s > 0:
        envelope *= np.clip((t - first) / (clip.fade_in_s * rate), 0.0, 1.0)
    if clip.fade_out_s > 0:
        envelope *= np.clip((last - t) / (clip.fade_out_s * rate), 0.0, 1.0)
    shaped = (part * envelope[:, None].astype(np.float32)).T
    if shaped.shape[0] == channels:
        return shaped
    if shaped.shape[0] == 1:
        return np.repeat(shaped, channels, axis=0)
    if channels == 1:
        return shaped.mean(axis=0, keepdims=True)
    fitted = np.zeros((channels, n), dtype=np.float32)
    common = min(channels, shaped.shape[0])
    fitted[:common] = shaped[:common]
    return fitted
