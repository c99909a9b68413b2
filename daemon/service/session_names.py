"""The session each watched file belongs to, decided at its first save and remembered after.

The watcher (`daemon.service.watcher.Watcher`) names the session of a file it has never seen the way bulk
ingestion's discovery does: the session the file was recorded under; else the one a file of the
same session in its folder was; else its name, with its folder's name added when another folder's
session holds that name already.
"""

from __future__ import annotations

from pathlib import Path

from daemon.formats.suffixes import session_suffix
from daemon.ingest.discover import session_name_of
from daemon.log.store import Store


class SessionNames:
    """Which session each file path belongs to, asked of the store once per path."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._names: dict[str, str] = {}  # path -> session

    def of(self, path: str) -> str:
        """The session a file belongs to: the one it was recorded under; else the one a file of
        the same session in its folder was; else its name, with its folder's name added (as
        discovery does) when another folder's session holds that name already."""
        name = self._names.get(path)
        if name is not None:
            return name
        name = self.store.session_of_files([path])
        if name is None:
            file = Path(path)
            plain = session_name_of(file.name)
            siblings = [
                str(p)
                for p in file.parent.iterdir()
                if session_suffix(p.name) and session_name_of(p.name).casefold() == plain.casefold()
            ]
            name = self.store.session_of_files(siblings)
            if name is None:
                name = plain
                if self._taken(plain):
                    name = f"{plain} ({file.parent.name})"
                    if self._taken(name):
                        name = f"{plain} ({file.parent})"
        self._names[path] = name
        return name

    def _taken(self, session: str) -> bool:
        events = self.store.events(session=session)
        try:
            return next(events, None) is not None
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
