"""The always-on service: the watcher and how saves settle, the observers' limits, what was seen
across restarts, session names, the down-time scheduler, the instance lock, systemd
notifications, the status file, logs, and installing it as a user service."""
