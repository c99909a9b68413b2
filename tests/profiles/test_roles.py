"""A track's role from its name and DAW role (profiles/roles.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from profiles.roles import ROLES, role_of, words

NAMES = {
    "kick": ["Kick", "Kik In", "BD", "Kick Out", "KickIn2", "Bass Drum", "kick_sub", "KICK"],
    "snare": ["Snare", "SnareTop", "Snare Bottom", "SN 2", "Snr"],
    "toms": ["Tom 1", "Floor Tom", "Rack Tom", "Toms", "FT"],
    "hihat": ["HiHat", "Hi-Hat", "HH", "Hats"],
    "overheads": ["OH", "OH L", "Overheads", "OHs", "Ride"],
    "room": ["Room", "Drum Room", "Rooms L", "Amb"],
    "percussion": ["Shaker", "Tamb", "Congas", "Perc 2", "Drums", "Drum Loop"],
    "bass": ["Bass", "Bass DI", "Bass Amp", "BassDI", "Synth Bass", "Upright", "Acoustic Bass"],
    "guitar": ["Gtr L", "Gtr R 2", "Guitar", "Ac Gtr", "Acoustic", "Lead Gtr", "Gtr Amb", "EGtr1"],
    "piano": ["Piano", "Pno", "Grand Piano", "Upright Piano"],
    "keys": ["Keys", "Rhodes", "Organ", "Wurli", "Hammond"],
    "synth": ["Synth", "Pad", "Arp 2", "Synth Lead"],
    "strings": ["Strings", "Violin 1", "Cello", "Viola"],
    "brass": ["Brass", "Trumpet", "Horns", "Sax"],
    "vocal": ["Lead Vox", "Vocal", "Vox", "Lead Vocal", "Vox Dbl", "Voc 2", "LV"],
    "backing-vocal": ["BV", "Backing Vox", "Harmony", "BGVs", "Vox Harmony", "BV 3", "Choir"],
    "dialogue": ["Dialogue", "Host", "Guest Mic", "VO", "Narration"],
    "fx": ["Verb", "Reverb", "FX", "Vox Plate", "Delay", "Snare Verb", "Echo Return"],
    "bus": ["Drum Bus", "Vocal Bus", "Group 1", "Aux 2", "Gtr Buss"],
    "master": ["Master", "Mix Bus", "Stereo Out"],
    "other": ["Audio 1", "Track 7", "Click", "", "???", "Untitled"],
}


@pytest.mark.parametrize(("role", "name"), [(role, name) for role, names in NAMES.items() for name in names])
def test_role_of_realistic_names(role: str, name: str) -> None:
    assert role_of(name) == role


# Track names as German, French, Italian, Spanish and Portuguese sessions spell them.
FOREIGN = {
    "kick": ["Bassdrum", "Grosse caisse", "Cassa", "Bombo", "Grosse Caisse 2"],
    "snare": ["Caisse claire", "Rullante", "Redoblante", "Caja"],
    "hihat": ["Charleston"],
    "overheads": ["Becken", "Platillos", "Piatti"],
    "percussion": ["Schlagzeug", "Batería", "Batterie", "Pandeiro", "Schellenkranz"],
    "bass": ["Basso", "Bajo", "Basse", "Kontrabass", "Bassgitarre"],
    "guitar": ["Gitarre", "Git 1", "E-Gitarre", "Chitarra", "Guitarra", "Guitare", "Violão"],
    "piano": ["Klavier", "Pianoforte"],
    "keys": ["Orgel", "Teclado", "Tastiera", "Orgue"],
    "synth": ["Fläche", "Synthesizer", "Sintetizador"],
    "strings": ["Streicher", "Geigen", "Archi", "Cuerdas", "Cordes"],
    "brass": ["Bläser", "Trompete", "Posaunen", "Fiati", "Trompeta", "Cuivres"],
    "vocal": ["Gesang", "Leadgesang", "Hauptstimme", "Voce", "Voz", "Voix", "Chant", "Sänger"],
    "backing-vocal": ["Chor", "Coros", "Chœurs", "Cori", "Begleitgesang"],
    "dialogue": ["Sprecher", "Sprecherin", "Voix off", "Locutor", "Moderation", "Voice Over"],
    "room": ["Raum", "Ambiente", "Salle"],
    "fx": ["Hall", "Eco", "Riverbero", "Effekte"],
    "bus": ["Gruppe 1", "Grupo Baterías", "Gruppo Voci"],
    "master": ["Summe", "Stereosumme"],
}


@pytest.mark.parametrize(("role", "name"), [(role, name) for role, names in FOREIGN.items() for name in names])
def test_role_of_names_in_other_languages(role: str, name: str) -> None:
    assert role_of(name) == role


def test_accents_are_folded() -> None:
    assert words("Bläser Groß Chœurs Batería") == "blaser gross choeurs bateria"


def test_the_daw_role_decides_for_folders_returns_and_the_master() -> None:
    assert role_of("Drums", "group") == "bus"
    assert role_of("Vocals", "group") == "bus"
    assert role_of("Parallel Crush", "return") == "bus"
    assert role_of("Vox Verb", "return") == "fx"
    assert role_of("Out", "master") == "master"
    assert role_of("Kick", "audio") == "kick"
    assert role_of("Kick", None) == "kick"


def test_every_role_is_in_the_contract_list() -> None:
    assert len(ROLES) == len(set(ROLES)) == 21
    assert set(NAMES) == set(ROLES)
    assert words("KickIn_2 (L)") == "kick in 2 l"


def test_the_corpus_track_names(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from daemon.ingest.bulk import ingest
    from daemon.log.store import Store, sqlite_url

    store = Store.open(sqlite_url(tmp_path / "corpus.db"))
    ingest(sorted((corpus / "histories").iterdir()), store, "greg", jobs=2)
    seen: dict[tuple[str, str], str] = {}
    for name in sorted({e.session for e in store.events(types=("session-saved",))}):
        session = store.latest_session(name)
        assert session is not None
        for _, track in session.walk():
            role = role_of(track.name, track.role)
            assert role in ROLES
            seen[(track.name, track.role)] = role
    with capsys.disabled():
        print(f"\n{len(seen)} corpus tracks:", "; ".join(f"{n!r}/{r} -> {x}" for (n, r), x in sorted(seen.items())))
    for (name, daw_role), role in seen.items():
        if daw_role == "master":
            assert role == "master"
        elif words(name) in ("kick", "snare", "bass", "vocal", "vocals", "guitar", "piano", "keys", "synth"):
            assert role in (words(name).rstrip("s"), words(name)) or daw_role in ("group", "return")
