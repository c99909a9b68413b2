"""The Textual app of `tapeop ask`: the Questions screen first; the Log, the Sessions and the Profile from the footer.

Every read and write of the store runs in a thread worker (`@work(thread=True)`); the event loop
never waits on the database. The store is opened once, by the first worker that needs it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from tui.screens.log import LogScreen
from tui.screens.profile import ProfileScreen
from tui.screens.questions import QuestionsScreen
from tui.screens.sessions import SessionsScreen

if TYPE_CHECKING:
    from daemon.log.store import Store
    from profiles.questions.build import Question
    from profiles.questions.context import ContextReader

Hook = Callable[["Question"], str]  # does something with a question, says what in one line
WRITERS = ("questions-answer", "questions-asked", "probe")  # the groups of the workers that append to the log
Player = Callable[[Path], "str | None"]  # plays a file; None when it plays, else why not


class TapeopApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tapeop"
    ENABLE_COMMAND_PALETTE = False  # every action has its key, shown in the footer
    MODES: ClassVar[dict[str, Callable[[], QuestionsScreen | LogScreen | SessionsScreen | ProfileScreen]]] = {  # type: ignore[assignment]
        "questions": QuestionsScreen,
        "log": LogScreen,
        "sessions": SessionsScreen,
        "profile": ProfileScreen,
    }
    DEFAULT_MODE = "questions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "switch_mode('questions')", "Questions"),
        Binding("f2", "switch_mode('log')", "Log"),
        Binding("f3", "switch_mode('sessions')", "Sessions"),
        Binding("f4", "switch_mode('profile')", "Profile"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        store_url: str,
        user: str | None,
        per_break: int,
        open_in_daw: Hook | None = None,
        play: Hook | None = None,
        poll_seconds: float = 1.0,
        player: Player | None = None,
        probes_folder: Path | None = None,
    ) -> None:
        super().__init__()
        self.store_url = store_url
        self.user = user
        self.per_break = per_break
        self.open_in_daw = open_in_daw
        self.play = play
        self.poll_seconds = poll_seconds
        self._player = player
        self._probes_folder = probes_folder
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._context_reader: ContextReader | None = None
        self.context_lock = threading.Lock()  # one measurement at a time: a reader keeps state

    async def action_quit(self) -> None:
        """Quit once what the engineer did is in the log: the workers appending an answer (or that
        a question was shown) run to their end first. The key of an answer and `q` may come in
        one read (typed in one breath, or on a busy machine), and quitting cancels every worker,
        one not yet begun too."""
        writing = [w for w in self.workers if w.group in WRITERS and not w.is_finished]
        if writing:
            await asyncio.gather(*(w.wait() for w in writing), return_exceptions=True)
        self.exit()

    @property
    def probes_folder(self) -> Path:
        """Where the probes' renders are written (the data folder's probes/ unless given)."""
        if self._probes_folder is None:
            from daemon import config

            self._probes_folder = config.data_dir() / "probes"
        return self._probes_folder

    def player(self, path: Path) -> str | None:
        """Play a rendered file where the machine can (call from a worker): None, else why not."""
        if self._player is not None:
            return self._player(path)
        from analyzers.render import play

        return play(path)

    def store(self) -> Store:
        """The store, opened on first use: call from a worker thread only (opening migrates it)."""
        with self._store_lock:
            if self._store is None:
                from daemon.log.store import Store

                self._store = Store.open(self.store_url)
            return self._store

    def context_reader(self) -> ContextReader:
        """What measures a question's track (call from a worker thread only)."""
        from profiles.questions.context import ContextReader

        store = self.store()
        with self._store_lock:
            if self._context_reader is None:
                self._context_reader = ContextReader(store)
            return self._context_reader

    def on_unmount(self) -> None:
        # A measurement still running is not waited for long: quitting is not held up by it.
        if self._context_reader is not None and self.context_lock.acquire(timeout=1.0):
            self._context_reader.close()
            self.context_lock.release()
        if self._store is not None:
            self._store.close()
