"""Activity and down-time: the tracker with explicit times, the scheduler with real APScheduler and
short intervals (waits are on events with timeouts)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from daemon.service.scheduler import ActivityTracker, Scheduler

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WAIT = 5.0  # the most any event below may take: a failure, not a slow pass


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Counter:
    """A job that counts its runs and signals each one."""

    def __init__(self) -> None:
        self.runs = 0
        self._cond = threading.Condition()

    def __call__(self) -> None:
        with self._cond:
            self.runs += 1
            self._cond.notify_all()

    def wait_for(self, runs: int, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.runs >= runs, timeout)


# --- the tracker -------------------------------------------------------------------------------------------


def test_the_engineer_is_idle_after_the_idle_period_without_a_save() -> None:
    clock = Clock()
    tracker = ActivityTracker(timedelta(minutes=15), clock=clock)
    assert tracker.is_idle() and tracker.idle_at() is None  # nothing known yet
    assert tracker.saved()
    assert not tracker.is_idle()
    assert tracker.idle_at() == T0 + timedelta(minutes=15)
    clock.now += timedelta(minutes=14, seconds=59)
    assert not tracker.is_idle()
    clock.now += timedelta(seconds=1)
    assert tracker.is_idle()
    assert tracker.saved()
    assert not tracker.is_idle() and tracker.last_activity == clock.now


def test_an_old_save_found_at_start_up_does_not_make_the_engineer_active() -> None:
    clock = Clock()
    tracker = ActivityTracker(600, clock=clock)
    assert not tracker.saved(T0 - timedelta(hours=3))
    assert tracker.is_idle()
    assert tracker.saved(T0 - timedelta(minutes=2))  # recent enough
    assert tracker.idle_at() == T0 + timedelta(minutes=8)
    tracker.saved(T0 - timedelta(hours=1))  # an older one does not move the last activity back
    assert tracker.last_activity == T0 - timedelta(minutes=2)


def test_a_save_time_in_the_future_counts_as_now() -> None:
    clock = Clock()
    tracker = ActivityTracker(60, clock=clock)
    tracker.saved(T0 + timedelta(hours=5))
    assert tracker.last_activity == T0
    naive = datetime(2026, 11, 24, 9, 59)  # local time without a zone is taken as local
    tracker.saved(naive)
    assert tracker.last_activity is not None and tracker.last_activity.tzinfo is not None


def test_the_idle_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ActivityTracker(0)


# --- the scheduler --------------------------------------------------------------------------------------------


@pytest.fixture
def scheduler() -> Iterator[Scheduler]:
    made = Scheduler(idle_after=0.4, settle_s=0.15, max_delay_s=2.0)
    yield made
    made.shutdown(wait=True)


def test_after_save_jobs_run_once_after_a_burst(scheduler: Scheduler) -> None:
    justify, other = Counter(), Counter()
    scheduler.after_save("justify", justify)
    scheduler.after_save("other", other)
    scheduler.start()
    for _ in range(6):
        scheduler.saved()
        time.sleep(0.01)  # the burst's pace, not a wait for a result
    assert justify.wait_for(1) and other.wait_for(1)
    assert not justify.wait_for(2, timeout=0.4)  # no second run without a new save
    scheduler.saved()
    assert justify.wait_for(2)


def test_catching_up_runs_the_after_save_jobs_once_without_a_save_or_activity(scheduler: Scheduler) -> None:
    justify = Counter()
    scheduler.after_save("justify", justify)
    scheduler.start()
    before = scheduler.tracker.last_activity
    scheduler.catch_up()  # the service's start: what a stop left is judged now
    assert justify.wait_for(1)
    assert not justify.wait_for(2, timeout=0.4)
    assert scheduler.tracker.last_activity == before


def test_a_steady_stream_of_saves_cannot_hold_the_jobs_back_for_ever() -> None:
    job = Counter()
    scheduler = Scheduler(idle_after=60, settle_s=0.3, max_delay_s=0.6)
    scheduler.after_save("justify", job)
    with scheduler:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and job.runs == 0:
            scheduler.saved()  # every 0.05 s: never 0.3 s of quiet
            time.sleep(0.05)
        assert job.runs >= 1


def test_a_save_during_a_run_brings_one_more_run_after_it(scheduler: Scheduler) -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[float] = []
    overlapping = []
    busy = threading.Lock()

    def slow() -> None:
        if not busy.acquire(blocking=False):
            overlapping.append(True)
            return
        try:
            runs.append(time.monotonic())
            started.set()
            release.wait(WAIT)
        finally:
            busy.release()

    done = Counter()
    scheduler.after_save("slow", slow)
    scheduler.after_save("done", done)
    scheduler.start()
    scheduler.saved()
    assert started.wait(WAIT)
    started.clear()
    scheduler.saved()  # while the first run works
    time.sleep(0.3)  # longer than settle: the second run is due while the first still runs
    release.set()
    assert done.wait_for(2)
    assert len(runs) == 2 and not overlapping


def test_a_failing_job_does_not_stop_the_others(scheduler: Scheduler, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    after = Counter()
    scheduler.after_save("broken", broken)
    scheduler.after_save("after", after)
    scheduler.start()
    scheduler.saved()
    assert after.wait_for(1)
    assert "after-save job 'broken' failed" in caplog.text


def test_saves_told_before_the_start_are_run_after_it(scheduler: Scheduler) -> None:
    job = Counter()
    scheduler.after_save("justify", job)
    scheduler.saved()
    scheduler.start()
    assert job.wait_for(1)


def test_downtime_hooks_run_once_per_idle_period(scheduler: Scheduler) -> None:
    questions = Counter()
    scheduler.on_downtime("questions", questions)
    scheduler.start()  # the start counts as activity: down-time one idle period later
    assert questions.wait_for(1)
    assert scheduler.is_idle()
    assert not questions.wait_for(2, timeout=0.6)  # still idle: not again
    scheduler.saved()
    assert not scheduler.is_idle()
    assert questions.wait_for(2)


def test_down_time_comes_after_the_judging_of_the_latest_saves(scheduler: Scheduler) -> None:
    """Judging that outlasts the idle period (a big archive's, a busy machine's): the down-time
    hooks wait for it, so the questions they count and offer include the latest saves'."""
    judged = threading.Event()
    seen: list[bool] = []
    questions = Counter()

    def judge() -> None:
        time.sleep(0.8)  # twice the idle period
        judged.set()

    def ask() -> None:
        seen.append(judged.is_set())
        questions()

    scheduler.after_save("justify", judge)
    scheduler.on_downtime("questions", ask)
    scheduler.start()
    scheduler.saved()
    assert questions.wait_for(1)
    assert seen == [True]


