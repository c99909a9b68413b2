"""The differ needs no format-specific code: the same mix move, written the way each DAW writes
it (a fader from -6 dB to -3 dB and a pan to half left on a track "Bass"), reads and diffs to the
same standard-term changes in DAWproject, REAPER, Ardour and Ableton Live."""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from daemon.formats import read_session
from daemon.formats.dawproject_writer import write_dawproject
from daemon.sessions.diff import diff
from daemon.sessions.model import Channel, Session, Track

BEFORE = (10 ** (-6 / 20), 0.0)  # (linear gain, pan -1..+1)
AFTER = (10 ** (-3 / 20), -0.5)


def dawproject(path: Path, gain: float, pan: float) -> Path:
    track = Track(
        "Bass", role="audio", content_types=("audio",), channel=Channel(volume_db=20 * math.log10(gain), pan=pan)
    )
    write_dawproject(Session("Song", tempo_bpm=120.0, tracks=(track,)), path.with_suffix(".dawproject"))
    return path.with_suffix(".dawproject")


def reaper(path: Path, gain: float, pan: float) -> Path:
    text = f'<REAPER_PROJECT 0.1 "7.26/linux-x86_64" 1733339460\n  TEMPO 120 4 4\n  <TRACK\n    NAME Bass\n    VOLPAN {gain!r} {pan!r} -1 -1 1\n    MUTESOLO 0 0 0\n  >\n>\n'
    path.with_suffix(".RPP").write_text(text)
    return path.with_suffix(".RPP")


def ardour(path: Path, gain: float, pan: float) -> Path:
    def control(name: str, value: float) -> str:
        return f'<Controllable name="{name}" id="{abs(hash(name)) % 1000}" flags="" value="{value!r}"/>'

    route = (
        '<Route version="7003" id="10" name="Bass" default-type="audio" active="1" audio-playlist="1010">'
        '<PresentationInfo order="0" flags="AudioTrack,OrderSet"/>'
        f"{control('solo', 0)}{control('mute', 0)}<Pannable>{control('pan-azimuth', (pan + 1) / 2)}</Pannable>"
        f'<Processor id="4" name="Amp" active="1" type="amp">{control("gaincontrol", gain)}</Processor>'
        '<Processor id="5" name="Bass" active="1" type="main-outs" role="Main"/></Route>'
        '<Route version="7003" id="99" name="Master" default-type="audio" active="1">'
        '<PresentationInfo order="1" flags="MasterOut"/></Route>'
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Session version="7003" name="Song" sample-rate="48000">'
        f'<Routes>{route}</Routes><TempoMap superclocks-per-second="282240000"><Tempos>'
        '<Tempo npm="120" enpm="120" note-type="4" type="Constant" active="1"/></Tempos></TempoMap></Session>'
    )
    path.with_suffix(".ardour").write_text(xml)
    return path.with_suffix(".ardour")


def ableton(path: Path, gain: float, pan: float) -> Path:
    def param(ident: int, value: object, low: str, high: str) -> str:
        return (
            f"<Manual Value='{value}'/><MidiControllerRange><Min Value='{low}'/><Max Value='{high}'/>"
            f"</MidiControllerRange><AutomationTarget Id='{ident}'/>"
        )

    def mixer(base: int, volume: float, pan_value: float, tempo: str = "") -> str:
        return (
            f"<Mixer><Sends/><Speaker><Manual Value='true'/><AutomationTarget Id='{base}'/></Speaker>"
            f"<SoloSink Value='false'/><Pan>{param(base + 1, pan_value, '-1', '1')}</Pan>"
            f"<Volume>{param(base + 2, volume, '0.0003162277571', '1.99526238')}</Volume>{tempo}</Mixer>"
        )

    def track(tag: str, ident: int, name: str, body: str) -> str:
        return (
            f"<{tag} Id='{ident}'><Name><EffectiveName Value='{name}'/><UserName Value=''/></Name>"
            f"<TrackGroupId Value='-1'/><DeviceChain>{body}<DeviceChain><Devices/></DeviceChain></DeviceChain></{tag}>"
        )

    tempo = "<Tempo><Manual Value='120'/><AutomationTarget Id='8'/></Tempo>"
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?><Ableton MajorVersion='5' MinorVersion='11.0_11300' "
        "Creator='Ableton Live 11.3.13'><LiveSet><Tracks>"
        + track("AudioTrack", 11, "Bass", mixer(100, gain, pan))
        + "</Tracks>"
        + track("MasterTrack", 0, "Master", mixer(700, 1, 0, tempo))
        + "</LiveSet></Ableton>"
    )
    path.with_suffix(".als").write_bytes(gzip.compress(xml.encode()))
    return path.with_suffix(".als")


WRITERS: dict[str, Callable[[Path, float, float], Path]] = {
    "dawproject": dawproject,
    "reaper": reaper,
    "ardour": ardour,
    "ableton": ableton,
}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_the_same_mix_move_is_the_same_change_in_every_format(fmt: str, tmp_path: Path) -> None:
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    old = read_session(WRITERS[fmt](tmp_path / "v1" / "Song", *BEFORE), name="Song")
    new = read_session(WRITERS[fmt](tmp_path / "v2" / "Song", *AFTER), name="Song")
    assert old.problems == () and new.problems == ()
    changes = {(c.type, c.track, c.parameter): (c.before, c.after) for c in diff(old, new)}
    assert set(changes) == {("parameter-changed", "Bass", "volume_db"), ("parameter-changed", "Bass", "pan")}
    before, after = changes[("parameter-changed", "Bass", "volume_db")]
    assert (before, after) == (pytest.approx(-6.0, abs=0.01), pytest.approx(-3.0, abs=0.01))
    assert changes[("parameter-changed", "Bass", "pan")] == (
        pytest.approx(0.0, abs=1e-6),
        pytest.approx(-0.5, abs=1e-6),
    )
    assert diff(old, old) == []
