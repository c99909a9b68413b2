"""Precision and recall of the differ on real REAPER saves edited at random, the truth being the edits.

bench/differ_truth.py scores the differ on the corpus histories, which the differ's rules were
also tuned on. This bench is the held-out check: it takes real REAPER saves of the corpus (the
last save of each REAPER history and the single files that have tracks), applies random edits
to their text the way REAPER writes them, and compares what `diff` reports with the list of
edits made. The truth is how each edit was made, never a rule or threshold of the differ. No
seed was used while the differ was written: every seed is held out.

Edits (each to a random track or plug-in, several per case, on different targets):
  fader        VOLPAN's gain set to a random level 1..30 dB away
  pan          VOLPAN's pan moved by 0.1..1
  mute         MUTESOLO's mute flipped
  rename       NAME set to a fresh name
  main-send    MAINSEND switched
  bypass       a plug-in's BYPASS flipped
  fx-rename    a VST plug-in's alias set to a fresh name
  insert       an empty track inserted at a random place (no folder is opened or closed)
  remove       a track that sends and receives nothing, and opens or closes no folder, removed
  move         a top-level track of a project without folders moved to another place
  tempo        TEMPO's BPM changed by 3..40

A case's facts are (kind, track id[, plug-in id]) with REAPER's TRACKID and FXID; the differ's
changes are mapped to the same through the track's and plug-in's place in the edited and the
original text (this bench's own split of the RPP, not the reader's). A move of one track to a
neighbouring place is the same as its neighbour moving the other way: either counts. Changes
that follow from an edit and are no edit of their own are not scored: an unnamed track's new
number after an insert, remove or move (`where.auto_name`).

Run: `python bench/differ_mutations.py [--cases 300] [--seed 1] [--show-misses]`; prints the
counts and precision/recall per edit kind and in total, and the time per diff.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from daemon.formats.reaper import parse_reaper_bytes  # noqa: E402
from daemon.sessions.changes import Change  # noqa: E402
from daemon.sessions.diff import diff  # noqa: E402
from daemon.sessions.model import Session  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
KINDS = ("fader", "pan", "mute", "rename", "main-send", "bypass", "fx-rename", "insert", "remove", "move", "tempo")
RECEIVE = re.compile(r"^(\s*AUXRECV )(\d+)(.*)$")
GUID = re.compile(r"\{[0-9A-Fa-f-]{36}\}")


@dataclass
class TrackBlock:
    lines: list[str]

    @property
    def uid(self) -> str:
        for line in self.lines:
            if line.strip().startswith("TRACKID "):
                return line.split()[1]
        return self.lines[0].split()[1]

    def field(self, key: str) -> list[str] | None:
        for line in self.lines:
            parts = line.split()
            if parts and parts[0] == key and not line.startswith("      "):
                return parts[1:]
        return None

    def set_field(self, key: str, value: str) -> None:
        for i, line in enumerate(self.lines):
            parts = line.split()
            if parts and parts[0] == key and not line.startswith("      "):
                self.lines[i] = f"    {key} {value}"
                return
        self.lines.insert(1, f"    {key} {value}")

    def plugins(self) -> list[tuple[int, int, str]]:
        """(BYPASS line index, plug-in line index, FXID) of each plug-in of the track's chain."""
        found = []
        for i, line in enumerate(self.lines):
            if line.strip().startswith("BYPASS "):
                j = i + 1
                fxid = next(
                    (ln.split()[1] for ln in self.lines[j:] if ln.strip().startswith("FXID ") and len(ln.split()) > 1),
                    None,
                )
                if fxid and j < len(self.lines) and self.lines[j].strip().startswith(("<VST", "<JS", "<AU", "<CLAP")):
                    found.append((i, j, fxid))
        return found

    @property
    def folder(self) -> bool:
        isbus = self.field("ISBUS") or ["0", "0"]
        return isbus[:2] != ["0", "0"]


