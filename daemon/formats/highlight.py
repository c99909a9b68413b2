"""Open in the DAW: a copy of a save, written beside it, with the changed track coloured red and
a marker "tapeop: why?" at the change's time, for the engineer to look at in their DAW.

The copy never overwrites anything: it gets a free name (`Song v3 (tapeop why).dawproject`, then
`Song v3 (tapeop why 2).dawproject`, ...), created exclusively. The saved file is only read.

- DAWproject (`.dawproject`, or a bare project.xml): the archive copied entry by entry, every
  entry byte-identical but project.xml, in which the track's `<Track>` (or top-level `<Channel>`)
  gets `color="#ff0000"` and the Arrangement's `<Markers>` (made where Project.xsd puts it) a
  `<Marker>`. A bare project.xml is written as a .dawproject holding it and its metadata.xml
  (the one beside it, or an empty one); the audio it refers to stays where it is.
- REAPER (`.RPP`, `.rpp-bak`): a text edit of the saved bytes: the track's `PEAKCOL` line set to
  red (`MASTERPEAKCOL` for the master), and a `MARKER` line added at the project level.
- Ardour and Ableton: the session as tapeop reads it, exported as a .dawproject with
  daemon.formats.dawproject_writer, then marked as above. Plug-in states of those formats are
  not carried (the devices are written without their state), nor is what the model does not hold.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from lxml import etree

from daemon.errors import ParseError, WriteError
from daemon.files import archive_parts
from daemon.formats import read_session
from daemon.formats.dawproject_writer import METADATA_XML, project_xml
from daemon.formats.guard import LIMITS, SafeArchive, parse_xml, read_inside
from daemon.formats.reaper import parse_reaper_bytes
from daemon.formats.rpp import MAX_FILE_BYTES
from daemon.formats.suffixes import format_of, session_suffix
from daemon.formats.values import read_capped
from daemon.sessions.model import Track

MARKER_NAME = "tapeop: why?"
COPY_TAG = "tapeop why"
RED = "#ff0000"
# REAPER keeps a colour as the platform's native integer with 0x1000000 set ("a custom colour").
# We write the Windows order (a COLORREF: r | g << 8 | b << 16), as REAPER's State Chunk docs
# describe PEAKCOL; pure red is 0x10000FF. (REAPER on macOS may show this colour with red and blue
# swapped, as blue, when its native order differs.)
REAPER_RED = 0x1000000 | 0xFF
MAX_TRIES = 1000

Write = Callable[[BinaryIO], object]


# -- the copy ---------------------------------------------------------------------------------------
def highlight_copy(source: Path, track: str, at: float | None, *, member: str | None = None) -> Path:
    """Write a copy of the save `source` beside it, `track` coloured red and a marker "tapeop: why?"
    at `at` (in the session's time unit; None, or a time that is not a finite number: the session
    start). With `member`, `source` is the .zip the save was read from and `member` its name
    inside; the copy is written beside the .zip. Returns the copy's path.

    Raises ParseError (naming the file and the reason) for a save that cannot be read or has no
    such track, WriteError when the copy cannot be written. Ardour and Ableton saves are exported
    as .dawproject: their plug-in states are not carried."""
    source = Path(source)
    if member is None:
        return _highlight(source, source.name, source.parent, track, at)
    if len(archive_parts(member)) > 1:
        raise ParseError(f"{source}!{member}", "a save inside an archive inside an archive is not copied")
    with tempfile.TemporaryDirectory(prefix="tapeop-why-") as tmp:
        inner = _extract(source, member, Path(tmp))
        return _highlight(inner, PurePosixPath(member).name, source.parent, track, at)


def _highlight(file: Path, shown_name: str, folder: Path, track: str, at: float | None) -> Path:
    kind = format_of(shown_name)
    time = at if at is not None and math.isfinite(at) else 0.0
    base = _base_name(shown_name)
    if kind == "reaper":
        data = _reaper_copy(file, track, time)
        suffix = ".RPP" if shown_name.endswith(".RPP") else ".rpp"
        return _write_new(folder, base, suffix, lambda out: out.write(data))
    if kind == "dawproject":
        if _is_zip(file):
            return _write_new(folder, base, ".dawproject", lambda out: _dawproject_copy(file, track, time, out))
        return _write_new(folder, base, ".dawproject", lambda out: _project_xml_copy(file, track, time, out))
    if kind in ("ardour", "ableton"):
        return _write_new(folder, base, ".dawproject", lambda out: _export_copy(file, base, track, time, out))
    raise ParseError(file, f"not a session file tapeop reads ({shown_name!r})")


def _base_name(name: str) -> str:
    """The name without its session suffix (`Song.ardour.bak` -> `Song`, `project.xml` -> `project`)."""
    suffix = session_suffix(name) or PurePosixPath(name).suffix
    return name[: len(name) - len(suffix)] if suffix else name


def _extract(archive_path: Path, member: str, folder: Path) -> Path:
    """The member of a .zip, written into `folder` under its own file name."""
    target = folder / (PurePosixPath(member.replace("\\", "/")).name or "session")
    with SafeArchive(archive_path) as archive:
        name = member.replace("\\", "/")
        if not archive.has(name):
            raise ParseError(archive_path, f"holds no {member!r}")
        with target.open("wb") as out:
            for chunk in archive.chunks(name, cap=LIMITS.max_audio_bytes):
                out.write(chunk)
    return target


def _write_new(folder: Path, base: str, suffix: str, write: Write) -> Path:
    """Create a file of a free name in `folder` (never one that exists) and fill it with `write`;
    a copy that fails half-way is removed."""
    for n in range(1, MAX_TRIES + 1):
        tag = COPY_TAG if n == 1 else f"{COPY_TAG} {n}"
        path = folder / f"{base} ({tag}){suffix}"
        try:
            out = path.open("xb")
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteError(f"{path}: cannot be created ({exc.strerror or exc})") from None
        try:
            with out:
                write(out)
        except BaseException as exc:
            path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise WriteError(f"{path}: cannot be written ({exc.strerror or exc})") from None
            raise
        return path
    raise WriteError(f"{folder}: {MAX_TRIES} copies of {base} exist already", "remove the old tapeop copies")


def _decimal(value: float) -> str:
    """A time as a plain decimal (no exponent), the shortest that reads back the same."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(2) == b"PK"
    except OSError as exc:
        raise ParseError(path, f"cannot be opened ({exc.strerror or exc})") from None


