"""What the watcher has ingested, kept across restarts: each file's stat and content hash as of its
last ingest (`Watcher._done`), in a JSON file beside the database's lock (instance.seen_path).

On start-up the reconciliation scan then reads only the files that changed while the watcher was
stopped, instead of hashing every session under the watched folders again (an archive of
.dawproject files with their audio can hold hundreds of gigabytes). An entry counts only while
its content is in the store: a database replaced or emptied since makes its entries void. A
missing, unreadable or foreign file is ignored, and everything is looked at, as before. The
file is written atomically at most once a minute while saves come and when the watcher stops;
after a kill, the files ingested since the last write are hashed once more at start-up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Container, Mapping
from pathlib import Path

from daemon.service.settle import Sig
from daemon.service.status import write_atomically

SCHEMA = "tapeop.watch-seen/1"
SAVE_EVERY_S = 60.0

log = logging.getLogger("tapeop.watch")


def load_seen(path: Path, in_store: Container[str], reader: str = "") -> dict[str, tuple[Sig, str]]:
    """The entries of the seen file whose content the store holds; {} when there is none to use,
    or when it was written under another reader version (files it rejected are read again)."""
    try:
        document = json.loads(path.read_bytes())
        if document.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document")
        if document.get("reader", "") != reader:
            log.info("%s was written by another version of the readers: every file will be looked at", path)
            return {}
        found: dict[str, tuple[Sig, str]] = {}
        for file, (dev, ino, size, mtime_ns, sha) in document["files"].items():
            if sha in in_store:
                found[str(file)] = ((int(dev), int(ino), int(size), int(mtime_ns)), str(sha))
        return found
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("%s cannot be used (%s): every file will be looked at", path, exc)
        return {}


def save_seen(path: Path, done: Mapping[str, tuple[Sig, str]], reader: str = "") -> None:
    """Write the entries (atomically); a failure is logged, never raised: it costs hashing later."""
    files = {file: [*sig, sha] for file, (sig, sha) in sorted(done.items())}
    try:
        write_atomically(path, json.dumps({"schema": SCHEMA, "reader": reader, "files": files}).encode())
    except OSError as exc:
        log.warning("cannot write %s (%s): files will be hashed again at the next start", path, exc)
