"""The audio numbers a question shows beside it: checked against what the simulated band played
(each stem's lowest note and loudness, known from its score and its rendering) and against what
the change itself did (a fader move shifts the whole spectrum by its dB; a bell's gain change moves
the spectrum at the bell's frequency by its dB and leaves the far ends alone)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from daemon.demo.simulator import SimulatedSave
from daemon.log.store import Store, sqlite_url
from profiles.questions.ask import open_questions
from profiles.questions.build import Question
from profiles.questions.context import FLOOR_DB, PARTNERS, ContextReader, TrackContext
from tests.archives import judged_archive

USER = "sim"


@dataclass
class Archive:
    folder: Path
    db: Path
    audio: Path
    saves: list[SimulatedSave]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    tmp = tmp_path_factory.mktemp("context")
    store, saves = judged_archive(tmp, tmp / "log.db", USER, songs=1, saves=4)
    store.close()
    return Archive(tmp / "archive", tmp / "log.db", tmp / "audio", saves)


@pytest.fixture
def reader(archive: Archive) -> Iterator[tuple[Store, ContextReader]]:
    store = Store.open(sqlite_url(archive.db))
    found = ContextReader(store, archive.audio)
    yield store, found
    found.close()
    store.close()


def measured(store: Store, reader: ContextReader) -> list[tuple[Question, TrackContext]]:
    return [(q, reader.measure(q)) for q in open_questions(store, USER, 50) if q.track]


def test_each_track_shows_the_lowest_note_and_loudness_its_stem_was_made_with(archive: Archive, reader) -> None:
    store, found = reader
    stems = archive.saves[-1].stems
    seen = measured(store, found)
    assert seen, "the simulated archive asks about tracks"
    for question, context in seen:
        truth = stems[question.track]
        assert context.missing is None, context.missing
        assert context.lowest is not None and context.lowest.note == truth.lowest_note, (question.track, context.lowest)
        assert context.loudness_lufs == pytest.approx(truth.loudness_lufs, abs=0.5)
        assert context.true_peak_dbtp == pytest.approx(truth.true_peak_dbtp, abs=0.5)
        lines = context.lines()
        assert any(f"lowest note {truth.lowest_note}" in line for line in lines)


def test_masking_partners_are_other_playing_tracks_strongest_first(archive: Archive, reader) -> None:
    store, found = reader
    tracks = {t.name for t in archive.saves[-1].session.all_tracks() if t.clips}
    for question, context in measured(store, found):
        names = [p.track for p in context.partners]
        assert 0 < len(names) <= PARTNERS and question.track not in names and set(names) <= tracks
        strengths = [p.strength for p in context.partners]
        assert strengths == sorted(strengths, reverse=True)
        assert all(
            0.0 <= (p.masks_it or 0.0) <= 1.0 and 0.0 <= (p.masked_by_it or 0.0) <= 1.0 for p in context.partners
        )


def test_a_fader_move_shifts_the_whole_spectrum_by_its_gain(reader) -> None:
    store, found = reader
    faders = [(q, c) for q, c in measured(store, found) if [e.payload["parameter"] for e in q.changes] == ["volume_db"]]
    assert faders, "the simulated engineer moves a fader the rules cannot explain"
    for question, context in faders:
        payload = question.changes[0].payload
        moved = payload["after"] - payload["before"]
        assert context.fader_db == (payload["before"], payload["after"])
        assert context.spectrum is not None
        spectrum = context.spectrum
        heard = (spectrum.before_db > FLOOR_DB + 20) & (spectrum.after_db > FLOOR_DB + 20)  # not at the floor
        assert heard.sum() > len(heard) // 2
        shift = spectrum.after_db[heard] - spectrum.before_db[heard]
        assert np.allclose(shift, moved, atol=0.01), (moved, shift)


def test_a_bell_gain_change_moves_the_spectrum_at_its_frequency_only(reader) -> None:
    store, found = reader
    bells = [
        (q, c)
        for q, c in measured(store, found)
        if [e.payload["parameter"].rsplit(".", 1)[-1] for e in q.changes] == ["gain_db"]
    ]
    assert bells, "the simulated engineer makes a bell cut the rules cannot explain"
    for question, context in bells:
        change = question.changes[0].payload
        session = store.session_at(question.session, question.version or 0)
        assert session is not None
        band = change["parameter"].split(".")[1]
        device = next(d for d in session.track(question.track or "").devices if d.name == question.device)
        freq = float(device.param_dict[f"eq.{band}.freq_hz"])
        spectrum = context.spectrum
        assert spectrum is not None and spectrum.differs
        shift = spectrum.after_db - spectrum.before_db
        at = int(np.argmin(np.abs(np.log2(spectrum.freqs_hz / freq))))
        assert shift[at] == pytest.approx(change["after"] - change["before"], abs=0.5)
        assert abs(shift[0]) < 0.1 and abs(shift[-1]) < 0.1  # 20 Hz and 20 kHz are far from any bell


def test_what_cannot_be_measured_is_said(archive: Archive, tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    shutil.copy(archive.db, db)
    store = Store.open(sqlite_url(db))
    try:
        question = next(q for q in open_questions(store, USER, 50) if q.track)
        moved = tmp_path / "gone"
        shutil.move(archive.folder, moved)  # the saves and their audio are no longer where the log says
        try:
            context = ContextReader(store, tmp_path / "audio").measure(question)
        finally:
            shutil.move(moved, archive.folder)
        assert context.missing == f"no audio numbers for {question.track}: its audio files cannot be read"
        assert context.lines() == [context.missing]
        sessionwide = Question(**{**question.__dict__, "track": None, "device": None})
        assert ContextReader(store).measure(sessionwide).missing == "no track: the change is the session's own"
    finally:
        store.close()


def test_partners_stop_being_measured_when_the_engineer_moves_on(reader) -> None:
    store, found = reader
    question = next(q for q in open_questions(store, USER, 50) if q.track)
    context = found.measure(question, cancelled=lambda: True)
    assert context.partners == () and context.partners_missing == "not measured (moved on)"
    assert context.lowest is not None  # the track's own numbers are there
