"""Shared fixtures. The real session files live in ../shared/corpus beside the repository; tests
that need them are skipped, with the reason, where that folder is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMA = SHARED / "specs" / "dawproject" / "Project.xsd"


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
