"""The front door for hostile session files: ZIP archives are checked before anything is
inflated, XML is parsed with DTDs and entities refused and libxml2's default caps kept.

Limits and their sources (../shared/research/reliability-anchors.md, section 1):
- XML: no DTD at all (defusedxml's `forbid_dtd`); libxml2 without XML_PARSE_HUGE caps nesting
  at 256 and a text node or attribute at 10 MB; lxml >= 6.1.3 with `resolve_entities=False,
  load_dtd=False, no_network=True` passed explicitly (CVE-2026-41066, LP#2165901).
- ZIP: entry count read from the end-of-central-directory record, and the central-directory
  headers counted, before `zipfile` builds its index (POI's ZipSecureFile caps at 1000; we allow
  10,000 for sessions with embedded media);
  duplicate, absolute and `..` names refused (POI, zipfile's extractall warning); a member is
  read only when its declared size is under the cap and its inflation ratio under 100:1 past a
  100 KB grace (POI's ratio 0.01), and reading stops at the declared size (zipfile enforces it,
  an understated size fails the CRC).
- External loads: a resolver refuses every one libxml2 asks for, whatever the flags above.
"""

from __future__ import annotations

import lzma
import os
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from lxml import etree

from daemon.errors import ParseError, one_line


@dataclass(frozen=True)
class Limits:
    max_entries: int = 10_000
    max_xml_bytes: int = 256 * 1024 * 1024
    max_member_bytes: int = 64 * 1024 * 1024  # plug-in state and other small members
    max_audio_bytes: int = 4 * 1024**3  # an embedded audio file, streamed out, never held whole
    max_ratio: float = 100.0
    ratio_grace_bytes: int = 100 * 1024


LIMITS = Limits()

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)")  # one pass over the bytes finds either


class _ExternalLoadError(Exception):
    """libxml2 asked for an external resource (DTD subset, parameter or general entity)."""


class _NoExternalLoads(etree.Resolver):
    """Refuses every external load, whatever the parser flags. With lxml 6.1.3 / libxml2 2.14.6,
    `load_dtd=False, resolve_entities=False` still let libxml2 open an external DTD subset or an
    external parameter entity named by a file path or file: URL (no_network only stops http), and
    the `<!DOCTYPE` byte check does not see a DTD in a UTF-7 document. A FIFO named there blocked
    the read for good (tests/daemon/formats/test_hostile_input.py, the UTF-7 cases)."""

    def resolve(self, system_url: str, public_id: str, context: object) -> None:
        raise _ExternalLoadError(system_url)


_local = threading.local()


def _parser() -> etree.XMLParser:
    """One parser per thread: lxml parsers must not be shared between threads, and making a
    new one for every file costs measurably on large projects."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _new_parser()
    return parser


def _new_parser() -> etree.XMLParser:
    """The hardened parser. Besides the safety flags, it keeps no comments, processing
    instructions or whitespace-only text between elements: session formats carry their data in
    elements and attributes, and in a pretty-printed project.xml the indentation is half of all
    nodes, which cost time to build, walk and free."""
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        collect_ids=False,
    )
    parser.resolvers.add(_NoExternalLoads())
    return parser


def parse_xml(data: bytes, source: str | Path, limits: Limits = LIMITS) -> etree._Element:
    """Parse untrusted XML bytes; any DTD, entity, oversize or malformed input is a ParseError."""
    if len(data) > limits.max_xml_bytes:
        raise ParseError(source, f"XML of {len(data):,} bytes is over the {limits.max_xml_bytes:,} cap")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        raise ParseError(source, "XML is not UTF-8 (session files are UTF-8)")
    if _DECLARATION.search(data):
        raise ParseError(source, "XML with a DTD or entity declarations is refused (possible entity attack)")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(source, f"malformed XML: {_short(str(exc))}") from None
    except _ExternalLoadError as exc:
        reason = f"XML with a DTD that loads an external resource ({_short(str(exc))}) is refused"
        raise ParseError(source, reason) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise ParseError(source, "XML with a DTD is refused")
    return root


def _short(text: str, limit: int = 200) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _entry_count(path: Path, stop_after: int) -> tuple[int, int]:
    """(announced, present), read before zipfile does: the entry count the end records announce,
    and the central-directory headers actually present where zipfile will look for them (counted
    until more than `stop_after` are found). zipfile walks the central directory by its byte size
    and never looks at the announced count, so an archive announcing 2 entries could otherwise
    hold 100,000 (a 9 MB file, ~3 s and ~50 MB to index; 1,000,000 took 28 s and 360 MB)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        tail_len = min(size, 65_535 + 22)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise ParseError(
                path, "not a complete ZIP archive (no end of central directory: truncated or still being written)"
            )
        eocd_at = size - tail_len + at
        announced, cd_size = struct.unpack("<HI", tail[at + 10 : at + 16])
        cd_sizes = [cd_size]
        loc = tail.rfind(_ZIP64_LOCATOR, 0, at)
        if loc >= 0 and len(tail) - loc >= 20:
            # The ZIP64 record where the locator says, and right before the locator (where
            # Python 3.11's zipfile reads it); zipfile uses it whatever the short count says.
            offsets = {struct.unpack("<Q", tail[loc + 8 : loc + 16])[0], eocd_at - 20 - 56}
            records = [r for r in (_zip64_record(fh, offset) for offset in offsets) if r is not None]
            if announced == 0xFFFF and not records:
                raise ParseError(path, "damaged ZIP64 end of central directory")
            if records:
                counts = [count for count, _ in records]
                announced = max(counts) if announced == 0xFFFF else max(announced, *counts)
                cd_sizes += [cd for _, cd in records]
                if cd_size == 0xFFFF_FFFF:
                    cd_sizes.remove(cd_size)  # "see the ZIP64 record"
        window = max(cd_sizes) + 20 + 56  # the central directory ends at the (ZIP64) end records
        present = _count_central_headers(fh, max(0, eocd_at - window), eocd_at, stop_after)
    return int(announced), present


