"""who created each work item

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:00:00

SPEC lists a work item's "created by". Work items made before this revision keep "system":
who caused them was not recorded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(
            sa.Column("created_by", sa.String(150), nullable=False, server_default="system")
        )
    with op.batch_alter_table("work_items") as batch:
        batch.alter_column("created_by", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("created_by")
