"""Audio found the way each DAW lays it out: REAPER's media in its RECORD_PATH, Ardour's in
`interchange/<name>/audiofiles`, Ableton's under `Samples/` (written as a path of another
machine), DAWproject's inside its archive, saves read from inside a .zip, and backups resolved
against the project they back up. In each, a fader cut that takes a hot guitar under -1 dBTP is
justified, and the log says how many tracks' audio was found."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from daemon.ingest.bulk import ingest
from daemon.log.store import Store, sqlite_url
from profiles.justify.processor import justify

T1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()
CUT = 10 ** (-1.5 / 20)  # the fader after the cut: -1.5 dB, linear


def hot_guitar() -> bytes:
    """4 s of a guitar-like tone peaking at -0.5 dBFS: over -1 dBTP at 0 dB, under it at -1.5 dB."""
    rate = 48000
    t = np.arange(rate * 4) / rate
    x = 10 ** (-0.5 / 20) * np.sin(2 * np.pi * 196 * t)
    buffer = io.BytesIO()
    sf.write(buffer, x.astype(np.float32), rate, format="WAV", subtype="PCM_24")
    return buffer.getvalue()


def reaper(gain: float, audio: str, stamp: float) -> bytes:
    return (
        f'<REAPER_PROJECT 0.1 "7.26/linux-x86_64" {int(stamp)}\n  RECORD_PATH "Media" ""\n  TEMPO 120 4 4\n'
        f"  <TRACK {{A1}}\n    NAME Gtr\n    VOLPAN {gain} 0 -1 -1 1\n"
        f'    <ITEM\n      POSITION 0\n      LENGTH 4\n      <SOURCE WAVE\n        FILE "{audio}"\n      >\n    >\n  >\n>\n'
    ).encode()


def ardour(gain: float, audio: str) -> bytes:
    control = f'<Controllable name="gaincontrol" id="1" flags="" value="{gain}"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Session version="7003" name="Song" sample-rate="48000">'
        f'<Sources><Source name="{audio}" type="audio" id="700"/></Sources>'
        '<Routes><Route version="7003" id="10" name="Gtr" default-type="audio" active="1" audio-playlist="1010">'
        '<PresentationInfo order="0" flags="AudioTrack,OrderSet"/>'
        f'<Processor id="4" name="Fader" active="1" type="amp">{control}</Processor>'
        '<Processor id="5" name="Master" active="1" type="main-outs" role="Main"/></Route>'
        '<Route version="7003" id="99" name="Master" default-type="audio" active="1">'
        '<PresentationInfo order="1" flags="MasterOut"/></Route></Routes>'
        '<Playlists><Playlist id="1010" name="Gtr.1" type="audio" orig-track-id="10">'
        '<Region name="gtr" position="a0" length="a1128960000" start="a0" muted="0" scale-gain="1" '
        'source-0="700" id="800"/></Playlist></Playlists>'
        '<TempoMap superclocks-per-second="282240000"><Tempos>'
        '<Tempo npm="120" enpm="120" note-type="4" type="Constant" active="1"/></Tempos>'
        '<Meters><Meter note-value="4" divisions-per-bar="4"/></Meters></TempoMap></Session>'
    ).encode()


def ableton(gain: float, audio: str) -> bytes:
    def param(target: int, value: object) -> str:
        return f"<Manual Value='{value}'/><AutomationTarget Id='{target}'/>"

    def mixer(base: int, volume: float) -> str:
        return (
            f"<Mixer><On>{param(base, 'true')}</On><Sends/><Speaker>{param(base + 1, 'true')}</Speaker>"
            f"<SoloSink Value='false'/><Pan>{param(base + 2, 0)}</Pan><Volume>{param(base + 3, volume)}</Volume>"
            f"<Tempo>{param(8, 120)}</Tempo><TimeSignature>{param(10, 201)}</TimeSignature></Mixer>"
        )

    clip = (
        "<MainSequencer><Sample><ArrangerAutomation><Events><AudioClip Id='0' Time='0'>"
        "<CurrentStart Value='0'/><CurrentEnd Value='8'/><Name Value='gtr'/><Loop><LoopStart Value='0'/></Loop>"
        "<Disabled Value='false'/><SampleVolume Value='1'/>"
        f"<SampleRef><FileRef><Path Value='/Users/anna/Music/Song Project/{audio}'/></FileRef></SampleRef>"
        "</AudioClip></Events></ArrangerAutomation></Sample></MainSequencer>"
    )
    track = (
        "<AudioTrack Id='11'><Name><EffectiveName Value='Gtr'/><UserName Value=''/></Name>"
        "<TrackGroupId Value='-1'/><DeviceChain><AudioOutputRouting><Target Value='AudioOut/Master'/>"
        f"</AudioOutputRouting>{mixer(100, gain)}<DeviceChain><Devices/></DeviceChain>{clip}</DeviceChain></AudioTrack>"
    )
    master = (
        "<MasterTrack Id='0'><Name><EffectiveName Value='Master'/><UserName Value=''/></Name>"
        f"<TrackGroupId Value='-1'/><DeviceChain>{mixer(700, 1)}<DeviceChain><Devices/></DeviceChain></DeviceChain>"
        "</MasterTrack>"
    )
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?><Ableton MajorVersion='5' MinorVersion='11.0_11300' "
        f"Creator='Ableton Live 11.3.13'><LiveSet><Tracks>{track}</Tracks>{master}</LiveSet></Ableton>"
    )
    return gzip.compress(xml.encode())


def _save(path: Path, data: bytes, moment: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (moment, moment))


def lay_out_reaper(project: Path) -> None:
    """Two backups (the cut made in the second) and the live project, media in RECORD_PATH."""
    _save(project / "Media" / "gtr.wav", hot_guitar(), T1)
    _save(project / "Backups" / "Song-2026-03-02_1000.rpp-bak", reaper(1.0, "gtr.wav", T1 + 60), T1 + 60)
    _save(project / "Backups" / "Song-2026-03-02_1100.rpp-bak", reaper(CUT, "gtr.wav", T1 + 3600), T1 + 3600)
    _save(project / "Song.RPP", reaper(CUT, "gtr.wav", T1 + 7200), T1 + 7200)


def lay_out_ardour(project: Path) -> None:
    """Ardour's own layout: the session in its folder, its sources in interchange/, a .bak."""
    _save(project / "interchange" / "Song" / "audiofiles" / "Gtr-1.wav", hot_guitar(), T1)
    _save(project / "Song.ardour.bak", ardour(1.0, "Gtr-1.wav"), T1 + 60)
    _save(project / "Song.ardour", ardour(CUT, "Gtr-1.wav"), T1 + 3600)