@dataclass
class Project:
    head: list[str]
    tracks: list[TrackBlock]
    tail: list[str]

    @classmethod
    def parse(cls, text: str) -> Project | None:
        lines = text.splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("  <TRACK")]
        if not starts:
            return None
        ends = [next(j for j in range(i + 1, len(lines)) if lines[j] == "  >") for i in starts]
        return cls(
            lines[: starts[0]], [TrackBlock(lines[i : j + 1]) for i, j in zip(starts, ends)], lines[ends[-1] + 1 :]
        )

    def text(self) -> str:
        return "\n".join([*self.head, *(line for t in self.tracks for line in t.lines), *self.tail]) + "\n"

    def renumber(self, new_index: dict[int, int]) -> None:
        for track in self.tracks:
            for i, line in enumerate(track.lines):
                match = RECEIVE.match(line)
                if match:
                    track.lines[i] = f"{match.group(1)}{new_index[int(match.group(2))]}{match.group(3)}"

    def referenced(self) -> set[int]:
        """Indices of tracks that a receive names."""
        out = set()
        for track in self.tracks:
            for line in track.lines:
                match = RECEIVE.match(line)
                if match:
                    out.add(int(match.group(2)))
        return out


@dataclass
class Case:
    facts: set[tuple[str, ...]] = field(default_factory=set)
    either: list[set[tuple[str, ...]]] = field(default_factory=list)  # one of each set must be reported
    kinds: dict[tuple[str, ...], str] = field(default_factory=dict)
    moved: str | None = None  # the track a "move" edit took elsewhere


def _move_fact(case: Case, before: list[str], after: list[str]) -> None:
    """The fact of a move, among the tracks in both saves (an insert or a removal in the same case
    shifts places but moves nothing): none when their order is the same; when the moved track
    swapped places with one neighbour, either of the two; else the moved track."""
    if case.moved is None:
        return
    both = set(before) & set(after)
    old = [u for u in before if u in both]
    new = [u for u in after if u in both]
    if old == new or case.moved not in both:
        return
    i, j = old.index(case.moved), new.index(case.moved)
    if abs(i - j) == 1:
        other = new[i]
        case.either.append({("track-moved", case.moved), ("track-moved", other)})
        case.kinds[("track-moved", case.moved)] = case.kinds[("track-moved", other)] = "move"
    else:
        _fact(case, ("track-moved", case.moved), "move")


