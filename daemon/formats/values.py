"""What every reader does with a value it finds: show it in a problem, read it as a finite number,
and read a file under a size cap."""

from __future__ import annotations

from pathlib import Path

from daemon.errors import ParseError
from daemon.sessions import units


def shown(text: str | None, limit: int = 40) -> str:
    """A value as a problem quotes it: repr'd, cut at `limit` characters, "(missing)" for None."""
    if text is None:
        return "(missing)"
    return repr(text if len(text) <= limit else text[:limit] + "...")


def finite_or_problem(text: str | None, where: str, problems: list[str]) -> float | None:
    """The finite number in `text`; None for a missing value, and for NaN, inf or junk, which is
    recorded in `problems` (the session reads on without it)."""
    try:
        return units.finite(text)
    except ValueError:
        problems.append(f"{where}: value {shown(text)} is not a finite number; ignored")
        return None


def read_capped(path: Path, cap: int, what: str) -> bytes:
    """A session file's bytes, refused (ParseError naming the file) over `cap` bytes or unopenable."""
    try:
        size = path.stat().st_size
        if size > cap:
            raise ParseError(path, f"{size:,} bytes is over the {cap:,} cap for {what}")
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(path, f"cannot be opened ({exc.strerror or exc})") from None
