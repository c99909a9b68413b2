"""Sessions: the normalized model every reader produces, its units, the typed changes between
two saves, the pure differ that finds them, `apply_changes` that replays them, and the JSON form
of a session. Imports no database, XML, audio or watcher library."""
