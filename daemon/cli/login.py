"""`tapeop login NAME`: sign an engineer in on this machine, so that the changes are theirs."""

from __future__ import annotations

import argparse

from daemon import config
from daemon.cli.common import Parents


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    login = commands.add_parser("login", help="sign an engineer in on this machine")
    login.add_argument("name", metavar="NAME")
    login.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = config.sign_in(args.name)
    print(f"signed in as {args.name.strip()} (saved in {path})")
    return 0
