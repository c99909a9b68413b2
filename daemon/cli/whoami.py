"""`tapeop whoami`: who the changes made on this machine belong to."""

from __future__ import annotations

import argparse

from daemon import config
from daemon.cli.common import Parents


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    whoami = commands.add_parser("whoami", help="who is signed in")
    whoami.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    name = config.signed_in()
    print(name if name else f"{config.current_user()} (nobody signed in: the OS login name)")
    return 0
