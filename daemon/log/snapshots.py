"""Snapshots: a session as the store keeps it beside its save, zlib-compressed JSON, the base the
next save is diffed against (the file on disk is overwritten by then)."""

from __future__ import annotations

import json
import zlib

from daemon.sessions.model import Session
from daemon.sessions.serialize import session_from_dict, session_to_dict


def pack_snapshot(session: Session) -> bytes:
    """A session as the store keeps its snapshot: zlib-compressed JSON (see `daemon.log.store.Store.commit_save`)."""
    # zlib level 1: a fifth of level 6's time for a snapshot about a third larger.
    return zlib.compress(json.dumps(session_to_dict(session), allow_nan=False, separators=(",", ":")).encode(), 1)


def unpack_snapshot(data: bytes) -> Session:
    return session_from_dict(json.loads(zlib.decompress(data)))