def _zip64_record(fh: BinaryIO, offset: int) -> tuple[int, int] | None:
    """(entries, central directory size) from a ZIP64 end of central directory record."""
    fh.seek(offset)
    record = fh.read(56)
    if len(record) < 56 or record[:4] != _ZIP64_EOCD:
        return None
    count, cd_size = struct.unpack("<QQ", record[32:48])
    return int(count), int(cd_size)


def _count_central_headers(fh: BinaryIO, start: int, end: int, stop_after: int) -> int:
    """Central-directory header signatures in [start, end), read 1 MB at a time; stops early."""
    count = 0
    carry = b""
    fh.seek(start)
    position = start
    while position < end and count <= stop_after:
        chunk = fh.read(min(1 << 20, end - position))
        if not chunk:
            break
        position += len(chunk)
        data = carry + chunk
        count += data.count(_CENTRAL)  # the signature cannot overlap itself: no double counts
        carry = data[-3:]
    return count


def _unsafe_name(name: str) -> str | None:
    if "\x00" in name:
        return "a NUL byte"
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "an absolute path"
    if ".." in PurePosixPath(normal).parts:
        return "a '..' component"
    return None


class SafeArchive:
    """A ZIP archive whose index passed the checks; members are read one by one, bounded."""

    def __init__(self, path: str | Path, limits: Limits = LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        announced, present = _entry_count(self.path, limits.max_entries)
        if announced > limits.max_entries:
            raise ParseError(
                self.path, f"ZIP archive with {announced:,} entries is over the {limits.max_entries:,} cap"
            )
        if present > limits.max_entries:
            raise ParseError(
                self.path,
                f"ZIP archive holds over {limits.max_entries:,} entries though its end record announces {announced:,}",
            )
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise ParseError(self.path, f"not a readable ZIP archive ({_short(str(exc))})") from None
        self.names: dict[str, zipfile.ZipInfo] = {}
        try:
            self._check_index()
        except ParseError:
            self._zip.close()
            raise

    def _check_index(self) -> None:
        seen: set[str] = set()
        for info in self._zip.infolist():
            reason = _unsafe_name(info.filename)
            if reason:
                raise ParseError(self.path, f"ZIP member name {info.filename!r} has {reason}")
            key = info.filename.replace("\\", "/").casefold()
            if key in seen:
                raise ParseError(self.path, f"ZIP archive holds {info.filename!r} twice")
            seen.add(key)
            self.names[info.filename.replace("\\", "/")] = info

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str, cap: int | None = None) -> bytes:
        """A member's bytes (at most `cap`, by default the small-member cap)."""
        return b"".join(self.chunks(name, cap))

    def chunks(self, name: str, cap: int | None = None) -> Generator[bytes, None, None]:
        """A member inflated in 1 MB chunks, checked before (declared size, ratio) and while
        (actual size) it inflates."""
        info = self.names[name]
        cap = self.limits.max_member_bytes if cap is None else cap
        if info.file_size > cap:
            raise ParseError(self.path, f"ZIP member {name!r} declares {info.file_size:,} bytes, over the {cap:,} cap")
        if info.file_size > self.limits.ratio_grace_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > self.limits.max_ratio:
                raise ParseError(
                    self.path,
                    f"ZIP member {name!r} inflates {ratio:,.0f}:1, over the {self.limits.max_ratio:.0f}:1 cap (possible zip bomb)",
                )
        total = 0
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(1 << 20):
                    total += len(chunk)
                    if total > cap:
                        raise ParseError(self.path, f"ZIP member {name!r} inflates past the {cap:,} cap")
                    yield chunk
        except (
            zipfile.BadZipFile,
            zlib.error,
            lzma.LZMAError,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
        ) as exc:
            raise ParseError(self.path, f"ZIP member {name!r} cannot be read ({_short(str(exc))})") from None


def path_inside(folder: Path, reference: str) -> Path | None:
    """The file a session refers to, only if it lies inside the session's own folder: None for
    anything outside (absolute, `..`, a link out) or missing."""
    if _unsafe_name(reference):
        return None
    root = folder.resolve()
    target = (root / reference.replace("\\", "/")).resolve()
    if root not in target.parents or not target.is_file():
        return None
    return target


def read_inside(folder: Path, reference: str, cap: int = LIMITS.max_member_bytes) -> bytes | None:
    """Read a file the session refers to, only if it lies inside the session's own folder.

    Returns None for anything outside (absolute, `..`, a link out), missing, or over the cap."""
    target = path_inside(folder, reference)
    if target is None:
        return None
    try:
        if target.stat().st_size > cap:
            return None
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read(cap + 1)[:cap]
    except OSError:
        return None
