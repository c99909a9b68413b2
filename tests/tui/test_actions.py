"""Opening a question's save in the DAW: a highlighted copy beside it, the original untouched."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from daemon.formats import read_session
from profiles.questions.ask import open_questions
from tests.archives import judged_archive
from tui.actions import open_in_daw, save_file


def test_open_in_daw_writes_a_highlighted_copy_and_hands_it_to_the_opener(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = judged_archive(tmp_path, tmp_path / "q.db", "greg", songs=1, saves=3)
    question = open_questions(store)[0]
    original = Path(save_file(store, question) or "")
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    opener = tmp_path / "bin" / "xdg-open"  # the desktop's opener is outside our reach: record its argument
    opener.parent.mkdir()
    opener.write_text(f'#!/bin/sh\necho "$1" > {tmp_path / "opened.txt"}\n')
    opener.chmod(0o755)
    monkeypatch.setenv("PATH", str(opener.parent))
    said = open_in_daw(store, question)
    assert said.startswith("opened ") and "(tapeop why)" in said
    copy = Path(said.removeprefix("opened "))
    assert copy.parent == original.parent and copy.exists()
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest
    session = read_session(copy)
    assert "tapeop: why?" in [m.name for m in session.markers]
    deadline = time.monotonic() + 10
    while not (tmp_path / "opened.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "opened.txt").read_text().strip() == str(copy)
    monkeypatch.setenv("PATH", "")
    said = open_in_daw(store, question)
    assert said.startswith("No xdg-open was found") and "(tapeop why 2)" in said


def test_hearing_a_question_renders_the_track_before_and_after(tmp_path: Path) -> None:
    """An EQ question of the simulated archive: the before and after renders are written, measured
    different where the band moved, and the A/B file holds both; without an output device the
    paths are said."""
    import numpy as np
    import soundfile as sf

    from tui.actions import hear

    store, _ = judged_archive(tmp_path, tmp_path / "h.db", "greg", songs=1, saves=4)
    eq = next(q for q in open_questions(store) if q.device == "EQ")
    said = hear(store, eq, tmp_path / "renders")
    before, after = (tmp_path / "renders" / f"q{eq.id}.{side}.wav" for side in ("before", "after"))
    assert str(before) in said and str(after) in said
    a, rate = sf.read(str(before))
    b, _ = sf.read(str(after))
    assert a.shape == b.shape and rate > 0 and not np.allclose(a, b, atol=1e-3)
    ab, _ = sf.read(str(tmp_path / "renders" / f"q{eq.id}.ab.wav"))
    assert len(ab) == len(a) + len(b) + rate // 2
