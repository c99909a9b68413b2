"""Discovery for `tapeop ingest`: which files are saves of which session, and in what order.

Fake archives are built in tmp_path; content is not a valid session except REAPER header lines.
"""

from __future__ import annotations

import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.ingest import discover as discover_module
from daemon.ingest.discover import Candidate, discover, group_versions, session_name_of

T0 = 1_733_339_460  # 2024-12-04 19:11:00 UTC


def rpp(path: Path, stamp: int | None = None, mtime: int = T0) -> Path:
    """A REAPER file with a header line (with or without its save time)."""
    header = f'<REAPER_PROJECT 0.1 "7.26/macOS-arm64" {stamp}' if stamp else '<REAPER_PROJECT 0.1 "7.26/macOS-arm64"'
    return touch(path, f"{header}\n  TEMPO 120 4 4\n>\n".encode(), mtime)


def touch(path: Path, data: bytes = b"session", mtime: int = T0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A ZIP whose members are dated 2024-12-05 10:00:00, 10:00:02, ... in the order given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(members.items()):
            archive.writestr(zipfile.ZipInfo(name, (2024, 12, 5, 10, 0, index * 2)), data)
    return path


def at(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def names(candidates: list[Candidate]) -> list[str]:
    return [Path(c.source.rsplit("!", 1)[-1]).name for c in candidates]


# -- the naming rule ---------------------------------------------------------------------------

NAMING = [
    ("Song.dawproject", "Song"),
    ("Song v3.dawproject", "Song"),
    ("Song V3.RPP", "Song"),
    ("Song_v3.rpp", "Song"),
    ("Song-v12.als", "Song"),
    ("Song v2.1.ardour", "Song"),
    ("Song version 4.rpp", "Song"),
    ("Song (2).als", "Song"),
    ("Song copy.rpp", "Song"),
    ("Song Copy 2.rpp", "Song"),
    ("Song - Copy.rpp", "Song"),
    ("Song-2024-12-05_0014.rpp-bak", "Song"),
    ("Song_2024-12-05_0014.RPP-bak", "Song"),
    ("Song [2024-12-05 143012].als", "Song"),
    ("Song final.rpp", "Song"),
    ("Song FINAL.rpp", "Song"),
    ("Song final FINAL.rpp", "Song"),
    ("Song final2.rpp", "Song"),
    ("Song_final.rpp", "Song"),
    ("Song (final).rpp", "Song"),
    ("Song v3 final (2).rpp", "Song"),
    ("Song v2 - .rpp", "Song"),
    ("Song.ardour.bak", "Song"),
    ("003_4572633d_test.dawproject", "test"),
    ("001_67365d1b_AutoSaves_toast-band-session-2024-12-04_2011.rpp-bak", "toast-band-session"),
    ("006_67365d1b_toast-band-session-2024-12-05_0044.rpp-bak", "toast-band-session"),
    ("002_a1b2c3d4_Backups_Song v2.rpp", "Song"),
    # kept: decorations count only at the end, and only these words
    ("Mix Bus.rpp", "Mix Bus"),
    ("Mix 2.rpp", "Mix 2"),
    ("Final Countdown.rpp", "Final Countdown"),
    ("Version 2 Remix.rpp", "Version 2 Remix"),
    ("2024 Song.rpp", "2024 Song"),
    ("Song Mix.rpp", "Song Mix"),
    ("Engine V8 Master.rpp", "Engine V8 Master"),
    ("Final.rpp", "Final"),
    ("v3.rpp", "v3"),
    ("(2).rpp", "(2)"),
    ("History_of_Rock.rpp", "History_of_Rock"),
    ("Song 2024-12-05.rpp", "Song 2024-12-05"),
    ("Songv3.rpp", "Songv3"),
]


@pytest.mark.parametrize(("filename", "expected"), NAMING)
def test_a_file_name_belongs_to_the_session_named_without_its_decorations(filename: str, expected: str) -> None:
    assert session_name_of(filename) == expected


def test_the_session_name_keeps_the_case_of_what_remains() -> None:
    assert session_name_of("mY sOnG v2 FINAL.rpp") == "mY sOnG"


DECORATIONS = [" (2)", " copy", " Copy 2", "-2024-12-05_0014", "_2024-12-05_0014", " [2024-12-05 143012]", "_v3",
               " v3", " V3", "-v12", " final", " FINAL", "_final", " (final)", " final2"]  # fmt: skip
BASES = st.text(st.sampled_from("abcXYZ éÅß"), min_size=1, max_size=12).filter(lambda t: t[0].isalpha())


@given(BASES, st.lists(st.sampled_from(DECORATIONS), max_size=3), st.sampled_from([".rpp", ".RPP-bak", ".als"]))
def test_decorations_added_to_any_name_leave_its_session(base: str, decorations: list[str], suffix: str) -> None:
    assert session_name_of(base + "".join(decorations) + suffix) == session_name_of(base + suffix)


# -- folders -----------------------------------------------------------------------------------


def test_a_folder_archive_with_backups_and_versions_groups_into_one_session_per_song(tmp_path: Path) -> None:
    rpp(tmp_path / "Song A" / "Song A.rpp", T0)
    rpp(tmp_path / "Song A" / "Song A v2.rpp", T0 + 7200)
    rpp(tmp_path / "Song A" / "Backups" / "Song A-2024-12-04_1930.rpp-bak")  # no time in the header
    touch(tmp_path / "Song B" / "Song B.als", mtime=T0 + 100)
    touch(tmp_path / "Song B" / "Backup" / "Song B [2024-12-04 190000].als")

    found = discover([tmp_path])

    assert found.problems == []
    groups = group_versions(found.candidates)
    assert sorted(groups) == ["Song A", "Song B"]
    assert names(groups["Song A"]) == ["Song A.rpp", "Song A-2024-12-04_1930.rpp-bak", "Song A v2.rpp"]
    assert [c.saved_at_basis for c in groups["Song A"]] == ["file-metadata", "name", "file-metadata"]
    assert names(groups["Song B"]) == ["Song B [2024-12-04 190000].als", "Song B.als"]
    assert [c.saved_at_basis for c in groups["Song B"]] == ["name", "mtime"]
    assert all(c.saved_at.tzinfo is UTC for c in found.candidates)


def test_names_group_case_insensitively_and_keep_the_spelling_of_the_first_save(tmp_path: Path) -> None:
    rpp(tmp_path / "Song v1.rpp", T0)
    rpp(tmp_path / "SONG v2.rpp", T0 + 60)

    groups = group_versions(discover([tmp_path]).candidates)

    assert list(groups) == ["Song"]
    assert names(groups["Song"]) == ["Song v1.rpp", "SONG v2.rpp"]


def test_sessions_of_the_same_name_in_different_folders_are_told_apart_by_their_folder(tmp_path: Path) -> None:
    rpp(tmp_path / "Client A" / "Song.rpp", T0)
    rpp(tmp_path / "Client B" / "Song v2.rpp", T0)
    rpp(tmp_path / "Client B" / "Backups" / "Song-2024-12-01_1200.rpp-bak")
    rpp(tmp_path / "Other" / "Unique.rpp", T0)

    groups = group_versions(discover([tmp_path]).candidates)

    assert sorted(groups) == ["Song (Client A)", "Song (Client B)", "Unique"]
    assert names(groups["Song (Client B)"]) == ["Song-2024-12-01_1200.rpp-bak", "Song v2.rpp"]


def test_where_the_folder_names_collide_too_the_whole_folder_path_tells_sessions_apart(tmp_path: Path) -> None:
    rpp(tmp_path / "A" / "Mix" / "Song.rpp", T0)
    rpp(tmp_path / "B" / "Mix" / "Song.rpp", T0)

    groups = group_versions(discover([tmp_path]).candidates)

    assert sorted(groups) == [f"Song ({tmp_path / 'A' / 'Mix'})", f"Song ({tmp_path / 'B' / 'Mix'})"]


def test_junk_files_and_folders_are_ignored(tmp_path: Path) -> None:
    rpp(tmp_path / "Song.rpp", T0)
    for junk in (".DS_Store", "~Song.rpp", ".Song.rpp", "Song.rpp.tmp", "Song.pending", "Song.rpp-undo",
                 "Song.history", "Song.bak", "project.xml", "notes.txt", "Kick.wav", "__MACOSX/Song.rpp",
                 ".git/Song v2.rpp", "~tmp/Song v3.rpp"):  # fmt: skip
        touch(tmp_path / junk)

    found = discover([tmp_path])

    assert names(found.candidates) == ["Song.rpp"]
    assert found.problems == []
    # What is no session is left alone and counted with its reason; hidden files go unmentioned.
    assert found.left_alone == {
        ".bak (backups of no known kind)": 1,
        ".history (Ardour undo histories, not saves)": 1,
        ".pending (Ardour's unfinished saves)": 1,
        ".rpp-undo (REAPER undo histories, not saves)": 1,
        ".tmp (temporary files)": 1,
        ".txt (not a session format)": 1,
        ".wav (audio or MIDI)": 1,
        ".xml (XML files that are no DAWproject project)": 1,
    }


def test_a_raw_dawproject_xml_under_any_name_and_an_ardour_template_are_sessions(corpus: Path, tmp_path: Path) -> None:
    """A DAWproject project.xml saved under its own name is known by how it opens; an Ardour
    `.template` is a session file."""
    raw = corpus / "dawproject/roex-dawproject-py/RoEx_Automix.xml"
    (tmp_path / "Automix.xml").write_bytes(raw.read_bytes())
    (tmp_path / "2 Track.template").write_bytes(
        (corpus / "ardour/ardour-repo/templates-2005/2 Track.template").read_bytes()
    )
    (tmp_path / "other.xml").write_text('<?xml version="1.0"?>\n<Project><Name/></Project>\n')

    found = discover([tmp_path])

    assert sorted((c.session_name, c.path.name) for c in found.candidates) == [
        ("2 Track", "2 Track.template"),
        ("Automix", "Automix.xml"),
    ]
    assert found.left_alone == {".xml (XML files that are no DAWproject project)": 1}


def test_a_symlink_loop_is_not_followed_and_links_never_leave_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    song = rpp(root / "Song" / "Song.rpp", T0)
    (root / "Song" / "loop").symlink_to(root, target_is_directory=True)
    (root / "Song" / "Song again.rpp").symlink_to(song)
    outside = rpp(tmp_path / "elsewhere" / "Secret.rpp", T0)
    (root / "Secret.rpp").symlink_to(outside)

    found = discover([root])

    assert names(found.candidates) == ["Song.rpp"]  # the link to it is the same file, counted once
    assert found.problems == [
        (str(root / "Secret.rpp"), "link to a file outside the folder: not followed"),
        (str(root / "Song" / "loop"), "link to a folder: not followed"),
    ]


def test_an_unreadable_folder_is_a_problem_and_the_rest_is_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rpp(tmp_path / "Open" / "Song.rpp", T0)
    locked = tmp_path / "Locked"
    rpp(locked / "Hidden.rpp", T0)
    scandir = os.scandir

    def refusing(path):  # type: ignore[no-untyped-def]
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(discover_module.os, "scandir", refusing)
    found = discover([tmp_path])

    assert names(found.candidates) == ["Song.rpp"]
    assert found.problems == [(str(locked), "unreadable folder (Permission denied)")]


def test_a_missing_path_and_a_file_of_no_session_kind_are_problems(tmp_path: Path) -> None:
    notes = touch(tmp_path / "notes.txt")

    found = discover([tmp_path / "nowhere", notes])

    assert found.candidates == []
    assert found.problems == [
        (str(tmp_path / "nowhere"), "no such file or folder"),
        (str(notes), "not a session file tapeop ingests, nor a .zip archive"),
    ]


def test_a_bare_project_xml_named_as_a_path_is_the_session_of_its_folder(tmp_path: Path) -> None:
    project = touch(tmp_path / "Song v2" / "project.xml", b"<Project/>")

    (candidate,) = discover([project]).candidates

    assert candidate.session_name == "Song"
    assert candidate.version_hint[1] == 2


# -- ZIP archives ------------------------------------------------------------------------------


def test_a_zip_holding_a_folder_with_versions_is_discovered_and_each_member_read_back(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "delivery.zip",
        {
            "Song/Song v1.dawproject": b"one",
            "Song/Song v2.dawproject": b"two",
            "Song/Backups/Song v0.dawproject": b"zero",
            "Song/.DS_Store": b"junk",
            "__MACOSX/Song/._Song v1.dawproject": b"junk",
        },
    )

    found = discover([archive])

    assert found.problems == []
    (versions,) = group_versions(found.candidates).values()
    assert [c.source for c in versions] == [
        f"{archive}!Song/Song v1.dawproject",
        f"{archive}!Song/Song v2.dawproject",
        f"{archive}!Song/Backups/Song v0.dawproject",  # entry times order them, as written
    ]
    assert {c.session_name for c in versions} == {"Song"}
    assert {c.saved_at_basis for c in versions} == {"zip-entry-time"}
    assert versions[0].saved_at == datetime(2024, 12, 5, 10, 0, 0, tzinfo=UTC)
    assert [c.read_bytes() for c in versions] == [b"one", b"two", b"zero"]
    assert [c.size for c in versions] == [3, 3, 4]
    with versions[1].materialize() as path:
        assert path.name == "Song v2.dawproject"
        assert path.read_bytes() == b"two"
    assert not path.exists() and not path.parent.exists()


def test_a_file_on_disk_materializes_as_itself(tmp_path: Path) -> None:
    song = rpp(tmp_path / "Song.RPP", T0)

    (candidate,) = discover([tmp_path]).candidates

    with candidate.materialize() as path:
        assert path == song
    assert song.exists()
    assert candidate.read_bytes() == song.read_bytes()


def test_a_zip_inside_a_zip_is_opened_and_its_members_read_back(tmp_path: Path) -> None:
    header = f'<REAPER_PROJECT 0.1 "7.14/win64" {T0}\n>\n'.encode()
    inner = make_zip(tmp_path / "build" / "inner.zip", {"Deep/Song v2.rpp": header})
    outer = make_zip(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes(), "Song.rpp": b"<REAPER_PROJECT\n"})

    found = discover([outer])

    assert found.problems == []
    deep = next(c for c in found.candidates if "inner.zip!" in c.source)
    assert deep.source == f"{outer}!inner.zip!Deep/Song v2.rpp"
    assert deep.members == ("inner.zip", "Deep/Song v2.rpp")
    assert (deep.saved_at, deep.saved_at_basis) == (at(T0), "file-metadata")
    assert deep.read_bytes() == header
    with deep.materialize() as path:
        assert path.read_bytes() == header and path.suffix == ".rpp"
    # two folders (the archive's root, Deep/), so two sessions named "Song"
    assert sorted(c.session_name for c in found.candidates) == ["Song (Deep)", "Song (outer.zip)"]


def test_a_zip_nested_deeper_than_four_levels_is_a_problem_and_not_opened(tmp_path: Path) -> None:
    data = make_zip(tmp_path / "build" / "z5.zip", {"Deeper.rpp": b"x"}).read_bytes()
    data = make_zip(tmp_path / "build" / "z4.zip", {"Song.rpp": b"y", "z5.zip": data}).read_bytes()
    for level in (3, 2):
        data = make_zip(tmp_path / "build" / f"z{level}.zip", {f"z{level + 1}.zip": data}).read_bytes()
    top = make_zip(tmp_path / "z1.zip", {"z2.zip": data})

    found = discover([top])

    assert [c.source for c in found.candidates] == [f"{top}!z2.zip!z3.zip!z4.zip!Song.rpp"]
    assert found.candidates[0].read_bytes() == b"y"
    assert found.problems == [
        (f"{top}!z2.zip!z3.zip!z4.zip!z5.zip", "ZIP archive nested deeper than 4 levels: not opened")
    ]


def test_a_truncated_zip_is_a_problem_while_the_rest_is_discovered(tmp_path: Path) -> None:
    bad = make_zip(tmp_path / "bad.zip", {"Lost.rpp": os.urandom(4000)})
    bad.write_bytes(bad.read_bytes()[:2000])
    rpp(tmp_path / "Song.rpp", T0)

    found = discover([tmp_path])

    assert names(found.candidates) == ["Song.rpp"]
    ((source, reason),) = found.problems
    assert source == str(bad)
    assert "not a complete ZIP archive" in reason


def test_a_zip_the_guard_refuses_is_a_problem_naming_the_nested_archive(tmp_path: Path) -> None:
    evil = make_zip(tmp_path / "build" / "evil.zip", {"../escape.rpp": b"x"})
    outer = make_zip(tmp_path / "outer.zip", {"evil.zip": evil.read_bytes(), "Song.rpp": b"x"})

    found = discover([outer])

    assert names(found.candidates) == ["Song.rpp"]
    assert found.problems == [(f"{outer}!evil.zip", "ZIP member name '../escape.rpp' has a '..' component")]


def test_a_member_over_the_cap_is_a_problem_and_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = make_zip(tmp_path / "a.zip", {"Big.dawproject": b"x" * 100, "Small.dawproject": b"x"})
    monkeypatch.setattr(discover_module, "MEMBER_CAP", 10)

    found = discover([archive])

    assert names(found.candidates) == ["Small.dawproject"]
    assert found.problems == [(f"{archive}!Big.dawproject", "declares 100 bytes, over the 10 cap")]


# -- save times and order ----------------------------------------------------------------------


def test_the_reaper_header_time_is_read_from_the_first_line_and_used(tmp_path: Path) -> None:
    rpp(tmp_path / "Song-2020-01-01_0000.rpp-bak", T0, mtime=T0 + 999_999)

    (candidate,) = discover([tmp_path]).candidates

    assert (candidate.saved_at, candidate.saved_at_basis) == (at(T0), "file-metadata")
    assert candidate.saved_at == datetime(2024, 12, 4, 19, 11, tzinfo=UTC)


def test_the_reaper_backup_name_time_is_used_when_the_header_has_none(tmp_path: Path) -> None:
    rpp(tmp_path / "Song-2024-12-05_0014.rpp-bak", None, mtime=T0 + 999_999)
    touch(tmp_path / "Other-2024-12-05_0015.rpp-bak", b"no header at all", mtime=T0 + 999_999)
    touch(tmp_path / "Third.rpp", b'<REAPER_PROJECT 0.1 "7.1" 12\n', mtime=T0)  # implausible time

    found = {c.session_name: c for c in discover([tmp_path]).candidates}

    assert (found["Song"].saved_at, found["Song"].saved_at_basis) == (datetime(2024, 12, 5, 0, 14, tzinfo=UTC), "name")
    assert found["Other"].saved_at_basis == "name"
    assert (found["Third"].saved_at, found["Third"].saved_at_basis) == (at(T0), "mtime")


def test_versions_are_ordered_by_save_time_not_by_name(tmp_path: Path) -> None:
    rpp(tmp_path / "Song v1.rpp", T0 + 300)
    rpp(tmp_path / "Song v2.rpp", T0 + 200)
    rpp(tmp_path / "Song v3.rpp", T0 + 100)

    (versions,) = group_versions(discover([tmp_path]).candidates).values()

    assert names(versions) == ["Song v3.rpp", "Song v2.rpp", "Song v1.rpp"]


def test_saves_sharing_a_time_are_ordered_by_their_version_number(tmp_path: Path) -> None:
    for name in ("Song v10.als", "Song v2.als", "Song.als", "Song v2 final.als"):
        touch(tmp_path / name, mtime=T0)

    (versions,) = group_versions(discover([tmp_path]).candidates).values()

    assert names(versions) == ["Song.als", "Song v2.als", "Song v2 final.als", "Song v10.als"]


def test_identical_copies_stay_two_candidates_in_their_name_order(tmp_path: Path) -> None:
    for name in ("006_67365d1b_Song-2024-12-05_0044.rpp-bak", "005_67365d1b_AutoSaves_Song-2024-12-05_0044.rpp-bak"):
        rpp(tmp_path / name, T0)

    (versions,) = group_versions(discover([tmp_path]).candidates).values()

    assert [c.source[len(str(tmp_path)) + 1 :][:3] for c in versions] == ["005", "006"]
    assert versions[0].read_bytes() == versions[1].read_bytes()


def test_a_file_named_twice_through_overlapping_paths_counts_once(tmp_path: Path) -> None:
    rpp(tmp_path / "Song" / "Song.rpp", T0)

    found = discover([tmp_path, tmp_path / "Song", tmp_path / "Song" / "Song.rpp"])

    assert len(found.candidates) == 1


# -- the real corpus ---------------------------------------------------------------------------


@pytest.mark.corpus
def test_the_toast_band_backups_of_the_corpus_are_one_session_in_save_order(corpus: Path) -> None:
    found = discover([corpus / "histories" / "glutones-toast-band-session-rpp-bak"])

    assert found.problems == []
    groups = group_versions(found.candidates)
    assert list(groups) == ["toast-band-session"]
    versions = groups["toast-band-session"]
    assert [n[:3] for n in names(versions)] == [f"{i:03d}" for i in range(1, 10)]
    stamps = [n.removesuffix(".rpp-bak")[-15:] for n in names(versions)]
    assert stamps == sorted(stamps)
    assert (stamps[0], stamps[-1]) == ("2024-12-04_2011", "2024-12-05_1427")
    assert {c.saved_at_basis for c in versions} == {"file-metadata"}
    assert versions[0].saved_at.strftime("%Y-%m-%d_%H%M") == "2024-12-04_2011"
    assert versions[-1].saved_at.strftime("%Y-%m-%d_%H%M") == "2024-12-05_1427"
    # 005 and 006: one save (same header time, same size; they differ in a plug-in preset's GUID only),
    # kept twice and ordered by their number
    assert (versions[4].saved_at, versions[4].size) == (versions[5].saved_at, versions[5].size)
    assert versions[4].version_hint < versions[5].version_hint


@pytest.mark.corpus
def test_the_opendaw_test_history_of_the_corpus_is_one_session_in_its_numbered_order(corpus: Path) -> None:
    found = discover([corpus / "histories" / "opendaw-test-dawproject"])

    assert found.problems == []
    groups = group_versions(found.candidates)
    assert list(groups) == ["test"]
    assert [n[:3] for n in names(groups["test"])] == [f"{i:03d}" for i in range(1, 8)]
    assert {c.saved_at_basis for c in groups["test"]} == {"mtime"}


def test_ardour_snapshots_are_saves_of_their_folders_session(tmp_path: Path) -> None:
    song = tmp_path / "Song"
    song.mkdir()
    for name in ("Song.ardour", "Song.ardour.bak", "mix 2.ardour", "before vocals.ardour"):
        (song / name).write_text("<Session/>")
    loose = tmp_path / "Other"
    loose.mkdir()
    (loose / "take 3.ardour").write_text("<Session/>")  # no Other/Other.ardour: its own name
    names = {Path(c.source).name: c.session_name for c in discover([tmp_path]).candidates}
    assert names == {
        "Song.ardour": "Song",
        "Song.ardour.bak": "Song",
        "mix 2.ardour": "Song",
        "before vocals.ardour": "Song",
        "take 3.ardour": "take 3",
    }
