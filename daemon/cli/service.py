"""`tapeop service install|uninstall|status`: the service as a systemd user unit or a launchd agent."""

from __future__ import annotations

import argparse
from pathlib import Path

from daemon import config
from daemon.cli.common import Parents


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    service_cmd = commands.add_parser(
        "service",
        parents=[parents.db],
        help="install tapeop as a user service (systemd or launchd), remove it, or report on it",
    )
    service_cmd.add_argument("action", choices=["install", "uninstall", "status"])
    service_cmd.add_argument(
        "paths", nargs="*", metavar="PATH", help="install: the folders (default: the config file's roots)"
    )
    service_cmd.add_argument(
        "--poll", action="store_true", help="install: poll instead of file events (network drives)"
    )
    service_cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Install, remove or report the service (a systemd user unit, or a launchd agent)."""
    from daemon.service import install
    from daemon.service.lock import status_path

    result: install.ServiceResult | install.ServiceStatus
    if args.action == "install":
        extra = ["--poll"] if args.poll else []
        result = install.install([Path(p).expanduser() for p in args.paths], db=args.db, extra_args=extra)
    elif args.action == "uninstall":
        result = install.uninstall()
    else:
        result = install.status(status_path=status_path(config.db_url(args.db)))
    for line in result.lines():
        print(line)
    return 0
