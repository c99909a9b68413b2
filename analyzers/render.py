"""A change heard: a track's loudest few seconds rendered through a device's settings before and
after a change, loudness-matched, written as two WAV files and played where the machine can.

- The excerpt is the loudest stretch of about six seconds by short-term loudness (K-weighted
  power in the 100 ms segments of analyzers.loudness), so silence is never chosen when the track
  plays anywhere.
- Each render runs over the excerpt with up to a second of the track before it (pre-roll), then
  cut to the excerpt: filters and detectors start warm, as they are in the session.
- Devices (standard terms of CONTRACT.md), built with pedalboard (JUCE's processors):
  `eq`: bell -> PeakFilter, lowshelf/highshelf -> LowShelfFilter/HighShelfFilter (RBJ biquads);
  highpass/lowpass/notch/bandpass -> the second-order sections of analyzers.eq.EqBand (RBJ
  biquads with the band's Q, one per 12 dB/octave, a first-order section for an odd 6), since
  pedalboard's high- and low-pass are first order only; disabled bands are skipped.
  `compressor`: comp.input_gain_db as Gain, Compressor(threshold, ratio, attack, release),
  comp.makeup_db and comp.output_gain_db as Gain (comp.knee_db is not rendered: hard knee).
  `limiter`: limiter.input_gain_db as Gain, Limiter(threshold, release), limiter.ceiling_db and
  limiter.output_gain_db as Gain. `gate`: NoiseGate(threshold, ratio, attack, release)
  (gate.range_db is not rendered). `fader`: `volume_db` as Gain (null is silence).
  A device whose `enabled` is False passes the audio through.
- Loudness match: the after render is scaled to the integrated loudness (BS.1770-4, gated) of
  the before render, so the engineer hears the change of tone, not of level; a fader change is a
  change of level and is left as it is. The track's fader at each save (`volume_db_before`,
  `volume_db_after`) is applied after the match, so a level change that came with it is heard.
- The stages, loudness match and peak limit here are shared with analyzers/probe_render.py.
- Both renders are then scaled by one common gain when either would peak above -1 dBFS, and
  faded in and out with 20 ms raised-cosine ramps (the fade-in and fade-out of a crossfade sum to
  one: equal gain), so neither starts, ends, or joins the other with a click.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pedalboard
import scipy.signal
import soundfile as sf

from analyzers.audio import Planar
from analyzers.eq import EqBand, bands_from_terms
from analyzers.loudness import SegmentMeter, integrated_lufs, k_weighting_sos, windows

Setting = float | str | bool | None
Stage = Callable[[Planar, int], Planar]

EXCERPT_S = 6.0
PREROLL_S = 1.0
FADE_S = 0.02
PEAK_LIMIT_DBFS = -1.0
RENDERED_KINDS = ("eq", "compressor", "limiter", "gate", "fader")
LEVEL_KINDS = frozenset({"fader"})
_PEDALBOARD_EQ = {
    "bell": pedalboard.PeakFilter,
    "lowshelf": pedalboard.LowShelfFilter,
    "highshelf": pedalboard.HighShelfFilter,
}


def excerpt_bounds(samples: Planar, rate: int, seconds: float = EXCERPT_S) -> tuple[int, int]:
    """(start, stop) frames of the loudest stretch of about `seconds` (the whole track when it is
    shorter), found by short-term loudness in 100 ms hops."""
    x = as_planar(samples)
    frames, length = x.shape[1], max(1, round(seconds * rate))
    if frames <= length:
        return 0, frames
    segments = metered(x, rate).segments()
    meter_hop = max(1, round(rate * 0.1))
    count = max(1, min(len(segments), length // meter_hop))
    energy = windows(segments, count)
    start = int(np.argmax(energy)) * meter_hop if len(energy) else 0
    start = min(start, frames - length)
    return start, start + length


def excerpt(samples: np.ndarray, rate: int, seconds: float = EXCERPT_S) -> np.ndarray:
    """The loudest stretch of about `seconds` of planar audio (channels, frames), where it plays."""
    x = as_planar(samples)
    start, stop = excerpt_bounds(x, rate, seconds)
    return x[:, start:stop]


def render_before_after(
    samples: np.ndarray,
    rate: int,
    device_kind: str,
    before: Mapping[str, Setting],
    after: Mapping[str, Setting],
    *,
    volume_db_before: float | None = None,
    volume_db_after: float | None = None,
    seconds: float = EXCERPT_S,
) -> tuple[np.ndarray, np.ndarray]:
    """The excerpt through the device's settings before and after a change: loudness-matched
    unless the change is one of level, faded at both ends (see the module's docstring). A kind
    that cannot be rendered raises ValueError naming it."""
    x = as_planar(samples)
    before_chain, after_chain = device_chain(device_kind, before), device_chain(device_kind, after)
    start, stop = excerpt_bounds(x, rate, seconds)
    first = max(0, start - round(PREROLL_S * rate))
    source = x[:, first:stop]
    rendered = [run_chain(chain, source, rate)[:, start - first :] for chain in (before_chain, after_chain)]
    if device_kind not in LEVEL_KINDS:
        rendered[1] = rendered[1] * np.float32(match_gain(rendered[1], rendered[0], rate))
    for index, volume_db in enumerate((volume_db_before, volume_db_after)):
        if volume_db is not None:
            rendered[index] = rendered[index] * np.float32(linear(volume_db))
    rendered = within_peak_limit(rendered)
    return fade_ends(rendered[0], rate), fade_ends(rendered[1], rate)


def device_chain(device_kind: str, settings: Mapping[str, Setting]) -> list[Stage]:
    """The processing stages of a device at its settings (standard terms); ValueError for a kind
    this module cannot render."""
    builders: dict[str, Callable[[Mapping[str, Setting]], list[Stage]]] = {
        "eq": _eq_chain,
        "compressor": _compressor_chain,
        "limiter": _limiter_chain,
        "gate": _gate_chain,
        "fader": _fader_chain,
    }
    if device_kind not in builders:
        raise ValueError(
            f"cannot render a {device_kind!r} device before and after: only {', '.join(RENDERED_KINDS)} are rendered"
        )
    if settings.get("enabled") is False:
        return []
    return builders[device_kind](settings)


def fade_ends(samples: Planar, rate: int, seconds: float = FADE_S) -> Planar:
    """The audio with raised-cosine fades of `seconds` in at its start and out at its end."""
    x = np.array(samples, dtype=np.float32, copy=True)
    n = min(max(1, round(seconds * rate)), x.shape[1] // 2)
    if n < 1:
        return x
    ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32)
    x[:, :n] *= ramp
    x[:, x.shape[1] - n :] *= ramp[::-1]
    return x


def write_pair(before: np.ndarray, after: np.ndarray, rate: int, folder: Path, stem: str) -> tuple[Path, Path]:
    """The two renders as 24-bit WAV files `<stem>.before.wav` and `<stem>.after.wav` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"{stem}.before.wav", folder / f"{stem}.after.wav")
    for path, audio in zip(paths, (before, after)):
        sf.write(str(path), as_planar(audio).T, rate, subtype="PCM_24")
    return paths


