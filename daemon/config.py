"""Where tapeop keeps its things, who is signed in, and the config file.

- The database: `--db URL`, else `TAPEOP_DB`, else SQLite in the user data directory
  (platformdirs). A plain file path is taken as an SQLite file.
- The signed-in engineer: `tapeop login NAME` writes it to `signed-in` in the user config
  directory (`TAPEOP_CONFIG_DIR` overrides the directory); `--user NAME` overrides it per
  command; with nobody signed in, the OS login name is used.
- The logs: the user log directory (platformdirs), `TAPEOP_LOG_DIR` overrides it.

The config file
---------------
`config.toml` in the user config directory (`config_file()`). It is optional: a missing file means
the defaults below. It is read with the standard library's `tomllib` (TOML 1.0)::

    [watch]
    quiet_seconds = 2.0     # a file must be left alone this long before it is read (the settle period)
    idle_minutes = 15       # no save for this long and the engineer is away: down-time work runs
    rescan_minutes = 10     # a full rescan of the roots as a backstop to the file events

    [[watch.roots]]
    path = "~/Music/Sessions"
    engineer = "greg"       # events from this folder are greg's, whoever is signed in

    [[watch.roots]]
    path = "/Volumes/Studio B/Sessions"   # no engineer: the one signed in when the save happens

    [justify]
    nominal_lufs = -20.0    # the working level gain staging brings tracks toward (LUFS)

    [questions]
    per_break = 5           # questions offered per down-time (the notification, `tapeop ask`)

Rules:

- `questions.per_break` is a whole number from 1 to 100.
- Every number of [watch] must be positive; integers are accepted where a float is expected,
  booleans are not. `justify.nominal_lufs` is a loudness from -60 up to 0 LUFS.
- `path` is expanded (`~`, `$VAR`) and must then be absolute; the same folder twice is an error.
- `engineer` follows the rules of `tapeop login` (letters, digits, spaces, `. ' @ + -`, 64 at most).
- A key tapeop does not know is an error that names it (with the closest known key), so that a typo
  like `enginer` does not silently attribute a studio's saves to the wrong person.
- Any error names the file and the reason, with TOML's line and column where the syntax is at fault.

Who a save belongs to (`engineer_for`): the engineer of the deepest root bound to one that contains
the session file; otherwise `--user`, else the engineer signed in at that moment, else the OS login.
"""

from __future__ import annotations

import difflib
import getpass
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from daemon.errors import AppError

APP = "tapeop"
CONFIG_FILE = "config.toml"
_NAME = re.compile(r"^[\w .'@+-]{1,64}$")
_FIX_HINT = "fix the file (the format is in the README), or move it away to run with the defaults"
NOMINAL_LUFS_RANGE = (-60.0, 0.0)
_NAME_HINT = "use letters, digits, spaces, . ' @ + - (64 at most)"


