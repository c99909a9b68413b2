"""The documentation keeps up with the code: every event type, change type and command is in the
README, and the changelog has an Unreleased section."""

from __future__ import annotations

from pathlib import Path

from daemon.cli import build_parser
from daemon.log.events import CHANGE_TYPES, EVENT_TYPES

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_every_event_type_is_registered_and_documented() -> None:
    assert set(EVENT_TYPES) >= CHANGE_TYPES
    for name in EVENT_TYPES:
        assert f"`{name}`" in README, name


def test_every_command_is_documented() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert f"`tapeop {name}" in README, name


def test_readme_starts_with_the_demo_and_the_test_command_that_ci_runs() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block[0].endswith("tapeop demo")
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == block[1]


def test_changelog_has_an_unreleased_section() -> None:
    assert "## Unreleased" in (REPO / "CHANGELOG.md").read_text()
