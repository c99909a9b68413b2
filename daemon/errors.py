"""The error family that the one error boundary (the `tapeop` command line) turns into
`error: ...` plus a hint. Everything a user can cause is an `AppError`."""

from __future__ import annotations

from pathlib import Path


def one_line(text: object) -> str:
    """Text on one line, its whitespace runs (newlines and tabs included) made single spaces:
    drivers' and parsers' messages run over several lines. An exception without text reads as
    its type's name."""
    flat = " ".join(str(text).split())
    return flat or (type(text).__name__ if isinstance(text, BaseException) else "")


class AppError(Exception):
    """An error a user can act on: a one-line message and a hint."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def error_line(exc: AppError) -> str:
    """`error: ...` on one line, with its hint (CONTRACT.md)."""
    hint = one_line(exc.hint)
    return f"error: {one_line(exc.message)}" + (f" (hint: {hint})" if hint else "")


class ParseError(AppError):
    """A session file that cannot be read, naming the file and the reason."""

    def __init__(self, path: str | Path, reason: str, hint: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}", hint or "check that it is a complete session file as a DAW saved it")


class WriteError(AppError):
    """A session that cannot be written in the asked format."""
