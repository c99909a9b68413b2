"""Sessions, saves and audio the justification tests build: tracks with known content (a loud
track, a ringing one, a voice with sibilants, a take with a count-in, a bass over rumble), saves
of one change measured as the processor measures them."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile as sf

from daemon.formats.dawproject_writer import write_dawproject
from daemon.ingest.append import append_save
from daemon.log.records import LoggedEvent, SaveInfo
from daemon.log.store import Store, sqlite_url
from daemon.sessions.model import Channel, Clip, Device, Session, Track, canonical_params
from profiles.justify import SaveChanges
from profiles.justify.audio import TrackAudio

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def session(delay_ms: float, predelay_ms: float = 20.0, volume_db: float = -6.0, bpm: float = 120.0) -> Session:
    delay = Device(kind="other", name="Echo", params=canonical_params({"delay.time_ms": delay_ms, "delay.mix": 0.2}))
    verb = Device(kind="other", name="Plate", params=canonical_params({"reverb.predelay_ms": predelay_ms}))
    vox = Track("Lead Vox", role="audio", channel=Channel(volume_db=volume_db), devices=(delay, verb))
    return Session("Song", tempo_bpm=bpm, tracks=(vox,))


def measured_save(
    tmp_path: Path, path: Path, name: str, changes: tuple[LoggedEvent, ...], before: Session | None, after: Session
) -> SaveChanges:
    """A save of `changes` whose tracks are measured from the session file at `path`, through a
    cache in a fresh store."""
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    return SaveChanges(name, 2, "greg", changes, before, after, TrackAudio(store, path, tmp_path / "audio"))


def save(store: Store, n: int, s: Session) -> None:
    info = SaveInfo("Song", f"/s/Song v{n}.dawproject", f"{n:064x}", 1000 + n, T0, T0 + timedelta(minutes=n), "greg")
    assert not append_save(store, info, s).duplicate


def change(parameter: str, after: float, position: int = 7) -> LoggedEvent:
    payload = {"track": "Lead Vox", "device": "Echo", "parameter": parameter, "before": 300.0, "after": after}
    return LoggedEvent(position, "parameter-changed", "Song", 2, "greg", T0, payload)


def context(bpm: float = 120.0) -> SaveChanges:
    return SaveChanges("Song", 2, "greg", (), None, session(375.0, bpm=bpm))


def two_tracks(tmp_path, vox_plays: bool):  # noqa: ANN001, ANN201
    """A session of a guitar and a vocal sharing the 2 kHz region, with their audio embedded;
    the vocal holds only a -90 dBFS noise floor when `vox_plays` is False. (Every stem carries some
    noise: pure tones compress past the archive guard's 100:1 ratio.)"""
    rate, seconds = 48000, 6.0
    t = np.arange(int(rate * seconds)) / rate
    hiss = np.random.default_rng(5).standard_normal((2, len(t))) * 10 ** (-90 / 20)
    gtr = 0.3 * np.sin(2 * np.pi * 2150 * t) + 0.2 * np.sin(2 * np.pi * 400 * t) + hiss[0]
    vox = (0.2 * np.sin(2 * np.pi * 2100 * t) if vox_plays else 0.0) + hiss[1]
    media = {}
    tracks = []
    for name, x in (("Gtr", gtr), ("Vox", vox)):
        buffer = io.BytesIO()
        sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
        media[f"audio/{name}.wav"] = buffer.getvalue()
        clip = Clip(f"audio/{name}.wav", 0.0, seconds * 2, name)  # beats at 120 BPM
        tracks.append(Track(name, role="audio", content_types=("audio",), clips=(clip,)))
    path = write_dawproject(
        Session("Duo", tempo_bpm=120.0, tracks=tuple(tracks)), tmp_path / "Duo.dawproject", media=media
    )
    return path, Session("Duo", tempo_bpm=120.0, tracks=tuple(tracks))


def loud_track(tmp_path, fader_db: float):  # noqa: ANN001, ANN201
    """A session of one guitar whose audio peaks at -0.5 dBFS, its fader at `fader_db`."""
    rate = 48000
    t = np.arange(rate * 4) / rate
    x = 10 ** (-0.5 / 20) * np.sin(2 * np.pi * 220 * t) + np.random.default_rng(6).standard_normal(len(t)) * 1e-4
    buffer = io.BytesIO()
    sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
    limiter = Device(kind="limiter", name="Limiter", params=canonical_params({"limiter.ceiling_db": -0.1}))
    clip = Clip("audio/Gtr.wav", 0.0, 8.0, "Gtr")
    track = Track(
        "Gtr",
        role="audio",
        content_types=("audio",),
        clips=(clip,),
        devices=(limiter,),
        channel=Channel(volume_db=fader_db),
    )
    session = Session("Loud", tempo_bpm=120.0, tracks=(track,))
    path = write_dawproject(session, tmp_path / "Loud.dawproject", media={"audio/Gtr.wav": buffer.getvalue()})
    return path, session


def ringing_track(tmp_path):  # noqa: ANN001, ANN201
    """A track of broadband noise with a sustained ring at 180 Hz, 15 dB above it."""
    rate = 48000
    t = np.arange(rate * 6) / rate
    noise = np.random.default_rng(8).standard_normal(len(t)) * 0.05
    x = noise + 0.12 * np.sin(2 * np.pi * 180 * t)
    buffer = io.BytesIO()
    sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
    return buffer.getvalue()


def voice(with_sibilants: bool) -> bytes:
    """A sung-like tone (200 Hz and harmonics) with, when asked, an "s" every second: 80 ms of
    noise band-passed to 5.5-9 kHz, 20 dB above the voice's own highs."""
    rate = 48000
    t = np.arange(rate * 6) / rate
    rng = np.random.default_rng(9)
    x = sum(0.2 / k * np.sin(2 * np.pi * 200 * k * t) for k in range(1, 12)) + rng.standard_normal(len(t)) * 1e-3
    if with_sibilants:
        spectrum = np.fft.rfft(rng.standard_normal(len(t)))
        f = np.fft.rfftfreq(len(t), 1 / rate)
        spectrum[(f < 5500) | (f > 9000)] = 0
        hiss = np.fft.irfft(spectrum, len(t))
        hiss *= 0.2 / hiss.std()
        gate = ((t % 1.0) < 0.08).astype(float)
        x = x + hiss * gate
    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(x, dtype=np.float32), rate, format="WAV", subtype="PCM_24")
    return buffer.getvalue()