def play(path: Path) -> str | None:
    """Starts playing an audio file on the default output (returns at once) and returns None; or
    returns a sentence saying why it cannot play, for the UI to show beside the file's path."""
    try:
        sd = importlib.import_module("sounddevice")
    except (ImportError, OSError) as exc:
        return f"Cannot play here: sounddevice is not available ({exc}); install tapeop[play] and PortAudio."
    errors = (getattr(sd, "PortAudioError", OSError), OSError, ValueError, RuntimeError)
    try:
        sd.query_devices(kind="output")
    except errors as exc:
        return f"Cannot play here: no audio output device ({exc})."
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
        sd.play(data, file_rate)
    except errors as exc:
        return f"Cannot play {path.name}: {exc}."
    return None


def _eq_chain(settings: Mapping[str, Setting]) -> list[Stage]:
    return [_band_stage(band) for band in bands_from_terms(settings) if band.enabled]


def _band_stage(band: EqBand) -> Stage:
    plugin_type = _PEDALBOARD_EQ.get(band.type)

    def filtered(x: Planar, rate: int) -> Planar:
        freq = min(band.freq_hz, 0.49 * rate)
        if plugin_type is not None:
            plugin = plugin_type(cutoff_frequency_hz=freq, gain_db=band.gain_db, q=band.q)
            return _processed(plugin, x, rate)
        return scipy.signal.sosfilt(band.sos(rate), x, axis=1).astype(np.float32)

    return filtered


