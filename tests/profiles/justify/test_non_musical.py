"""The non-musical rule: trims, mute automation and removed clips over count-ins and chatter, and its near misses."""

from __future__ import annotations

import pytest

from daemon.formats.dawproject_writer import write_dawproject
from daemon.log.records import LoggedEvent
from daemon.sessions.model import AutomationLane, Clip, Session, Track
from profiles.justify.rules import non_musical
from tests.profiles.justify.builders import T0, measured_save, take_with_count_in


@pytest.mark.parametrize(
    ("count_in", "new_start_s", "justified"),
    [
        (True, 1.9, True),  # the count-in trimmed away
        (True, 3.0, False),  # the trim cuts into the singing
        (False, 1.9, False),  # nothing audible there to take out
    ],
)
def test_a_trim_of_the_count_in_is_non_musical_and_its_near_misses(
    tmp_path,
    count_in: bool,
    new_start_s: float,
    justified: bool,  # noqa: ANN001
) -> None:
    beats = new_start_s * 2  # 120 BPM: two beats a second
    clip = Clip("audio/Vox.wav", 0.0, 16.0, "Vox")
    before = Session(
        "Take", tempo_bpm=120.0, tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(clip,)),)
    )
    trimmed = Clip("audio/Vox.wav", beats, 16.0 - beats, "Vox", play_start=beats)
    after = Session(
        "Take", tempo_bpm=120.0, tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(trimmed,)),)
    )
    path = write_dawproject(after, tmp_path / "Take.dawproject", media={"audio/Vox.wav": take_with_count_in(count_in)})
    payload = {
        "track": "Vox",
        "parameter": "audio/Vox.wav",
        "before": {"position": 0.0, "duration": 16.0, "play_start": 0.0},
        "after": {"position": beats, "duration": 16.0 - beats, "play_start": beats},
        "where": {"track": 0, "clip": 0},
    }
    move = LoggedEvent(9, "clip-changed", "Take", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Take", (move,), before, after)
    verdict = non_musical.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "count-in" in verdict.reason and float(verdict.evidence["music_share"]) <= 0.05


@pytest.mark.parametrize(
    ("target", "before_points", "after_points", "count_in", "justified"),
    [
        ("mute", None, [[0.0, 1.0], [3.6, 0.0]], True, True),  # muted over the count-in (0-1.8 s)
        ("volume_db", None, [[0.0, -40.0], [3.6, -40.0], [3.7, 0.0]], True, True),  # ridden down over it
        ("mute", [[0.0, 0.0]], [[0.0, 0.0], [6.0, 1.0], [10.0, 0.0]], True, False),  # muted over the singing
        ("mute", None, [[0.0, 1.0], [3.6, 0.0]], False, False),  # muting silence takes nothing out
        ("volume_db", None, [[0.0, -4.0], [3.6, -4.0], [3.7, 0.0]], True, False),  # 4 dB down is no mute
    ],
)
def test_mute_automation_over_the_count_in_is_non_musical_and_its_near_misses(
    tmp_path,  # noqa: ANN001
    target: str,
    before_points: list[list[float]] | None,
    after_points: list[list[float]],
    count_in: bool,
    justified: bool,
) -> None:
    clip = Clip("audio/Vox.wav", 0.0, 16.0, "Vox")

    def take(points: list[list[float]] | None) -> Session:
        hold = "hold" if target == "mute" else "linear"
        lanes = () if points is None else (AutomationLane(target, None, tuple((t, v) for t, v in points), hold),)
        track = Track("Vox", role="audio", content_types=("audio",), clips=(clip,), automation=lanes)
        return Session("Take", tempo_bpm=120.0, tracks=(track,))

    before, after = take(before_points), take(after_points)
    path = write_dawproject(after, tmp_path / "Take.dawproject", media={"audio/Vox.wav": take_with_count_in(count_in)})
    payload = {
        "track": "Vox",
        "parameter": target,
        "before": before_points,
        "after": after_points,
        "where": {"track": 0, "interpolation": "hold" if target == "mute" else "linear"},
    }
    move = LoggedEvent(9, "automation-changed", "Take", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Take", (move,), before, after)
    verdict = non_musical.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert "count-in" in verdict.reason and float(verdict.evidence["music_share"]) <= 0.05
        assert float(verdict.evidence["removed_s"]) == pytest.approx(1.8, abs=0.2)
        assert verdict.reason.startswith("You muted Vox over 0.0-1.8 s" if target == "mute" else "You automated")


@pytest.mark.parametrize(("count_in", "justified"), [(True, True), (False, False)])
def test_a_clip_of_chatter_removed_is_non_musical(tmp_path, count_in: bool, justified: bool) -> None:  # noqa: ANN001
    chatter = Clip("audio/Vox.wav", 0.0, 3.6, "Vox")  # the first 1.8 s of the take: count-in only
    singing = Clip("audio/Vox.wav", 4.0, 12.0, "Vox", play_start=4.0)
    before = Session(
        "Take",
        tempo_bpm=120.0,
        tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(chatter, singing)),),
    )
    after = Session(
        "Take", tempo_bpm=120.0, tracks=(Track("Vox", role="audio", content_types=("audio",), clips=(singing,)),)
    )
    path = write_dawproject(before, tmp_path / "Take.dawproject", media={"audio/Vox.wav": take_with_count_in(count_in)})
    payload = {"track": "Vox", "parameter": "audio/Vox.wav", "before": {"position": 0.0, "duration": 3.6}, "after": None,
               "where": {"track": 0, "clip": 0}}  # fmt: skip
    move = LoggedEvent(9, "clip-removed", "Take", 2, "greg", T0, payload)
    save = measured_save(tmp_path, path, "Take", (move,), before, after)
    verdict = non_musical.judge(move, save)
    assert (verdict is not None) == justified
    if verdict is not None:
        assert verdict.reason.startswith("You removed Vox's clip over 0.0-1.8 s")
