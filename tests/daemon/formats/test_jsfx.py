"""JSFX slider names: read from the effect's source where this machine has it, shown beside the
slider's changes; the term stays `param.slider<N>` whatever the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.formats import jsfx
from daemon.formats.reaper import read_reaper
from daemon.sessions.diff import diff
from daemon.sessions.sentences import sentence

# The description section of a JSFX, as REAPER's own effects and Ultraschall's write it.
SOURCE = """desc: Ultraschall Dynamics (test copy)
slider1:0<-20,20,0.1>Input Gain (dB)
slider14:target=-16<-40,0,1>Target loudness (LUFS)
slider15:-60<-120,0,1>-Noise floor (dB)
slider16:0<0,2,1{Off,Soft,Hard}>Mode
in_pin:left
@init
slider20:0<0,1>not a slider line: after @init
"""


def test_slider_lines_give_their_names() -> None:
    assert jsfx.parse_sliders(SOURCE) == {
        1: "Input Gain (dB)",
        14: "Target loudness (LUFS)",
        15: "Noise floor (dB)",
        16: "Mode",
    }


def test_an_effect_path_that_leaves_the_folders_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret").write_text("slider1:0<0,1>Leak\n")
    effects = tmp_path / "Effects"
    effects.mkdir()
    monkeypatch.setenv(jsfx.ENV, str(effects))
    assert jsfx.slider_names("../secret") == {}
    assert jsfx.slider_names(str(tmp_path / "secret")) == {}


@pytest.mark.corpus
def test_the_ultraschall_sliders_are_shown_by_name(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ultraschall-studiolink v6 -> v7: sliders 15, 18, 19, 20 of dynamics/Ultraschall_Dynamics moved."""
    effects = tmp_path / "Effects"
    (effects / "dynamics").mkdir(parents=True)
    (effects / "dynamics" / "Ultraschall_Dynamics").write_text(SOURCE)
    monkeypatch.setenv(jsfx.ENV, str(effects))
    files = sorted((corpus / "histories" / "ultraschall-studiolink").glob("*.RPP"))
    changes = diff(read_reaper(files[5]), read_reaper(files[6]))
    floor = [c for c in changes if c.parameter == "param.slider15"]
    assert floor and {c.where["shown"] for c in floor} == {"Noise floor (dB)"}
    assert sentence(floor[0]).endswith("Noise floor -56 dB -> -40 dB")
    unnamed = [c for c in changes if c.parameter == "param.slider19"]
    assert unnamed and "shown" not in unnamed[0].where and "slider 19" in sentence(unnamed[0])
