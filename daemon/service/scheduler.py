"""The engineer's activity, and the work the service schedules around it (APScheduler 3).

Rules:

- The engineer is *active* while saves come in and *idle* once no save has come for `idle_after`
  (the config file's `watch.idle_minutes`, 15 by default). The service's start counts as activity,
  so the first down-time comes one idle period after the start when nothing is saved.
- A save's time is the time it happened (its file's modification time, when the watcher knows it),
  never later than now. A save found by the start-up scan, older than the idle period, does not make
  the engineer active.
- *After-save jobs* (the justification processor will be one) run once a burst of saves has settled:
  `settle_s` seconds after the last save of the burst, but no later than `max_delay_s` after its first,
  so a steady stream of saves cannot hold them back for ever. A save that comes while they run
  brings one more run after them. They run one at a time, in the order registered.
- *Down-time hooks* (the question UI will be one) run once when the engineer goes idle, and again
  only after new activity and a new idle period; never beside an after-save run: one in progress
  when the engineer goes idle (judging that outlasts the idle period) finishes first, so the hooks
  see its work. They should be short, or check `is_idle()` and `stopping` and return early: the
  engineer may come back, the service may be asked to stop.
- A job that raises is logged with its traceback and does not stop the others or the scheduler.
  Jobs must be idempotent (the processors over the log keep their own position): a save that
  arrives just as a run begins may bring one more run than strictly needed.

The timing runs on APScheduler's `BackgroundScheduler` (one thread plus a small pool), with
date-triggered jobs that are replaced at each save; late runs (a machine woken from sleep) still
happen, once (`misfire_grace_time=None`, `coalesce=True`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("tapeop.scheduler")

Job = Callable[[], object]
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds(value: float | timedelta) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


class ActivityTracker:
    """Active while saves come in; idle after `idle_after` without one. Thread-safe."""

    def __init__(self, idle_after: float | timedelta, *, clock: Clock = _now, start: datetime | None = None) -> None:
        self.idle_after = _seconds(idle_after)
        if self.idle_after <= timedelta(0):
            raise ValueError("idle_after must be positive")
        self._clock = clock
        self._lock = threading.Lock()
        self._last: datetime | None = start

    @property
    def last_activity(self) -> datetime | None:
        return self._last

    def saved(self, at: datetime | None = None) -> bool:
        """A save happened `at` (default now); True when it makes (or keeps) the engineer active."""
        now = self._clock()
        at = now if at is None else min(_aware(at), now)
        with self._lock:
            if self._last is None or at > self._last:
                self._last = at
            return now - at < self.idle_after

    def is_idle(self, now: datetime | None = None) -> bool:
        now = now or self._clock()
        last = self._last
        return last is None or now - last >= self.idle_after

    def idle_at(self) -> datetime | None:
        """When the engineer is (or was) idle at the latest, without another save."""
        last = self._last
        return None if last is None else last + self.idle_after


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.astimezone()


class Scheduler:
    """After-save jobs and down-time hooks, timed by the engineer's saves.

    Use::

        scheduler = Scheduler(idle_after=config.watch.idle_seconds)
        scheduler.after_save("justify", processor.run)
        scheduler.on_downtime("questions", questions.prepare)
        scheduler.start()
        ...                                  # for each ingested save:
        scheduler.saved(at=save_time)
        ...
        scheduler.shutdown()
    """

    _AFTER_SAVE = "after-save"
    _DOWNTIME = "downtime-check"

    def __init__(
        self,
        idle_after: float | timedelta | None = None,
        *,
        tracker: ActivityTracker | None = None,
        settle_s: float = 5.0,
        max_delay_s: float = 60.0,
    ) -> None:
        if tracker is None:
            if idle_after is None:
                raise ValueError("give idle_after or a tracker")
            tracker = ActivityTracker(idle_after)
        self.tracker = tracker
        self.settle = timedelta(seconds=settle_s)
        self.max_delay = timedelta(seconds=max(settle_s, max_delay_s))
        self._clock = _now  # APScheduler runs on the wall clock too
        self.stopping = threading.Event()
        self._after_save: dict[str, Job] = {}
        self._downtime: dict[str, Job] = {}
        self._lock = threading.Lock()  # guards the state below
        self._run_lock = threading.Lock()  # after-save runs go one at a time
        self._burst_start: datetime | None = None
        self._downtime_done = False
        # max_instances=2: a run scheduled while the previous one works waits for it (_run_lock)
        # instead of being skipped; the scheduler's own thread never runs jobs.
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 2},
            executors={"default": {"type": "threadpool", "max_workers": 4}},
        )

    # registration --------------------------------------------------------------------------------

    def after_save(self, name: str, job: Job) -> None:
        """Run `job()` once each burst of saves has settled."""
        _register(self._after_save, name, job)

    def on_downtime(self, name: str, hook: Job) -> None:
        """Run `hook()` once each time the engineer goes idle."""
        _register(self._downtime, name, hook)

    def remove(self, name: str) -> None:
        if self._after_save.pop(name, None) is None and self._downtime.pop(name, None) is None:
            raise KeyError(name)

    # running -------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def is_idle(self) -> bool:
        return self.tracker.is_idle()

    def start(self) -> None:
        """Start the timing thread; the start counts as activity."""
        self.stopping.clear()
        if self.tracker.last_activity is None:
            self.tracker.saved()
        self._scheduler.start()
        with self._lock:
            if self._burst_start is not None:  # saves told before the start
                self._plan_after_save(self._clock())
            self._plan_downtime_check()

    def shutdown(self, wait: bool = True) -> None:
        """Stop: no new runs; `wait` for running jobs (they see `stopping` set) or not."""
        self.stopping.set()
        if self._scheduler.running:
            # Empty the job store first: APScheduler 3 raises JobLookupError in its own thread when
            # shut down between submitting a one-off job and removing it from the store.
            with self._lock:
                self._scheduler.remove_all_jobs()
            self._scheduler.shutdown(wait=wait)

    def saved(self, at: datetime | None = None) -> None:
        """Tell of an ingested save (at its save time): plans the after-save run and the next down-time."""
        active = self.tracker.saved(at)
        now = self._clock()
        with self._lock:
            if self._burst_start is None:
                self._burst_start = now
            self._plan_after_save(now)
            if active:
                self._downtime_done = False
                self._plan_downtime_check()

    def catch_up(self) -> None:
        """Plan one after-save run now, without a save and without counting as activity: what a
        stop left unjudged, or what came in while the service was off, is done at the start."""
        now = self._clock()
        with self._lock:
            if self._burst_start is None:
                self._burst_start = now
            self._plan_after_save(now)

    def __enter__(self) -> Scheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # the jobs ------------------------------------------------------------------------------------

    def _plan_after_save(self, now: datetime) -> None:
        if self._burst_start is None or self.stopping.is_set() or not self._scheduler.running:
            return
        run_at = min(now + self.settle, self._burst_start + self.max_delay)
        self._scheduler.add_job(
            self._run_after_save, "date", run_date=run_at, id=self._AFTER_SAVE, replace_existing=True
        )

    def _plan_downtime_check(self) -> None:
        idle_at = self.tracker.idle_at()
        if idle_at is None or self._downtime_done or self.stopping.is_set() or not self._scheduler.running:
            return
        self._scheduler.add_job(
            self._check_downtime, "date", run_date=max(idle_at, self._clock()), id=self._DOWNTIME, replace_existing=True
        )

    def _run_after_save(self) -> None:
        with self._run_lock:
            with self._lock:
                self._burst_start = None  # a save from now on starts a new burst and a new run
            for name, job in list(self._after_save.items()):
                if self.stopping.is_set():
                    return
                _call("after-save job", name, job)

    def _check_downtime(self) -> None:
        # After the after-save run in progress (the judging of the latest saves), so the hooks see
        # its work; an after-save run due meanwhile waits for them (they are short).
        with self._run_lock:
            with self._lock:
                if self._downtime_done or self.stopping.is_set():
                    return
                if not self.tracker.is_idle():  # a save moved the idle time on: look again then
                    self._plan_downtime_check()
                    return
                self._downtime_done = True
                hooks = list(self._downtime.items())
            log.info("the engineer is idle since %s: down-time work", self.tracker.idle_at())
            for name, hook in hooks:
                if self.stopping.is_set():
                    return
                _call("down-time hook", name, hook)


def _register(table: dict[str, Job], name: str, job: Job) -> None:
    if name in table:
        raise ValueError(f"{name!r} is already registered")
    table[name] = job


def _call(kind: str, name: str, job: Job) -> None:
    try:
        job()
    except Exception:
        log.exception("%s %r failed", kind, name)
