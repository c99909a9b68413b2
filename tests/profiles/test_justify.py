"""The justification processor over a real log, and the tempo rule with its near misses."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from analyzers.eq import EqBand
from analyzers.masking import BandFrames
from daemon import config
from daemon.demo.simulator import simulate_archive
from daemon.formats.dawproject_writer import write_dawproject
from daemon.ingest.append import append_save
from daemon.ingest.bulk import ingest
from daemon.log.cache import AnalysisCache
from daemon.log.records import LoggedEvent, SaveInfo
from daemon.log.store import Store, sqlite_url
from daemon.sessions.model import AutomationLane, Channel, Clip, Device, Session, Track, canonical_params
from profiles.justify import SaveChanges, compressor, together
from profiles.justify.audio import AudioMemory, TrackAudio
from profiles.justify.processor import PROCESSOR, justify, verdicts
from profiles.justify.rules import (
    clip_prevention,
    de_guffing,
    dynamics,
    gain_staging,
    masking,
    non_musical,
    resonance,
    sibilance,
    tempo,
)

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


def test_memory_kept_between_runs_gives_the_same_verdicts_without_reading_the_store_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service keeps an AudioMemory from one save's judging to the next: the verdicts are
    those of runs that start afresh, and the later run decodes nothing from the store's cache
    that the earlier one had (the same clips, so the same measurements)."""
    archive = simulate_archive(tmp_path / "archive", songs=1, saves=4, seed=3, seconds=6)
    hits: list[str] = []
    real_get = AnalysisCache.get

    def get(cache: AnalysisCache, key: str, kind: str) -> bytes | None:
        found = real_get(cache, key, kind)
        if found is not None:
            hits.append(kind)
        return found

    monkeypatch.setattr(AnalysisCache, "get", get)
    logs = []
    for memory in (AudioMemory(), None):
        store = Store.open(sqlite_url(tmp_path / f"memory-{memory is not None}.db"))
        for saves in (archive[:2], archive[2:]):
            ingest([s.path for s in saves], store, "sim", jobs=1)
            hits.clear()
            justify(store, extract_to=tmp_path / "audio", memory=memory)
        logs.append([(e.type, {k: v for k, v in e.payload.items() if k != "judged_at"}) for e in store.events()])
        if memory is not None:
            assert not any(kind.startswith(("track-dry", "track-band-frames")) for kind in hits), hits
        else:
            assert any(kind.startswith("track-dry") for kind in hits)  # afresh: read back from the store
        store.close()
    assert logs[0] == logs[1]


