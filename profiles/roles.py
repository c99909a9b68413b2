"""A track's role (../shared/CONTRACT.md, the profile export's `role`) from its name and the role
its DAW gives it.

The name is read as words: camel case and digits split off ("KickIn2" is "kick in 2"), case and
punctuation ignored. The first rule that matches wins, in this order: the master (by the DAW's
role or its name); effect returns ("Verb", "Vox Plate", "FX"); buses by name ("Drum Bus") and
folder, group, return and VCA tracks by the DAW's role; then the instruments, most specific
first (backing vocals before vocals, "Bass Drum" a kick before any bass, the drum kit's mics
before the room, "Upright Piano" a piano, "Synth Bass" a bass, spoken word before singing); a
bare "Drums" or "Loop" is percussion; else `other`. Each role also knows its studio words in
German, French, Italian, Spanish and Portuguese ("Gesang", "Grosse caisse", "Chitarra", "Bajo",
"Bateria"), accents folded.
"""

from __future__ import annotations

import re
import unicodedata

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


_MASTER = _words(
    "master", "mix bus", "mixbus", "2 ?bus", "stereo out", "main out", "main mix", "mains", "summe", "stereosumme"
)
_FX = _words(
    "verb", "reverb", "rev", "delay", "dly", "echo", "fx", "sfx", "efx", "plate", "hall", "chamber",
    "spring", "slap", "slapback", "verbs", "delays", "throw", "ret", "return",
    "eco", "riverbero", "reverberacion", "effekt", "effekte", "efectos", "effetti", "effets", "retorno",
)  # fmt: skip
_BUS = _words(
    "bus", "buss", "busses", "buses", "group", "grp", "folder", "submix", "sub mix", "aux", "stem", "vca",
    "gruppe", "subgruppe", "grupo", "gruppo", "groupe",
)  # fmt: skip
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
# The same roles in the studio words of German, French, Italian, Spanish and Portuguese (accents
# folded: "Bläser" reads "blaser"), each tried right after the English words of its role.
_FOREIGN: dict[str, re.Pattern[str]] = {
    "backing-vocal": _words(
        "chor",
        "chore",
        "choere",
        "coro",
        "coros",
        "cori",
        "coristas?",
        "choeurs?",
        "begleitgesang",
        "backgroundgesang",
        "background gesang",
        "voci",
        "segunda voz",
        "seconde voix",
        "backvocals?",
    ),
    "kick": _words("bassdrum", "grosse caisse", "bombo", "cassa", "grancassa", "kickdrum", "bumbo"),
    "snare": _words("caisse claire", "redoblante", "caja", "rullante", "kleine trommel", "snaredrum", "tarola"),
    "hihat": _words("charleston", "chimbal"),
    "overheads": _words("becken", "platillos", "piatti", "cymbales", "pratos", "overs"),
    "percussion": _words(
        "pandeiro",
        "pandero",
        "panderos",
        "schellenkranz",
        "tamburin",
        "tamburello",
        "maracas",
        "cabasa",
        "percusion",
        "percussao",
        "percussioni",
        "perkussion",
        "percu",
    ),
    "piano": _words("klavier", "pianoforte", "piano a queue", "piano de cola", "flugelpiano", "konzertflugel"),
    "bass": _words(
        "basse",
        "basso",
        "bajo",
        "baixo",
        "bassgitarre",
        "e bass",
        "kontrabass",
        "contrabajo",
        "contrebasse",
        "contrabbasso",
    ),
    "guitar": _words(
        "gitarre",
        "gitarren",
        "git",
        "chitarra",
        "chitarre",
        "guitarra",
        "guitarras",
        "guitare",
        "guitares",
        "violao",
        "akustikgitarre",
        "e gitarre",
        "egit",
    ),
    "keys": _words(
        "orgel",
        "organo",
        "orgue",
        "teclado",
        "teclados",
        "tastiera",
        "tastiere",
        "clavier",
        "claviers",
        "tasten",
        "cembalo",
        "clavecin",
        "e piano",
    ),
    "synth": _words("sintetizador", "sintetizzatore", "synthetiseur", "synthesizer", "flache", "flachen", "teppich"),
    "strings": _words(
        "streicher",
        "geigen?",
        "violinen?",
        "bratsche",
        "archi",
        "violini",
        "cuerdas",
        "violines",
        "cordes",
        "violons?",
        "cordas",
        "violoncelle",
        "violonchelo",
    ),
    "brass": _words(
        "blaser",
        "blech",
        "blechblaser",
        "trompeten?",
        "posaunen?",
        "fiati",
        "ottoni",
        "tromba",
        "trombe",
        "vientos",
        "metales",
        "trompetas?",
        "cuivres",
        "trompettes?",
        "saxofon",
        "saxophon",
        "sopros",
        "metais",
    ),
    "vocal": _words(
        "gesang",
        "stimme",
        "leadgesang",
        "lead gesang",
        "hauptstimme",
        "voce",
        "voz",
        "voix",
        "chant",
        "cantante",
        "canto",
        "chanteur",
        "chanteuse",
        "sanger",
        "saenger",
        "sangerin",
        "vocale",
        "vocal lead",
    ),
    "room": _words("raum", "ambiente", "salle", "sala", "stanza", "raummikro"),
}
# Spoken word before any vocal ("Voice Over", "Voix off" are not singing); a drum kit by name last.
_SPOKEN = _words(
    "voice ?over",
    "voice off",
    "voix off",
    "voz en off",
    "voz off",
    "sprecher",
    "sprecherin",
    "moderation",
    "moderator",
    "locucion",
    "locutor",
    "locutora",
    "narrador",
    "narratore",
    "dialogo",
    "dialogos",
    "entrevista",
)
_KIT = _words("schlagzeug", "batterie", "bateria", "batteria", "drumset")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    rule
    for at, (role, pattern) in enumerate(_INSTRUMENTS)
    for rule in (
        *((("dialogue", _SPOKEN),) if role == "vocal" else ()),
        (role, pattern),
        *(((role, _FOREIGN[role]),) if role in _FOREIGN and all(r != role for r, _ in _INSTRUMENTS[:at]) else ()),
        *((("percussion", _KIT),) if at == len(_INSTRUMENTS) - 1 else ()),
    )
)  # fmt: skip
_FOLDED = str.maketrans({"ß": "ss", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ł": "l"})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_DIGITS = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def words(name: str) -> str:
    """A name as lower-case words separated by single spaces, accents folded: "KickIn_2 (L)" is
    "kick in 2 l", "Bläser" is "blaser"."""
    folded = unicodedata.normalize("NFKD", name.translate(_FOLDED))
    name = "".join(c for c in folded if not unicodedata.combining(c))
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
    for role, pattern in _RULES:
        if pattern.search(text):
            return role
    return "other"
