"""Seeded mutations of real session files, and what reading one must give: a ParseError naming the
file, or a session whose every number is finite (its bad values in its problems) that diffs,
describes, packs and encodes as the log will. Used by tests/daemon/formats/test_mutation_fuzz.py
on a small budget and by bench/fuzz.py for long runs."""

from __future__ import annotations

import gzip
import io
import json
import math
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from daemon.errors import ParseError
from daemon.formats import read_session
from daemon.formats.suffixes import format_of
from daemon.log.snapshots import pack_snapshot
from daemon.sessions.diff import diff
from daemon.sessions.model import Session

NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")
BAD_NUMBERS = (b"nan", b"NaN", b"inf", b"-inf", b"1e400", b"-1e308", b"1e-400", b"99999999999999999999999", b"", b"x")
STRAY = (b"<", b">", b"</", b"&", b'"', b"'", b"\x00", b"<X>", b"]]>", b"<!--", b"\xff\xfe")
_JSON = json.JSONEncoder(allow_nan=False)


def session_files(corpus: Path, max_bytes: int = 1 << 20) -> list[Path]:
    """The corpus's session files tapeop reads, by name, up to `max_bytes` each."""
    found = [
        p
        for p in sorted(corpus.rglob("*"))
        if p.is_file() and format_of(p.name) is not None and p.stat().st_size <= max_bytes
    ]
    return [p for p in found if "early-0.1" not in p.parts]  # pre-1.0 JSON archives: refused as a whole


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(out))
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _duplicate(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    span = data[start : start + rng.randint(1, 4000)]
    at = rng.randrange(len(data))
    return data[:at] + span + data[at:]


def _stray(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.choice(STRAY) + data[at:]


def _numbers(data: bytes, rng: random.Random) -> bytes:
    spans = [m.span() for m in NUMBER.finditer(data)]
    if not spans:
        return _stray(data, rng)
    out = data
    for start, end in sorted(rng.sample(spans, min(len(spans), rng.randint(1, 12))), reverse=True):
        out = out[:start] + rng.choice(BAD_NUMBERS) + out[end:]
    return out


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "byte flips": _flip,
    "truncation": _truncate,
    "duplicated span": _duplicate,
    "stray markup": _stray,
    "bad numbers": _numbers,
}


def mutant(original: Path, rng: random.Random) -> tuple[str, bytes]:
    """(what was done, the mutated file's bytes). Containers (a .dawproject's ZIP, an .als's gzip)
    are mostly rebuilt around mutated XML, so that the readers see it; sometimes their own bytes
    are mutated, so that the archive guard and the decompressors do."""
    kind = rng.choice(sorted(MUTATIONS))
    data = original.read_bytes()
    lower = original.name.lower()
    whole = rng.random() < 0.2
    if lower.endswith(".als") and data[:2] == b"\x1f\x8b" and not whole:
        return f"{kind} (inside gzip)", gzip.compress(MUTATIONS[kind](gzip.decompress(data), rng))
    if lower.endswith(".dawproject") and not whole:
        try:
            source = zipfile.ZipFile(io.BytesIO(data))
            names = source.namelist()
        except zipfile.BadZipFile:
            names = []
        if "project.xml" in names:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for name in names:
                    member = source.read(name)
                    target.writestr(name, MUTATIONS[kind](member, rng) if name == "project.xml" else member)
            return f"{kind} (project.xml inside the archive)", out.getvalue()
    return kind, MUTATIONS[kind](data, rng)


@dataclass
class Outcome:
    refused: int = 0
    read: int = 0
    with_problems: int = 0


def check(path: Path, original: Session | None, outcome: Outcome) -> None:
    """Read a mutant as the log would and fail (an AssertionError, or the exception itself) on
    anything but a ParseError naming the file or a session that goes into the log whole."""
    try:
        session = read_session(path)
    except ParseError as exc:
        named = str(path) in str(exc)
        if not named:
            raise AssertionError(f"the refusal does not name the file: {exc}") from exc
        outcome.refused += 1
        return
    outcome.read += 1
    outcome.with_problems += bool(session.problems)
    for number in _numbers_of(session):
        assert math.isfinite(number), (path, number)
    pack_snapshot(session)
    for base in (None, original):
        for change in diff(base, session):
            _JSON.encode(change.payload())
            change.describe()


def _numbers_of(value: object) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _numbers_of(item)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:  # type: ignore[attr-defined]
            if not name.startswith("_"):
                yield from _numbers_of(getattr(value, name))


def cases(files: list[Path], count: int, seed: int) -> Iterator[tuple[Path, random.Random]]:
    """`count` (file, generator) pairs, the files taken in turn, each case seeded from `seed`."""
    for n in range(count):
        yield files[n % len(files)], random.Random(seed * 1_000_003 + n)
