"""The justification processor over a real log: each change judged once, resumed where it
stopped or failed (a log of 10,000 changes included), memory kept between runs, the nominal level
from the config file, and a generated archive's moves against their intent."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from daemon import config
from daemon.demo.simulator import simulate_archive
from daemon.ingest.append import append_save
from daemon.ingest.bulk import ingest
from daemon.log.cache import AnalysisCache
from daemon.log.events import JUDGED_TYPES, VERDICT_TYPES
from daemon.log.records import LoggedEvent, SaveInfo
from daemon.log.store import Store, sqlite_url
from daemon.sessions.model import Channel, Session, Track
from profiles.justify import SaveChanges
from profiles.justify import audio as audio_module
from profiles.justify.audio import AudioMemory
from profiles.justify.processor import INPUT_TYPES, PROCESSOR, JustifyError, justify
from profiles.justify.rules import tempo
from tests.profiles.justify.builders import T0, mix, save, session


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
    assert store.processed_through(PROCESSOR) == max(e.position for e in store.events(types=INPUT_TYPES))
    assert justify(store) == 0  # nothing new
    save(store, 4, session(250.0, volume_db=-4.0))  # a straight eighth
    assert justify(store) == 1
    assert [e.payload["rule"] for e in store.events(types=("change-justified",))] == ["tempo", "tempo"]
    positions = [e.position for e in store.events()]
    assert positions == list(range(1, len(positions) + 1))


def test_a_run_that_fails_names_the_save_keeps_what_came_before_and_the_next_run_does_the_rest(tmp_path) -> None:  # noqa: ANN001
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    save(store, 1, session(300.0))
    save(store, 2, session(375.0))
    save(store, 3, session(250.0))
    broken_at = 3

    def broken(change: LoggedEvent, save: SaveChanges) -> None:
        if save.version == broken_at:
            raise RuntimeError("a rule crashed")

    saved = {e.version: e.position for e in store.events(types=("session-saved",))}
    with pytest.raises(JustifyError) as failed:
        justify(store, rules=(tempo.judge, broken))
    assert f"justify/1 stopped at Song v3 (event {saved[3]}): RuntimeError: a rule crashed" in failed.value.message
    assert isinstance(failed.value.__cause__, RuntimeError)
    assert store.processed_through(PROCESSOR) == saved[3] - 1  # v2's verdict kept
    assert [e.version for e in store.events(types=VERDICT_TYPES)] == [2]
    broken_at = 0
    assert justify(store, rules=(tempo.judge, broken)) == 1
    assert [e.version for e in store.events(types=VERDICT_TYPES)] == [2, 3]


def test_ten_thousand_changes_are_judged_exactly_once_across_stopped_and_failed_runs(tmp_path) -> None:  # noqa: ANN001
    """More changes than five batches, the processor's own verdicts in between (the log's tail is
    all verdicts after every run): runs stopped midway and runs that fail go on where they left
    off, and every change ends with exactly one verdict."""
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    tracks = 50
    for n in range(1, 205):  # 204 saves of 50 fader moves: 10,150 changes
        faders = tuple(
            Track(f"T{i}", role="audio", channel=Channel(volume_db=-float((n * 7 + i) % 40))) for i in range(tracks)
        )
        info = SaveInfo("Big", f"/s/Big v{n}.dawproject", f"{n:064x}", n, T0, T0 + timedelta(minutes=n), "greg")
        append_save(store, info, Session("Big", tempo_bpm=120.0, tracks=faders))
    changes = [e.position for e in store.events(types=tuple(JUDGED_TYPES))]
    assert len(changes) > 10_000
    stop = threading.Event()
    calls = 0

    def stops_midway(change: LoggedEvent, save: SaveChanges) -> None:
        nonlocal calls
        calls += 1
        if calls % 2_600 == 0:
            stop.set()  # as SIGTERM does: the run ends after the save in hand

    failing_at = {60, 150}

    def fails_once(change: LoggedEvent, save: SaveChanges) -> None:
        if save.version in failing_at:
            failing_at.discard(save.version)
            raise ValueError("a measurement went wrong")

    runs = 0
    while store.processed_through(PROCESSOR) < changes[-1]:
        runs += 1
        stop.clear()
        with contextlib.suppress(JustifyError):
            justify(store, rules=(stops_midway, fails_once), stop=stop)
        assert runs < 50
    verdicts = [e.payload["refers_to"] for e in store.events(types=VERDICT_TYPES)]
    assert sorted(verdicts) == changes  # each change exactly once
    assert runs >= 5  # stopped at least twice, failed twice, and finished
    assert justify(store) == 0


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


def test_a_stop_during_the_first_analysis_keeps_the_saves_judged_and_the_next_run_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM sets the service's stop event while a save's tracks are being measured: no further
    track is measured, the saves judged before it are appended, and the next run judges the rest,
    each change once."""
    simulate_archive(tmp_path / "archive", songs=1, saves=3, seed=3, seconds=6)
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    ingest([tmp_path / "archive"], store, "sim", jobs=1)
    stop = threading.Event()
    measured = 0
    real = audio_module.analyze

    def analyze_then_stop(*args: object, **kwargs: object) -> object:
        nonlocal measured
        measured += 1
        stop.set()  # the signal arrives while the first track is measured
        return real(*args, **kwargs)

    monkeypatch.setattr(audio_module, "analyze", analyze_then_stop)
    justify(store, extract_to=tmp_path / "audio", stop=stop)
    assert measured == 1
    first = [e.payload["refers_to"] for e in store.events(types=VERDICT_TYPES)]
    monkeypatch.setattr(audio_module, "analyze", real)
    justify(store, extract_to=tmp_path / "audio")
    changes = [e.position for e in store.events(types=tuple(JUDGED_TYPES))]
    verdicts = [e.payload["refers_to"] for e in store.events(types=VERDICT_TYPES)]
    assert sorted(verdicts) == changes and len(first) < len(changes)


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
