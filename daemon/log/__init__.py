"""The log: the event types and records, the store (SQLite or PostgreSQL) with its snapshots,
tables and Alembic migrations, and the content-addressed analysis cache. It never imports the
readers, ingestion or the service."""