# -- DAWproject -------------------------------------------------------------------------------------
def mark_project(root: etree._Element, track: str, time: float, source: str | Path) -> None:
    """Colour the track named `track` red (the first of that name, depth-first, as the reader
    names tracks) and add the marker to the Arrangement, in the schema's order of its children."""
    target = _track_element(root, track)
    if target is None:
        raise ParseError(source, f"holds no track named {track!r}")
    target.set("color", RED)
    etree.SubElement(_markers(_arrangement(root)), "Marker", time=_decimal(time), name=MARKER_NAME, color=RED)


def _track_element(root: etree._Element, track: str) -> etree._Element | None:
    structure = root.find("Structure")
    if structure is None:
        return None
    for el in structure.iter("Track", "Channel"):
        parent = el.getparent()
        if el.tag == "Channel" and parent is not None and parent.tag == "Track":
            continue
        channel = el.find("Channel") if el.tag == "Track" else el
        name = el.get("name") or (channel.get("name") if channel is not None else None) or "(unnamed)"
        if name == track:
            return el
    return None


def _arrangement(root: etree._Element) -> etree._Element:
    """The Arrangement, made (after Structure, before Scenes) when the project has none."""
    arrangement = root.find("Arrangement")
    if arrangement is None:
        arrangement = etree.Element("Arrangement")
        scenes = root.find("Scenes")
        if scenes is not None:
            scenes.addprevious(arrangement)
        else:
            root.append(arrangement)
    return arrangement


