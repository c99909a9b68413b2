"""The front door for hostile session files: ZIP archives are checked before anything is
inflated, XML is parsed with DTDs and entities refused and libxml2's default caps kept.

Limits and their sources (../shared/research/reliability-anchors.md, section 1):
- XML: no DTD at all (defusedxml's `forbid_dtd`); libxml2 without XML_PARSE_HUGE caps nesting
  at 256 and a text node or attribute at 10 MB; lxml >= 6.1.3 with `resolve_entities=False,
  load_dtd=False, no_network=True` passed explicitly (CVE-2026-41066, LP#2165901).
- ZIP: entry count read from the end-of-central-directory record before `zipfile` builds its
  index (POI's ZipSecureFile caps at 1000; we allow 10,000 for sessions with embedded media);
  duplicate, absolute and `..` names refused (POI, zipfile's extractall warning); a member is
  read only when its declared size is under the cap and its inflation ratio under 100:1 past a
  100 KB grace (POI's ratio 0.01), and reading stops at the declared size (zipfile enforces it,
  an understated size fails the CRC).
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from daemon.errors import ParseError


@dataclass(frozen=True)
class Limits:
    max_entries: int = 10_000
    max_xml_bytes: int = 256 * 1024 * 1024
    max_member_bytes: int = 64 * 1024 * 1024  # plug-in state and other small members
    max_ratio: float = 100.0
    ratio_grace_bytes: int = 100 * 1024


LIMITS = Limits()

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(data: bytes, source: str | Path, limits: Limits = LIMITS) -> etree._Element:
    """Parse untrusted XML bytes; any DTD, entity, oversize or malformed input is a ParseError."""
    if len(data) > limits.max_xml_bytes:
        raise ParseError(source, f"XML of {len(data):,} bytes is over the {limits.max_xml_bytes:,} cap")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        raise ParseError(source, "XML is not UTF-8 (session files are UTF-8)")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ParseError(source, "XML with a DTD or entity declarations is refused (possible entity attack)")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(source, f"malformed XML: {_short(str(exc))}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise ParseError(source, "XML with a DTD is refused")
    return root


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _entry_count(path: Path) -> int:
    """Entries announced by the end-of-central-directory record, read before zipfile does."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        tail_len = min(size, 65_535 + 22)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise ParseError(path, "not a complete ZIP archive (no end of central directory: truncated or still being written)")
        count = struct.unpack("<H", tail[at + 10 : at + 12])[0]
        if count != 0xFFFF:
            return int(count)
        loc = tail.rfind(_ZIP64_LOCATOR, 0, at)
        if loc < 0 or len(tail) - loc < 20:
            return int(count)
        offset = struct.unpack("<Q", tail[loc + 8 : loc + 16])[0]
        fh.seek(offset)
        record = fh.read(56)
        if len(record) < 56 or record[:4] != _ZIP64_EOCD:
            raise ParseError(path, "damaged ZIP64 end of central directory")
        return int(struct.unpack("<Q", record[32:40])[0])


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
        count = _entry_count(self.path)
        if count > limits.max_entries:
            raise ParseError(self.path, f"ZIP archive with {count:,} entries is over the {limits.max_entries:,} cap")
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
        chunks: list[bytes] = []
        total = 0
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(1 << 20):
                    total += len(chunk)
                    if total > cap:
                        raise ParseError(self.path, f"ZIP member {name!r} inflates past the {cap:,} cap")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ParseError(self.path, f"ZIP member {name!r} cannot be read ({_short(str(exc))})") from None
        return b"".join(chunks)


def read_inside(folder: Path, reference: str, cap: int = LIMITS.max_member_bytes) -> bytes | None:
    """Read a file the session refers to, only if it lies inside the session's own folder.

    Returns None for anything outside (absolute, `..`, a link out), missing, or over the cap."""
    if _unsafe_name(reference):
        return None
    root = folder.resolve()
    target = (root / reference.replace("\\", "/")).resolve()
    if root not in target.parents:
        return None
    try:
        if not target.is_file() or target.stat().st_size > cap:
            return None
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read(cap + 1)[:cap]
    except OSError:
        return None
