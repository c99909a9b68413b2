"""Layering is checked, not hoped for (../shared/DESIGN.md, "Packages").

Every module of daemon/, profiles/, analyzers/ and tui/ is found by walking the tree, so a new
module is checked without editing a list. Each import in it (at any depth: a function's lazy
import is a dependency too) must respect, top to bottom:

    cli > service > (ingest | profiles | demo) > audio > log > formats > sessions

with these rules besides: `sessions` imports no database, XML, audio or watcher library; `log`
never imports formats, ingest or service, and its records and event types no SQLAlchemy;
`profiles` never imports formats, ingest, service or cli; rule modules do not import each other;
`analyzers` imports nothing of ours; nothing but `tui` (and `cli`, which starts it) imports
textual or tui. daemon's own modules (errors, config, files) are below every layer.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.paths import REPO

PACKAGES = ("daemon", "profiles", "analyzers", "tui")
# Higher may import lower; siblings of one rank may not import each other.
RANKS = {
    "daemon.sessions": 0,
    "daemon.formats": 1,
    "daemon.log": 2,
    "daemon.audio": 3,
    "daemon.ingest": 4,
    "profiles": 4,
    "daemon.demo": 4,
    "daemon.service": 5,
    "daemon.cli": 6,
    "tui": 6,
}
SHARED = {"daemon", "daemon.errors", "daemon.config", "daemon.files"}
FORBIDDEN_OF_OURS = {
    "daemon.log": ("daemon.formats", "daemon.ingest", "daemon.service"),
    "profiles": ("daemon.formats", "daemon.ingest", "daemon.service", "daemon.cli"),
}
UI = ("textual", "tui")
STORAGE_XML_AUDIO_WATCH = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "lxml",
    "defusedxml",
    "xml",
    "soundfile",
    "scipy",
    "pyloudnorm",
    "numba",
    "watchdog",
    "apscheduler",
)
FORBIDDEN_LIBRARIES = {
    "daemon.sessions": STORAGE_XML_AUDIO_WATCH,
    "daemon.log.records": ("sqlalchemy", "sqlmodel"),
    "daemon.log.events": ("sqlalchemy", "sqlmodel"),
}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _area(module: str) -> str | None:
    """The layer a module belongs to (its package in RANKS), None for daemon's shared modules."""
    found = [p for p in RANKS if _within(module, p)]
    return max(found, key=len) if found else None


