"""Edits of a real DAWproject save (Bitwig Studio 5.0's project.xml from the format's README) that
the differ used to miss: a clip shortened, a note deleted, a clip or device renamed, a device
bypassed while renamed. DAWproject regenerates its ids at every export, so none of this can lean
on ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from daemon.formats.dawproject import parse_project_xml
from daemon.sessions.apply import apply_changes
from daemon.sessions.diff import diff
from daemon.sessions.model import Session

README = "dawproject/bitwig-dawproject/README-example-project.xml"


def _read(root: etree._Element) -> Session:
    return parse_project_xml(etree.tostring(root), Path("project.xml"), "README")


def _edited(corpus: Path, edit: Callable[[etree._Element], None]) -> tuple[Session, Session]:
    root = etree.fromstring((corpus / README).read_bytes())
    old = _read(root)
    edit(root)
    return old, _read(root)


def _bass_clip(root: etree._Element) -> etree._Element:
    return root.find("Arrangement/Lanes/Lanes[@track='id2']/Clips/Clip")


def _surge(root: etree._Element) -> etree._Element:
    return root.find(".//ClapPlugin")


def _check(old: Session, new: Session) -> list[tuple[object, ...]]:
    changes = diff(old, new)
    assert apply_changes(old, changes) == new
    return [(c.type, c.track, c.device, c.parameter, c.before, c.after) for c in changes]


@pytest.mark.corpus
def test_a_note_clip_shortened_from_8_to_4_beats(corpus: Path) -> None:
    old, new = _edited(corpus, lambda root: _bass_clip(root).set("duration", "4.0"))
    assert _check(old, new) == [("clip-changed", "Bass", None, "", {"duration": 8.0}, {"duration": 4.0})]


@pytest.mark.corpus
def test_a_note_deleted(corpus: Path) -> None:
    def delete(root: etree._Element) -> None:
        note = _bass_clip(root).find("Notes/Note[@time='5.000000']")
        note.getparent().remove(note)

    old, new = _edited(corpus, delete)
    ((kind, track, _, _, before, after),) = _check(old, new)
    assert (kind, track) == ("clip-changed", "Bass")
    assert len(before["notes"]) == 9 and len(after["notes"]) == 8
    assert [n for n in before["notes"] if n not in after["notes"]] == [[5.0, 0.25, 65, 0.787402]]


@pytest.mark.corpus
def test_a_clip_renamed(corpus: Path) -> None:
    old, new = _edited(corpus, lambda root: _bass_clip(root).set("name", "Bassline"))
    assert _check(old, new) == [("clip-changed", "Bass", None, "Bassline", {"name": ""}, {"name": "Bassline"})]


@pytest.mark.corpus
def test_an_audio_clip_moved_later_and_trimmed(corpus: Path) -> None:
    def move(root: etree._Element) -> None:
        clip = root.find("Arrangement/Lanes/Lanes[@track='id9']/Clips/Clip")
        clip.set("time", "1.5")
        clip.set("duration", "7.75003433227539")

    old, new = _edited(corpus, move)
    ((kind, track, _, parameter, before, after),) = _check(old, new)
    assert (kind, track, parameter) == ("clip-changed", "Drumloop", "audio/Drumfunk3 170bpm.wav")
    assert before == {"position": 0.0, "duration": 8.00003433227539}
    assert after == {"position": 1.5, "duration": 7.75003433227539}
    assert diff(old, new)[0].unit == "beats"


@pytest.mark.corpus
def test_a_device_renamed(corpus: Path) -> None:
    old, new = _edited(corpus, lambda root: _surge(root).set("name", "Bass synth"))
    assert _check(old, new) == [("device-renamed", "Bass", "Bass synth", None, "Surge XT", "Bass synth")]


@pytest.mark.corpus
def test_a_device_bypassed_while_renamed(corpus: Path) -> None:
    def bypass(root: etree._Element) -> None:
        _surge(root).set("name", "Bass synth")
        _surge(root).find("Enabled").set("value", "false")

    old, new = _edited(corpus, bypass)
    assert _check(old, new) == [
        ("device-renamed", "Bass", "Bass synth", None, "Surge XT", "Bass synth"),
        ("device-toggled", "Bass", "Bass synth", "enabled", True, False),
    ]
