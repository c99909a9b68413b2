"""Layering is checked, not hoped for: the headless packages never import the TUI or Textual,
and analyzers import nothing of ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEADLESS = [
    "daemon.sessions.model",
    "daemon.sessions.diff",
    "daemon.sessions.apply",
    "daemon.formats",
    "daemon.formats.dawproject_writer",
    "daemon.cli",
    "daemon.demo.simulator",
    "daemon.demo.session",
    "daemon.demo.channel_moves",
    "daemon.demo.device_moves",
    "daemon.demo.synth",
    "daemon.log.store",
    "daemon.ingest.bulk",
    "daemon.ingest.discover",
    "analyzers",
    "analyzers.analysis",
    "analyzers.masking",
    "daemon.audio.session",
    "daemon.service.watcher",
    "daemon.service.settle",
    "daemon.service.inotify",
    "daemon.service.session_names",
    "daemon.service.lock",
    "daemon.service.install",
    "daemon.service.status",
    "daemon.service.logs",
    "daemon.service.scheduler",
    "daemon.service.notify",
    "daemon.service.heap",
    "daemon.service.seen",
    "profiles",
    "profiles.justify.processor",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_import_textual_or_the_tui(module: str) -> None:
    code = f"import sys, {module}; bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui')]; print(bad); sys.exit(1 if bad else 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_analyzers_import_nothing_of_ours() -> None:
    for path in (REPO / "analyzers").rglob("*.py"):
        text = path.read_text()
        for package in ("daemon", "profiles", "tui"):
            assert f"import {package}" not in text and f"from {package}" not in text, path