def imported_modules(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every import in `source`, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(parts[: len(parts) - node.level + 1])
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from daemon import config` imports daemon.config
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """What `module` (whose text is `source`) imports against the layering rules."""
    wrong = []
    area = _area(module)
    for line, target in imported_modules(module, source, is_package):
        top = target.split(".")[0]
        where = f"{module}:{line} imports {target}"
        if top in UI and not (_within(module, "tui") or _within(module, "daemon.cli")):
            wrong.append(f"{where}: only the TUI (and the command that starts it) import textual or tui")
        for library in FORBIDDEN_LIBRARIES.get(area or "", ()) + FORBIDDEN_LIBRARIES.get(module, ()):
            if top == library:
                wrong.append(f"{where}: {module} must not import {library}")
        if top not in PACKAGES:
            continue
        if _within(module, "analyzers"):
            if top != "analyzers":
                wrong.append(f"{where}: analyzers import nothing of ours")
            continue
        if top == "analyzers" or target in SHARED or top == "tui":
            continue
        other = _area(target)
        if other is None:  # daemon's shared modules, or a name `from daemon import` takes
            continue
        if area is None:  # daemon's shared modules import no layer
            wrong.append(f"{where}: daemon's shared modules (errors, config, files) import no stage")
            continue
        if other == area:
            rule = "profiles.justify.rules."
            if module.startswith(rule) and target.startswith(rule) and not _within(target, module):
                wrong.append(f"{where}: rule modules do not import each other")
            continue
        if any(_within(target, banned) for banned in FORBIDDEN_OF_OURS.get(area, ())):
            wrong.append(f"{where}: {area} never imports {_area(target)}")
        elif RANKS[other] >= RANKS[area]:
            wrong.append(f"{where}: {area} (rank {RANKS[area]}) may not import {other} (rank {RANKS[other]})")
    return wrong


def all_modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append((name, path))
    return found


def test_every_module_respects_the_layers() -> None:
    modules = all_modules()
    assert len(modules) > 100 and any(name == "daemon.cli.watch" for name, _ in modules)
    wrong = [v for name, path in modules for v in violations(name, path.read_text(), path.name == "__init__.py")]
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(
    ("module", "source", "complaint"),
    [
        ("daemon.log.store", "from daemon.ingest.append import append_save", "log never imports daemon.ingest"),
        ("daemon.log.store", "from daemon.formats import read_session", "log never imports daemon.formats"),
        ("daemon.sessions.diff", "from daemon.log.records import LoggedEvent", "may not import daemon.log"),
        ("daemon.sessions.model", "import lxml.etree", "must not import lxml"),
        ("daemon.log.records", "from sqlalchemy import select", "must not import sqlalchemy"),
        ("daemon.ingest.bulk", "from profiles.justify.processor import justify", "may not import profiles"),
        ("daemon.demo.simulator", "from daemon.ingest.bulk import ingest", "may not import daemon.ingest"),
        ("profiles.justify.audio", "def f():\n    from daemon.service import heap", "profiles never imports"),
        ("profiles.justify.rules.clip_prevention", "from profiles.justify.rules import dynamics", "rule modules"),
        ("profiles.justify.rules.tempo", "from profiles.justify.rules.masking import judge", "rule modules"),
        ("analyzers.loudness", "from daemon.errors import AppError", "analyzers import nothing of ours"),
        ("daemon.service.watcher", "import textual", "only the TUI"),
        ("daemon.audio.session", "from tui.app import App", "only the TUI"),
        ("daemon.errors", "from daemon.log.store import Store", "shared modules"),
        ("daemon.formats.reaper", "from daemon.audio.measure import measure", "may not import daemon.audio"),
    ],
)
def test_a_forbidden_import_is_caught(module: str, source: str, complaint: str) -> None:
    found = violations(module, source)
    assert found and complaint in found[0], found


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("daemon.service.watcher", "from daemon.ingest.append import append_read"),
        ("daemon.cli.ask", "def run():\n    from tui.app import TapeopApp"),
        ("profiles.justify.rules.dynamics", "from profiles.justify.compressor import setting"),
        ("daemon.formats.reaper", "from daemon.sessions import units\nfrom daemon import errors"),
        ("daemon.log.store", "from daemon.sessions.model import Session\nimport sqlalchemy"),
    ],
)
def test_an_allowed_import_passes(module: str, source: str) -> None:
    assert violations(module, source) == []


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    """`tapeop --help` and the service unit's start-up pay only for what the command needs."""
    loaded = _loaded_after("import daemon.cli")
    assert loaded.isdisjoint({"sqlalchemy", "sqlmodel", "lxml", "numpy", "textual", "scipy", "alembic", "watchdog"})


def test_no_headless_module_loads_textual_or_the_tui() -> None:
    headless = [
        name for name, _ in all_modules() if not _within(name, "tui") and name.split(".")[-1] not in ("env", "__main__")
    ]
    loaded = _loaded_after("\n".join(f"import {name}" for name in headless))
    assert loaded.isdisjoint(UI)


@pytest.mark.slow
def test_the_built_wheel_holds_the_migrations(tmp_path: Path) -> None:
    """An installed tapeop can create and upgrade its database: Alembic's scripts ship in the wheel.
    Built from a copy of the sources, so no earlier build's leftovers can stand in for them."""
    source = tmp_path / "source"
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = tmp_path.glob("tapeop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = sorted(n for n in names if n.startswith("daemon/log/migrations/versions/") and n.endswith(".py"))
    shipped = sorted(p.name for p in (REPO / "daemon" / "log" / "migrations" / "versions").glob("*.py"))
    assert [Path(n).name for n in versions] == shipped and shipped
    assert {"daemon/log/migrations/env.py", "daemon/log/migrations/script.py.mako"} <= names
