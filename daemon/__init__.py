"""The event-sourced core: the normalized session model, format readers and the DAWproject
writer, the differ, and (as they land) the store, the watcher, ingestion and the command line."""

__version__ = "0.1.0"
