"""Shared fixtures. The real session files live in ../shared/corpus beside the repository; tests
that need them are skipped, with the reason, where that folder is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.paths import CORPUS, SCHEMA

# Property tests: 60 examples each by default; HYPOTHESIS_PROFILE=thorough for a long hunt.
_CHECKS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=_CHECKS)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=_CHECKS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _own_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config or writes into their data or log folders: each test gets
    empty ones of its own (a test that sets these itself overrides them)."""
    base = tmp_path_factory.mktemp("tapeop-home")
    for name in ("CONFIG", "DATA", "LOG"):
        monkeypatch.setenv(f"TAPEOP_{name}_DIR", str(base / name.lower()))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the session corpus is not at {CORPUS} (../shared is absent)")
    return CORPUS


@pytest.fixture(scope="session")
def project_schema():
    if not SCHEMA.is_file():
        pytest.skip(f"the DAWproject schema is not at {SCHEMA} (../shared is absent)")
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.fixture(scope="session")
def postgres_server():
    from tests import postgres

    reason = postgres.why_unavailable()
    if reason:
        pytest.skip(reason)
    yield from postgres.start()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend: the store suite runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tapeop.db'}"
    return request.getfixturevalue("postgres_server").new_database()
