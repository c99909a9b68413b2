"""The content-addressed analysis cache and `tapeop analyze`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select

from analyzers.analysis import analyze
from analyzers.audio import ArraySource, AudioError, planar
from analyzers.notes import semitones_between
from daemon import files
from daemon.audio.measure import audio_files, measure
from daemon.audio.session import SessionAudio, dry_signal, evict
from daemon.cli import main
from daemon.demo.simulator import load_stem, simulate_archive
from daemon.files import KnownDigests, hash_file
from daemon.formats.guard import SafeArchive
from daemon.log.cache import AnalysisCache
from daemon.log.store import Store
from daemon.log.tables import AnalysisRow

CONTRACT_FIELDS = {
    "path", "sample_rate_hz", "channels", "duration_s", "integrated_lufs", "loudness_range_lu", "true_peak_dbtp",
    "sample_peak_dbfs", "lowest_note_hz", "lowest_note", "energy_below_lowest_note", "bands",
}  # fmt: skip


def stem(path: Path, seconds: float = 3.0, freq_hz: float = 110.0) -> Path:
    t = np.arange(round(seconds * 48000)) / 48000
    x = 0.3 * np.sin(2 * np.pi * freq_hz * t) + 0.1 * np.sin(2 * np.pi * 2 * freq_hz * t)
    sf.write(path, np.stack([x, x], axis=1), 48000, subtype="PCM_24")
    return path


def rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AnalysisRow.__table__)).scalar_one())  # type: ignore[attr-defined]


def test_the_same_audio_is_analyzed_once(tmp_path: Path, store_url: str) -> None:
    store = Store.open(store_url)
    cache = AnalysisCache(store)
    first = stem(tmp_path / "Bass.wav")
    copy = shutil.copy(first, tmp_path / "Bass (v2).wav")
    a = measure(first, cache)
    b = measure(Path(copy), cache)
    assert not a.cached and b.cached and a.sha256 == b.sha256
    assert a.analysis.report() == b.analysis.report()
    assert rows(store) == 1
    other = measure(stem(tmp_path / "Gtr.wav", freq_hz=220.0), cache)
    assert not other.cached and rows(store) == 2
    assert other.analysis.lowest is not None and other.analysis.lowest.note == "A3"
    store.close()
    reopened = Store.open(store_url)  # the cache outlives the process
    assert measure(first, AnalysisCache(reopened)).cached
    reopened.close()


def test_audio_files_in_folders(tmp_path: Path) -> None:
    (tmp_path / "stems" / "drums").mkdir(parents=True)
    stem(tmp_path / "stems" / "b.wav")
    stem(tmp_path / "stems" / "drums" / "Kick.WAV")
    (tmp_path / "stems" / "notes.txt").write_text("not audio")
    assert [p.name for p in audio_files([tmp_path / "stems"])] == ["b.wav", "Kick.WAV"]


def test_analyze_command_json_follows_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stem(tmp_path / "Bass.wav")
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    db = str(tmp_path / "cli.db")
    code = main(["analyze", "--json", "--db", db, str(tmp_path)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1  # one file could not be read; the other is reported all the same
    good = next(line for line in lines if line["path"].endswith("Bass.wav"))
    bad = next(line for line in lines if line["path"].endswith("broken.wav"))
    assert set(good) >= CONTRACT_FIELDS
    assert good["lowest_note"] == "A2" and good["sample_rate_hz"] == 48000 and good["channels"] == 2
    assert sum(band["share"] for band in good["bands"]) == pytest.approx(1.0, abs=1e-3)
    assert all(isinstance(band["center_hz"], float) for band in good["bands"])  # 25.0, as the contract shows
    assert set(bad) == {"path", "error"} and "not readable as audio" in bad["error"]
    assert main(["analyze", "--db", db, str(tmp_path / "Bass.wav")]) == 0
    text = capsys.readouterr().out
    assert "integrated" in text and "true peak" in text and "A2" in text


def test_a_file_with_nan_or_infinite_samples_is_an_error_line_and_the_next_file_is_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, bad in (("a-nan.wav", np.nan), ("b-inf.wav", np.inf)):
        data = np.full((48000, 1), 0.1, np.float32)
        data[1000] = bad
        sf.write(tmp_path / name, data, 48000, subtype="FLOAT")
    stem(tmp_path / "c-good.wav")
    assert main(["analyze", "--json", "--no-cache", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["path"].rsplit("/", 1)[-1] for line in lines] == ["a-nan.wav", "b-inf.wav", "c-good.wav"]
    assert all(set(line) == {"path", "error"} and "NaN or infinite" in line["error"] for line in lines[:2])
    assert lines[2]["lowest_note"] == "A2"
    assert err.startswith("error: 2 of 3 file(s) could not be read") and len(err.splitlines()) == 1


def test_analyze_command_refuses_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--no-cache", str(tmp_path / "nowhere")]) == 1
    assert "nowhere: no such file or folder" in capsys.readouterr().err


def test_a_tracks_dry_signal_comes_out_of_the_session_archive(tmp_path: Path) -> None:
    saves = simulate_archive(tmp_path / "archive", songs=1, saves=1, seed=11, seconds=8)
    save = saves[0]
    with SessionAudio(save.path, tmp_path / "extracted") as audio:
        for name in ("Bass DI", "Lead Vox"):
            signal = dry_signal(save.session, save.session.track(name), audio)
            assert signal is not None
            measured = analyze(signal)
            stem, rate = load_stem(save, name)
            direct = analyze(ArraySource(planar(stem), rate))
            assert measured.integrated_lufs == pytest.approx(direct.integrated_lufs, abs=0.01)
            truth = save.stems[name]
            assert measured.lowest is not None and truth.lowest_note_hz is not None
            assert abs(semitones_between(truth.lowest_note_hz, measured.lowest.freq_hz)) <= 1.0
    with SessionAudio(save.path, tmp_path / "extracted") as again:
        extracted = again.locate(save.session.track("Bass DI").clips[0].file)
    written = extracted.stat().st_ino  # a write goes through a temp file renamed over it: a new inode
    assert len(list((tmp_path / "extracted").iterdir())) == 2  # by content: extracted once each
    assert again.digests[extracted] == extracted.stem == hash_file(extracted)[0]  # hashed on the way out
    with SessionAudio(save.path, tmp_path / "extracted") as third:
        third.locate(save.session.track("Bass DI").clips[0].file)
    assert extracted.stat().st_ino == written  # content already out is not written again


def test_audio_streamed_out_is_kept_under_its_cap_least_recently_used_first(tmp_path: Path) -> None:
    saves = simulate_archive(tmp_path / "archive", songs=1, saves=1, seed=11, seconds=4)
    save, out = saves[0], tmp_path / "extracted"
    names = [t.name for t in save.session.all_tracks() if t.clips]
    located = {}
    with SessionAudio(save.path, out) as audio:
        for name in names:
            located[name] = audio.locate(save.session.track(name).clips[0].file)
    sizes = {name: path.stat().st_size for name, path in located.items()}
    for age, name in enumerate(reversed(names)):  # the first track's audio used last
        os.utime(located[name], (1_000_000 + age, 1_000_000 + age))
    cap = sum(sizes.values()) - sizes[names[-1]] - 1  # one file too many, and a byte
    assert evict(out, cap, keep_recent_s=0) == sizes[names[-1]] + sizes[names[-2]]  # the two oldest go
    assert sorted(p.name for p in out.iterdir()) == sorted(located[n].name for n in names[:-2])
    with SessionAudio(save.path, out, cap_bytes=cap) as again:  # needed again: streamed out again
        back = again.locate(save.session.track(names[-1]).clips[0].file)
    assert back == located[names[-1]] and hash_file(back)[0] == back.stem
    evict(out, 0)  # a cap of nothing: all goes but what was used a moment ago (a running judging's)
    assert [p.name for p in out.iterdir()] == [back.name]


def test_a_member_already_out_is_not_read_again_from_the_next_saves_archive(tmp_path: Path) -> None:
    saves = simulate_archive(tmp_path / "archive", songs=1, saves=2, seed=11, seconds=4)
    known = KnownDigests()
    reference = saves[0].session.track("Bass DI").clips[0].file
    read: list[str] = []
    real_chunks = SafeArchive.chunks

    def counted(archive: SafeArchive, name: str, cap: int | None = None) -> Iterator[bytes]:
        read.append(name)
        return real_chunks(archive, name, cap)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SafeArchive, "chunks", counted)
        with SessionAudio(saves[0].path, tmp_path / "extracted", known) as first:
            out = first.locate(reference)
        assert read == [reference, reference]  # hashed, then written: nothing was out yet
        with SessionAudio(saves[1].path, tmp_path / "extracted", known) as second:
            assert second.locate(reference) == out
            assert second.digests[out] == out.stem
        assert len(read) == 2  # the next save's archive, the same member: not read
        out.unlink()
        with SessionAudio(saves[1].path, tmp_path / "extracted", known) as third:
            assert third.locate(reference) == out  # gone from the folder: streamed out again
        assert len(read) == 4 and out.is_file() and hash_file(out)[0] == out.stem


def test_known_digests_read_a_settled_file_once_and_again_when_its_stat_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = files.hash_file
    monkeypatch.setattr(files, "hash_file", lambda path: reads.append(str(path)) or real(path))
    path = tmp_path / "take.wav"
    path.write_bytes(b"first take")
    known = KnownDigests(clock=lambda: time.time() + 60)  # a minute on: the file has settled
    first = known.file(path)
    assert known.file(path) == first == real(path)[0]
    assert len(reads) == 1  # remembered by its stat
    path.write_bytes(b"a longer second take")
    assert known.file(path) == real(path)[0] != first
    assert len(reads) == 2


def test_known_digests_do_not_remember_a_file_that_just_changed(tmp_path: Path) -> None:
    # Two writes within one tick of the file system's clock can leave the stat as it was: a file
    # written under RACY_S ago is read again each time.
    path = tmp_path / "take.wav"
    path.write_bytes(b"first take")
    known = KnownDigests()
    first = known.file(path)
    stat = path.stat()
    path.write_bytes(b"other take")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert known.file(path) == real_digest(path) != first


def real_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_session_audio_never_opens_files_outside_the_session_folder(tmp_path: Path) -> None:
    folder = tmp_path / "song"
    folder.mkdir()
    inside = stem(folder / "Bass.wav")
    stem(tmp_path / "secret.wav")
    audio = SessionAudio(folder / "project.xml", tmp_path / "extracted")  # a folder's session: no archive to close
    assert audio.locate("Bass.wav") == inside.resolve()
    for reference in ("../secret.wav", str(tmp_path / "secret.wav"), "missing.wav"):
        with pytest.raises(AudioError, match="not found in the project's folder"):
            audio.locate(reference)
    (folder / "link.wav").symlink_to(tmp_path / "secret.wav")
    with pytest.raises(AudioError):
        audio.locate("link.wav")