def test_audio_memory_keeps_the_latest_used_measurements_within_its_budget() -> None:
    memory = AudioMemory(budget_bytes=100)
    memory.put("a", "kind", "A", 40)
    memory.put("b", "kind", "B", 40)
    assert memory.get("a", "kind") == "A"  # now the latest used
    memory.put("c", "kind", "C", 40)  # over the budget: the least recently used goes
    assert (memory.get("a", "kind"), memory.get("b", "kind"), memory.get("c", "kind")) == ("A", None, "C")
    memory.put("d", "kind", "D", 101)  # larger than the whole budget: not kept
    assert memory.get("d", "kind") is None and memory.get("a", "kind") == "A"


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
    move = LoggedEvent(
        9, "parameter-changed", "Duo", 2, "greg", T0, {"track": "Gtr", "parameter": "pan", "before": 0.0, "after": -0.8}
    )
    save = measured_save(tmp_path, path, "Duo", (move,), session, session)
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
    device = "Limiter" if parameter.startswith("limiter") else None
    payload = {
        "track": "Gtr",
        "parameter": parameter,
        "before": before,
        "after": after,
        **({"device": device} if device else {}),
    }
    move = LoggedEvent(9, "parameter-changed", "Loud", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Loud", (move,), session, session)
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
    move = LoggedEvent(
        9,
        "parameter-changed",
        "Ring",
        2,
        "greg",
        T0,
        {"track": "Tom", "device": "EQ", "parameter": "eq.band1.gain_db", "before": 0.0, "after": gain},
    )
    save = measured_save(tmp_path, path, "Ring", (move,), session, session)
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
    payload = {"track": "Vox", "device": "EQ", "parameter": "eq.band1.gain_db", "before": 0.0, "after": -6.0}
    move = LoggedEvent(9, "parameter-changed", "Sing", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Sing", (move,), session, session)
    verdict = sibilance.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["sibilant_peak_reduction_db"]) >= 1.0 and "sibilant" in verdict.reason


def test_the_sibilant_level_weighs_the_loudest_bursts_however_few() -> None:
    """200 steps of a voice: steady highs, breaths in 15 % of the steps (broad 5-10 kHz, 15 dB
    over the median step there) and four "s" bursts (2 %, narrow around 8 kHz, 40 dB over). The
    level follows the bursts, so a narrow cut on them counts, though its 95th-percentile step is
    a breath, which the cut barely touches."""
    frames = BandFrames(np.full((200, 120), 1e-9), 0.17)
    centers = frames.centers_hz
    frames.energy[:, centers < 2000.0] = 1e-3  # the sung notes
    highs = (centers >= 5000.0) & (centers <= 10000.0)
    s_band = np.flatnonzero((centers > 7500.0) & (centers < 8500.0))
    frames.energy[np.arange(0, 200, 7)[:, None], np.flatnonzero(highs)] = 10**1.5 * 1e-9  # breaths
    frames.energy[np.array([20, 75, 125, 170])[:, None], s_band] = 1e-5  # "s"
    found = sibilance.sibilants(frames)
    assert found is not None and len(found.steps) == 4 + 29
    cut = frames.with_eq([EqBand("bell", 8000.0, gain_db=-3.0, q=6.0)])
    assert found.level_db - sibilance.sibilant_level_db(cut, found.steps) > 2.0
    levels = 10 * np.log10(frames.energy[:, highs].sum(axis=1))
    after = 10 * np.log10(cut.energy[:, highs].sum(axis=1))
    assert np.percentile(levels, 95) - np.percentile(after, 95) < sibilance.MIN_REDUCTION_DB  # the old measure


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
    payload = {"track": "Vox", "device": "Comp", "parameter": "comp.ratio", "before": 1.0, "after": 6.0}
    move = LoggedEvent(9, "parameter-changed", "Dyn", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Dyn", (move,), before, after)
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
    payload = {
        "track": "Vox",
        "parameter": "audio/Vox.wav",
        "before": {"position": 0.0, "duration": 16.0, "play_start": 0.0},
        "after": {"position": beats, "duration": 16.0 - beats, "play_start": beats},
        "where": {"track": 0, "clip": 0},
    }
    move = LoggedEvent(9, "clip-changed", "Take", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Take", (move,), before, after)
    verdict = non_musical.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "count-in" in verdict.reason and float(verdict.evidence["music_share"]) <= 0.05


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


@pytest.mark.parametrize(
    ("vox_plays", "freq", "justified"),
    [
        (True, 2150.0, True),  # the guitar cut where the vocal sings
        (False, 2150.0, False),  # the same cut while the vocal is silent
        (True, 400.0, False),  # a cut where the vocal has no energy
    ],
)
def test_an_eq_cut_is_masking_only_where_the_other_track_plays_in_that_band(
    tmp_path,  # noqa: ANN001
    vox_plays: bool,
    freq: float,
    justified: bool,
) -> None:
    path, plain = two_tracks(tmp_path, vox_plays)
    bell = {"band1_type": "bell", "band1_freq_hz": freq, "band1_q": 4.0}
    before, after = with_eq(plain, "Gtr", **bell, band1_gain_db=0.0), with_eq(plain, "Gtr", **bell, band1_gain_db=-6.0)
    move = eq_move("Duo", "Gtr", "eq.band1.gain_db", 0.0, -6.0)
    save = measured_save(tmp_path, path, "Duo", (move,), before, after)
    verdict = masking.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert verdict.evidence["other_track"] == "Vox" and verdict.evidence["masker"] == "Gtr"
        assert float(verdict.evidence["masking_after"]) < float(verdict.evidence["masking_before"]) - 0.05
        assert "6.0 dB cut at 2150 Hz (Q 4) on Gtr makes room for Vox" in verdict.reason


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


def test_a_make_up_gain_is_judged_together_with_the_cut_it_makes_up_for(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "probe").mkdir()
    taken = together.find(make_up_save(tmp_path / "probe", 2150.0, 4.0))[0].taken_db
    assert taken == pytest.approx(4.0, abs=1.0)  # the 2150 Hz tone carries most of the guitar's weighted level
    save = make_up_save(tmp_path, 2150.0, round(taken, 1))
    (cut, cut_verdict), (fader, fader_verdict) = verdicts(save)
    # the pure 2150 Hz tone is a ring as much as a masker: the most confident rule leads
    assert cut_verdict is not None and cut_verdict.rule in ("masking", "resonance")
    assert fader_verdict is not None and fader_verdict.rule == cut_verdict.rule
    assert fader_verdict.confidence == cut_verdict.confidence
    assert (
        f"You raised Gtr's fader by {round(taken, 1):.1f} dB to make up the level your EQ cut took"
        in fader_verdict.reason
    )
    assert float(fader_verdict.evidence["taken_db"]) == pytest.approx(taken, abs=0.01)
    # the masking rule weighs the make-up in: alone the cut makes room for the vocal; with the make-up
    # giving back 4 of its 6 dB there, too little for a cut
    alone = masking.judge(cut, replace(save, makeup_db={}))
    assert alone is not None and alone.rule == "masking" and "make-up" not in alone.reason
    assert masking.judge(cut, replace(save, makeup_db={"Gtr": round(taken, 1)})) is None


@pytest.mark.parametrize(
    ("cut_hz", "q", "fader_up_db"),
    [
        (2150.0, 4.0, 8.0),  # twice what the cut took: no make-up, a move of its own (and no rule's)
        (400.0, 1.0, None),  # it makes up a wide cut where the vocal has nothing, which no rule justifies
    ],
)
def test_a_gain_that_does_not_make_up_a_justified_cut_is_not_justified_with_it(
    tmp_path,  # noqa: ANN001
    cut_hz: float,
    q: float,
    fader_up_db: float | None,
) -> None:
    if fader_up_db is None:  # exactly what the cut took
        (tmp_path / "probe").mkdir()
        fader_up_db = round(together.find(make_up_save(tmp_path / "probe", cut_hz, 1.0, q))[0].taken_db, 1)
    save = make_up_save(tmp_path, cut_hz, fader_up_db, q)
    groups = together.find(save)
    assert bool(groups) == (cut_hz == 400.0)
    (_, cut_verdict), (_, fader_verdict) = verdicts(save)
    assert (cut_verdict is not None) == (cut_hz == 2150.0)
    assert fader_verdict is None


def test_a_compressor_make_up_takes_the_dynamics_verdict_of_the_compressor(tmp_path) -> None:  # noqa: ANN001
    path, before, after = dynamic_pair(tmp_path, -22.0)
    probe = measured_save(tmp_path, path, "Dyn", (), before, after)
    old = compressor.setting(before, "Vox", "Comp")
    new = compressor.setting(after, "Vox", "Comp")
    assert old is not None and new is not None
    loud_before, loud_after = compressor.compressed(probe, "Vox", old), compressor.compressed(probe, "Vox", new)
    assert loud_before is not None and loud_after is not None
    taken = round(float(loud_before.integrated_lufs or 0.0) - float(loud_after.integrated_lufs or 0.0), 1)
    assert taken > 1.0
    comp = after.track("Vox").devices[0]
    made_up = replace(comp, params=canonical_params({**comp.param_dict, "comp.makeup_db": taken}))
    after = replace(after, tracks=(replace(after.track("Vox"), devices=(made_up,)), after.track("Pad")))
    ratio = LoggedEvent(
        9, "parameter-changed", "Dyn", 2, "greg", T0,
        {"track": "Vox", "device": "Comp", "parameter": "comp.ratio", "before": 1.0, "after": 6.0},
    )  # fmt: skip
    makeup = LoggedEvent(
        10, "parameter-changed", "Dyn", 2, "greg", T0,
        {"track": "Vox", "device": "Comp", "parameter": "comp.makeup_db", "before": 0.0, "after": taken},
    )  # fmt: skip
    save = measured_save(tmp_path, path, "Dyn", (ratio, makeup), before, after)
    (_, ratio_verdict), (_, makeup_verdict) = verdicts(save)
    assert ratio_verdict is not None and ratio_verdict.rule == "dynamics"
    assert makeup_verdict is not None and makeup_verdict.rule == "dynamics"
    assert "comp.makeup_db of Vox's Comp" in makeup_verdict.reason and "compression took" in makeup_verdict.reason


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


@pytest.mark.parametrize(
    ("after_db", "justified"),
    [(-6.0, True), (-2.0, True), (3.0, False), (-0.3, False)],  # -14 LUFS dry: toward -20, away, a trim by ear
)
def test_a_clip_gain_move_toward_the_nominal_level_is_gain_staging(tmp_path, after_db: float, justified: bool) -> None:  # noqa: ANN001
    path, before = mix(tmp_path, {"Gtr": 10 ** (-11 / 20)}, {})
    _, after = mix(None, {"Gtr": 10 ** (-11 / 20)}, {}, {"Gtr": after_db})
    move = clip_gain_move("Gtr", 0.0, after_db)
    save = measured_save(tmp_path, path, "Mix", (move,), before, after)
    verdict = gain_staging.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["level_before_lufs"]) == pytest.approx(-14.0, abs=0.5)
        assert float(verdict.evidence["level_after_lufs"]) == pytest.approx(-14.0 + after_db, abs=0.5)
        assert (
            f"the gain of Gtr's clip from +0.0 to {after_db:+.1f} dB" in verdict.reason and "-20 LUFS" in verdict.reason
        )


@pytest.mark.parametrize(
    ("others", "justified"),
    [
        ({"Keys": -14.0, "Pad": -15.0, "Bass": -13.0}, True),  # a session staged at -14: the guitar joins it
        ({"Keys": -8.0, "Pad": -15.0, "Bass": -26.0}, False),  # tracks scattered over 18 dB state no level
        ({"Keys": -14.0}, False),  # one track is no level to sit with
    ],
)
def test_a_fader_move_toward_the_tracks_it_sits_with_is_gain_staging(
    tmp_path,  # noqa: ANN001
    others: dict[str, float],
    justified: bool,
) -> None:
    amplitudes = {"Gtr": 10 ** (-17 / 20)} | {name: 10 ** ((lufs + 3.0) / 20) for name, lufs in others.items()}
    path, before = mix(tmp_path, amplitudes, {"Gtr": 0.0})
    _, after = mix(None, amplitudes, {"Gtr": 5.0})
    move = fader_move("Gtr", 0.0, 5.0)  # -20 -> -15 LUFS: away from the nominal -20
    save = measured_save(tmp_path, path, "Mix", (move,), before, after)
    verdict = gain_staging.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "tracks it sits with" in verdict.reason and float(verdict.evidence["peer_level_lufs"]) == pytest.approx(
            -14.0, abs=0.7
        )
    # with the session's nominal level configured at -14 LUFS, the same move closes on the nominal
    staged = gain_staging.judge(move, replace(save, nominal_lufs=-14.0, _memo={}))
    assert staged is not None and "the session's -14 LUFS" in staged.reason


def test_the_processor_takes_the_nominal_level_from_the_config_file(tmp_path) -> None:  # noqa: ANN001
    amplitudes = {"Gtr": 10 ** (-17 / 20)}
    path, first = mix(tmp_path, amplitudes, {"Gtr": 0.0})
    _, second = mix(None, amplitudes, {"Gtr": 5.0})  # -20 -> -15 LUFS
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    for n, s in ((1, first), (2, second)):
        info = SaveInfo("Mix", str(path), f"{n:064x}", 1000 + n, T0, T0 + timedelta(minutes=n), "greg")
        assert not append_save(store, info, s).duplicate
    justify(store, extract_to=tmp_path / "audio")
    assert [e.type for e in store.events(types=("change-justified", "change-unexplained"))] == ["change-unexplained"]
    folder = config.config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text("[justify]\nnominal_lufs = -15.0\n", encoding="utf-8")
    justify(store, name="justify/test", extract_to=tmp_path / "audio")
    (verdict,) = store.events(types=("change-justified",))
    assert verdict.payload["rule"] == "gain-staging" and verdict.payload["evidence"]["nominal_lufs"] == -15.0
    justify(store, name="justify/explicit", extract_to=tmp_path / "audio", nominal_lufs=-30.0)  # the argument wins
    assert len(list(store.events(types=("change-unexplained",)))) == 2


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


@pytest.mark.parametrize(
    ("setting", "fader_db", "justified"),
    [
        ({"comp.threshold_db": -10.0, "comp.ratio": 4.0}, 0.0, True),  # about 7 dB off a -0.5 dBTP peak
        ({"comp.threshold_db": -1.2, "comp.ratio": 2.0}, 0.0, False),  # 0.35 dB off: still over the ceiling
        ({"comp.threshold_db": -10.0, "comp.ratio": 4.0, "comp.makeup_db": 7.0}, 0.0, False),  # made up past it
        ({"comp.threshold_db": -10.0, "comp.ratio": 4.0}, -6.0, False),  # it was under the ceiling already
    ],
)
def test_a_compressor_that_holds_the_peak_under_the_ceiling_is_clip_prevention(
    tmp_path,  # noqa: ANN001
    setting: dict[str, float],
    fader_db: float,
    justified: bool,
) -> None:
    path, before = compressed_track(tmp_path, fader_db, OFF)
    _, after = compressed_track(tmp_path, fader_db, setting)
    payload = {"track": "Gtr", "device": "Comp", "parameter": "comp.threshold_db", "before": 0.0, "after": -10.0}
    move = LoggedEvent(9, "parameter-changed", "Loud", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Loud", (move,), before, after)
    verdict = clip_prevention.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["true_peak_before_dbtp"]) == pytest.approx(-0.5, abs=0.3)
        assert float(verdict.evidence["true_peak_after_dbtp"]) == pytest.approx(-7.6, abs=1.0)
        assert "compressor change on Gtr (4:1 from -10 dB)" in verdict.reason and "dBTP" in verdict.reason


@pytest.mark.parametrize(("after_db", "justified"), [(-2.0, True), (-0.3, False), (1.0, False)])
def test_a_clip_gain_cut_under_the_ceiling_is_clip_prevention(tmp_path, after_db: float, justified: bool) -> None:  # noqa: ANN001
    path, before = compressed_track(tmp_path, 0.0, None)
    clip = replace(before.tracks[0].clips[0], gain_db=after_db)
    after = replace(before, tracks=(replace(before.tracks[0], clips=(clip,)),))
    move = clip_gain_move("Gtr", 0.0, after_db)
    save = measured_save(tmp_path, path, "Loud", (move,), before, after)
    verdict = clip_prevention.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert float(verdict.evidence["true_peak_after_dbtp"]) == pytest.approx(-2.5, abs=0.3)
        assert "clip gain from +0.0 to -2.0 dB" in verdict.reason


@pytest.mark.parametrize(
    ("target", "before_points", "after_points", "count_in", "justified"),
    [
        ("mute", None, [[0.0, 1.0], [3.6, 0.0]], True, True),  # muted over the count-in (0-1.8 s)
        ("volume_db", None, [[0.0, -40.0], [3.6, -40.0], [3.7, 0.0]], True, True),  # ridden down over it
        ("mute", [[0.0, 0.0]], [[0.0, 0.0], [6.0, 1.0], [10.0, 0.0]], True, False),  # muted over the singing
        ("mute", None, [[0.0, 1.0], [3.6, 0.0]], False, False),  # muting silence takes nothing out
        ("volume_db", None, [[0.0, -4.0], [3.6, -4.0], [3.7, 0.0]], True, False),  # 4 dB down is no mute
    ],
)
def test_mute_automation_over_the_count_in_is_non_musical_and_its_near_misses(
    tmp_path,  # noqa: ANN001
    target: str,
    before_points: list[list[float]] | None,
    after_points: list[list[float]],
    count_in: bool,
    justified: bool,
) -> None:
    clip = Clip("audio/Vox.wav", 0.0, 16.0, "Vox")

    def take(points: list[list[float]] | None) -> Session:
        hold = "hold" if target == "mute" else "linear"
        lanes = () if points is None else (AutomationLane(target, None, tuple((t, v) for t, v in points), hold),)
        track = Track("Vox", role="audio", content_types=("audio",), clips=(clip,), automation=lanes)
        return Session("Take", tempo_bpm=120.0, tracks=(track,))

    before, after = take(before_points), take(after_points)
    path = write_dawproject(after, tmp_path / "Take.dawproject", media={"audio/Vox.wav": take_with_count_in(count_in)})
    payload = {
        "track": "Vox",
        "parameter": target,
        "before": before_points,
        "after": after_points,
        "where": {"track": 0, "interpolation": "hold" if target == "mute" else "linear"},
    }
    move = LoggedEvent(9, "automation-changed", "Take", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Take", (move,), before, after)
    verdict = non_musical.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "count-in" in verdict.reason and float(verdict.evidence["music_share"]) <= 0.05
        assert float(verdict.evidence["removed_s"]) == pytest.approx(1.8, abs=0.2)
        assert verdict.reason.startswith("You muted Vox over 0.0-1.8 s" if target == "mute" else "You automated")


@pytest.mark.parametrize(("count_in", "justified"), [(True, True), (False, False)])
def test_a_clip_of_chatter_removed_is_non_musical(tmp_path, count_in: bool, justified: bool) -> None:  # noqa: ANN001
    chatter = Clip("audio/Vox.wav", 0.0, 3.6, "Vox")  # the first 1.8 s of the take: count-in only
    singing = Clip("audio/Vox.wav", 4.0, 12.0, "Vox", play_start=4.0)
    before = Session(
        "Take",
        tempo_bpm=120.0,
        tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(chatter, singing)),),
    )
    after = Session(
        "Take", tempo_bpm=120.0, tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(singing,)),)
    )
    path = write_dawproject(before, tmp_path / "Take.dawproject", media={"audio/Vox.wav": take_with_count_in(count_in)})
    payload = {"track": "Vox", "parameter": "audio/Vox.wav", "before": {"position": 0.0, "duration": 3.6}, "after": None,
               "where": {"track": 0, "clip": 0}}  # fmt: skip
    move = LoggedEvent(9, "clip-removed", "Take", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Take", (move,), before, after)
    verdict = non_musical.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert verdict.reason.startswith("You removed Vox's clip over 0.0-1.8 s")


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


@pytest.mark.parametrize(
    ("high_pass_hz", "rumble", "justified"),
    [
        (75.0, True, True),  # just under E2: takes the rumble and no note
        (45.0, True, True),  # an octave under: still only rumble, less confidently
        (160.0, True, False),  # well above the lowest note: it cuts into the bass line
        (20.0, True, False),  # two octaves under: too low to do the job
        (75.0, False, False),  # nothing under the music to take out
    ],
)
def test_a_high_pass_just_under_the_lowest_note_is_de_guffing(
    tmp_path, high_pass_hz: float, rumble: bool, justified: bool
) -> None:  # noqa: ANN001
    eq = Device(
        kind="eq",
        name="EQ",
        params=canonical_params({"eq.band1.type": "highpass", "eq.band1.freq_hz": high_pass_hz, "eq.band1.q": 0.71}),
    )
    clip = Clip("audio/Bass.wav", 0.0, 16.0, "Bass")
    session = Session(
        "Low", tempo_bpm=120.0, tracks=(Track("Bass", content_types=("audio",), clips=(clip,), devices=(eq,)),)
    )
    path = write_dawproject(session, tmp_path / "Low.dawproject", media={"audio/Bass.wav": bass_with_rumble(rumble)})
    payload = {"track": "Bass", "device": "EQ", "parameter": "eq.band1.freq_hz", "before": 20.0, "after": high_pass_hz}
    move = LoggedEvent(9, "parameter-changed", "Low", 2, "greg", T0, payload)
    verdict = de_guffing.judge(move, measured_save(tmp_path, path, "Low", (move,), session, session))
    assert (verdict is not None) == justified, None if verdict is None else verdict.reason
    if verdict is not None:
        assert verdict.evidence["lowest_note"] == "E2" and float(verdict.evidence["energy_below"]) > 0.0005
        assert f"{high_pass_hz:g} Hz" in verdict.reason and "E2" in verdict.reason
