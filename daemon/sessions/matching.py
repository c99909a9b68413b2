"""Which track, device, send or clip of one save is which in the next, and when two values are
the same value.

DAWproject exporters regenerate every id at each save (bitwig/dawproject issue #40), so nothing
here looks at ids. Tracks are matched by name first (in order of occurrence); the tracks left over
are paired as renames when they resemble each other enough (`_similarity`: role, content, devices,
clips, sends, position). Collections are matched by equal items first, then by looser keys.

Re-serialization noise is not a change: `close` compares floats with a tolerance far below
anything an engineer can hear or set (1e-3 dB, 1e-6 of the pan range, 1e-6 relative elsewhere).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from daemon.sessions.model import Session, Track

DB_TOLERANCE = 1e-3
PAN_TOLERANCE = 1e-6  # of the -1..+1 range
REL_TOLERANCE = 1e-6
ABS_TOLERANCE = 1e-9
RENAME_THRESHOLD = 3.0


def close(a: Any, b: Any, unit: str | None = None) -> bool:
    """Equal within re-serialization noise."""
    if a is None or b is None or isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return bool(a == b and type(a) is type(b)) or (a is None and b is None)
    fa, fb = float(a), float(b)
    if unit == "dB":
        return abs(fa - fb) <= DB_TOLERANCE
    if unit == "pan":
        return abs(fa - fb) <= PAN_TOLERANCE
    return math.isclose(fa, fb, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)


def points_close(a: tuple[tuple[float, float], ...], b: tuple[tuple[float, float], ...], unit: str) -> bool:
    if a == b:
        return True
    if len(a) != len(b):
        return False
    return all(close(ta, tb) and close(va, vb, unit) for (ta, va), (tb, vb) in zip(a, b))


@dataclass(frozen=True)
class Node:
    index: int  # depth-first position in its session
    parent: int | None
    sibling: int  # position among its parent's children
    track: Track


def flatten(session: Session) -> list[Node]:
    nodes: list[Node] = []

    def visit(tracks: tuple[Track, ...], parent: int | None) -> None:
        for sibling, track in enumerate(tracks):
            index = len(nodes)
            nodes.append(Node(index, parent, sibling, track))
            visit(track.children, index)

    visit(session.tracks, None)
    return nodes


def match_tracks(old_nodes: list[Node], new_nodes: list[Node]) -> dict[int, int]:
    """new index -> old index for the tracks that are the same track in both saves."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for node in old_nodes:
        by_name[node.track.name].append(node.index)
    pairs: dict[int, int] = {}
    for node in new_nodes:
        candidates = by_name.get(node.track.name)
        if candidates:
            pairs[node.index] = candidates.pop(0)
    taken = set(pairs.values())
    rest_old = [n for n in old_nodes if n.index not in taken]
    rest_new = [n for n in new_nodes if n.index not in pairs]
    scored = []
    for n in rest_new:
        for o in rest_old:
            score = _similarity(o, n, pairs)
            if score >= RENAME_THRESHOLD:
                scored.append((-score, abs(o.index - n.index), n.index, o.index))
    scored.sort()
    used_old: set[int] = set()
    for _, _, n_index, o_index in scored:
        if n_index not in pairs and o_index not in used_old:
            pairs[n_index] = o_index
            used_old.add(o_index)
    return pairs


def _similarity(o: Node, n: Node, pairs: dict[int, int]) -> float:
    """How much an unmatched old track looks like an unmatched new one (a rename)."""
    a, b = o.track, n.track
    score = 2.0 if a.role == b.role else -2.0
    score += 1.0 if a.content_types == b.content_types else 0.0
    dev_a = sorted((d.kind, d.name) for d in a.devices)
    dev_b = sorted((d.kind, d.name) for d in b.devices)
    if dev_a or dev_b:
        common = sum(min(dev_a.count(x), dev_b.count(x)) for x in set(dev_a))
        score += 4.0 * common / max(len(dev_a), len(dev_b)) - 2.0
    else:
        score += 1.0
    files_a = {c.file for c in a.clips}
    files_b = {c.file for c in b.clips}
    if files_a and files_b:
        score += 4.0 * len(files_a & files_b) / len(files_a | files_b) - 1.0
    elif files_a or files_b:
        score -= 1.0
    if close(a.channel.volume_db, b.channel.volume_db, "dB") and close(a.channel.pan, b.channel.pan, "pan"):
        score += 1.0
    if a.sends and {s.target for s in a.sends} == {s.target for s in b.sends}:
        score += 1.0
    same_parent = (o.parent is None and n.parent is None) or (n.parent is not None and pairs.get(n.parent) == o.parent)
    if same_parent and o.sibling == n.sibling:
        score += 1.5
    return score


def longest_increasing(values: list[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence of `values`."""
    tails: list[int] = []
    tail_pos: list[int] = []
    previous: list[int] = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_pos.append(i)
        else:
            tails[k] = v
            tail_pos[k] = i
        previous[i] = tail_pos[k - 1] if k > 0 else -1
    keep: set[int] = set()
    i = tail_pos[-1] if tail_pos else -1
    while i >= 0:
        keep.add(i)
        i = previous[i]
    return keep


# -- within one track ------------------------------------------------------------------------


def match_items(old: list[Any], new: list[Any], keys: tuple[Any, ...]) -> dict[int, int]:
    """new index -> old index, pairing equal items first, then by each key function in turn,
    in order of occurrence."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for key in (lambda x: x, *keys):
        pool: dict[Any, list[int]] = defaultdict(list)
        for i, item in enumerate(old):
            if i not in used:
                pool[key(item)].append(i)
        for j, item in enumerate(new):
            if j in pairs:
                continue
            candidates = pool.get(key(item))
            if candidates:
                i = candidates.pop(0)
                pairs[j] = i
                used.add(i)
    return pairs