def lay_out_ableton(project: Path) -> None:
    """A Live project moved from another machine: samples under Samples/Recorded, the set's paths
    absolute to the old one; the cut in the live set, the set before it in Backup/."""
    _save(project / "Samples" / "Recorded" / "gtr.wav", hot_guitar(), T1)
    _save(project / "Backup" / "Song [2026-03-02 100100].als", ableton(1.0, "Samples/Recorded/gtr.wav"), T1 + 60)
    _save(project / "Song.als", ableton(CUT, "Samples/Recorded/gtr.wav"), T1 + 3600)


LAYOUTS: dict[str, Callable[[Path], None]] = {
    "REAPER": lay_out_reaper,
    "Ardour": lay_out_ardour,
    "Ableton": lay_out_ableton,
}


def _judged_cut(tmp_path: Path, archive: Path) -> tuple[str, dict]:
    store = Store.open(sqlite_url(tmp_path / "t.db"))
    report = ingest([archive], store, "greg", jobs=1)
    assert report.rejected == [] and report.saves >= 2, report.summary()
    justify(store, extract_to=tmp_path / "extracted")
    (cut,) = [
        e
        for e in store.events(types=("parameter-changed",))
        if e.payload["parameter"] == "volume_db" and e.payload["after"] < e.payload["before"]
    ]
    verdict = next(
        e
        for e in store.events(types=("change-justified", "change-unexplained"))
        if e.payload["refers_to"] == cut.position
    )
    saved = next(e for e in store.events(types=("session-saved",)) if e.version == cut.version)
    return verdict.payload.get("rule", "unexplained"), saved.payload


@pytest.mark.parametrize("daw", sorted(LAYOUTS))
def test_a_fader_cut_under_the_ceiling_is_justified_with_the_audio_where_the_daw_keeps_it(
    tmp_path: Path, daw: str
) -> None:
    project = tmp_path / "archive" / "Song Project"
    LAYOUTS[daw](project)
    rule, saved = _judged_cut(tmp_path, tmp_path / "archive")
    assert rule == "clip-prevention"
    assert saved["audio_tracks"] == 1 and "audio_missing" not in saved


def test_a_save_read_from_inside_a_zip_has_its_audio_read_from_the_zip(tmp_path: Path) -> None:
    project = tmp_path / "project"
    lay_out_reaper(project)
    archive = tmp_path / "in" / "Song Project.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(project.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(
                    f"Song Project/{path.relative_to(project)}",
                    datetime.fromtimestamp(path.stat().st_mtime, UTC).timetuple()[:6],
                )
                out.writestr(info, path.read_bytes())
    rule, saved = _judged_cut(tmp_path, tmp_path / "in")
    assert rule == "clip-prevention" and saved["audio_tracks"] == 1
    assert "!" in saved["file"]


def test_missing_audio_is_said_and_never_looked_for_outside_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from daemon.cli import main

    outside = tmp_path / "elsewhere" / "gtr.wav"
    outside.parent.mkdir()
    outside.write_bytes(hot_guitar())  # beside the project, not in it: never opened
    project = tmp_path / "archive" / "Song Project"
    _save(project / "Song.RPP", reaper(1.0, "../../elsewhere/gtr.wav", T1), T1)
    _save(project / "Song v2.RPP", reaper(CUT, str(outside), T1 + 60), T1 + 60)
    db = str(tmp_path / "t.db")
    assert main(["ingest", str(tmp_path / "archive"), "--db", db, "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "audio: Song: 0 of 1 track(s)' audio found; missing: Gtr" in out
    assert main(["events", "--db", db]) == 0
    assert "audio: 0 of 1 track(s)' audio found; missing: Gtr" in capsys.readouterr().out
