"""Where tapeop keeps its things, and who is signed in.

- The database: `--db URL`, else `TAPEOP_DB`, else SQLite in the user data directory
  (platformdirs). A plain file path is taken as an SQLite file.
- The signed-in engineer: `tapeop login NAME` writes it to `signed-in` in the user config
  directory (`TAPEOP_CONFIG_DIR` overrides the directory); `--user NAME` overrides it per
  command; with nobody signed in, the OS login name is used.
"""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path

import platformdirs

from daemon.errors import AppError

APP = "tapeop"
_NAME = re.compile(r"^[\w .'@+-]{1,64}$")


def config_dir() -> Path:
    override = os.environ.get("TAPEOP_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path(APP)


def data_dir() -> Path:
    override = os.environ.get("TAPEOP_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP)


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
        raise AppError(f"{name!r} is not a usable engineer name", "use letters, digits, spaces, . ' @ + - (64 at most)")
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "signed-in"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def current_user(given: str | None = None) -> str:
    return given or signed_in() or getpass.getuser()