def dynamic_pair(tmp_path, threshold_after: float):  # noqa: ANN001, ANN201
    """A vocal whose verses sit 15 dB under its choruses beside a steady pad, and the vocal's
    compressor before (ratio 1: doing nothing) and after (ratio 6 at `threshold_after`)."""
    rate = 48000
    t = np.arange(rate * 24) / rate
    rng = np.random.default_rng(10)
    level = np.where((t // 6) % 2 == 0, 10 ** (-25 / 20), 10 ** (-10 / 20))
    vox = level * np.sin(2 * np.pi * 300 * t) + rng.standard_normal(len(t)) * 1e-4
    pad = 0.1 * np.sin(2 * np.pi * 220 * t) + rng.standard_normal(len(t)) * 1e-4
    media = {}
    for name, x in (("Vox", vox), ("Pad", pad)):
        buffer = io.BytesIO()
        sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
        media[f"audio/{name}.wav"] = buffer.getvalue()

    def song(threshold: float, ratio: float) -> Session:
        comp = Device(
            kind="compressor",
            name="Comp",
            params=canonical_params({"comp.threshold_db": threshold, "comp.ratio": ratio}),
        )
        vox_track = Track(
            "Vox",
            role="audio",
            content_types=("audio",),
            clips=(Clip("audio/Vox.wav", 0.0, 48.0, "Vox"),),
            devices=(comp,),
        )
        pad_track = Track(
            "Pad", role="audio", content_types=("audio",), clips=(Clip("audio/Pad.wav", 0.0, 48.0, "Pad"),)
        )
        return Session("Dyn", tempo_bpm=120.0, tracks=(vox_track, pad_track))

    before, after = song(-20.0, 1.0), song(threshold_after, 6.0)
    path = write_dawproject(after, tmp_path / "Dyn.dawproject", media=media)
    return path, before, after


def take_with_count_in(count_in: bool) -> bytes:
    """2 s before the singing: a click every half second and a word of chatter (about -35 dBFS),
    or silence; then 6 s of singing at about -12 dBFS."""
    rate = 48000
    t = np.arange(rate * 8) / rate
    rng = np.random.default_rng(11)
    x = rng.standard_normal(len(t)) * 1e-5
    singing = t >= 2.0
    x[singing] += 0.25 * np.sin(2 * np.pi * 220 * t[singing]) + 0.1 * np.sin(2 * np.pi * 440 * t[singing])
    if count_in:
        for beat in (0.0, 0.5, 1.0, 1.5):
            at = int(beat * rate)
            x[at : at + 960] += 0.03 * np.sin(2 * np.pi * 1500 * t[:960]) * np.exp(-t[:960] / 0.004)
        word = (t > 0.6) & (t < 1.0)
        x[word] += rng.standard_normal(int(word.sum())) * 0.01
    buffer = io.BytesIO()
    sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
    return buffer.getvalue()


def with_eq(session: Session, track: str, **bands: float | str) -> Session:
    """`session` with an EQ device on `track` holding `bands` (standard terms without `eq.`)."""
    eq = Device(
        kind="eq", name="EQ", params=canonical_params({f"eq.{k.replace('_', '.', 1)}": v for k, v in bands.items()})
    )
    tracks = tuple(replace(t, devices=(eq,)) if t.name == track else t for t in session.tracks)
    return replace(session, tracks=tracks)


def eq_move(session: str, track: str, parameter: str, before: float, after: float, position: int = 9) -> LoggedEvent:
    payload = {"track": track, "device": "EQ", "parameter": parameter, "before": before, "after": after}
    return LoggedEvent(position, "parameter-changed", session, 2, "greg", T0, payload)


def make_up_save(tmp_path, cut_hz: float, fader_up_db: float, q: float = 4.0):  # noqa: ANN001, ANN201
    """The guitar and vocal duo, a -6 dB cut at `cut_hz` on the guitar and its fader raised by
    `fader_up_db` in the same save."""
    path, plain = two_tracks(tmp_path, vox_plays=True)
    bell = {"band1_type": "bell", "band1_freq_hz": cut_hz, "band1_q": q}
    before = with_eq(plain, "Gtr", **bell, band1_gain_db=0.0)
    after = with_eq(plain, "Gtr", **bell, band1_gain_db=-6.0)
    gtr = after.track("Gtr")
    after = replace(after, tracks=(replace(gtr, channel=Channel(volume_db=fader_up_db)), after.track("Vox")))
    cut = eq_move("Duo", "Gtr", "eq.band1.gain_db", 0.0, -6.0, position=9)
    payload = {"track": "Gtr", "parameter": "volume_db", "before": 0.0, "after": fader_up_db}
    fader = LoggedEvent(10, "parameter-changed", "Duo", 2, "greg", T0, payload)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    audio = TrackAudio(store, path, tmp_path / "audio")
    return SaveChanges("Duo", 2, "greg", (cut, fader), before, after, audio)


def tone(amplitude: float, freq: float = 1000.0, seconds: float = 6.0, fade_in_s: float = 0.0) -> bytes:
    """A steady tone (a 1 kHz sine at amplitude a plays at about 20 log10(a) - 3 LUFS) over a
    -100 dBFS noise floor, optionally faded in."""
    rate = 48000
    t = np.arange(int(rate * seconds)) / rate
    x = amplitude * np.sin(2 * np.pi * freq * t) * np.minimum(1.0, t / fade_in_s if fade_in_s else 1.0)
    x = x + np.random.default_rng(int(freq)).standard_normal(len(t)) * 1e-5
    buffer = io.BytesIO()
    sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
    return buffer.getvalue()


def mix(tmp_path, amplitudes: dict[str, float], faders: dict[str, float], clip_gains: dict[str, float] | None = None):  # noqa: ANN001, ANN201
    """A session of steady tones, one track each (amplitude, fader, clip gain), written with its
    audio embedded when `tmp_path` is given."""
    media, tracks = {}, []
    for i, (name, amplitude) in enumerate(amplitudes.items()):
        media[f"audio/{name}.wav"] = tone(amplitude, 1000.0 + 250.0 * i)
        clip = Clip(f"audio/{name}.wav", 0.0, 12.0, name, gain_db=(clip_gains or {}).get(name, 0.0))
        channel = Channel(volume_db=faders.get(name, 0.0))
        tracks.append(Track(name, role="audio", content_types=("audio",), clips=(clip,), channel=channel))
    session = Session("Mix", tempo_bpm=120.0, tracks=tuple(tracks))
    return None if tmp_path is None else write_dawproject(session, tmp_path / "Mix.dawproject", media=media), session


def fader_move(track: str, before: float, after: float) -> LoggedEvent:
    payload = {"track": track, "parameter": "volume_db", "before": before, "after": after}
    return LoggedEvent(9, "parameter-changed", "Mix", 2, "greg", T0, payload)


def clip_gain_move(track: str, before: float, after: float) -> LoggedEvent:
    payload = {
        "track": track,
        "parameter": f"audio/{track}.wav",
        "before": {"gain_db": before},
        "after": {"gain_db": after},
        "where": {"track": 0, "clip": 0},
    }
    return LoggedEvent(9, "clip-changed", "Mix", 2, "greg", T0, payload)


def compressed_track(tmp_path, fader_db: float, setting: dict[str, float] | None):  # noqa: ANN001, ANN201
    """A guitar peaking at -0.5 dBFS (faded in over 200 ms, so that a 10 ms attack catches it),
    with a compressor of `setting` (none when None) and its fader at `fader_db`."""
    devices = () if setting is None else (Device(kind="compressor", name="Comp", params=canonical_params(setting)),)  # type: ignore[arg-type]
    clip = Clip("audio/Gtr.wav", 0.0, 8.0, "Gtr")
    track = Track(
        "Gtr",
        role="audio",
        content_types=("audio",),
        clips=(clip,),
        devices=devices,
        channel=Channel(volume_db=fader_db),
    )
    session = Session("Loud", tempo_bpm=120.0, tracks=(track,))
    media = {"audio/Gtr.wav": tone(10 ** (-0.5 / 20), 220.0, seconds=4.0, fade_in_s=0.2)}
    return write_dawproject(session, tmp_path / "Loud.dawproject", media=media), session


OFF = {"comp.threshold_db": 0.0, "comp.ratio": 1.0}


def bass_with_rumble(rumble: bool) -> bytes:
    """A bass line down to E2 (82.4 Hz, with A2 and B2 above it) with harmonics, and, when
    `rumble`, noise between 8 and 30 Hz 30 dB under it (a stand, the building)."""
    rate = 48000
    t = np.arange(rate * 8) / rate
    notes = np.repeat([82.41, 110.0, 123.47, 82.41], rate * 2)
    phase = 2 * np.pi * np.cumsum(notes) / rate
    x = sum(0.3 / k * np.sin(k * phase) for k in range(1, 6))
    if rumble:
        spectrum = np.fft.rfft(np.random.default_rng(4).standard_normal(len(t)))
        freqs = np.fft.rfftfreq(len(t), 1 / rate)
        low = np.fft.irfft(np.where((freqs > 8) & (freqs < 30), spectrum, 0), len(t))
        x = x + low * (0.3 * 10 ** (-30 / 20) / np.sqrt(np.mean(low**2)))
    x = x + np.random.default_rng(6).standard_normal(len(t)) * 1e-4  # every take has a noise floor
    buffer = io.BytesIO()
    sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
    return buffer.getvalue()