def _compressor_chain(settings: Mapping[str, Setting]) -> list[Stage]:
    ratio = number(settings, "comp.ratio", 1.0)
    compressor = pedalboard.Compressor(
        threshold_db=number(settings, "comp.threshold_db", 0.0),
        ratio=min(max(ratio, 1.0), 1000.0) if math.isfinite(ratio) else 1000.0,
        attack_ms=max(number(settings, "comp.attack_ms", 10.0), 0.01),
        release_ms=max(number(settings, "comp.release_ms", 100.0), 1.0),
    )
    after = number(settings, "comp.makeup_db", 0.0) + number(settings, "comp.output_gain_db", 0.0)
    return [gain_stage(number(settings, "comp.input_gain_db", 0.0)), plugin_stage(compressor), gain_stage(after)]


def _limiter_chain(settings: Mapping[str, Setting]) -> list[Stage]:
    limiter = pedalboard.Limiter(
        # JUCE's limiter brings its threshold up to 0 dBFS; a limiter with a ceiling alone
        # (Ableton's) limits at its ceiling, which the gain after it restores.
        threshold_db=number(settings, "limiter.threshold_db", number(settings, "limiter.ceiling_db", 0.0)),
        release_ms=max(number(settings, "limiter.release_ms", 100.0), 1.0),
    )
    after = number(settings, "limiter.ceiling_db", 0.0) + number(settings, "limiter.output_gain_db", 0.0)
    return [gain_stage(number(settings, "limiter.input_gain_db", 0.0)), plugin_stage(limiter), gain_stage(after)]


def _gate_chain(settings: Mapping[str, Setting]) -> list[Stage]:
    gate = pedalboard.NoiseGate(
        threshold_db=number(settings, "gate.threshold_db", -100.0),
        ratio=max(number(settings, "gate.ratio", 10.0), 1.0),
        attack_ms=max(number(settings, "gate.attack_ms", 1.0), 0.01),
        release_ms=max(number(settings, "gate.release_ms", 100.0), 1.0),
    )
    return [plugin_stage(gate)]


def _fader_chain(settings: Mapping[str, Setting]) -> list[Stage]:
    volume = settings.get("volume_db")
    if volume is None:  # a fader all the way down: silence (CONTRACT.md)
        return [lambda x, rate: np.zeros_like(x)]
    return [gain_stage(number(settings, "volume_db", 0.0))]


def gain_stage(gain_db: float) -> Stage:
    return plugin_stage(pedalboard.Gain(gain_db=gain_db))


def plugin_stage(plugin: pedalboard.Plugin) -> Stage:
    return lambda x, rate: _processed(plugin, x, rate)


def _processed(plugin: pedalboard.Plugin, x: Planar, rate: int) -> Planar:
    out = plugin.process(np.ascontiguousarray(x, dtype=np.float32), float(rate), reset=True)
    return np.asarray(out, dtype=np.float32)


def run_chain(chain: list[Stage], x: Planar, rate: int) -> Planar:
    for stage in chain:
        x = stage(x, rate)
    return np.asarray(x, dtype=np.float32)


def metered(x: Planar, rate: int) -> SegmentMeter:
    """The K-weighted, channel-weighted mean square of each 100 ms segment (analyzers.loudness)."""
    meter = SegmentMeter(rate, x.shape[0])
    meter.add(scipy.signal.sosfilt(k_weighting_sos(rate), x, axis=1))
    return meter


def integrated_loudness(x: Planar, rate: int) -> float | None:
    """Integrated loudness (LUFS, BS.1770-4 gated) of planar audio; None for silence."""
    meter = metered(x, rate)
    return integrated_lufs(meter.segments(), meter.tail())


def match_gain(x: Planar, reference: Planar, rate: int) -> float:
    """The linear gain that brings x to the integrated loudness of reference (1 if either is silent)."""
    ours, theirs = integrated_loudness(x, rate), integrated_loudness(reference, rate)
    if ours is None or theirs is None:
        return 1.0
    return linear(theirs - ours)


def within_peak_limit(renders: list[Planar]) -> list[Planar]:
    peak = max((float(np.max(np.abs(x))) for x in renders if x.size), default=0.0)
    limit = linear(PEAK_LIMIT_DBFS)
    if peak <= limit:
        return renders
    scale = np.float32(limit / peak)
    return [x * scale for x in renders]


def linear(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def number(settings: Mapping[str, Setting], term: str, default: float) -> float:
    value = settings.get(term)
    if isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value):
        return float(value)
    return default


def as_planar(samples: npt.ArrayLike) -> Planar:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2:
        raise ValueError(f"audio must be planar (channels, frames), not shape {x.shape}")
    return x
