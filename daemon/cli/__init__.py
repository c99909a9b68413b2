"""The `tapeop` command line: the composition root, and the one error boundary.

One module per command (`daemon.cli.<command>`), each with `add_parser(commands, parents)` and the
function it runs; they import what their work needs when they run, so `import daemon.cli` (and
`tapeop --help`) loads no database, XML, audio or UI library. Every command's errors that a user
can act on are `AppError`s; here they become one line, `error: ...` with its hint, on stderr, and
exit code 1. Tracebacks are shown only with --verbose. Usage errors exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from daemon import __version__
from daemon.cli import (
    analyze,
    answer,
    ask,
    demo,
    diff,
    events,
    ingest,
    login,
    probe,
    questions,
    service,
    watch,
    whoami,
)
from daemon.cli.common import global_options, parents, verbose_option
from daemon.errors import AppError, error_line

COMMANDS = (
    demo,
    ingest,
    watch,
    service,
    analyze,
    events,
    questions,
    answer,
    ask,
    probe,
    login,
    whoami,
    diff,
)  # in the order --help lists them


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tapeop", description="The assistant engineer that never goes home.")
    parser.add_argument("--version", action="version", version=f"tapeop {__version__}")
    global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shared = parents()
    for command in COMMANDS:
        command.add_parser(commands, shared)
    for sub in set(commands.choices.values()):
        verbose_option(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AppError as exc:
        if args.verbose:
            raise
        print(error_line(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of our output went away (| head): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