def _edit(project: Project, kind: str, rng: random.Random, case: Case, used: set[str]) -> bool:
    """Apply one edit of `kind`; record its facts. False when the project offers no target."""
    tracks = [t for t in project.tracks if t.uid not in used]
    if kind == "tempo":
        for i, line in enumerate(project.head):
            if line.strip().startswith("TEMPO ") and "tempo" not in used:
                parts = line.split()
                parts[1] = f"{float(parts[1]) + rng.choice((-1, 1)) * rng.uniform(3, 40):.6f}"
                project.head[i] = "  " + " ".join(parts)
                used.add("tempo")
                _fact(case, ("tempo",), kind)
                return True
        return False
    if kind in ("fader", "pan", "mute", "rename", "main-send") and tracks:
        track = rng.choice(tracks)
        used.add(track.uid)
        if kind in ("fader", "pan"):
            volpan = track.field("VOLPAN") or ["1", "0", "-1", "-1", "1"]
            if kind == "fader":
                gain = float(volpan[0]) if float(volpan[0]) > 0 else 1.0
                volpan[0] = f"{gain * 10 ** (rng.choice((-1, 1)) * rng.uniform(1, 30) / 20):.12f}"
            else:
                pan = float(volpan[1])
                step = rng.uniform(0.1, 1.0)
                volpan[1] = f"{pan - step if pan + step > 1 else pan + step:.6f}"
            track.set_field("VOLPAN", " ".join(volpan))
            _fact(case, ("fader" if kind == "fader" else "pan", track.uid), kind)
        elif kind == "mute":
            mutesolo = track.field("MUTESOLO") or ["0", "0", "0"]
            mutesolo[0] = "0" if mutesolo[0] != "0" else "1"
            track.set_field("MUTESOLO", " ".join(mutesolo))
            _fact(case, ("mute", track.uid), kind)
        elif kind == "rename":
            track.set_field("NAME", f'"Edited {rng.randrange(10**6)}"')
            _fact(case, ("track-renamed", track.uid), kind)
        else:
            main = track.field("MAINSEND") or ["1", "0"]
            main[0] = "0" if main[0] != "0" else "1"
            track.set_field("MAINSEND", " ".join(main))
            _fact(case, ("main-send", track.uid), kind)
        return True
    if kind in ("bypass", "fx-rename"):
        candidates = [(t, p) for t in tracks for p in t.plugins() if p[2] not in used]
        if kind == "fx-rename":
            candidates = [(t, p) for t, p in candidates if t.lines[p[1]].strip().startswith("<VST")]
        if not candidates:
            return False
        track, (bypass_at, plugin_at, fxid) = rng.choice(candidates)
        used.update({fxid, track.uid})
        if kind == "bypass":
            parts = track.lines[bypass_at].split()
            parts[1] = "0" if parts[1] != "0" else "1"
            track.lines[bypass_at] = "    " + " ".join(parts)
            _fact(case, ("device-toggled", track.uid, fxid), kind)
        else:
            head = track.lines[plugin_at]
            quoted = re.findall(r'"[^"]*"|\S+', head.strip())
            if len(quoted) < 5:
                return False
            quoted[4] = f'"Edited FX {rng.randrange(10**6)}"'  # <VST "name" file 0 alias id...
            indent = head[: len(head) - len(head.lstrip())]
            track.lines[plugin_at] = indent + " ".join(quoted)
            _fact(case, ("device-renamed", track.uid, fxid), kind)
        return True
    if kind == "insert":
        at = rng.randrange(len(project.tracks) + 1)
        if at > 0 and project.tracks[at - 1].folder:
            return False  # inside or at the end of a folder: the folder's structure would change
        guid = "{" + str(uuid.UUID(int=rng.getrandbits(128))).upper() + "}"
        block = [f"  <TRACK {guid}", '    NAME ""', "    VOLPAN 1 0 -1 -1 1", "    MUTESOLO 0 0 0", "    ISBUS 0 0"]
        block += ["    MAINSEND 1 0", f"    TRACKID {guid}", "  >"]
        project.renumber({i: i + (1 if i >= at else 0) for i in range(len(project.tracks))})
        project.tracks.insert(at, TrackBlock(block))
        used.add(guid)
        _fact(case, ("track-added", guid), kind)
        return True
    if kind == "remove":
        referenced = project.referenced()
        options = [
            i
            for i, t in enumerate(project.tracks)
            if t.uid not in used
            and not t.folder
            and i not in referenced
            and not any(RECEIVE.match(ln) for ln in t.lines)
            and not (i > 0 and project.tracks[i - 1].folder)
        ]
        if not options:
            return False
        at = rng.choice(options)
        gone = project.tracks.pop(at)
        project.renumber({i: i - (1 if i > at else 0) for i in range(len(project.tracks) + 1) if i != at})
        used.add(gone.uid)
        _fact(case, ("track-removed", gone.uid), kind)
        return True
    if kind == "move":
        if any(t.folder for t in project.tracks) or len(project.tracks) < 3 or "move" in used:
            return False
        used.add("move")
        a = rng.randrange(len(project.tracks))
        b = rng.choice([i for i in range(len(project.tracks)) if i != a])
        order = list(range(len(project.tracks)))
        order.insert(b, order.pop(a))
        case.moved = project.tracks[a].uid  # its fact is settled once all edits are made (`_move_fact`)
        project.tracks = [project.tracks[i] for i in order]
        project.renumber({old: new for new, old in enumerate(order)})
        return True
    return False


def _fact(case: Case, fact: tuple[str, ...], kind: str) -> None:
    case.facts.add(fact)
    case.kinds[fact] = kind


