"""A track's role (../shared/CONTRACT.md, the profile export's `role`) from its name and the role
its DAW gives it.

The name is read as words: camel case and digits split off ("KickIn2" is "kick in 2"), case and
punctuation ignored. The first rule that matches wins, in this order: the master (by the DAW's
role or its name); effect returns ("Verb", "Vox Plate", "FX"); buses by name ("Drum Bus") and
folder, group, return and VCA tracks by the DAW's role; then the instruments, most specific
first (backing vocals before vocals, "Bass Drum" a kick before any bass, the drum kit's mics
before the room, "Upright Piano" a piano, "Synth Bass" a bass); a bare "Drums" or "Loop" is percussion; else `other`.
"""

from __future__ import annotations

import re

ROLES: tuple[str, ...] = (
    "kick",
    "snare",
    "toms",
    "hihat",
    "overheads",
    "room",
    "percussion",
    "bass",
    "guitar",
    "keys",
    "piano",
    "synth",
    "strings",
    "brass",
    "vocal",
    "backing-vocal",
    "dialogue",
    "fx",
    "bus",
    "master",
    "other",
)


def _words(*alternatives: str) -> re.Pattern[str]:
    """Whole words (or phrases of them) of a normalized name."""
    return re.compile(r"(?:^| )(?:" + "|".join(alternatives) + r")(?= |$)")


_MASTER = _words("master", "mix bus", "mixbus", "2 ?bus", "stereo out", "main out", "main mix", "mains")
_FX = _words(
    "verb", "reverb", "rev", "delay", "dly", "echo", "fx", "sfx", "efx", "plate", "hall", "chamber",
    "spring", "slap", "slapback", "verbs", "delays", "throw", "ret", "return",
)  # fmt: skip
_BUS = _words("bus", "buss", "busses", "buses", "group", "grp", "folder", "submix", "sub mix", "aux", "stem", "vca")
_INSTRUMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "backing-vocal",
        _words(
            "bv",
            "bvs",
            "bgv",
            "bgvs",
            "bvox",
            "bkg",
            "bkgs",
            "backing",
            "backings",
            "backup",
            "background",
            "harmony",
            "harmonies",
            "harm",
            "harms",
            "choir",
            "bg vox",
            "bg vocals?",
            "bg vocal",
            "back vox",
            "backing vox",
            "bgs",
            "ooh?s?",
            "aahs?",
        ),
    ),
    ("kick", _words("kick", "kik", "kck", "bd", "bass drum", "kicks", "kickin", "kickout")),
    ("snare", _words("snare", "snares", "snr", "sn", "sd", "rimshot", "rim")),
    ("toms", _words("toms?", "tt", "ft", "floor", "rack", "floortom", "racktom")),
    ("hihat", _words("hat", "hats", "hh", "hihat", "hihats", "hi hat", "hi hats", "hho")),
    ("overheads", _words("oh", "ohs", "overhead", "overheads", "ovh", "ovhd", "cymbals?", "cym", "ride", "crash")),
    (
        "percussion",
        _words(
            "perc",
            "percs",
            "percussion",
            "shaker",
            "shakers",
            "tamb",
            "tambourine",
            "conga",
            "congas",
            "bongo",
            "bongos",
            "claps?",
            "cowbell",
            "cajon",
            "timbales?",
            "triangle",
            "snaps?",
            "guiro",
            "clave",
            "claves",
        ),
    ),
    ("piano", _words("piano", "pianos", "pno", "pn", "grand", "upright piano")),
    ("bass", _words("bass", "bas", "bs", "bassdi", "sub bass", "upright", "contrabass", "double bass", "bassgtr")),
    (
        "guitar",
        _words(
            "guitars?",
            "gtrs?",
            "guit",
            "gt",
            "egtr",
            "agtr",
            "acgtr",
            "acoustic",
            "ac",
            "elec",
            "banjo",
            "mandolin",
            "mando",
            "ukulele",
            "uke",
            "dobro",
            "strat",
            "tele",
            "les paul",
            "riff",
        ),
    ),
    (
        "keys",
        _words(
            "keys",
            "keyboards?",
            "kbd",
            "kb",
            "rhodes",
            "wurli",
            "wurlitzer",
            "organ",
            "org",
            "hammond",
            "clav",
            "clavinet",
            "epiano",
            "ep",
            "mellotron",
            "harpsichord",
            "celesta",
            "vibes",
            "marimba",
        ),
    ),
    (
        "synth",
        _words(
            "synths?",
            "syn",
            "pads?",
            "arp",
            "arps",
            "pluck",
            "plucks",
            "moog",
            "juno",
            "seq",
            "sequence",
            "synth lead",
            "lead synth",
            "sample",
            "samples",
        ),
    ),
    (
        "strings",
        _words(
            "strings?",
            "str",
            "violins?",
            "vln",
            "vn",
            "viola",
            "vla",
            "cello",
            "cellos",
            "vc",
            "vlc",
            "orchestra",
            "orch",
            "harp",
            "section",
        ),
    ),
    (
        "brass",
        _words(
            "brass",
            "horns?",
            "trumpets?",
            "tpt",
            "trp",
            "trombones?",
            "tbn",
            "trb",
            "sax",
            "saxes",
            "saxophone",
            "tenor sax",
            "alto sax",
            "tuba",
            "flugel",
            "flugelhorn",
            "winds",
            "woodwinds",
            "flute",
            "clarinet",
        ),
    ),
    (
        "vocal",
        _words(
            "vocals?",
            "vox",
            "vx",
            "voc",
            "vocs",
            "lead",
            "lv",
            "ld",
            "voice",
            "singer",
            "sing",
            "adlibs?",
            "ad libs?",
            "dbl",
            "double",
            "lead vox",
            "lead vocal",
        ),
    ),
    (
        "dialogue",
        _words(
            "dialogue",
            "dialog",
            "dia",
            "dx",
            "dlg",
            "vo",
            "voiceover",
            "voice over",
            "narration",
            "narrator",
            "host",
            "hosts",
            "guest",
            "guests",
            "interview",
            "speaker",
            "speech",
            "podcast",
            "presenter",
            "mic",
        ),
    ),
    ("room", _words("room", "rooms", "rm", "amb", "ambience", "ambient", "ambiance", "far", "mono room")),
    ("percussion", _words("drums?", "drumkit", "kit", "loops?", "beat", "beats", "breaks?", "top loop")),
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_DIGITS = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def words(name: str) -> str:
    """A name as lower-case words separated by single spaces: "KickIn_2 (L)" is "kick in 2 l"."""
    text = _DIGITS.sub(" ", _CAMEL.sub(" ", name))
    return _NOT_WORD.sub(" ", text.lower()).strip()


def role_of(track_name: str, track_role: str | None = None) -> str:
    """The CONTRACT role of a track from its name and its DAW role (the session model's `role`:
    audio, instrument, group, return, master, vca); one of ROLES, `other` when nothing matches."""
    text = words(track_name or "")
    if track_role == "master" or _MASTER.search(text):
        return "master"
    if _FX.search(text):
        return "fx"
    if track_role in ("group", "return", "vca") or _BUS.search(text):
        return "bus"
    for role, pattern in _INSTRUMENTS:
        if pattern.search(text):
            return role
    return "other"
