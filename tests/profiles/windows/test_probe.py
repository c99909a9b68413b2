"""`tapeop probe` end to end on a simulated archive in a real SQLite store: the JSON lines of
CONTRACT.md read and answered one at a time through a pipe, the three WAVs of each probe measured,
the window recorded as `window-probed`; an early end gives a partial window; bad input is said."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from daemon.log.store import Store, sqlite_url
from tests.archives import judged_archive
from tests.paths import REPO

USER = "greg"
PROBE_KEYS = {
    "probe",
    "session",
    "track",
    "parameter",
    "unit",
    "current",
    "before",
    "direction",
    "value",
    "audio",
    "excerpt",
}


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("probe")
    store, _ = judged_archive(tmp, tmp / "log.db", USER, songs=1, saves=4)
    store.close()
    return tmp / "log.db"


@pytest.fixture
def db(archive_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "log.db"
    shutil.copy(archive_db, copy)
    return copy


def a_change(db: Path, suffix: str) -> dict:
    """A change of a setting ending in `suffix` that the archive holds."""
    store = Store.open(sqlite_url(db))
    try:
        for event in store.events(types=("parameter-changed",)):
            p = event.payload
            if str(p.get("parameter")).endswith(suffix) and isinstance(p.get("after"), (int, float)):
                return {"session": event.session, **p}
    finally:
        store.close()
    raise AssertionError(f"no change of *{suffix} in the archive")


def start(db: Path, tmp_path: Path, change: dict, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TAPEOP_DATA_DIR": str(tmp_path / "data"),
           "TAPEOP_CONFIG_DIR": str(tmp_path / "config"), "TAPEOP_LOG_DIR": str(tmp_path / "logs")}  # fmt: skip
    argv = [sys.executable, "-m", "daemon.cli", "probe", "--db", str(db), "--user", USER, "--session", change["session"],
            "--track", change["track"], "--parameter", change["parameter"], "--json", *extra]  # fmt: skip
    return subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def listener(line: dict) -> str:
    """Accepts within 15 % of the setting either way (in the way it was moved)."""
    ratio = line["value"] / line["current"] if line["current"] else 1.0
    if line["unit"] == "Hz":
        over = (ratio - 1.0) * line["direction"]
    else:
        over = (line["value"] - line["current"]) * line["direction"] / 3.0
    return "too-much" if over > 0.15 else "not-enough" if over < -0.15 else "fine"


def converse(proc: subprocess.Popen[str], answers: int | None = None) -> tuple[list[dict], dict]:
    """Read each probe, answer it (all, or the first `answers` and then end the input); the probes and the last line."""
    assert proc.stdin is not None and proc.stdout is not None
    probes = []
    while True:
        line = json.loads(proc.stdout.readline())
        if "window" in line:
            proc.wait(60)
            return probes, line
        probes.append(line)
        if answers is not None and len(probes) > answers:
            proc.stdin.close()
            continue
        proc.stdin.write(json.dumps({"answer": listener(line)}) + "\n")
        proc.stdin.flush()


def test_probe_json_follows_the_contract_and_records_the_window(db: Path, tmp_path: Path) -> None:
    change = a_change(db, "freq_hz")
    proc = start(db, tmp_path, change, "--max", "12")
    probes, last = converse(proc)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert 1 <= len(probes) <= 12
    for number, line in enumerate(probes, start=1):
        assert set(line) == PROBE_KEYS and line["probe"] == number
        assert (line["session"], line["track"], line["parameter"]) == (
            change["session"],
            change["track"],
            change["parameter"],
        )
        assert line["direction"] in (1, -1) and line["unit"] == "Hz"
        assert set(line["audio"]) == {"before", "after", "switch"}
        assert set(line["excerpt"]) >= {"start_s", "why"} and line["excerpt"]["why"]
        before, rate = sf.read(line["audio"]["before"], always_2d=True)
        after, _ = sf.read(line["audio"]["after"], always_2d=True)
        switch, _ = sf.read(line["audio"]["switch"], always_2d=True)
        assert before.shape == after.shape == switch.shape and rate > 0
        if abs(line["value"] - line["current"]) > 0.02 * line["current"]:
            assert np.max(np.abs(after - before)) > 1e-3, "a probe away from the setting sounds different"
        quarter = len(before) // 4
        assert np.allclose(switch[:quarter], before[:quarter], atol=1e-4)  # the first half plays the setting
        assert np.allclose(switch[-quarter:], after[-quarter:], atol=1e-4)  # the second the probe's value
    window = last["window"]
    assert set(window) >= {"low", "high", "unit", "n", "source"} and window["source"] == "probe"
    assert window["low"] <= window["high"] and window["n"] == len(probes) and window["unit"] == "Hz"
    store = Store.open(sqlite_url(db))
    try:
        (event,) = list(store.events(types=("window-probed",)))
    finally:
        store.close()
    assert event.user == USER and event.payload["window"] == window and len(event.payload["probes"]) == len(probes)
    assert event.payload["refers_to"] > 0 and event.payload["parameter"] == change["parameter"]


def test_ending_the_input_early_gives_a_partial_window(db: Path, tmp_path: Path) -> None:
    proc = start(db, tmp_path, a_change(db, "gain_db"))
    probes, last = converse(proc, answers=3)
    assert proc.returncode == 0
    assert len(probes) == 4  # three answered, the fourth shown and never answered
    window = last["window"]
    assert window["partial"] is True and window["n"] == 3 and window["low"] <= window["high"]
    store = Store.open(sqlite_url(db))
    try:
        (event,) = list(store.events(types=("window-probed",)))
    finally:
        store.close()
    assert event.payload["window"]["partial"] is True


def test_an_unknown_setting_is_said_and_nothing_is_recorded(db: Path, tmp_path: Path) -> None:
    change = {**a_change(db, "freq_hz"), "track": "No Such Track"}
    proc = start(db, tmp_path, change)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and out == ""
    assert err.startswith("error: no change of") and "No Such Track" in err


def test_answers_that_are_not_answers_are_said_and_read_again(db: Path, tmp_path: Path) -> None:
    proc = start(db, tmp_path, a_change(db, "freq_hz"), "--max", "2")
    out, err = proc.communicate('{"answer": "louder"}\nfine\n2\n', timeout=120)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["window"]["n"] == 2 and '\'{"answer": "louder"}\' is no answer' in err
