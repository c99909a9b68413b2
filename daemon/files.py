"""Content hashes of files, read in chunks (a .dawproject with its audio, or a stem, can be large),
and the hashes a process already knows, so that what did not change is not read again; and how a
file inside an archive is named (`archive.zip!member`, as discovery names it)."""

from __future__ import annotations

import hashlib
import os
import re
import time
import zipfile
from collections import OrderedDict
from collections.abc import Callable

CHUNK = 1 << 20
_MEMBER = re.compile(r"(?<=\.zip)!", re.IGNORECASE)


def archive_parts(source: str) -> list[str]:
    """A file as discovery names it, split at each archive it is in: `a.zip!Song/Song.als` is
    [`a.zip`, `Song/Song.als`], a member of a nested archive has three parts, a file on disk one
    (a "!" in a real name, not after `.zip`, is part of the name)."""
    return _MEMBER.split(source)


def hash_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """sha256 (hex) and size of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


MAX_KNOWN = 100_000  # files and members whose sha256 a process remembers (about 20 MB at most)
RACY_S = 2.0  # a file changed this recently may change again within its timestamps' resolution


class KnownDigests:
    """The sha256 of files and archive members already read, by what tells their content apart
    without reading it again: a file by its stat (device, inode, size, modification and change
    times: rsync's quick check, with the change time that no tool sets back), a ZIP member by its
    entry (name, CRC-32, sizes, compression; not its date, which a DAW sets anew at every save:
    another take under the same name, of the same size, would also need the same CRC-32, one
    chance in four billion). A long-running process keeps one, so a session's stems are hashed
    once, not at every save; the oldest entries are forgotten past `limit`.

    A file changed under RACY_S ago is not remembered (git's "racily clean" rule): the file
    system's clock ticks in milliseconds, and a second write within the same tick would leave
    its stat as it was."""

    def __init__(self, limit: int = MAX_KNOWN, clock: Callable[[], float] = time.time) -> None:
        self._limit = limit
        self._clock = clock
        self._digests: OrderedDict[tuple[object, ...], str] = OrderedDict()

    def file(self, path: str | os.PathLike[str]) -> str:
        """The sha256 of a file: remembered while its stat stays the same, read otherwise (and
        remembered only when it had settled and did not change while it was read)."""
        st = os.stat(path)
        key = _stat_key(path, st)
        found = self._digests.get(key)
        if found is None:
            found = hash_file(path)[0]
            settled = self._clock() - max(st.st_mtime, st.st_ctime) > RACY_S
            if settled and _stat_key(path, os.stat(path)) == key:
                self._remember(key, found)
        return found

    def member(self, info: zipfile.ZipInfo) -> str | None:
        """The sha256 of an archive member read before with the same entry, or None."""
        return self._digests.get(_entry_key(info))

    def remember_member(self, info: zipfile.ZipInfo, digest: str) -> None:
        self._remember(_entry_key(info), digest)

    def _remember(self, key: tuple[object, ...], digest: str) -> None:
        self._digests[key] = digest
        while len(self._digests) > self._limit:
            self._digests.popitem(last=False)


def _stat_key(path: str | os.PathLike[str], st: os.stat_result) -> tuple[object, ...]:
    return ("file", os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _entry_key(info: zipfile.ZipInfo) -> tuple[object, ...]:
    return ("member", info.filename, info.CRC, info.file_size, info.compress_size, info.compress_type)
