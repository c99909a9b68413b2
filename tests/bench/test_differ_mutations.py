"""The held-out check of the differ: real REAPER saves edited at random (bench/differ_mutations.py),
every edit found and nothing reported that was not made."""

from __future__ import annotations

import importlib.util
import random
import sys
from types import ModuleType

import pytest

from tests.paths import REPO


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("differ_mutations", REPO / "bench" / "differ_mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.corpus
def test_an_edit_is_recorded_with_the_ids_it_touched(bench: ModuleType, corpus: object) -> None:
    """The bench's own truth: a fader edit on a real save names that track's TRACKID."""
    path = next(p for p in bench.sources() if p.name.startswith("011_177faadf"))
    project = bench.Project.parse(path.read_text(encoding="utf-8"))
    case, used = bench.Case(), set()
    assert bench._edit(project, "fader", random.Random(3), case, used)
    ((kind, uid),) = case.facts
    assert kind == "fader" and uid in {t.uid for t in project.tracks} and uid in used


@pytest.mark.corpus
def test_random_edits_of_real_saves_are_all_found(bench: ModuleType, corpus: object) -> None:
    tp, fp, fn, _ = bench.run(cases=150, seed=20261208, show=False)
    assert sum(tp.values()) > 200
    assert (dict(fp), dict(fn)) == ({}, {})
