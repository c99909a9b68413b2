"""The highlighted copy of a save ("open in the DAW"): written beside the save under a free name,
the changed track red and a "tapeop: why?" marker at the change, the save itself untouched; and
the system opener, faked by a script on PATH (the real one is outside the tests' reach)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from daemon.errors import ParseError
from daemon.formats import read_session
from daemon.formats.highlight import MARKER_NAME, REAPER_RED, highlight_copy, open_with_system
from daemon.formats.reaper import read_reaper
from daemon.sessions.model import Marker

FX = "dawproject/andremichelle-openDAW/fx.dawproject"  # Bitwig 5.3.12, valid against Project.xsd
CANON = "dawproject/hifa-lang-dawproject/canon.dawproject"  # Bitwig 5.1.6 with embedded audio
TOAST = "histories/glutones-toast-band-session/006_34603d6e_toast-band-session.RPP"
ARDOUR = "ardour/ardour-repo/rec_enabled/rec_enabled.ardour"
ABLETON = "histories/tioxy-alp-als"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_in(corpus: Path, relative: str, folder: Path, name: str | None = None) -> Path:
    target = folder / (name or Path(relative).name)
    shutil.copyfile(corpus / relative, target)
    return target


def _project(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("project.xml"))


def _marker(root: etree._Element) -> etree._Element:
    markers = root.findall("Arrangement/Markers/Marker")
    ours = [m for m in markers if m.get("name") == MARKER_NAME]
    assert len(ours) == 1
    return ours[0]


def _red_tracks(root: etree._Element) -> list[str]:
    return [el.get("name") or "" for el in root.iter("Track", "Channel") if el.get("color") == "#ff0000"]


# -- DAWproject -------------------------------------------------------------------------------------
@pytest.mark.corpus
@pytest.mark.parametrize("relative", [FX, CANON])
def test_a_dawproject_copy_validates_and_keeps_every_other_entry(
    corpus: Path, project_schema: etree.XMLSchema, tmp_path: Path, relative: str
) -> None:
    source = _copy_in(corpus, relative, tmp_path, "Song A v3.dawproject")
    before = _sha(source)
    track = read_session(source).all_tracks()[0].name
    copy = highlight_copy(source, track, 4.5)
    assert copy == tmp_path / "Song A v3 (tapeop why).dawproject"
    assert _sha(source) == before
    root = _project(copy)
    assert project_schema.validate(root), project_schema.error_log
    assert _red_tracks(root) == [track]
    assert float(_marker(root).get("time", "")) == 4.5
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(copy) as new:
        assert [i.filename for i in old.infolist()] == [i.filename for i in new.infolist()]
        for info in old.infolist():
            if info.filename != "project.xml":
                assert new.read(info.filename) == old.read(info.filename), info.filename
                assert new.getinfo(info.filename).compress_type == info.compress_type


@pytest.mark.corpus
def test_a_dawproject_copy_reads_back_with_the_marker(corpus: Path, tmp_path: Path) -> None:
    source = _copy_in(corpus, FX, tmp_path)
    copy = highlight_copy(source, "Delay+", None)
    before, after = read_session(source, name="x"), read_session(copy, name="x")
    assert Marker(name=MARKER_NAME, time=0.0) in after.markers
    assert replace(after, markers=before.markers) == before


@pytest.mark.corpus
def test_markers_are_made_where_the_schema_puts_them(corpus: Path, tmp_path: Path) -> None:
    """In fx.dawproject the Arrangement has Lanes and no Markers: they go right after Lanes."""
    source = _copy_in(corpus, FX, tmp_path)
    root = _project(highlight_copy(source, "Master", 1.0))
    children = [child.tag for child in root.find("Arrangement")]
    assert children.index("Markers") == children.index("Lanes") + 1


@pytest.mark.corpus
def test_a_bare_project_xml_is_copied_into_an_archive(
    corpus: Path, project_schema: etree.XMLSchema, tmp_path: Path
) -> None:
    source = _copy_in(corpus, "dawproject/bitwig-dawproject/README-example-project.xml", tmp_path, "project.xml")
    before = _sha(source)
    track = read_session(source).all_tracks()[0].name
    copy = highlight_copy(source, track, 2.0)
    assert copy.name == "project (tapeop why).dawproject"
    assert _sha(source) == before
    root = _project(copy)
    assert project_schema.validate(root), project_schema.error_log
    assert _red_tracks(root) == [track]


@pytest.mark.corpus
def test_a_save_inside_a_zip_is_copied_beside_the_zip(corpus: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "sessions.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(corpus / FX, "Song/Song v2.dawproject")
    before = _sha(bundle)
    copy = highlight_copy(bundle, "Delay+", 3.0, member="Song/Song v2.dawproject")
    assert copy == tmp_path / "Song v2 (tapeop why).dawproject"
    assert _sha(bundle) == before
    assert _red_tracks(_project(copy)) == ["Delay+"]
    with pytest.raises(ParseError, match="holds no"):
        highlight_copy(bundle, "Delay+", 3.0, member="Song/missing.dawproject")


# -- REAPER -----------------------------------------------------------------------------------------
@pytest.mark.corpus
@pytest.mark.parametrize("track", ["Mac", "Bastien", "Master"])
def test_a_reaper_copy_reads_back_with_the_marker_and_the_colour(corpus: Path, tmp_path: Path, track: str) -> None:
    source = _copy_in(corpus, TOAST, tmp_path)
    before_sha = _sha(source)
    copy = highlight_copy(source, track, 12.25)
    assert copy.name == "006_34603d6e_toast-band-session (tapeop why).RPP"
    assert _sha(source) == before_sha
    before, after = read_reaper(source, name="x"), read_reaper(copy, name="x")
    assert Marker(name=MARKER_NAME, time=12.25) in after.markers
    assert replace(after, markers=before.markers) == before
    text = copy.read_text()
    key = "MASTERPEAKCOL" if track == "Master" else "PEAKCOL"
    block = text if track == "Master" else text.split(f"NAME {track}\n", 1)[1].split("<TRACK", 1)[0]
    assert f"{key} {REAPER_RED}" in block
    assert text.count(str(REAPER_RED)) == 1
    old_lines, new_lines = source.read_text().splitlines(), text.splitlines()
    assert len(new_lines) == len(old_lines) + 1  # one marker line added, one colour line changed


@pytest.mark.corpus
def test_a_reaper_marker_takes_a_number_not_in_use(corpus: Path, tmp_path: Path) -> None:
    """test.rpp (Ultraschall) has markers 1 to 5: ours is 6, after them."""
    source = _copy_in(corpus, "reaper/ultraschall-portable/test.rpp", tmp_path)
    track = read_reaper(source).all_tracks()[1].name
    copy = highlight_copy(source, track, 30.0)
    lines = [line.split() for line in copy.read_text().splitlines() if line.strip().startswith("MARKER ")]
    assert [line[1] for line in lines] == ["1", "2", "5", "3", "4", "6"]
    assert Marker(name=MARKER_NAME, time=30.0) in read_reaper(copy).markers


# -- exported -------------------------------------------------------------------------------------
@pytest.mark.corpus
def test_an_ardour_save_is_exported_as_a_valid_dawproject(
    corpus: Path, project_schema: etree.XMLSchema, tmp_path: Path
) -> None:
    source = _copy_in(corpus, ARDOUR, tmp_path)
    before = _sha(source)
    copy = highlight_copy(source, "Audio 1", 1.5)
    assert copy.name == "rec_enabled (tapeop why).dawproject"
    assert _sha(source) == before
    root = _project(copy)
    assert project_schema.validate(root), project_schema.error_log
    assert _red_tracks(root) == ["Audio 1"]
    assert float(_marker(root).get("time", "")) == 1.5
    exported = read_session(copy)
    assert [t.name for t in exported.all_tracks()] == [t.name for t in read_session(source).all_tracks()]


@pytest.mark.corpus
def test_an_ableton_set_is_exported_as_a_valid_dawproject(
    corpus: Path, project_schema: etree.XMLSchema, tmp_path: Path
) -> None:
    original = sorted((corpus / ABLETON).glob("*.als"))[-1]
    source = tmp_path / "Set.als"
    shutil.copyfile(original, source)
    track = read_session(source).all_tracks()[0].name
    root = _project(highlight_copy(source, track, None))
    assert project_schema.validate(root), project_schema.error_log
    assert _red_tracks(root) == [track]


# -- names and refusals -----------------------------------------------------------------------------
@pytest.mark.corpus
def test_a_free_name_is_chosen_and_nothing_is_overwritten(corpus: Path, tmp_path: Path) -> None:
    source = _copy_in(corpus, FX, tmp_path, "Song A v3.dawproject")
    taken = tmp_path / "Song A v3 (tapeop why).dawproject"
    taken.write_bytes(b"the engineer's own file")
    copy = highlight_copy(source, "Delay+", 1.0)
    assert copy == tmp_path / "Song A v3 (tapeop why 2).dawproject"
    assert taken.read_bytes() == b"the engineer's own file"
    assert highlight_copy(source, "Delay+", 1.0) == tmp_path / "Song A v3 (tapeop why 3).dawproject"


@pytest.mark.corpus
@pytest.mark.parametrize("relative", [FX, TOAST])
def test_a_track_not_in_the_save_is_refused_and_nothing_is_left(corpus: Path, tmp_path: Path, relative: str) -> None:
    source = _copy_in(corpus, relative, tmp_path)
    with pytest.raises(ParseError, match="no track named 'Nobody'"):
        highlight_copy(source, "Nobody", 1.0)
    assert [p.name for p in tmp_path.iterdir()] == [source.name]


def test_a_file_of_no_known_format_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    with pytest.raises(ParseError, match="not a session file"):
        highlight_copy(source, "Kick", 1.0)


# -- the opener -------------------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="the fake opener is a shell script")
def test_the_opener_is_started_with_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened.txt"
    for name in ("xdg-open", "open"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{record}.part" && mv "{record}.part" "{record}"\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + "/bin" + os.pathsep + "/usr/bin")
    target = tmp_path / "Song A v3 (tapeop why).dawproject"
    assert open_with_system(target) is None
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert record.read_text() == str(target)


@pytest.mark.skipif(os.name != "posix", reason="Windows opens with os.startfile, not a program on PATH")
def test_with_no_opener_it_says_so_and_does_not_raise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = tmp_path / "Song (tapeop why).RPP"
    answer = open_with_system(target)
    assert answer is not None
    assert "was found" in answer and str(target) in answer


@pytest.mark.corpus
def test_an_unnamed_reaper_track_is_found_by_the_readers_name(corpus: Path, tmp_path: Path) -> None:
    """empty.RPP (REAPER 4.32): its second track has NAME "", which the reader calls "Track 2"."""
    source = _copy_in(corpus, "reaper/perlence-rpp/empty.RPP", tmp_path)
    copy = highlight_copy(source, "Track 2", 1.0)
    second = copy.read_text().split("<TRACK")[2]
    assert f"PEAKCOL {REAPER_RED}" in second
    assert replace(read_reaper(copy, name="x"), markers=()) == replace(read_reaper(source, name="x"), markers=())


@pytest.mark.corpus
def test_a_reaper_backup_is_copied_as_a_project(corpus: Path, tmp_path: Path) -> None:
    history = corpus / "histories" / "glutones-toast-band-session-rpp-bak"
    source = _copy_in(corpus, str(sorted(history.glob("*.rpp-bak"))[-1].relative_to(corpus)), tmp_path)
    copy = highlight_copy(source, "Mac", 2.0)
    assert copy.name == source.name.removesuffix(".rpp-bak") + " (tapeop why).rpp"
    assert Marker(name=MARKER_NAME, time=2.0) in read_reaper(copy).markers


BARE_RPP = """<REAPER_PROJECT 0.1 "7.14/win64" 1733408836\r
  TEMPO 120 4 4\r
  <TRACK {A0883E74-9574-7841-9C71-BC65E741F577}\r
    NAME Keys\r
    VOLPAN 1 0 -1 -1 1\r
  >\r
