"""Builders for hostile session files, written into a test's tmp_path at test time.

Nothing here is committed as a binary: every archive and XML file is generated on demand. The
ZIP writer (`raw_zip`) writes local headers, central directory and end records by hand, so a
test can lie in exactly one field (the announced entry count, a declared size) or write a name
that `zipfile` would not produce, and can write 100,000 entries in well under a second.
"""

from __future__ import annotations

import base64
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

MINIMAL_BODY = (
    '<Project version="1.0"><Application name="X" version="1"/><Structure>'
    '<Track name="Kick" contentType="audio" id="t1"><Channel role="regular" id="c1">'
    '<Volume unit="linear" value="0.5" id="v1"/></Channel></Track></Structure></Project>'
)

MINIMAL_XML = XML_DECL + MINIMAL_BODY


# -- plain files and zipfile-written archives ----------------------------------------------------


def write_bytes(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def dawproject(path: Path, members: Iterable[tuple[str, bytes | str]], *, deflate: bool = True) -> Path:
    """A ZIP archive written by `zipfile` (duplicate names allowed, their warning silenced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name: 'project.xml'"
        with zipfile.ZipFile(path, "w", compression=method, compresslevel=9 if deflate else None) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


# -- XML payloads ----------------------------------------------------------------------------


def billion_laughs() -> str:
    """The classic: lol9 expands to 10^9 'lol's."""
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        inner = f"&lol{level - 1};" if level > 1 else "&lol;"
        entities.append(f'<!ENTITY lol{level} "{inner * 10}">')
    return (
        XML_DECL
        + f"<!DOCTYPE Project [{''.join(entities)}]>\n"
        + '<Project version="1.0"><Application name="&lol9;" version="1"/><Structure/></Project>'
    )


def quadratic_blowup(entity_bytes: int = 50_000, references: int = 10_000) -> str:
    """One ~50 KB entity referenced 10,000 times: ~500 MB if expanded, no nesting needed."""
    return (
        XML_DECL
        + f'<!DOCTYPE Project [<!ENTITY a "{"x" * entity_bytes}">]>\n'
        + f'<Project version="1.0"><Application name="X" version="1"/>{"&a;" * references}</Project>'
    )


def external_entity(*system_ids: str) -> str:
    """General external entities, each referenced from the document body."""
    decls = "".join(f'<!ENTITY xxe{i} SYSTEM "{sid}">' for i, sid in enumerate(system_ids))
    refs = "".join(f"&xxe{i};" for i in range(len(system_ids)))
    return (
        XML_DECL
        + f"<!DOCTYPE Project [{decls}]>\n"
        + f'<Project version="1.0"><Application name="X" version="1"/><Structure/>{refs}</Project>'
    )


def external_parameter_entity(*system_ids: str) -> str:
    """Parameter entities pulled into the internal subset: the out-of-band XXE pattern."""
    parts = "".join(f'<!ENTITY % p{i} SYSTEM "{sid}"> %p{i};' for i, sid in enumerate(system_ids))
    return XML_DECL + f"<!DOCTYPE Project [{parts}]>\n" + MINIMAL_BODY


def external_dtd_subset(system_id: str) -> str:
    return XML_DECL + f'<!DOCTYPE Project SYSTEM "{system_id}">\n' + MINIMAL_BODY


def as_utf7(xml: str) -> bytes:
    """The same document declared and encoded as UTF-7, with all markup base64-shifted.

    `<!DOCTYPE` then never appears as bytes, so only the parser itself can notice the DTD."""
    body = xml.removeprefix(XML_DECL)
    shifted = base64.b64encode(body.encode("utf-16-be")).rstrip(b"=")
    return b'<?xml version="1.0" encoding="UTF-7"?>\n+' + shifted + b"-"


def deep_nesting(depth: int = 100_000) -> str:
    return XML_DECL + '<Project version="1.0">' + "<a>" * depth + "</a>" * depth + "</Project>"


def nested_groups(depth: int) -> str:
    """Group tracks nested `depth` levels (each level adds Track + Channel + Volume elements)."""
    opening = "".join(
        f'<Track name="G{i}" contentType="tracks" id="g{i}"><Channel role="submix" id="gc{i}">'
        f'<Volume unit="linear" value="1" id="gv{i}"/></Channel>'
        for i in range(depth)
    )
    return (
        XML_DECL
        + '<Project version="1.0"><Application name="X" version="1"/><Structure>'
        + opening
        + "</Track>" * depth
        + "</Structure></Project>"
    )


def huge_attribute(size: int = 20 * 1024 * 1024) -> bytes:
    return (
        (XML_DECL + '<Project version="1.0"><Application name="').encode() + b"A" * size + b'" version="1"/></Project>'
    )


def huge_text(size: int = 20 * 1024 * 1024) -> bytes:
    return (
        (XML_DECL + '<Project version="1.0"><Application name="X" version="1">').encode()
        + b"A" * size
        + (b"</Application></Project>")
    )


def padded_project(padding: int) -> bytes:
    """A valid-looking project.xml whose bulk is whitespace inside a comment: deflates ~1000:1."""
    head, tail = MINIMAL_BODY.split("<Structure>", 1)
    return (XML_DECL + head + "<!--").encode() + b" " * padding + ("-->" + "<Structure>" + tail).encode()


# -- hand-written ZIP archives ---------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str | bytes
    data: bytes = b""
    deflate: bool = False
    declared_size: int | None = None  # lie about the uncompressed size (central directory and local header)


_LOCAL = struct.Struct("<4s5H3I2H")  # 30 bytes
_CENTRAL = struct.Struct("<4s6H3I5H2I")  # 46 bytes
_EOCD = struct.Struct("<4s4H2IH")  # 22 bytes
_ZIP64_EOCD = struct.Struct("<4sQ2H2I4Q")  # 56 bytes
_ZIP64_LOCATOR = struct.Struct("<4sIQI")  # 20 bytes


def raw_zip(path: Path, members: Iterable[Member], *, announce: int | None = None) -> Path:
    """Write a ZIP archive by hand. `announce` overrides the entry count in the end records
    (and in the ZIP64 record when one is needed); the central directory still holds every member.
    More than 65,534 entries get ZIP64 end records, as any writer would produce."""
    body = bytearray()
    central = bytearray()
    count = 0
    for member in members:
        name = member.name.encode("utf-8") if isinstance(member.name, str) else member.name
        flags = 0x800  # names are UTF-8
        if member.deflate:
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            payload = packer.compress(member.data) + packer.flush()
            method = 8
        else:
            payload, method = member.data, 0
        crc = zlib.crc32(member.data)
        size = len(member.data) if member.declared_size is None else member.declared_size
        offset = len(body)
        body += _LOCAL.pack(b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, len(payload), size, len(name), 0)
        body += name + payload
        central += _CENTRAL.pack(
            b"PK\x01\x02", 20, 20, flags, method, 0, 0x21, crc, len(payload), size, len(name), 0, 0, 0, 0, 0, offset
        )
        central += name
        count += 1
    announced = count if announce is None else announce
    cd_offset = len(body)
    tail = bytearray()
    if announced >= 0xFFFF:
        zip64_at = cd_offset + len(central)
        tail += _ZIP64_EOCD.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, announced, announced, len(central), cd_offset)
        tail += _ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, zip64_at, 1)
        short = 0xFFFF
    else:
        short = announced
    tail += _EOCD.pack(b"PK\x05\x06", 0, 0, short, short, len(central), cd_offset, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(body)
        fh.write(central)
        fh.write(tail)
    return path


def many_entries(count: int) -> Iterable[Member]:
    yield Member("project.xml", MINIMAL_XML.encode())
    for i in range(count - 1):
        yield Member(f"e/{i:06d}")
