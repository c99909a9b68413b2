"""`tapeop ingest PATH...`: bulk ingestion of session files, folders and .zip archives, then every
change not judged yet judged."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from daemon import config
from daemon.cli.common import Parents, open_store, positive, progress
from daemon.errors import AppError

if TYPE_CHECKING:
    from daemon.log.store import Store


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    ingest = commands.add_parser(
        "ingest", parents=[parents.db_user], help="bulk-ingest session files, folders and .zip archives"
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--jobs", type=positive, default=None, help="parallel readers (default: the number of cores)")
    ingest.add_argument("--dask", metavar="ADDRESS", help="read on a Dask cluster at this scheduler address")
    ingest.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Bulk-ingest session files, folders and .zip archives of them."""
    from daemon.ingest.bulk import ingest

    paths = [Path(p) for p in args.paths]
    for path in paths:
        if not path.exists():
            raise AppError(f"{path}: no such file or folder", "give the folders or archives where the sessions are")
    store = open_store(args)
    update, stop = progress(sys.stderr.isatty(), "ingesting")
    try:
        report = ingest(
            paths, store, config.current_user(args.user), jobs=args.jobs, dask_address=args.dask, progress=update
        )
        stop()
        print(report.summary())
        print(_judge_all(store))
    finally:
        stop()
        store.close()
    return 0


def _judge_all(store: Store) -> str:
    """Run the justification processor over everything not judged yet; a line saying what it found."""
    from daemon.log.events import VERDICT_TYPES
    from profiles.justify.processor import justify

    start = store.counts()["events"]  # positions are gap-free from 1: the last one
    if sys.stderr.isatty():
        print("judging the changes against the audio ...", file=sys.stderr)
    justify(store)
    found = Counter(e.type for e in store.events(after=start, types=VERDICT_TYPES))
    return (
        f"judged {found.total()} change(s): {found['change-justified']} justified, "
        f"{found['change-unexplained']} unexplained (questions for later)"
    )
