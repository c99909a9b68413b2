"""Seeded mutations of the corpus's real session files (byte flips, truncation, duplicated spans,
stray markup, numbers replaced by nan, inf, 1e400, -1e308 ...): each mutant is refused with a
ParseError naming it, or read with every number finite, and then diffs, packs and encodes as the
log does. A bulk ingest of a folder of mutants ends with a summary, never a traceback. The long
run (2,000 cases and more) is `python bench/fuzz.py`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from daemon.errors import ParseError
from daemon.formats import read_session
from daemon.ingest.bulk import ingest
from daemon.log.store import Store, sqlite_url
from tests.daemon.formats.mutations import Outcome, cases, check, mutant, session_files

BUDGET = 240  # cases in the suite; bench/fuzz.py runs as many as asked


@pytest.mark.corpus
def test_mutants_of_the_corpus_are_refused_with_a_reason_or_read_whole(corpus: Path, tmp_path: Path) -> None:
    files = session_files(corpus)
    assert len(files) > 50
    originals: dict[Path, object] = {}
    outcome = Outcome()
    for n, (original, rng) in enumerate(cases(files, BUDGET, seed=7)):
        what, data = mutant(original, rng)
        path = tmp_path / f"{n:04d}-{original.name}"
        path.write_bytes(data)
        if original not in originals:
            try:
                originals[original] = read_session(original)
            except ParseError:
                originals[original] = None
        try:
            check(path, originals[original], outcome)  # type: ignore[arg-type]
        except Exception as exc:
            raise AssertionError(f"{original} with {what}: {type(exc).__name__}: {exc}") from exc
        path.unlink()
    assert outcome.refused + outcome.read == BUDGET
    assert outcome.refused > 0 and outcome.read > 0  # both ways are exercised


@pytest.mark.corpus
def test_a_folder_of_mutants_is_ingested_to_its_summary(corpus: Path, tmp_path: Path) -> None:
    files = [f for f in session_files(corpus) if not f.name.lower().endswith(".xml")]  # taken when named only
    folder = tmp_path / "client files"
    folder.mkdir()
    rng = random.Random(11)
    for n, original in enumerate(rng.sample(files, 16)):
        (folder / f"{n:02d} {original.name}").write_bytes(mutant(original, random.Random(n))[1])
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    report = ingest([folder], store, "greg", jobs=2)
    assert report.saves + len(report.rejected) + report.already_known == 16, report.summary()
    for source, reason in report.rejected:
        assert reason and "Traceback" not in reason, (source, reason)
