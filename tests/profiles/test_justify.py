"""The justification processor over a real log, and the tempo rule with its near misses."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import soundfile as sf

from daemon.formats.dawproject_writer import write_dawproject
from daemon.ingest import ingest
from daemon.model import Channel, Clip, Device, Session, Track, canonical_params
from daemon.simulator import simulate_archive
from daemon.store import LoggedEvent, SaveInfo, Store, sqlite_url
from profiles.justify import SaveChanges
from profiles.justify.audio import TrackAudio
from profiles.justify.processor import PROCESSOR, justify
from profiles.justify.rules import clip_prevention, dynamics, masking, non_musical, resonance, sibilance, tempo

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def session(delay_ms: float, predelay_ms: float = 20.0, volume_db: float = -6.0, bpm: float = 120.0) -> Session:
    delay = Device(kind="other", name="Echo", params=canonical_params({"delay.time_ms": delay_ms, "delay.mix": 0.2}))
    verb = Device(kind="other", name="Plate", params=canonical_params({"reverb.predelay_ms": predelay_ms}))
    vox = Track("Lead Vox", role="audio", channel=Channel(volume_db=volume_db), devices=(delay, verb))
    return Session("Song", tempo_bpm=bpm, tracks=(vox,))


def save(store: Store, n: int, s: Session) -> None:
    info = SaveInfo("Song", f"/s/Song v{n}.dawproject", f"{n:064x}", 1000 + n, T0, T0 + timedelta(minutes=n), "greg")
    assert not store.append_save(info, s).duplicate


def change(parameter: str, after: float, position: int = 7) -> LoggedEvent:
    payload = {"track": "Lead Vox", "device": "Echo", "parameter": parameter, "before": 300.0, "after": after}
    return LoggedEvent(position, "parameter-changed", "Song", 2, "greg", T0, payload)


def context(bpm: float = 120.0) -> SaveChanges:
    return SaveChanges("Song", 2, "greg", (), None, session(375.0, bpm=bpm))


@pytest.mark.parametrize(
    ("parameter", "after", "subdivision"),
    [
        ("delay.time_ms", 375.0, "1/8 dotted"),  # 120 BPM
        ("delay.time_ms", 500.0, "1/4"),
        ("delay.time_ms", 166.0, "1/8 triplet"),  # 166.7 ms, typed in whole ms
        ("reverb.predelay_ms", 31.25, "1/64"),
    ],
)
def test_times_on_the_grid_are_justified(parameter: str, after: float, subdivision: str) -> None:
    verdict = tempo.judge(change(parameter, after), context())
    assert verdict is not None and verdict.rule == "tempo"
    assert verdict.evidence["subdivision"] == subdivision
    assert verdict.confidence >= 0.6
    assert f"{after:g} ms" in verdict.reason and subdivision in verdict.reason and "120 BPM" in verdict.reason


@pytest.mark.parametrize(
    ("parameter", "after"),
    [
        ("delay.time_ms", 375.0 * 1.07),  # 7 % off the dotted eighth
        ("delay.time_ms", 375.0 * 0.95),
        ("delay.time_ms", 8.0),  # a doubling delay says nothing about the grid
        ("delay.feedback", 375.0),  # not a time
    ],
)
def test_near_misses_are_not_justified(parameter: str, after: float) -> None:
    assert tempo.judge(change(parameter, after), context()) is None


def test_the_processor_judges_each_change_once_and_resumes_where_it_stopped(tmp_path) -> None:  # noqa: ANN001
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    save(store, 1, session(300.0))
    save(store, 2, session(375.0))  # on the grid: justified
    save(store, 3, session(375.0 * 1.07, volume_db=-4.0))  # off the grid, and a fader move: unexplained
    assert justify(store) == 3
    derived = {e.payload["refers_to"]: e for e in store.events(types=("change-justified", "change-unexplained"))}
    changes = {(e.version, e.payload["parameter"]): e.position for e in store.events(types=("parameter-changed",))}
    on_grid = derived[changes[(2, "delay.time_ms")]]
    assert on_grid.type == "change-justified" and on_grid.payload["rule"] == "tempo"
    assert on_grid.payload["evidence"]["grid_ms"] == 375.0 and 0.6 <= on_grid.payload["confidence"] <= 1.0
    assert derived[changes[(3, "delay.time_ms")]].type == "change-unexplained"
    assert derived[changes[(3, "volume_db")]].type == "change-unexplained"
    assert store.processed_through(PROCESSOR) == max(e.position for e in store.events())
    assert justify(store) == 0  # nothing new
    save(store, 4, session(250.0, volume_db=-4.0))  # a straight eighth
    assert justify(store) == 1
    assert [e.payload["rule"] for e in store.events(types=("change-justified",))] == ["tempo", "tempo"]
    positions = [e.position for e in store.events()]
    assert positions == list(range(1, len(positions) + 1))


def test_a_run_that_fails_appends_nothing_and_the_next_run_does_it_all(tmp_path) -> None:  # noqa: ANN001
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    save(store, 1, session(300.0))
    save(store, 2, session(375.0))

    def broken(change: LoggedEvent, save: SaveChanges) -> None:
        raise RuntimeError("a rule crashed")

    with pytest.raises(RuntimeError):
        justify(store, rules=(tempo.judge, broken))
    assert store.processed_through(PROCESSOR) == 0
    assert list(store.events(types=("change-justified", "change-unexplained"))) == []
    assert justify(store) == 1


def test_on_a_generated_archive_objective_moves_get_their_rule_and_taste_stays_unexplained(tmp_path) -> None:  # noqa: ANN001
    """The simulated engineer's fader and high-pass moves, with real rendered audio: each move
    made for gain staging or de-guffing is justified by that rule, and no move made by taste
    (a fader by ear, a high-pass well above the lowest note) is justified."""
    archive = simulate_archive(tmp_path / "archive", songs=3, saves=5, seed=2, seconds=12)
    store = Store.open(sqlite_url(tmp_path / "j.db"))
    ingest([tmp_path / "archive"], store, "sim", jobs=1)
    justify(store, extract_to=tmp_path / "audio")
    position = {
        (e.session, e.version, e.payload.get("track"), e.payload.get("parameter")): e.position
        for e in store.events(types=("parameter-changed",))
    }
    verdict = {
        e.payload["refers_to"]: e.payload.get("rule", "unexplained")
        for e in store.events(types=("change-justified", "change-unexplained"))
    }
    judged = [
        (intent.reason, verdict[position[(save.song, save.version, intent.track, intent.parameter)]])
        for save in archive
        for intent in save.intents
        if (save.song, save.version, intent.track, intent.parameter) in position
    ]
    objective = [(reason, rule) for reason, rule in judged if reason in ("gain-staging", "de-guffing")]
    assert objective and all(reason == rule for reason, rule in objective), objective
    assert all(rule == "unexplained" for reason, rule in judged if reason == "taste"), judged
    justified = [e for e in store.events(types=("change-justified",)) if e.payload["rule"] == "de-guffing"]
    assert "lowest note" in justified[0].payload["reason"] and justified[0].payload["evidence"]["energy_below"] > 0


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


@pytest.mark.parametrize(("vox_plays", "justified"), [(True, True), (False, False)])
def test_a_pan_move_is_masking_only_where_the_other_track_plays(tmp_path, vox_plays: bool, justified: bool) -> None:  # noqa: ANN001
    path, session = two_tracks(tmp_path, vox_plays)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    move = LoggedEvent(
        9, "parameter-changed", "Duo", 2, "greg", T0, {"track": "Gtr", "parameter": "pan", "before": 0.0, "after": -0.8}
    )
    save = SaveChanges("Duo", 2, "greg", (move,), session, session, TrackAudio(store, path, tmp_path / "audio"))
    verdict = masking.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert verdict.evidence["other_track"] == "Vox"
        assert float(verdict.evidence["masking_after"]) < float(verdict.evidence["masking_before"]) - 0.05
        assert "Panning Gtr from +0.00 to -0.80" in verdict.reason


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


@pytest.mark.parametrize(
    ("parameter", "before", "after", "fader_db", "justified"),
    [
        ("volume_db", 0.0, -2.0, -2.0, True),  # -0.5 -> -2.5 dBTP
        ("volume_db", 0.0, -0.3, -0.3, False),  # -0.5 -> -0.8 dBTP: still over the ceiling
        ("volume_db", -4.0, -6.0, -6.0, False),  # it was under the ceiling already
        ("limiter.ceiling_db", -0.1, -1.0, 0.0, True),  # the track peaks at -0.5 dBTP
        ("limiter.ceiling_db", -0.1, -1.0, -6.0, False),  # it peaks at -6.5 dBTP: nothing to hold
    ],
)
def test_clip_prevention_and_its_near_misses(
    tmp_path,
    parameter: str,
    before: float,
    after: float,
    fader_db: float,
    justified: bool,  # noqa: ANN001
) -> None:
    path, session = loud_track(tmp_path, fader_db)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    device = "Limiter" if parameter.startswith("limiter") else None
    payload = {
        "track": "Gtr",
        "parameter": parameter,
        "before": before,
        "after": after,
        **({"device": device} if device else {}),
    }
    move = LoggedEvent(9, "parameter-changed", "Loud", 2, "greg", T0, payload)
    save = SaveChanges("Loud", 2, "greg", (move,), session, session, TrackAudio(store, path, tmp_path / "audio"))
    verdict = clip_prevention.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "dBTP" in verdict.reason and verdict.rule == "clip-prevention"


def ringing_track(tmp_path):  # noqa: ANN001, ANN201
    """A track of broadband noise with a sustained ring at 180 Hz, 15 dB above it."""
    rate = 48000
    t = np.arange(rate * 6) / rate
    noise = np.random.default_rng(8).standard_normal(len(t)) * 0.05
    x = noise + 0.12 * np.sin(2 * np.pi * 180 * t)
    buffer = io.BytesIO()
    sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("freq", "q", "gain", "justified"),
    [
        (180.0, 8.0, -6.0, True),  # a narrow cut on the ring
        (700.0, 8.0, -6.0, False),  # the same cut where the spectrum is smooth
        (180.0, 1.0, -6.0, False),  # a wide cut: tone shaping, not a resonance
        (180.0, 8.0, 3.0, False),  # a boost
    ],
)
def test_resonance_cuts_and_their_near_misses(tmp_path, freq: float, q: float, gain: float, justified: bool) -> None:  # noqa: ANN001
    eq = Device(
        kind="eq",
        name="EQ",
        params=canonical_params(
            {"eq.band1.type": "bell", "eq.band1.freq_hz": freq, "eq.band1.q": q, "eq.band1.gain_db": gain}
        ),
    )
    track = Track(
        "Tom", role="audio", content_types=("audio",), clips=(Clip("audio/Tom.wav", 0.0, 12.0, "Tom"),), devices=(eq,)
    )
    session = Session("Ring", tempo_bpm=120.0, tracks=(track,))
    path = write_dawproject(session, tmp_path / "Ring.dawproject", media={"audio/Tom.wav": ringing_track(tmp_path)})
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    move = LoggedEvent(
        9,
        "parameter-changed",
        "Ring",
        2,
        "greg",
        T0,
        {"track": "Tom", "device": "EQ", "parameter": "eq.band1.gain_db", "before": 0.0, "after": gain},
    )
    save = SaveChanges("Ring", 2, "greg", (move,), session, session, TrackAudio(store, path, tmp_path / "audio"))
    verdict = resonance.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert abs(float(verdict.evidence["peak_hz"]) - 180.0) < 2.0 and float(verdict.evidence["prominence_db"]) >= 6.0


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


@pytest.mark.parametrize(
    ("sibilants", "freq", "justified"),
    [
        (True, 7000.0, True),  # a narrow cut on the "s" band
        (False, 7000.0, False),  # the same cut on a voice without sibilants
        (True, 2500.0, False),  # a narrow cut outside 5-10 kHz
    ],
)
def test_sibilance_cuts_and_their_near_misses(tmp_path, sibilants: bool, freq: float, justified: bool) -> None:  # noqa: ANN001
    params = {"eq.band1.type": "bell", "eq.band1.freq_hz": freq, "eq.band1.q": 2.5, "eq.band1.gain_db": -6.0}
    eq = Device(kind="eq", name="EQ", params=canonical_params(params))
    track = Track(
        "Vox", role="audio", content_types=("audio",), clips=(Clip("audio/Vox.wav", 0.0, 12.0, "Vox"),), devices=(eq,)
    )
    session = Session("Sing", tempo_bpm=120.0, tracks=(track,))
    path = write_dawproject(session, tmp_path / "Sing.dawproject", media={"audio/Vox.wav": voice(sibilants)})
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    payload = {"track": "Vox", "device": "EQ", "parameter": "eq.band1.gain_db", "before": 0.0, "after": -6.0}
    move = LoggedEvent(9, "parameter-changed", "Sing", 2, "greg", T0, payload)
    save = SaveChanges("Sing", 2, "greg", (move,), session, session, TrackAudio(store, path, tmp_path / "audio"))
    verdict = sibilance.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["sibilant_peak_reduction_db"]) >= 1.0 and "sibilant" in verdict.reason


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


@pytest.mark.parametrize(("threshold_after", "justified"), [(-22.0, True), (0.0, False)])
def test_a_compressor_change_is_dynamics_when_it_brings_the_range_toward_the_others(
    tmp_path,
    threshold_after: float,
    justified: bool,  # noqa: ANN001
) -> None:
    path, before, after = dynamic_pair(tmp_path, threshold_after)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    payload = {"track": "Vox", "device": "Comp", "parameter": "comp.ratio", "before": 1.0, "after": 6.0}
    move = LoggedEvent(9, "parameter-changed", "Dyn", 2, "greg", T0, payload)
    save = SaveChanges("Dyn", 2, "greg", (move,), before, after, TrackAudio(store, path, tmp_path / "audio"))
    verdict = dynamics.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["range_after_lu"]) < float(verdict.evidence["range_before_lu"]) - 1.0
        assert float(verdict.evidence["range_before_lu"]) == pytest.approx(15.0, abs=1.5)


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


@pytest.mark.parametrize(
    ("count_in", "new_start_s", "justified"),
    [
        (True, 1.9, True),  # the count-in trimmed away
        (True, 3.0, False),  # the trim cuts into the singing
        (False, 1.9, False),  # nothing audible there to take out
    ],
)
def test_a_trim_of_the_count_in_is_non_musical_and_its_near_misses(
    tmp_path,
    count_in: bool,
    new_start_s: float,
    justified: bool,  # noqa: ANN001
) -> None:
    beats = new_start_s * 2  # 120 BPM: two beats a second
    clip = Clip("audio/Vox.wav", 0.0, 16.0, "Vox")
    before = Session(
        "Take", tempo_bpm=120.0, tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(clip,)),)
    )
    trimmed = Clip("audio/Vox.wav", beats, 16.0 - beats, "Vox", play_start=beats)
    after = Session(
        "Take", tempo_bpm=120.0, tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(trimmed,)),)
    )
    path = write_dawproject(after, tmp_path / "Take.dawproject", media={"audio/Vox.wav": take_with_count_in(count_in)})
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    payload = {
        "track": "Vox",
        "parameter": "audio/Vox.wav",
        "before": {"position": 0.0, "duration": 16.0, "play_start": 0.0},
        "after": {"position": beats, "duration": 16.0 - beats, "play_start": beats},
        "where": {"track": 0, "clip": 0},
    }
    move = LoggedEvent(9, "clip-changed", "Take", 2, "greg", T0, payload)
    save = SaveChanges("Take", 2, "greg", (move,), before, after, TrackAudio(store, path, tmp_path / "audio"))
    verdict = non_musical.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "count-in" in verdict.reason and float(verdict.evidence["music_share"]) <= 0.05
