"""The config file: defaults, validation that names the file and the fault, and who a save belongs to."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon import config
from daemon.config import Config, JustifyConfig, WatchConfig, WatchRoot, engineer_for, load_config
from daemon.errors import AppError


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TAPEOP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def write(text: str) -> Path:
    path = config.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file_gives_the_defaults() -> None:
    loaded = load_config()
    assert loaded == Config()
    assert loaded.source is None
    assert loaded.watch == WatchConfig(quiet_seconds=2.0, idle_minutes=15.0, rescan_minutes=10.0, roots=())
    assert loaded.justify == JustifyConfig(nominal_lufs=-20.0)


def test_the_documented_example_is_read(folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO", "/Volumes/Studio B")
    path = write(
        """
[watch]
quiet_seconds = 2.5     # settle period
idle_minutes = 20       # no save for this long = down-time
rescan_minutes = 5

[[watch.roots]]
path = "~/Music/Sessions"
engineer = "greg"

[[watch.roots]]
path = "$STUDIO/Sessions/"
"""
    )
    loaded = load_config()
    assert loaded.source == path
    assert loaded.watch.quiet_seconds == 2.5
    assert loaded.watch.idle_minutes == 20.0 and loaded.watch.idle_seconds == 1200.0
    assert loaded.watch.rescan_seconds == 300.0
    assert loaded.watch.roots == (
        WatchRoot(folders / "home" / "Music" / "Sessions", "greg"),
        WatchRoot(Path("/Volumes/Studio B/Sessions"), None),
    )


def test_the_module_docstring_example_parses() -> None:
    assert config.__doc__ is not None
    example = config.__doc__.split("::", 1)[1].split("\n\nRules", 1)[0]
    write("\n".join(line[4:] for line in example.splitlines()))
    assert [r.engineer for r in load_config().watch.roots] == ["greg", None]
    assert load_config().justify.nominal_lufs == -20.0


@pytest.mark.parametrize(("value", "expected"), [("-18", -18.0), ("-23.5", -23.5), ("0", 0.0), ("-60", -60.0)])
def test_the_nominal_loudness_of_justification_is_read(value: str, expected: float) -> None:
    write(f"[justify]\nnominal_lufs = {value}\n")
    loaded = load_config()
    assert loaded.justify.nominal_lufs == expected and isinstance(loaded.justify.nominal_lufs, float)
    assert loaded.watch == WatchConfig()


def test_a_syntax_error_names_the_file_line_and_column() -> None:
    path = write("[watch]\nquiet_seconds = \n")
    with pytest.raises(AppError) as caught:
        load_config()
    assert str(path) in caught.value.message
    assert "line 2, column 17" in caught.value.message
    assert caught.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[watch]\nenginer = 'x'\n", "unknown key 'watch.enginer'"),
        (
            "[[watch.roots]]\npath = '/a'\nenginer = 'greg'\n",
            "unknown key 'watch.roots.enginer' (did you mean 'engineer'?)",
        ),
        ("[wach]\n", "unknown key 'wach' (did you mean 'watch'?)"),
        ("[watch]\nquiet_seconds = 'two'\n", "watch.quiet_seconds must be a number"),
        ("[watch]\nidle_minutes = true\n", "watch.idle_minutes must be a number"),
        ("[watch]\nidle_minutes = 0\n", "watch.idle_minutes must be a positive number"),
        ("[watch]\nrescan_minutes = nan\n", "watch.rescan_minutes must be a positive number"),
        ("[[watch.roots]]\nengineer = 'greg'\n", "'path' is required"),
        ("[[watch.roots]]\npath = 'Music'\n", "is not absolute"),
        ("[[watch.roots]]\npath = '/a'\nengineer = 'x/y'\n", "is not a usable name"),
        ("[[watch.roots]]\npath = '/a'\n[[watch.roots]]\npath = '/a/'\n", "/a is already root #1"),
        ("watch = 3\n", "'watch' must be a table"),
        ("[watch]\nroots = '/a'\n", "watch.roots must be an array of tables"),
        ("[justify]\nnominal = -18\n", "unknown key 'justify.nominal' (did you mean 'nominal_lufs'?)"),
        ("[justfy]\n", "unknown key 'justfy' (did you mean 'justify'?)"),
        ("justify = -18\n", "'justify' must be a table"),
        ("[justify]\nnominal_lufs = 'loud'\n", "justify.nominal_lufs must be a number"),
        ("[justify]\nnominal_lufs = true\n", "justify.nominal_lufs must be a number"),
        ("[justify]\nnominal_lufs = 14\n", "justify.nominal_lufs must be a loudness from -60 to 0 LUFS"),
        ("[justify]\nnominal_lufs = -70\n", "justify.nominal_lufs must be a loudness from -60 to 0 LUFS"),
        ("[justify]\nnominal_lufs = nan\n", "justify.nominal_lufs must be a loudness"),
    ],
)
def test_a_bad_entry_is_an_error_naming_the_file_and_the_reason(text: str, expected: str) -> None:
    path = write(text)
    with pytest.raises(AppError) as caught:
        load_config()
    assert caught.value.message.startswith(f"{path}: ")
    assert expected in caught.value.message


def test_every_problem_is_reported_at_once() -> None:
    write("[watch]\nquiet = 1\nidle_minutes = -1\n")
    with pytest.raises(AppError) as caught:
        load_config()
    assert "unknown key 'watch.quiet'" in caught.value.message and "watch.idle_minutes" in caught.value.message


def test_a_file_that_is_not_utf8_is_an_error() -> None:
    path = config.config_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"[watch]\n# \xff\n")
    with pytest.raises(AppError, match="not UTF-8"):
        load_config()


def test_the_deepest_bound_root_owns_a_save_else_the_signed_in_engineer(tmp_path: Path) -> None:
    roots = (
        WatchRoot(tmp_path / "sessions", "greg"),
        WatchRoot(tmp_path / "sessions" / "clients", "ana"),
        WatchRoot(tmp_path / "sessions" / "clients" / "shared", None),
        WatchRoot(tmp_path / "other", None),
    )
    assert engineer_for(tmp_path / "sessions" / "Song" / "Song.dawproject", roots) == "greg"
    assert engineer_for(tmp_path / "sessions" / "clients" / "X" / "X.dawproject", roots) == "ana"
    # an unbound root inside a bound one does not take the save away from it
    assert engineer_for(tmp_path / "sessions" / "clients" / "shared" / "Y.dawproject", roots) == "ana"
    # a sibling whose name starts the same is not inside
    assert engineer_for(tmp_path / "sessions-old" / "Z.dawproject", roots, given="x") == "x"
    config.sign_in("maria")
    assert engineer_for(tmp_path / "other" / "Z.dawproject", roots) == "maria"
    assert engineer_for(tmp_path / "other" / "Z.dawproject", roots, given="bob") == "bob"
    assert Config(watch=WatchConfig(roots=roots)).engineer_for(tmp_path / "sessions" / "a.rpp", "bob") == "greg"


def test_a_root_reached_through_a_link_is_still_bound(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "Song").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    roots = (WatchRoot(link, "greg"),)
    assert engineer_for(real / "Song" / "Song.dawproject", roots, given="nobody") == "greg"
    assert engineer_for(link / "Song" / "Song.dawproject", roots, given="nobody") == "greg"


def test_existing_behaviour_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAPEOP_DB", raising=False)
    monkeypatch.setenv("TAPEOP_DATA_DIR", str(tmp_path / "data"))
    assert config.db_url() == f"sqlite:///{tmp_path / 'data' / 'tapeop.db'}"
    assert config.db_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.signed_in() is None
    with pytest.raises(AppError):
        config.sign_in("a/b")
    monkeypatch.setenv("TAPEOP_LOG_DIR", str(tmp_path / "logs"))
    assert config.log_dir() == tmp_path / "logs"


def test_the_questions_per_break_is_read_and_checked() -> None:
    write("[questions]\nper_break = 3\n")
    assert load_config().questions.per_break == 3
    for bad in ("0", "101", "2.5", "true", '"5"'):
        write(f"[questions]\nper_break = {bad}\n")
        with pytest.raises(AppError, match="questions.per_break must be a whole number from 1 to 100"):
            load_config()
    write("[questions]\nper_brake = 3\n")
    with pytest.raises(AppError, match="did you mean 'per_break'"):
        load_config()
