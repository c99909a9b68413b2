"""Save identity: a save is the same save when its file name, save time and content are.

UNIQUE(session_id, sha256) made the same content saved again later (an undo) look like a
duplicate; it becomes UNIQUE(session_id, sha256, identity, reader), where `identity` is
`name@time` (daemon.log.records.save_identity, filled in here for the rows there are) and
`reader` the reader version that read the file (unknown for old rows, so a file rejected
before is read again).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

from daemon.log.records import save_identity

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("saves") as batch:
        batch.add_column(sa.Column("identity", sa.String, nullable=True))
        batch.add_column(sa.Column("reader", sa.String, nullable=True))
    saves = sa.table(
        "saves", sa.column("id", sa.Integer), sa.column("file", sa.String), sa.column("saved_at", sa.DateTime),
        sa.column("identity", sa.String),
    )  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(sa.select(saves.c.id, saves.c.file, saves.c.saved_at)).all()
    for row_id, file, saved_at in rows:
        moment = saved_at if isinstance(saved_at, datetime) else datetime.fromisoformat(str(saved_at))
        connection.execute(saves.update().where(saves.c.id == row_id).values(identity=save_identity(file, moment)))
    with op.batch_alter_table("saves") as batch:
        batch.alter_column("identity", existing_type=sa.String, nullable=False)
        batch.drop_constraint("uq_saves_session_sha256", type_="unique")
        batch.create_unique_constraint("uq_saves_identity", ["session_id", "sha256", "identity", "reader"])


def downgrade() -> None:
    with op.batch_alter_table("saves") as batch:
        batch.drop_constraint("uq_saves_identity", type_="unique")
        batch.create_unique_constraint("uq_saves_session_sha256", ["session_id", "sha256"])
        batch.drop_column("reader")
        batch.drop_column("identity")
