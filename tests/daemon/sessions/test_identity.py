"""A track is the track its format's id says, whatever its name or place.

Real REAPER saves from the corpus, edited the way REAPER itself would write the edit (track blocks
moved with their TRACKID, receives renumbered), then read and diffed: the changes must name the
track whose TRACKID changed, and nothing else.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from daemon.formats.reaper import parse_reaper_bytes
from daemon.sessions.apply import apply_changes
from daemon.sessions.diff import diff
from daemon.sessions.model import Session

BAND = "glutones-toast-band-session-rpp-bak"
SAVE = "005_67365d1b_AutoSaves_toast-band-session-2024-12-05_0044.rpp-bak"  # 3 unnamed tracks, then "Amplitube"
RECEIVE = re.compile(r"^(\s*AUXRECV )(\d+)(.*)$")


class Project:
    """An RPP project as its head, its <TRACK> blocks (lines) and its tail."""

    def __init__(self, text: str) -> None:
        lines = text.splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("  <TRACK")]
        ends = [next(j for j in range(i + 1, len(lines)) if lines[j] == "  >") for i in starts]
        self.head = lines[: starts[0]]
        self.tracks = [lines[i : j + 1] for i, j in zip(starts, ends)]
        self.tail = lines[ends[-1] + 1 :]

    def reorder(self, order: list[int]) -> None:
        """Put the tracks in `order` (old indices), renumbering receives as REAPER would."""
        new_index = {old: new for new, old in enumerate(order)}
        self.tracks = [[_renumber(line, new_index) for line in self.tracks[old]] for old in order]

    def insert(self, at: int, block: list[str]) -> None:
        new_index = {old: old + (1 if old >= at else 0) for old in range(len(self.tracks))}
        self.tracks = [[_renumber(line, new_index) for line in track] for track in self.tracks]
        self.tracks.insert(at, block)

    def set(self, track: int, key: str, value: str) -> None:
        block = self.tracks[track]
        index = next(i for i, line in enumerate(block) if line.strip().startswith(key + " "))
        block[index] = f"    {key} {value}"

    def session(self) -> Session:
        text = "\n".join([*self.head, *(line for track in self.tracks for line in track), *self.tail]) + "\n"
        return parse_reaper_bytes(text.encode(), "edited.RPP", "edited")


def _renumber(line: str, new_index: dict[int, int]) -> str:
    match = RECEIVE.match(line)
    if not match:
        return line
    return f"{match.group(1)}{new_index[int(match.group(2))]}{match.group(3)}"


def _empty_track(volume: float = 1.0) -> list[str]:
    guid = "{" + str(uuid.uuid4()).upper() + "}"
    return [
        f"  <TRACK {guid}",
        '    NAME ""',
        f"    VOLPAN {volume} 0 -1 -1 1",
        "    MUTESOLO 0 0 0",
        "    ISBUS 0 0",
        "    MAINSEND 1 0",
        f"    TRACKID {guid}",
        "  >",
    ]


@pytest.fixture
def band(corpus: Path) -> Project:
    return Project((corpus / "histories" / BAND / SAVE).read_text(encoding="utf-8"))


def _by_uid(session: Session) -> dict[str | None, str]:
    return {t.uid: t.name for t in session.all_tracks()}


@pytest.mark.corpus
def test_two_unnamed_tracks_swapped_and_one_fader_moved(band: Project) -> None:
    """By position this read as two fader moves (-43.1 -> +3.7 dB and +3.7 -> -20.4 dB)."""
    old = band.session()
    band.set(2, "VOLPAN", "0.1 0 -1 -1 1")  # the third track: 0 dB -> -20 dB
    moved_uid = old.all_tracks()[3].uid
    band.reorder([0, 2, 1, 3])
    new = band.session()
    changes = diff(old, new)
    faders = [c for c in changes if c.parameter == "volume_db"]
    assert [(c.before, round(c.after, 1)) for c in faders] == [(0.0, -20.0)]
    assert _by_uid(new)[moved_uid] == faders[0].track == "Track 2"  # listed second now
    assert old.all_tracks()[faders[0].where["old"]].uid == moved_uid
    assert {c.type for c in changes} == {"parameter-changed", "track-moved", "track-renamed"}
    assert len([c for c in changes if c.type == "track-moved"]) == 1
    assert all(c.where.get("auto_name") for c in changes if c.type == "track-renamed")
    assert apply_changes(old, changes) == new


@pytest.mark.corpus
def test_an_empty_track_inserted_above_the_others(band: Project) -> None:
    """By position this read as the first track's devices removed, its role changed and a track
    added at the end."""
    old = band.session()
    band.insert(0, _empty_track())
    new = band.session()
    changes = diff(old, new)
    assert [c.type for c in changes if c.type not in ("track-renamed",)] == ["track-added"]
    assert all(c.where.get("auto_name") for c in changes if c.type == "track-renamed")
    added = next(c for c in changes if c.type == "track-added")
    assert added.where["index"] == 1  # after the master
    assert apply_changes(old, changes) == new


@pytest.mark.corpus
def test_a_hundred_tracks_inserted_keep_the_old_faders_apart(band: Project) -> None:
    old = band.session()
    for i in range(100):
        band.insert(1 + i, _empty_track(volume=0.01 * (i + 1)))
    new = band.session()
    changes = diff(old, new)
    assert len([c for c in changes if c.type == "track-added"]) == 100
    assert [c for c in changes if c.type == "parameter-changed"] == []
    assert [c for c in changes if c.type.startswith("device")] == []
    assert apply_changes(old, changes) == new


@pytest.mark.corpus
def test_a_master_send_switched_off(band: Project) -> None:
    """REAPER's MAINSEND: a track routed to a bus and taken off the master."""
    old = band.session()
    band.set(1, "MAINSEND", "0 0")
    new = band.session()
    changes = diff(old, new)
    assert [(c.type, c.track, c.parameter, c.before, c.after) for c in changes] == [
        ("parameter-changed", "Track 2", "main_send", True, False)
    ]
    assert apply_changes(old, changes) == new


