"""event ids keep the action they were used for

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 05:00:00

An event id sent with a cancel passed for a repeat when it came again with a completion on the
same run. Ids noted before this revision have no action and stay tied to their run only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_ids") as batch:
        batch.add_column(sa.Column("action", sa.String(120)))


def downgrade() -> None:
    with op.batch_alter_table("event_ids") as batch:
        batch.drop_column("action")
