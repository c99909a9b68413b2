"""Which track, device, send or clip of one save is which in the next, and when two values are
the same value.

Identity comes first from what the format saves: REAPER's TRACKID and FXID, Ardour's route and
processor ids, Ableton's track Ids (`Track.uid`, `Device.uid`). When both saves carry ids and
share some, a track or device is the one with its id, whatever its name or place: two unnamed
tracks swapped stay themselves, a renamed plug-in is renamed. DAWproject exporters regenerate
every id at each save (bitwig/dawproject issue #40) and carry none here: there, and for whatever
has no id, tracks are matched by name (in order of occurrence), then the tracks left over are
paired as renames when they resemble each other enough (`_similarity`: role, content, devices,
clips, sends, position). Collections are matched by equal items first, then by looser keys.

Re-serialization noise is not a change: `close` compares floats with a tolerance far below
anything an engineer can hear or set (1e-3 dB, 1e-6 of the pan range, 1e-6 relative elsewhere).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from daemon.sessions.model import Channel, Session, Track

DB_TOLERANCE = 1e-3
PAN_TOLERANCE = 1e-6  # of the -1..+1 range
REL_TOLERANCE = 1e-6
ABS_TOLERANCE = 1e-9
RENAME_THRESHOLD = 4.0
SOLE_RENAME_THRESHOLD = 2.0


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


def unique_uids(items: list[Any], uid: Callable[[Any], str | None]) -> dict[str, int]:
    """uid -> index for the items whose uid is set and appears once (a duplicated id is no id)."""
    seen: dict[str, int] = {}
    twice: set[str] = set()
    for index, item in enumerate(items):
        key = uid(item)
        if key is None:
            continue
        if key in seen:
            twice.add(key)
        seen[key] = index
    return {key: index for key, index in seen.items() if key not in twice}


def pair_by_uid(old: dict[str, int], new: dict[str, int]) -> dict[int, int] | None:
    """new index -> old index for the ids both saves carry; None when they share none (the ids
    were regenerated, or one save has none): then ids say nothing and other keys decide."""
    common = old.keys() & new.keys()
    if not common:
        return None
    return {new[key]: old[key] for key in common}


def match_tracks(old_nodes: list[Node], new_nodes: list[Node]) -> dict[int, int]:
    """new index -> old index for the tracks that are the same track in both saves."""
    old_ids = unique_uids(old_nodes, lambda n: n.track.uid)
    new_ids = unique_uids(new_nodes, lambda n: n.track.uid)
    pairs = pair_by_uid(old_ids, new_ids) or {}
    # Where ids decide, a track with an id that the other save lacks is new (or gone), not a rename.
    by_id = bool(pairs)
    old_free = [n for n in old_nodes if n.index not in set(pairs.values()) and not (by_id and n.track.uid in old_ids)]
    new_free = [n for n in new_nodes if n.index not in pairs and not (by_id and n.track.uid in new_ids)]
    masters_old = [n for n in old_free if n.track.role == "master"]
    masters_new = [n for n in new_free if n.track.role == "master"]
    if len(masters_old) == 1 and len(masters_new) == 1:
        pairs[masters_new[0].index] = masters_old[0].index
    taken = set(pairs.values())
    by_name: dict[str, list[int]] = defaultdict(list)
    for node in old_free:
        if node.index not in taken:
            by_name[node.track.name].append(node.index)
    for node in new_free:
        if node.index in pairs:
            continue
        candidates = by_name.get(node.track.name)
        if candidates:
            pairs[node.index] = candidates.pop(0)
    taken = set(pairs.values())
    rest_old = [n for n in old_free if n.index not in taken]
    rest_new = [n for n in new_free if n.index not in pairs]
    scored = []
    # One track gone and one new, nothing else to choose from: a rename on less evidence.
    threshold = SOLE_RENAME_THRESHOLD if len(rest_old) == 1 and len(rest_new) == 1 else RENAME_THRESHOLD
    for n in rest_new:
        for o in rest_old:
            score = _similarity(o, n, pairs)
            if score >= threshold:
                # Ties go to the track whose mixer strip is the same to the bit, then the nearer one.
                same = o.track.channel == _renamed_channel(n.track.channel, o.track.channel)
                scored.append((-score, not same, abs(o.index - n.index), n.index, o.index))
    scored.sort()
    used_old: set[int] = set()
    for *_, n_index, o_index in scored:
        if n_index not in pairs and o_index not in used_old:
            pairs[n_index] = o_index
            used_old.add(o_index)
    return pairs


def _similarity(o: Node, n: Node, pairs: dict[int, int]) -> float:
    """How much an unmatched old track looks like an unmatched new one (a rename)."""
    a, b = o.track, n.track
    score = 2.0 if a.role == b.role else -2.0
    score += 1.0 if a.content_types == b.content_types else 0.0
    dev_a = sorted((d.kind, d.plugin_id or d.name) for d in a.devices)
    dev_b = sorted((d.kind, d.plugin_id or d.name) for d in b.devices)
    if dev_a or dev_b:
        common = sum(min(dev_a.count(x), dev_b.count(x)) for x in set(dev_a))
        score += 4.0 * common / max(len(dev_a), len(dev_b)) - 2.0
    else:
        score += 1.0
    for content_a, content_b in ((_clip_files(a), _clip_files(b)), (_notes(a), _notes(b))):
        if content_a and content_b:
            score += 4.0 * len(content_a & content_b) / len(content_a | content_b) - 1.0
        elif content_a or content_b:
            score -= 1.0
    if close(a.channel.volume_db, b.channel.volume_db, "dB") and close(a.channel.pan, b.channel.pan, "pan"):
        score += 1.0
    if a.sends and {s.target for s in a.sends} == {s.target for s in b.sends}:
        score += 1.0
    same_parent = (o.parent is None and n.parent is None) or (n.parent is not None and pairs.get(n.parent) == o.parent)
    if same_parent and o.sibling == n.sibling:
        score += 1.5
    return score


def _renamed_channel(channel: Channel, like: Channel) -> Channel:
    """`channel` with the output of `like` (an output names a track, which may be renamed too)."""
    return channel if channel.output == like.output else replace(channel, output=like.output)


def _clip_files(track: Track) -> set[str]:
    return {c.file for c in track.clips if c.file}


def _notes(track: Track) -> set[tuple[float, int]]:
    """A track's notes as (time on the timeline, key): what its note clips play."""
    return {(round(c.position + t, 3), key) for c in track.clips for t, _, key, _ in c.notes}


