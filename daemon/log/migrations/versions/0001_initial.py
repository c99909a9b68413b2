"""The first schema: sessions, saves (tracking rows), snapshots, events, counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_sessions_name", "sessions", ["name"], unique=True)
    op.create_table(
        "saves",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime", sa.Float, nullable=False),
        sa.Column("saved_at", sa.DateTime, nullable=False),
        sa.Column("file", sa.String, nullable=False),
        sa.Column("outcome", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=True),
        sa.Column("user", sa.String, nullable=False),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("session_id", "sha256", name="uq_saves_session_sha256"),
        sa.UniqueConstraint("session_id", "version", name="uq_saves_session_version"),
    )
    op.create_index("ix_saves_session_id", "saves", ["session_id"])
    op.create_table(
        "snapshots",
        sa.Column("save_id", sa.Integer, sa.ForeignKey("saves.id"), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=True),
        sa.Column("session", sa.String, nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("user", sa.String, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_events_session_id", "events", ["session_id"])
    op.create_index("ix_events_type", "events", ["type"])
    op.create_table(
        "counters",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(
        sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger)),
        [{"name": "events", "value": 0}],
    )


def downgrade() -> None:
    for table in ("counters", "events", "snapshots", "saves", "sessions"):
        op.drop_table(table)