def _markers(arrangement: etree._Element) -> etree._Element:
    """The Arrangement's Markers, made where Project.xsd puts it: after Lanes, before
    TempoAutomation and TimeSignatureAutomation."""
    markers = arrangement.find("Markers")
    if markers is None:
        markers = etree.Element("Markers")
        lanes = arrangement.find("Lanes")
        if lanes is not None:
            lanes.addnext(markers)
        else:
            arrangement.insert(0, markers)
    return markers


def _xml_bytes(root: etree._Element) -> bytes:
    standalone = root.getroottree().docinfo.standalone
    if standalone is None:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=standalone, pretty_print=True)


def _dawproject_copy(file: Path, track: str, time: float, out: BinaryIO) -> None:
    """The archive again, project.xml marked, every other entry as it was (same bytes, name,
    date and compression)."""
    with SafeArchive(file) as archive:
        if not archive.has("project.xml"):
            raise ParseError(file, "not a DAWproject archive: it holds no project.xml")
        root = parse_xml(archive.read("project.xml", cap=LIMITS.max_xml_bytes), f"{file}!project.xml")
        mark_project(root, track, time, file)
        project = _xml_bytes(root)
        with zipfile.ZipFile(out, "w") as copy:
            for name, info in archive.names.items():
                entry = _entry(info)
                if name == "project.xml":
                    copy.writestr(entry, project)
                elif info.is_dir():
                    copy.writestr(entry, b"")
                else:
                    with copy.open(entry, "w", force_zip64=info.file_size >= 1 << 31) as dst:
                        for chunk in archive.chunks(name, cap=LIMITS.max_audio_bytes):
                            dst.write(chunk)


