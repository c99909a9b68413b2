"""The names a JSFX effect gives its sliders, from the effect's source where this machine has it.

A REAPER project keeps a JS effect's slider values only (`<JS path ""` then one value per
slider), not what the sliders are called: that is in the effect's source file, under REAPER's
resource folder (`Effects/<path>`). Where that file is found, `slider_names` reads its
`sliderN:...` lines as REAPER does (`slider4:-20<-60,0,1>Threshold (dB)`, the named form
`slider4:thresh=-20<-60,0,1>Threshold (dB)`, a leading "-" hiding the slider from the UI) and
the changes of those sliders are shown by name; elsewhere they are "slider N".

Folders searched, in order: those in TAPEOP_JSFX_PATH (os.pathsep-separated), then REAPER's
resource folder on this platform (Linux ~/.config/REAPER, macOS ~/Library/Application
Support/REAPER, Windows %APPDATA%/REAPER), its `Effects/` folder. Nothing is read outside them:
an effect path that climbs out (`..`, absolute) finds nothing.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from pathlib import Path

MAX_SOURCE_BYTES = 4 * 1024 * 1024
_SLIDER = re.compile(r"^slider(\d+):\s*(?:[A-Za-z_]\w*\s*=\s*)?[^<\s]*\s*(?:<[^>]*>)?\s*(?P<name>.*?)\s*$")
ENV = "TAPEOP_JSFX_PATH"


def effects_folders() -> list[Path]:
    folders = [Path(p) for p in os.environ.get(ENV, "").split(os.pathsep) if p]
    home = Path.home()
    if sys.platform == "darwin":
        folders.append(home / "Library" / "Application Support" / "REAPER" / "Effects")
    elif sys.platform == "win32":
        folders.append(Path(os.environ.get("APPDATA", home)) / "REAPER" / "Effects")
    else:
        folders.append(Path(os.environ.get("XDG_CONFIG_HOME", home / ".config")) / "REAPER" / "Effects")
    return folders


def slider_names(effect: str) -> dict[int, str]:
    """slider number -> name for the JS effect at `effect` ("dynamics/Ultraschall_Dynamics"), from
    the first folder that holds its source; {} where none does."""
    return dict(_names(effect, tuple(str(f) for f in effects_folders())))


@lru_cache(maxsize=256)
def _names(effect: str, folders: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    relative = Path(effect.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return ()
    for folder in folders:
        source = Path(folder) / relative
        try:
            if not source.is_file() or source.stat().st_size > MAX_SOURCE_BYTES:
                continue
            text = source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return tuple(parse_sliders(text).items())
    return ()


def parse_sliders(text: str) -> dict[int, str]:
    """slider number -> name from a JSFX source's description section (up to its first @section)."""
    names: dict[int, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("@"):
            break
        match = _SLIDER.match(stripped)
        if match:
            name = match.group("name").lstrip("-").strip()
            if name:
                names[int(match.group(1))] = name
    return names