def kept_in_order(values: list[int], stayed: list[bool]) -> set[int]:
    """Positions of the items that keep their order: a heaviest strictly increasing subsequence of
    `values` (old positions, in new order), where an item that `stayed` at its index outweighs all
    the others together, so an item whose index did not change is never the one called moved."""
    n = len(values)
    if n == 0:
        return set()
    ranks = {v: r for r, v in enumerate(sorted(set(values)), start=1)}
    size = len(ranks)
    tree_weight = [0] * (size + 1)  # Fenwick tree of (best weight, end position) over value ranks
    tree_end = [-1] * (size + 1)
    previous = [-1] * n
    best: list[int] = [0] * n
    for i, v in enumerate(values):
        r = ranks[v] - 1  # strictly increasing: look below this rank
        weight, end = 0, -1
        while r > 0:
            if tree_weight[r] > weight:
                weight, end = tree_weight[r], tree_end[r]
            r -= r & -r
        best[i] = weight + (n + 1 if stayed[i] else 1)
        previous[i] = end
        r = ranks[v]
        while r <= size:
            if best[i] > tree_weight[r]:
                tree_weight[r], tree_end[r] = best[i], i
            r += r & -r
    keep: set[int] = set()
    i = max(range(n), key=lambda k: best[k])
    while i >= 0:
        keep.add(i)
        i = previous[i]
    return keep


# -- within one track ------------------------------------------------------------------------


def match_items(old: list[Any], new: list[Any], keys: tuple[Callable[[Any], Any], ...]) -> dict[int, int]:
    """new index -> old index, pairing equal items first, then by each key function in turn,
    in order of occurrence. A key function that gives None for an item leaves it to the next."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for key in (lambda x: x, *keys):
        pool: dict[Any, list[int]] = defaultdict(list)
        for i, item in enumerate(old):
            if i not in used:
                value = key(item)
                if value is not None:
                    pool[value].append(i)
        for j, item in enumerate(new):
            if j in pairs:
                continue
            value = key(item)
            candidates = pool.get(value) if value is not None else None
            if candidates:
                i = candidates.pop(0)
                pairs[j] = i
                used.add(i)
    return pairs
