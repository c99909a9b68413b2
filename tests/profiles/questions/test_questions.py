"""Questions from a real log: every unexplained change asked once or left out with a reason, the
changes of one purpose asked together, answers appended and honoured, patterns inferred."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.demo.simulator import simulate_archive
from daemon.ingest.bulk import ingest
from daemon.log.store import Store, sqlite_url
from profiles.justify.processor import justify
from profiles.questions.ask import QuestionError, answer, down_time, load, mark_asked, open_questions, rules
from profiles.questions.build import track_kind
from tests.archives import judged_archive


def _partition(store: Store) -> None:
    """Every change-unexplained is in exactly one question or skipped with a reason."""
    questions = load(store)
    unexplained = [e.payload["refers_to"] for e in store.events(types=("change-unexplained",))]
    asked = [p for q in questions.questions for p in q.refers_to]
    skipped = [s.refers_to for s in questions.skipped]
    assert all(s.reason for s in questions.skipped)
    assert sorted(asked + skipped) == sorted(set(unexplained)), "each exactly once"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list]:
    tmp = tmp_path_factory.mktemp("demo")
    return judged_archive(tmp, tmp / "q.db", "sim", songs=2, saves=4)


def test_on_the_demo_archive_each_unexplained_change_is_asked_once_or_left_out(demo: tuple[Store, list]) -> None:
    store, _ = demo
    _partition(store)


def test_an_eq_band_moved_in_one_save_is_one_question(demo: tuple[Store, list]) -> None:
    store, archive = demo
    questions = load(store).questions
    for save in archive:
        for intent in save.intents:
            if intent.device and intent.parameter.startswith("eq.band") and intent.touches:
                about = [
                    q
                    for q in questions
                    if q.session == save.song and q.version == save.version and q.device == intent.device
                    and q.track == intent.track
                ]  # fmt: skip
                if about:  # a move no rule explained
                    (question,) = about
                    terms = {e.payload["parameter"] for e in question.changes}
                    assert {intent.parameter, *intent.touches} & terms == terms - {"volume_db"}


@pytest.mark.corpus
def test_on_the_corpus_histories_too(corpus: Path, tmp_path: Path) -> None:
    store = Store.open(sqlite_url(tmp_path / "c.db"))
    ingest(sorted((corpus / "histories").iterdir()), store, "greg", jobs=1)
    justify(store, extract_to=tmp_path / "audio")
    _partition(store)
    reasons = {s.reason for s in load(store).skipped}
    assert "an opaque plug-in state beside other changes of the save" in reasons


def test_answers_are_appended_and_closed_questions_do_not_come_back(demo: tuple[Store, list], tmp_path: Path) -> None:
    store, _ = demo
    first, second, *rest = open_questions(store)
    before = sum(1 for _ in store.events())
    answer(store, first.id, "taste", note="I like it darker")
    answer(store, second.id, "later")
    answered = [e for e in store.events(types=("question-answered",)) if e.payload["question"] in (first.id, second.id)]
    assert [(e.payload["answer"], e.payload["note"]) for e in answered[:2]] == [
        ("taste", "I like it darker"),
        ("later", None),
    ]
    assert sum(1 for _ in store.events()) >= before + 2
    still = {q.id for q in open_questions(store)}
    assert first.id not in still and second.id not in still
    with pytest.raises(QuestionError, match="answered already"):
        answer(store, first.id, "mistake")
    down_time(store, "sim", 15)
    assert second.id in {q.id for q in open_questions(store)}, "later comes back after the next down-time"


def test_a_pattern_answered_once_answers_its_other_questions_by_inference(tmp_path: Path) -> None:
    archive = simulate_archive(tmp_path / "archive", songs=3, saves=4, seed=9, seconds=6)
    assert archive
    store = Store.open(sqlite_url(tmp_path / "p.db"))
    ingest([tmp_path / "archive"], store, "sim", jobs=1)
    justify(store, extract_to=tmp_path / "audio")
    questions = load(store)
    by_pattern: dict[tuple[str, ...], list[int]] = {}
    for q in questions.open():
        by_pattern.setdefault(q.pattern, []).append(q.id)
    repeated = [ids for ids in by_pattern.values() if len(ids) > 1]
    if not repeated:
        pytest.skip("this archive repeats no pattern")
    taught, *others = repeated[0]
    answer(store, taught, "reason", rule="masking")
    after = load(store).by_id()
    for other in others:
        assert after[other].status == "answered"
        assert after[other].answer == {
            "question": other,
            "refers_to": after[other].refers_to,
            "answer": "reason",
            "rule": "masking",
            "note": None,
            "inferred": True,
            "follows": taught,
        }


def test_bad_answers_are_refused(demo: tuple[Store, list]) -> None:
    store, _ = demo
    (question, *_) = open_questions(store)
    with pytest.raises(QuestionError, match="rule 'loudness'"):
        answer(store, question.id, "reason", rule="loudness")
    with pytest.raises(QuestionError, match="needs a note"):
        answer(store, question.id, "reason", rule="other")
    with pytest.raises(QuestionError, match="no question 999999"):
        answer(store, 999999, "taste")
    assert {r.name for r in rules()} >= {"gain-staging", "de-guffing", "masking"}
    assert all(r.summary for r in rules())


def test_listing_records_question_asked_once(demo: tuple[Store, list]) -> None:
    store, _ = demo
    shown = open_questions(store)
    mark_asked(store, shown)
    assert mark_asked(store, open_questions(store)) == 0
    asked = [e.payload["question"] for e in store.events(types=("question-asked",))]
    assert len(asked) == len(set(asked)) and set(asked) >= {q.id for q in shown}


def test_track_kinds() -> None:
    assert [track_kind(n) for n in ("Gtr L 2", "Kick", "Lead Vox (double)", "Bass_DI-3")] == [
        "gtr",
        "kick",
        "lead vox",
        "bass_di",
    ]


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    simulate_archive(tmp_path / "archive", songs=1, saves=3, seed=5, seconds=6)
    db = str(tmp_path / "cli.db")
    store = Store.open(sqlite_url(tmp_path / "cli.db"))
    ingest([tmp_path / "archive"], store, "greg", jobs=1)
    justify(store, extract_to=tmp_path / "audio")
    store.close()
    capsys.readouterr()
    assert main(["questions", "--json", "--db", db, "--user", "greg"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and set(lines[0]) >= {
        "id",
        "user",
        "session",
        "version",
        "track",
        "device",
        "refers_to",
        "changes",
        "prompt",
        "status",
    }
    assert lines[0]["status"] == "open" and lines[0]["prompt"].startswith("Why")
    assert main(["answer", str(lines[0]["id"]), "--taste", "--db", db]) == 0
    assert main(["answer", str(lines[0]["id"]), "--taste", "--db", db]) == 1
    assert main(["answer", "999999", "--later", "--db", db]) == 1
    capsys.readouterr()
    assert main(["questions", "--json", "--db", db, "--user", "greg"]) == 0
    assert lines[0]["id"] not in [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