def _ours(change: Change, old: Session, new: Session) -> tuple[str, ...] | None:
    """The fact of one of the differ's changes; None for what is not scored."""
    old_tracks, new_tracks = old.all_tracks(), new.all_tracks()
    if change.type == "tempo-changed":
        return ("tempo",)
    if change.type == "track-added":
        return ("track-added", str(new_tracks[change.where["new"]].uid))
    if change.where.get("auto_name"):
        return None
    track = old_tracks[change.where["old"]] if "old" in change.where else None
    uid = str(track.uid) if track is not None else "?"
    if change.type in ("track-removed", "track-renamed", "track-moved"):
        return (change.type, uid)
    if change.type == "parameter-changed" and change.device is None:
        name = {"volume_db": "fader", "pan": "pan", "mute": "mute", "main_send": "main-send"}.get(
            change.parameter or ""
        )
        return (name, uid) if name else (f"parameter {change.parameter}", uid)
    if change.device is not None and track is not None and "device" in change.where:
        fxid = str(track.devices[change.where["device"]].uid)
        return (change.type, uid, fxid)
    return (change.type, uid)


def sources() -> list[Path]:
    histories = sorted(p for p in (CORPUS / "histories").iterdir() if p.is_dir())
    files = []
    for history in histories:
        saves = sorted(p for p in history.iterdir() if p.suffix.lower() in (".rpp", ".rpp-bak"))
        if saves:
            files.append(saves[-1])
    files += sorted(p for p in (CORPUS / "reaper").rglob("*") if p.suffix.lower() == ".rpp")
    usable = []
    for path in files:
        project = Project.parse(path.read_text(encoding="utf-8", errors="replace"))
        if project is not None and all(GUID.fullmatch(t.uid) for t in project.tracks):
            usable.append(path)
    return usable


def run(cases: int, seed: int, show: bool) -> tuple[Counter[str], Counter[str], Counter[str], float]:
    rng = random.Random(seed)
    files = sources()
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in files}
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    spent = 0.0
    for number in range(cases):
        path = rng.choice(files)
        original = texts[path]
        project = Project.parse(original)
        assert project is not None
        case, used = Case(), set[str]()
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(KINDS)
            for _attempt in range(5):
                if _edit(project, kind, rng, case, used):
                    break
        _move_fact(case, [t.uid for t in Project.parse(original).tracks], [t.uid for t in project.tracks])  # type: ignore[union-attr]
        old = parse_reaper_bytes(original.encode(), path, "case")
        new = parse_reaper_bytes(project.text().encode(), path, "case")
        started = time.perf_counter()
        changes = diff(old, new)
        spent += time.perf_counter() - started
        ours = {fact for fact in (_ours(c, old, new) for c in changes) if fact is not None}
        truth = set(case.facts)
        for options in case.either:
            hit = options & ours
            truth |= hit if len(hit) == 1 else {min(options)}
        for fact in ours & truth:
            tp[case.kinds.get(fact, fact[0])] += 1
        for fact in ours - truth:
            fp[fact[0]] += 1
            if show:
                print(f"case {number} ({path.name}): reported, not made: {fact}")
        for fact in truth - ours:
            fn[case.kinds.get(fact, fact[0])] += 1
            if show:
                print(f"case {number} ({path.name}): made, not reported: {fact}")
    return tp, fp, fn, spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: nothing to measure")
        return 0
    tp, fp, fn, spent = run(args.cases, args.seed, args.show_misses)
    print(f"{args.cases} edited saves, seed {args.seed}, {len(sources())} real REAPER files")
    print(f"{'edit':<12}{'made':>6}{'found':>7}{'missed':>8}  recall")
    for kind in sorted(set(tp) | set(fn)):
        made = tp[kind] + fn[kind]
        print(f"{kind:<12}{made:>6}{tp[kind]:>7}{fn[kind]:>8}  {tp[kind] / made if made else 1.0:.3f}")
    found, made, reported = sum(tp.values()), sum(tp.values()) + sum(fn.values()), sum(tp.values()) + sum(fp.values())
    print(f"reported but not made: {dict(fp) or 'none'}")
    print(
        f"TOTAL precision {found / reported if reported else 1.0:.3f}  recall {found / made if made else 1.0:.3f}"
        f"  ({found} of {made} edits found, {reported} facts reported); diff {1000 * spent / args.cases:.1f} ms a case"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