>\r
"""


def test_reaper_colour_and_marker_lines_are_added_where_missing(tmp_path: Path) -> None:
    """No PEAKCOL, no MASTERPEAKCOL, no MARKER, CRLF line ends: each line is added, in the file's
    own line ends, and the copy reads back."""
    source = tmp_path / "Bare.RPP"
    source.write_bytes(BARE_RPP.encode())
    keys = highlight_copy(source, "Keys", 0.5).read_bytes()
    assert b"    NAME Keys\r\n    PEAKCOL 16777471\r\n" in keys
    assert b'  MARKER 1 0.5 "tapeop: why?" 0 0 1 R {' in keys
    assert keys.count(b"\n") == keys.count(b"\r\n") == BARE_RPP.count("\n") + 2
    master = highlight_copy(source, "Master", None)
    assert master.read_bytes().split(b"\r\n")[1] == b"  MASTERPEAKCOL 16777471"
    assert read_reaper(master).markers == (Marker(name=MARKER_NAME, time=0.0),)


def test_a_reaper_project_without_tracks_gets_its_marker_before_the_end(tmp_path: Path) -> None:
    source = tmp_path / "Empty.rpp"
    source.write_text('<REAPER_PROJECT 0.1 "7.14/win64" 1\n  TEMPO 120 4 4\n>\n\n')
    copy = highlight_copy(source, "Master", 3.0)
    lines = copy.read_text().splitlines()
    assert lines[-3].startswith('  MARKER 1 3 "tapeop: why?"') and lines[-2:] == [">", ""]
    assert read_reaper(copy).markers == (Marker(name=MARKER_NAME, time=3.0),)
