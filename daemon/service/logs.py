"""The service's logs.

`setup_logging()` writes to `tapeop.log` in the user log folder (`TAPEOP_LOG_DIR` overrides it),
rotated at 1 MB with 5 old files kept, and to stderr (the journal under systemd).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from daemon import config

LOG_FILE = "tapeop.log"
_OURS = "_tapeop_handler"


def setup_logging(
    verbose: bool = False,
    *,
    directory: Path | None = None,
    stderr: bool = True,
    max_bytes: int = 1_000_000,
    backups: int = 5,
) -> Path:
    """Log to `tapeop.log` in the log folder (rotated: `max_bytes` each, `backups` old files) and to
    stderr; INFO, or DEBUG with `verbose`. Calling it again replaces the handlers it added.
    Returns the log file's path."""
    folder = directory or config.log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    to_file = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"))
    handlers: list[logging.Handler] = [to_file]
    if stderr:  # the journal (or launchd's file) stamps the time itself
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(to_stderr)
    for handler in handlers:
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # APScheduler logs every job run at INFO, watchdog its internals at DEBUG, Alembic each plugin
    # and migration step at INFO whenever a store opens: quieter unless verbose.
    for noisy in ("apscheduler", "watchdog", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return path
