"""Content hashes of files, read in chunks: a .dawproject with its audio, or a stem, can be large."""

from __future__ import annotations

import hashlib
import os

CHUNK = 1 << 20


def hash_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """sha256 (hex) and size of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
