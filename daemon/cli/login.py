"""`tapeop login NAME` and `tapeop whoami`: who the changes made on this machine belong to."""

from __future__ import annotations

import argparse

from daemon import config
from daemon.cli.common import Parents


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    login = commands.add_parser("login", help="sign an engineer in on this machine")
    login.add_argument("name", metavar="NAME")
    login.set_defaults(func=run_login)
    whoami = commands.add_parser("whoami", help="who is signed in")
    whoami.set_defaults(func=run_whoami)


def run_login(args: argparse.Namespace) -> int:
    path = config.sign_in(args.name)
    print(f"signed in as {args.name.strip()} (saved in {path})")
    return 0


def run_whoami(args: argparse.Namespace) -> int:
    name = config.signed_in()
    print(name if name else f"{config.current_user()} (nobody signed in: the OS login name)")
    return 0
