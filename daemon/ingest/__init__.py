"""Ingestion: discover session files and order their versions, read them, and append each save
to the log against the last one (shared by bulk ingestion and the watcher)."""