@pytest.mark.corpus
def test_a_renamed_track_keeps_its_changes(band: Project) -> None:
    old = band.session()
    band.set(3, "NAME", '"Amp sim"')
    band.set(3, "VOLPAN", "0.5 0 -1 -1 1")
    new = band.session()
    changes = diff(old, new)
    assert [(c.type, c.track, c.before) for c in changes][:1] == [("track-renamed", "Amp sim", "Amplitube")]
    assert [c.track for c in changes if c.parameter == "volume_db"] == ["Amp sim"]
    assert apply_changes(old, changes) == new


# Histories of formats that keep ids (REAPER TRACKID, Ardour route ids, Ableton track Ids); the
# DAWproject histories regenerate theirs at every export.
ID_HISTORIES = (
    "ardour-1region",
    "ardour-32tracks",
    "glutones-toast-band-session",
    "glutones-toast-band-session-rpp-bak",
    "helgobox-issue-161-instance-track",
    "helgobox-issue-221-nks",
    "knpwrs-reaper-experiments",
    "tioxy-alp-als",
    "ultraschall-studiolink",
)


@pytest.mark.corpus
@pytest.mark.parametrize("history", ID_HISTORIES)
def test_every_change_names_the_track_its_id_says(corpus: Path, history: str) -> None:
    from daemon.formats import read_session

    files = sorted(p for p in (corpus / "histories" / history).iterdir() if p.name != "HISTORY.md")
    sessions = [read_session(p) for p in files]
    checked = 0
    for old, new in zip(sessions, sessions[1:]):
        old_tracks, new_tracks = old.all_tracks(), new.all_tracks()
        assert all(t.uid for t in old_tracks if t.role != "master"), f"{history}: a track without an id"
        new_by_uid = {t.uid: t for t in new_tracks}
        old_uids = {t.uid for t in old_tracks}
        for change in diff(old, new):
            if change.track is None:
                continue
            if change.type == "track-added":
                track = new_tracks[change.where["new"]]
                assert track.uid not in old_uids and track.name == change.track
            elif change.type == "track-removed":
                assert old_tracks[change.where["old"]].uid not in new_by_uid
            else:
                before = old_tracks[change.where["old"]]
                after = new_by_uid.get(before.uid) if before.uid else None
                if after is None:  # a master without an id: matched as the master
                    assert before.role == "master"
                    after = next(t for t in new_tracks if t.role == "master")
                assert after.name == change.track, f"{history}: {change}"
            checked += 1
    assert checked or history in ("ardour-32tracks",)


@pytest.mark.corpus
def test_tracks_that_share_a_name_are_told_apart(band: Project) -> None:
    """Two tracks named "ReaLearn": the change of the second says which one it is."""
    band.set(0, "NAME", '"ReaLearn"')
    band.set(1, "NAME", '"ReaLearn"')
    old = band.session()
    band.set(1, "VOLPAN", "0.5 0 -1 -1 1")
    new = band.session()
    (change,) = diff(old, new)
    assert (change.track, change.parameter, change.where["label"]) == ("ReaLearn", "volume_db", "ReaLearn (track 2)")
    assert change.describe().startswith("ReaLearn (track 2): fader")
