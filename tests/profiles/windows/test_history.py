"""Windows of acceptability from an engineer's history, on logs made by ingesting saves the test
builds: a kick whose EQ bell the engineer sets, song after song, within a known range."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.ingest.append import append_save
from daemon.log.records import SaveInfo
from daemon.log.store import Store, sqlite_url
from daemon.sessions.model import Device, Session, Track, canonical_params
from profiles.windows.history import _edges, history_windows, region_of, window_for

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
LOW_RANGE = (-6.0, -2.0)  # the low bell's cut, dB, at 80 Hz
HIGH_RANGE = (2.0, 5.0)  # the high-mid bell's boost, dB, at 4 kHz
UNDONE = -12.0  # the move the engineer took back, in two songs


def kick(low_gain: float, high_gain: float = 0.0) -> Session:
    eq = Device(
        kind="eq",
        name="Kick EQ",
        params=canonical_params(
            {
                "eq.band1.type": "bell",
                "eq.band1.freq_hz": 80.0,
                "eq.band1.gain_db": low_gain,
                "eq.band1.q": 1.0,
                "eq.band2.type": "bell",
                "eq.band2.freq_hz": 4000.0,
                "eq.band2.gain_db": high_gain,
                "eq.band2.q": 1.0,
            }
        ),
    )
    return Session("x", tempo_bpm=120.0, tracks=(Track("Kick In", role="audio", devices=(eq,)),))


def save(store: Store, song: str, version: int, session: Session) -> None:
    at = T0 + timedelta(days=int(song.split()[-1]), minutes=version)
    sha = f"{abs(hash((song, version))):064x}"[-64:]
    info = SaveInfo(song, f"/s/{song} v{version}.dawproject", sha, 1000 + version, at.timestamp(), at, "greg")
    assert not append_save(store, info, session).duplicate


def archive(tmp_path: Path, songs: int = 12) -> tuple[Store, list[float], list[float]]:
    """`songs` sessions: v1 flat, v2 sets both bells (the low one within LOW_RANGE, evenly spread
    and shuffled); in the first two songs v3 cuts the low bell to UNDONE and v4 takes it back."""
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    rng = random.Random(3)
    lows = [LOW_RANGE[0] + (LOW_RANGE[1] - LOW_RANGE[0]) * i / (songs - 1) for i in range(songs)]
    highs = [HIGH_RANGE[0] + (HIGH_RANGE[1] - HIGH_RANGE[0]) * i / (songs - 1) for i in range(songs)]
    rng.shuffle(lows)
    rng.shuffle(highs)
    for i, (low, high) in enumerate(zip(lows, highs)):
        song = f"Song {i + 1}"
        save(store, song, 1, kick(0.0))
        save(store, song, 2, kick(low, high))
        if i < 2:
            save(store, song, 3, kick(UNDONE, high))
            save(store, song, 4, kick(low, high))
    return store, lows, highs


def test_the_window_covers_the_known_range_and_counts_what_was_taken_back(tmp_path: Path) -> None:
    store, lows, _ = archive(tmp_path)
    windows = history_windows(store.events(user="greg"), snapshot=store.session_at)
    gains = [w for w in windows if w.parameter == "gain_db" and w.region == "low"]
    assert len(gains) == 1
    (w,) = gains
    assert (w.role, w.device, w.band_type, w.unit, w.source) == ("kick", "eq", "bell", "dB", "history")
    assert (w.n, w.outside, w.sessions) == (12, 2, 12)
    ordered = sorted(lows)
    # The 10th and 90th percentiles of 12 values are their 2nd and 11th (sample quantiles).
    assert ordered[0] <= w.low <= ordered[2] and ordered[-3] <= w.high <= ordered[-1]
    assert LOW_RANGE[0] < w.low < w.high < LOW_RANGE[1]
    entry = w.to_json()
    assert {"role", "device", "parameter", "band_type", "low", "high", "unit", "source", "n"} <= entry.keys()
    assert entry["region"] == "low" and entry["outside"] == 2
    # Parameters never changed (the bells' Q, their frequencies) make no window.
    assert not [x for x in windows if x.parameter in ("q", "freq_hz")]


def test_without_the_snapshot_the_region_is_unknown_but_the_window_is_the_same(tmp_path: Path) -> None:
    store, _, _ = archive(tmp_path)
    with_snapshots = history_windows(store.events(user="greg"), snapshot=store.session_at)
    without = history_windows(store.events(user="greg"))
    low = next(w for w in with_snapshots if w.region == "low")
    # The bands' frequencies never changed, so only the snapshot knows them: both bells' gains
    # fall in one region-less group of 24 values without it.
    assert [(w.region, w.n) for w in without] == [(None, 24)]
    assert low.n == 12


def test_window_for_picks_the_band_by_its_region(tmp_path: Path) -> None:
    store, _, highs = archive(tmp_path)
    windows = history_windows(store.events(user="greg"), snapshot=store.session_at)
    low = window_for(windows, "kick", "eq", "gain_db", "bell", 70.0)
    high = window_for(windows, "kick", "eq", "gain_db", "bell", 3000.0)
    assert low is not None and low.region == "low" and low.high < 0
    assert high is not None and high.region == "high-mid" and high.outside == 0
    assert HIGH_RANGE[0] <= high.low < high.high <= HIGH_RANGE[1]
    # No window in the region asked: the nearest region's.
    nearest = window_for(windows, "kick", "eq", "gain_db", "bell", 8000.0)
    assert nearest is high
    assert window_for(windows, "snare", "eq", "gain_db", "bell", 70.0) is None
    assert window_for(windows, "kick", "eq", "gain_db", "lowshelf", 70.0) is None


def test_too_few_values_make_no_window(tmp_path: Path) -> None:
    store, _, _ = archive(tmp_path, songs=4)
    assert history_windows(store.events(user="greg"), snapshot=store.session_at) == []
    assert len(history_windows(store.events(user="greg"), min_n=4, snapshot=store.session_at)) == 2
    assert history_windows(store.events(user="someone else"), min_n=1) == []


def test_a_value_taken_back_inside_the_range_pulls_the_nearer_edge_past_it() -> None:
    settled = [-6.0, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.0, 0.0]
    low, high = _edges(settled, [], "dB")
    assert (low, high) == (pytest.approx(-5.0, abs=0.5), pytest.approx(-1.0, abs=0.5))
    trimmed_low, trimmed_high = _edges(settled, [-1.5], "dB")  # nearer the high edge
    assert trimmed_low == low and -2.0 < trimmed_high < -1.5
    assert _edges(settled, [-20.0, 6.0], "dB") == (low, high)  # outside values only count
    # Hz are on a log scale: the edges are sample quantiles still.
    hz = [60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0, 140.0, 150.0]
    low_hz, high_hz = _edges(hz, [], "Hz")
    assert 60.0 <= low_hz <= 80.0 and 130.0 <= high_hz <= 150.0


def test_regions() -> None:
    assert [region_of(f) for f in (30, 100, 800, 3000, 9000, None)] == [
        "sub", "low", "low-mid", "high-mid", "high", None,
    ]  # fmt: skip


def test_the_corpus_histories(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from daemon.ingest.bulk import ingest

    store = Store.open(sqlite_url(tmp_path / "corpus.db"))
    ingest(sorted((corpus / "histories").iterdir()), store, "greg", jobs=2)
    windows = history_windows(store.events(user="greg"), min_n=2, snapshot=store.session_at)
    with capsys.disabled():
        print(f"\n{len(windows)} windows from the corpus histories (min_n=2):")
        for w in windows:
            print(" ", w.to_json())
    for w in windows:
        assert w.low <= w.high and w.n >= 2 and w.sessions >= 1 and w.outside >= 0
        assert w.source == "history"
        assert w.device in (None, "eq", "compressor", "gate", "limiter", "delay", "reverb")
