"""Opening a question's save in the DAW: a highlighted copy beside it, the original untouched."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from daemon.demo.simulator import simulate_archive
from daemon.formats import read_session
from daemon.ingest.bulk import ingest
from daemon.log.store import Store, sqlite_url
from profiles.justify.processor import justify
from profiles.questions.ask import open_questions
from tui.actions import open_in_daw, save_file


def test_open_in_daw_writes_a_highlighted_copy_and_hands_it_to_the_opener(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulate_archive(tmp_path / "archive", songs=1, saves=3, seed=5, seconds=6)
    store = Store.open(sqlite_url(tmp_path / "q.db"))
    ingest([tmp_path / "archive"], store, "greg", jobs=1)
    justify(store, extract_to=tmp_path / "audio")
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