def _entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(info.filename, info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    entry.comment = info.comment
    return entry


def _project_xml_copy(file: Path, track: str, time: float, out: BinaryIO) -> None:
    """A bare project.xml, marked, in a .dawproject with the metadata.xml beside it (or an empty one)."""
    data = read_capped(file, LIMITS.max_xml_bytes, "project XML")
    root = parse_xml(data, file)
    mark_project(root, track, time, file)
    metadata = read_inside(file.parent, "metadata.xml") or METADATA_XML
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as copy:
        copy.writestr("project.xml", _xml_bytes(root))
        copy.writestr("metadata.xml", metadata)


# -- Ardour and Ableton: exported ---------------------------------------------------------------------
def _export_copy(file: Path, name: str, track: str, time: float, out: BinaryIO) -> None:
    """The session as tapeop reads it, as a .dawproject (no plug-in states), marked."""
    session = read_session(file, name=name)
    session = replace(session, tracks=tuple(_without_states(t) for t in session.tracks))
    data, state_files = project_xml(session)
    root = parse_xml(data, f"{file} (exported)")
    mark_project(root, track, time, file)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as copy:
        copy.writestr("project.xml", _xml_bytes(root))
        copy.writestr("metadata.xml", METADATA_XML)
        for member, state in state_files.items():
            copy.writestr(member, state)


def _without_states(track: Track) -> Track:
    """The track with its devices' opaque states left out (the writer would need their bytes)."""
    return replace(
        track,
        devices=tuple(replace(d, state_sha256=None) for d in track.devices),
        children=tuple(_without_states(c) for c in track.children),
    )


# -- REAPER -------------------------------------------------------------------------------------------
def _reaper_copy(file: Path, track: str, time: float) -> bytes:
    """The saved bytes with the track's colour line set to red and a MARKER line added."""
    data = read_capped(file, MAX_FILE_BYTES, "a REAPER project")
    names = [t.name for t in parse_reaper_bytes(data, file, file.stem).all_tracks()]
    if track not in names:
        raise ParseError(file, f"holds no track named {track!r}")
    lines = data.splitlines(keepends=True)
    eol = b"\r\n" if lines and lines[0].endswith(b"\r\n") else b"\n"
    blocks, root_lines = _rpp_layout(lines)
    position = names.index(track)  # the reader's order: the master, then each <TRACK> as in the file
    edits: list[tuple[int, int, list[bytes]]] = []  # (start, end, new lines): lines[start:end] replaced
    if position == 0:
        edits.append(_colour_edit(lines, root_lines, b"MASTERPEAKCOL", 1, b"  ", eol))  # after the header
    else:
        start, end, own = blocks[position - 1]
        edits.append(_colour_edit(lines, own, b"PEAKCOL", _after_name(lines, own, start), b"    ", eol))
    edits.append(_marker_edit(lines, root_lines, blocks, time, eol))
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[start:end] = new
    return b"".join(lines)


def _rpp_layout(lines: list[bytes]) -> tuple[list[tuple[int, int, list[int]]], list[int]]:
    """Each top-level <TRACK> block (its first line, its closing line, its own lines) and the
    project's own lines, by line number, read as daemon.formats.rpp splits blocks."""
    blocks: list[tuple[int, int, list[int]]] = []
    root_lines: list[int] = []
    depth = 0
    current: tuple[int, list[int]] | None = None
    for number, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(b"<"):
            depth += 1
            if depth == 2 and line[1:].split()[:1] == [b"TRACK"]:
                current = (number, [])
        elif line == b">":
            if depth == 2 and current is not None:
                blocks.append((current[0], number, current[1]))
                current = None
            depth -= 1
        elif depth == 1:
            root_lines.append(number)
        elif depth == 2 and current is not None:
            current[1].append(number)
    return blocks, root_lines


def _key(line: bytes) -> bytes:
    return line.strip().split(b" ", 1)[0]


def _after_name(lines: list[bytes], own: list[int], start: int) -> int:
    """Where a missing colour line goes in a track: after its NAME line, else after its first line."""
    return next((n + 1 for n in own if _key(lines[n]) == b"NAME"), start + 1)


def _colour_edit(
    lines: list[bytes], own: list[int], key: bytes, insert_at: int, indent: bytes, eol: bytes
) -> tuple[int, int, list[bytes]]:
    for n in own:
        if _key(lines[n]) == key:
            raw = lines[n]
            indent = raw[: len(raw) - len(raw.lstrip())]
            ending = raw[len(raw.rstrip(b"\r\n")) :] or eol
            return n, n + 1, [indent + key + b" " + str(REAPER_RED).encode() + ending]
    return insert_at, insert_at, [indent + key + b" " + str(REAPER_RED).encode() + eol]


def _marker_edit(
    lines: list[bytes], root_lines: list[int], blocks: list[tuple[int, int, list[int]]], time: float, eol: bytes
) -> tuple[int, int, list[bytes]]:
    """A MARKER line as REAPER 7 writes them (`MARKER 1 10.88 Test 0 0 1 R {GUID} 0`), its number
    one past the highest in use: after the last MARKER line, else before the first track."""
    markers = [n for n in root_lines if _key(lines[n]) == b"MARKER"]
    used = [int(p[1]) for p in (lines[n].split() for n in markers) if len(p) > 1 and p[1].isdigit()]
    guid = "{" + str(uuid.uuid4()).upper() + "}"
    line = f'  MARKER {max(used, default=0) + 1} {_decimal(time)} "{MARKER_NAME}" 0 0 1 R {guid} 0'
    if markers:
        where = markers[-1] + 1
    elif blocks:
        where = blocks[0][0]
    else:  # before the project's closing ">"
        where = next((n for n in range(len(lines) - 1, 0, -1) if lines[n].strip() == b">"), len(lines))
    return where, where, [line.encode() + eol]


# -- opening it -------------------------------------------------------------------------------------
def open_with_system(path: Path) -> str | None:
    """Open `path` with the platform's opener (xdg-open, open, os.startfile), without waiting for
    it. None when it was started; a sentence saying why not otherwise. Never raises."""
    try:
        if sys.platform == "win32":
            os.startfile(str(path))  # type: ignore[attr-defined,unused-ignore]
            return None
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        program = shutil.which(opener)
        if program is None:
            return f"No {opener} was found to open it: the copy is at {path}."
        process = subprocess.Popen(
            [program, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        threading.Thread(target=process.wait, daemon=True).start()  # reaped, not waited for
        return None
    except Exception as exc:  # noqa: BLE001 - the copy is written: a failed opener only says so
        return f"It could not be opened ({exc or type(exc).__name__}): the copy is at {path}."
