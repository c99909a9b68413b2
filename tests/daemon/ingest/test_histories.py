"""Real histories of every format, ingested the way an engineer's archive is: each session's
versions grouped and ordered, and the changes between successive saves the ones a person finds
by reading the files (the readers' own tests pin the details; here the log must hold them)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from daemon.ingest.bulk import ingest
from daemon.log.records import LoggedEvent
from daemon.log.store import Store, sqlite_url


@pytest.fixture(scope="module")
def log(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[LoggedEvent]]]:
    """Session -> saved file name -> the events of that save (session-saved first)."""
    store = Store.open(sqlite_url(tmp_path_factory.mktemp("histories") / "h.db"))
    report = ingest([corpus / "histories"], store, "greg", jobs=2)
    assert report.rejected == []
    by_save: dict[str, dict[str, list[LoggedEvent]]] = defaultdict(dict)
    files: dict[tuple[str, int], str] = {}
    for event in store.events():
        if event.type == "session-saved":
            files[(event.session, event.version or 0)] = Path(event.payload["file"]).name
        by_save[event.session].setdefault(files[(event.session, event.version or 0)], []).append(event)
    store.close()
    return by_save


def changes(log: dict[str, dict[str, list[LoggedEvent]]], session: str, file: str) -> list[tuple]:
    events = log[session][file]
    assert events[0].type == "session-saved"
    return [
        (e.type, e.payload.get("track"), e.payload.get("parameter"), e.payload.get("before"), e.payload.get("after"))
        for e in events[1:]
    ]


@pytest.mark.corpus
def test_reaper_history_renames_then_items(log: dict) -> None:
    renamed = changes(log, "project", "006_c17d064d_project.RPP")
    assert sorted((c[0], c[3], c[4]) for c in renamed) == [
        ("track-renamed", "Track 1", "Foo"),
        ("track-renamed", "Track 2", "Banana"),
        ("track-renamed", "Track 3", "Bar"),
        ("track-renamed", "Track 4", "Apple"),
    ]
    added = changes(log, "project", "007_b40898b3_project.RPP")
    assert sorted((c[0], c[1], c[2]) for c in added) == [
        ("clip-added", "Banana", "tracks/bensound-summer.mp3"),
        ("clip-added", "Bar", "tracks/bensound-summer.mp3"),
        ("parameter-changed", "Banana", "content_types"),  # the tracks hold audio now
        ("parameter-changed", "Bar", "content_types"),
    ]


@pytest.mark.corpus
def test_reaper_history_tempo_and_eq(log: dict) -> None:
    found = changes(log, "toast-band-session (glutones-toast-band-session)", "003_c5e89366_toast-band-session.RPP")
    assert ("tempo-changed", None, "tempo_bpm", 120.0, 128.0) in found
    assert [c[1] for c in found if c[0] == "track-removed"] == ["Amplitube"]
    assert ("device-toggled", "Track 1", "enabled", True, False) in found


@pytest.mark.corpus
def test_reaper_timestamped_backups_come_in_the_order_of_their_timestamps(log: dict) -> None:
    saved = list(log["toast-band-session (glutones-toast-band-session-rpp-bak)"])
    stamps = [name.rsplit("-", 3)[-3:] for name in saved]
    assert stamps == sorted(stamps)
    assert saved[0].endswith("2024-12-04_2011.rpp-bak") and saved[-1].endswith("2024-12-05_1427.rpp-bak")


@pytest.mark.corpus
def test_ardour_history_region_moved_then_nothing(log: dict) -> None:
    assert [c[:2] for c in changes(log, "1region", "002_3d3fa9ae_1region.ardour")] == [("clip-changed", "MIDI 1")]
    assert changes(log, "1region", "003_a4d7b45f_1region.ardour") == []
    assert changes(log, "32tracks", "002_8fc86630_32tracks.ardour") == []


@pytest.mark.corpus
def test_ableton_history_instrument_added_tuned_and_track_replaced(log: dict) -> None:
    second = changes(log, "als", "002_5d4e0ad8_als.als")
    assert sorted(c[0] for c in second) == ["clip-added", "device-added", "track-renamed"]  # a clip of four notes drawn
    assert ("track-renamed", "1-Operator", None, "1-MIDI", "1-Operator") in second
    third = changes(log, "als", "003_d64e0d81_als.als")
    assert sorted(c[2] for c in third) == [
        "param.Operator.0/Tune/FixedFrequency",
        "param.Operator.0/Tune/FixedFrequencyOn",
    ]
    sixth = changes(log, "als", "006_b0da92ce_als.als")
    assert sorted((c[0], c[1]) for c in sixth) == [("track-added", "2-24_7 Kit"), ("track-removed", "2-Audio")]
