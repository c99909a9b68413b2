"""Layering is checked, not hoped for: the headless packages never import the TUI or Textual,
and analyzers import nothing of ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEADLESS = [
    "daemon.model",
    "daemon.diff",
    "daemon.apply",
    "daemon.formats",
    "daemon.formats.dawproject_writer",
    "daemon.cli",
    "daemon.simulator",
    "daemon.simulator_session",
    "daemon.simulator_channel_moves",
    "daemon.simulator_device_moves",
    "daemon.band",
    "daemon.store",
    "daemon.ingest",
    "daemon.discover",
    "analyzers",
    "analyzers.analysis",
    "analyzers.masking",
    "daemon.audio",
    "daemon.watch",
    "daemon.settle",
    "daemon.inotify_limits",
    "daemon.session_names",
    "daemon.instance",
    "daemon.service",
    "daemon.run_status",
    "daemon.logs",
    "daemon.downtime",
    "daemon.notify",
    "daemon.heap",
    "daemon.seen",
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
