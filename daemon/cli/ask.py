"""`tapeop ask`: the Textual TUI, opening on the open questions (CONTRACT.md, "The TUI"). `o` opens
the question's save in the DAW (a highlighted copy) and `p` plays its track before and after
(tui/actions.py)."""

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
    from daemon.log.store import Store
    from profiles.questions.build import Question
    from tui.actions import hear, open_in_daw
    from tui.app import TapeopApp

    url = config.db_url(args.db)
    renders = config.data_dir() / "renders"  # the before/after files `p` writes and plays

    def opened(question: Question) -> str:
        store = Store.open(url)  # a hook runs in a worker thread: a store of its own
        try:
            return open_in_daw(store, question)
        finally:
            store.close()

    def heard(question: Question) -> str:
        store = Store.open(url)
        try:
            return hear(store, question, renders)
        finally:
            store.close()

    app = TapeopApp(
        url, config.current_user(args.user), config.load_config().questions.per_break, open_in_daw=opened, play=heard
    )
    app.run()
    return 0
