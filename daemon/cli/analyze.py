"""`tapeop analyze PATH...`: audio files and folders of them measured, through the analysis cache."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from daemon.cli.common import Parents, open_store, progress
from daemon.errors import AppError


def add_parser(commands: argparse._SubParsersAction, parents: Parents) -> None:
    analyze = commands.add_parser(
        "analyze", parents=[parents.db], help="measure audio files and folders: loudness, true peak, lowest note, bands"
    )
    analyze.add_argument("paths", nargs="+", metavar="PATH")
    analyze.add_argument("--json", action="store_true", help="JSON Lines, one object per file")
    analyze.add_argument("--no-cache", action="store_true", help="measure again without reading or filling the cache")
    analyze.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Measure audio files and folders of them: loudness, true peak, lowest note, band shares."""
    from analyzers.audio import AudioError
    from daemon.audio.measure import audio_files, measure
    from daemon.log.cache import AnalysisCache

    paths = [Path(p) for p in args.paths]
    for path in paths:
        if not path.exists():
            raise AppError(f"{path}: no such file or folder", "give audio files or the folders that hold them")
    files = list(audio_files(paths))
    if not files:
        raise AppError("no audio files found in " + ", ".join(map(str, paths)), "tapeop reads WAV, FLAC, AIFF and OGG")
    store = None if args.no_cache else open_store(args)
    cache = None if store is None else AnalysisCache(store)
    update, stop = progress(sys.stderr.isatty(), "analyzing")
    failed = 0
    try:
        for done, path in enumerate(files):
            if update:
                update(done, len(files), str(path))
            try:
                report = {"path": str(path), **measure(path, cache).analysis.report()}
            except AudioError as exc:
                failed += 1
                report = {"path": str(path), "error": exc.reason}
            if args.json:
                print(json.dumps(report, allow_nan=False, ensure_ascii=False))
            else:
                print(_analysis_lines(report))
    finally:
        stop()
        if store is not None:
            store.close()
    if failed:
        raise AppError(
            f"{failed} of {len(files)} file(s) could not be read",
            "each one's reason is on its own line" + (' (its "error")' if args.json else ""),
        )
    return 0


def _analysis_lines(report: dict[str, Any]) -> str:
    if "error" in report:
        return f"{report['path']}\n  error: {report['error']}\n"

    def value(key: str, unit: str, digits: int = 1) -> str:
        number = report.get(key)
        return "-" if not isinstance(number, int | float) else f"{number:.{digits}f} {unit}"

    note = report.get("lowest_note")
    below = 100 * (report.get("energy_below_lowest_note") or 0.0)
    lowest = (
        "no note found"
        if note is None
        else f"{note} ({value('lowest_note_hz', 'Hz')}), {below:.1f} % of the energy below it"
    )
    top = [b for b in sorted(report["bands"], key=lambda b: -b["share"])[:3] if b["share"] > 0]
    strongest = ", ".join(f"{b['center_hz']} Hz {100 * b['share']:.0f} %" for b in top) or "none (silence)"
    return "\n".join(
        [
            f"{report['path']}  ({report['channels']} ch, {report['sample_rate_hz']} Hz, {value('duration_s', 's')})",
            f"  integrated {value('integrated_lufs', 'LUFS')}, range {value('loudness_range_lu', 'LU')}",
            f"  true peak {value('true_peak_dbtp', 'dBTP', 2)}, sample peak {value('sample_peak_dbfs', 'dBFS', 2)}, crest {value('crest_factor_db', 'dB')}",
            f"  lowest note: {lowest}",
            f"  strongest bands: {strongest}",
            "",
        ]
    )
