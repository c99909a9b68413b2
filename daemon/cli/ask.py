"""`tapeop ask`: the Textual TUI, opening on the open questions (CONTRACT.md, "The TUI")."""

from __future__ import annotations

import argparse

from daemon.cli.common import Parents


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    cmd = commands.add_parser(
        "ask", parents=[parents.db_user], help="the TUI: the open questions, the log and the sessions"
    )
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the TUI until the engineer quits (textual is imported here only)."""
    from daemon import config
    from tui.app import TapeopApp

    app = TapeopApp(config.db_url(args.db), config.current_user(args.user), config.load_config().questions.per_break)
    app.run()
    return 0
