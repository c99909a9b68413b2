"""Where the tests find the repository and the shared files beside it."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMA = SHARED / "specs" / "dawproject" / "Project.xsd"