def test_saves_keep_the_engineer_active_and_put_down_time_off(scheduler: Scheduler) -> None:
    questions = Counter()
    scheduler.on_downtime("questions", questions)
    scheduler.start()
    began = time.monotonic()
    while time.monotonic() - began < 0.6:  # a save every 0.1 s, idle period 0.4 s
        scheduler.saved()
        time.sleep(0.1)
    assert questions.runs == 0
    assert questions.wait_for(1)
    assert time.monotonic() - began >= 0.6 + 0.3


def test_an_old_save_does_not_bring_a_new_down_time(scheduler: Scheduler) -> None:
    questions = Counter()
    scheduler.on_downtime("questions", questions)
    scheduler.start()
    assert questions.wait_for(1)
    scheduler.saved(at=datetime.now(UTC) - timedelta(hours=2))  # found by a rescan
    assert not questions.wait_for(2, timeout=0.6)


def test_names_are_unique_and_can_be_removed(scheduler: Scheduler) -> None:
    scheduler.after_save("justify", Counter())
    with pytest.raises(ValueError, match="already registered"):
        scheduler.after_save("justify", Counter())
    scheduler.remove("justify")
    scheduler.on_downtime("justify", Counter())
    with pytest.raises(KeyError):
        scheduler.remove("nothing")


def test_shutdown_tells_running_jobs_to_stop(scheduler: Scheduler) -> None:
    seen = threading.Event()
    entered = threading.Event()

    def long_job() -> None:
        entered.set()
        if scheduler.stopping.wait(WAIT):
            seen.set()

    scheduler.after_save("long", long_job)
    scheduler.start()
    scheduler.saved()
    assert entered.wait(WAIT)
    began = time.monotonic()
    scheduler.shutdown(wait=True)
    assert seen.is_set() and time.monotonic() - began < 1.0
    assert not scheduler.running