def config_dir() -> Path:
    override = os.environ.get("TAPEOP_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path(APP)


def data_dir() -> Path:
    override = os.environ.get("TAPEOP_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP)


def log_dir() -> Path:
    override = os.environ.get("TAPEOP_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path(APP)


def config_file() -> Path:
    return config_dir() / CONFIG_FILE


def db_url(given: str | None = None) -> str:
    url = given or os.environ.get("TAPEOP_DB")
    if not url:
        return f"sqlite:///{data_dir() / 'tapeop.db'}"
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def signed_in() -> str | None:
    path = config_dir() / "signed-in"
    try:
        name = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name or None


def sign_in(name: str) -> Path:
    name = name.strip()
    if not _NAME.match(name):
        raise AppError(f"{name!r} is not a usable engineer name", _NAME_HINT)
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "signed-in"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def current_user(given: str | None = None) -> str:
    return given or signed_in() or getpass.getuser()


# --- the config file -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchRoot:
    """A watched folder, absolute, optionally bound to an engineer."""

    path: Path
    engineer: str | None = None


@dataclass(frozen=True)
class WatchConfig:
    quiet_seconds: float = 2.0
    idle_minutes: float = 15.0
    rescan_minutes: float = 10.0
    roots: tuple[WatchRoot, ...] = ()

    @property
    def idle_seconds(self) -> float:
        return self.idle_minutes * 60.0

    @property
    def rescan_seconds(self) -> float:
        return self.rescan_minutes * 60.0


@dataclass(frozen=True)
class JustifyConfig:
    nominal_lufs: float = -20.0  # the session's working level, for the gain-staging rule
    audio_cache_mb: float = 4096.0  # audio streamed out of session archives, least recently used evicted past it


@dataclass(frozen=True)
class QuestionsConfig:
    per_break: int = 5  # questions offered per down-time


@dataclass(frozen=True)
class Config:
    """The config file as read; `source` is None when there was no file (all defaults)."""

    watch: WatchConfig = field(default_factory=WatchConfig)
    source: Path | None = None
    justify: JustifyConfig = field(default_factory=JustifyConfig)
    questions: QuestionsConfig = field(default_factory=QuestionsConfig)

    def engineer_for(self, session_path: str | Path, given: str | None = None) -> str:
        return engineer_for(session_path, self.watch.roots, given)


_KNOWN = {
    "": {"watch", "justify", "questions"},
    "questions": {"per_break"},
    "justify": {"nominal_lufs", "audio_cache_mb"},
    "watch": {"quiet_seconds", "idle_minutes", "rescan_minutes", "roots"},
    "watch.roots": {"path", "engineer"},
}


def load_config(path: Path | None = None) -> Config:
    """Read and check the config file (`config_file()` by default); a missing file gives the defaults.

    Raises AppError naming the file and every problem found in it.
    """
    path = path or config_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise AppError(f"{path}: cannot be read ({exc.strerror or exc})", "check the file's permissions") from exc
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise AppError(f"{path}: not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line L, column C)"
        raise AppError(f"{path}: not valid TOML: {exc}", _FIX_HINT) from exc
    problems: list[str] = []
    watch = _watch(document, problems)
    justify = _justify(document, problems)
    questions = _questions(document, problems)
    if problems:
        raise AppError(f"{path}: " + "; ".join(problems), _FIX_HINT)
    return Config(watch=watch, source=path, justify=justify, questions=questions)


def _questions(document: Mapping[str, Any], problems: list[str]) -> QuestionsConfig:
    table = document.get("questions", {})
    if not isinstance(table, dict):
        problems.append("'questions' must be a table ([questions])")
        return QuestionsConfig()
    _unknown(table, "questions", problems)
    value = table.get("per_break", QuestionsConfig.per_break)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        problems.append(f"questions.per_break must be a whole number from 1 to 100, not {value!r}")
        return QuestionsConfig()
    return QuestionsConfig(per_break=value)


def _unknown(table: Mapping[str, Any], where: str, problems: list[str]) -> None:
    known = _KNOWN[where]
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            label = f"{where}.{key}" if where else key
            problems.append(f"unknown key {label!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))


def _watch(document: Mapping[str, Any], problems: list[str]) -> WatchConfig:
    _unknown(document, "", problems)
    table = document.get("watch", {})
    if not isinstance(table, dict):
        problems.append("'watch' must be a table ([watch])")
        return WatchConfig()
    _unknown(table, "watch", problems)
    defaults = WatchConfig()
    return WatchConfig(
        quiet_seconds=_positive(table, "quiet_seconds", defaults.quiet_seconds, problems),
        idle_minutes=_positive(table, "idle_minutes", defaults.idle_minutes, problems),
        rescan_minutes=_positive(table, "rescan_minutes", defaults.rescan_minutes, problems),
        roots=_roots(table.get("roots", []), problems),
    )


def _positive(table: Mapping[str, Any], key: str, default: float, problems: list[str]) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"watch.{key} must be a number, not {value!r}")
        return default
    if not 0 < value < float("inf"):
        problems.append(f"watch.{key} must be a positive number, not {value!r}")
        return default
    return float(value)


def _justify(document: Mapping[str, Any], problems: list[str]) -> JustifyConfig:
    table = document.get("justify", {})
    if not isinstance(table, dict):
        problems.append("'justify' must be a table ([justify])")
        return JustifyConfig()
    _unknown(table, "justify", problems)
    defaults = JustifyConfig()
    value = table.get("nominal_lufs", defaults.nominal_lufs)
    cache = table.get("audio_cache_mb", defaults.audio_cache_mb)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"justify.nominal_lufs must be a number, not {value!r}")
        return defaults
    if not NOMINAL_LUFS_RANGE[0] <= value <= NOMINAL_LUFS_RANGE[1]:  # NaN fails both
        low, high = NOMINAL_LUFS_RANGE
        problems.append(f"justify.nominal_lufs must be a loudness from {low:g} to {high:g} LUFS, not {value!r}")
        return defaults
    if isinstance(cache, bool) or not isinstance(cache, int | float) or not 0 <= cache < math.inf:
        problems.append(f"justify.audio_cache_mb must be a size in MB (0 or more), not {cache!r}")
        return defaults
    return JustifyConfig(nominal_lufs=float(value), audio_cache_mb=float(cache))


def _roots(entries: object, problems: list[str]) -> tuple[WatchRoot, ...]:
    if not isinstance(entries, list):
        problems.append("watch.roots must be an array of tables ([[watch.roots]])")
        return ()
    roots: list[WatchRoot] = []
    seen: dict[Path, int] = {}
    for number, entry in enumerate(entries, 1):
        where = f"watch.roots #{number}"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table with a path")
            continue
        _unknown(entry, "watch.roots", problems)
        raw = entry.get("path")
        if not isinstance(raw, str) or not raw.strip():
            problems.append(f"{where}: 'path' is required and must be text")
            continue
        path = Path(os.path.expandvars(os.path.expanduser(raw.strip())))
        if not path.is_absolute():
            problems.append(f"{where}: path {raw!r} is not absolute (start it with / or ~)")
            continue
        path = Path(os.path.normpath(path))
        engineer = entry.get("engineer")
        if engineer is not None:
            if not isinstance(engineer, str) or not _NAME.match(engineer.strip()):
                problems.append(f"{where}: engineer {engineer!r} is not a usable name ({_NAME_HINT})")
                continue
            engineer = engineer.strip()
        if path in seen:
            problems.append(f"{where}: {path} is already root #{seen[path]}")
            continue
        seen[path] = number
        roots.append(WatchRoot(path=path, engineer=engineer))
    return tuple(roots)


def _forms(path: Path) -> set[Path]:
    """A path as given (made absolute) and with its links resolved: a watcher may report either."""
    absolute = Path(os.path.abspath(path))
    try:
        return {absolute, absolute.resolve()}
    except (OSError, RuntimeError):  # a symlink loop
        return {absolute}


def engineer_for(session_path: str | Path, roots: Iterable[WatchRoot], given: str | None = None) -> str:
    """The engineer a save of `session_path` belongs to.

    The engineer of the deepest root bound to one that contains the file; else `given` (`--user`),
    else whoever is signed in now, else the OS login name (`current_user`).
    """
    session = _forms(Path(session_path))
    best: tuple[int, str] | None = None
    for root in roots:
        if root.engineer is None:
            continue
        for form in _forms(root.path):
            if any(s.is_relative_to(form) for s in session):
                depth = len(form.parts)
                if best is None or depth > best[0]:
                    best = (depth, root.engineer)
    return best[1] if best else current_user(given)
