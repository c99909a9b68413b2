"""The event-sourced core, one package per stage of the data flow (../shared/DESIGN.md):

- `sessions`: the normalized model, units, changes, matching, the pure differ, apply, serialize;
- `formats`: one reader per DAW, the DAWproject writer, the guard for untrusted files, the
  registry of session and backup suffixes;
- `log`: event types and records, the store (SQLite/PostgreSQL), snapshots, tables, migrations,
  the analysis cache;
- `audio`: a session's referenced audio found and streamed, audio files measured;
- `ingest`: discover and order versions, read, append (shared by bulk ingest and the watcher);
- `service`: the watcher, settling, the down-time scheduler, the lock, notifications, status,
  logs, installing the user service;
- `demo`: the simulated engineer and band (only the command line imports it);
- `cli`: the `tapeop` command, one module per command, the composition root.

Layered cli > service > (ingest | profiles | demo) > audio > log > formats > sessions, checked by
tests/test_layering.py; `errors`, `config` and `files` are shared below every layer.
"""

__version__ = "0.1.0"
