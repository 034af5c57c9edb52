"""a session generation per user, so that logging out ends the user's sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00

A browser session is a signed cookie that carries the user's generation; logging out adds one
to it, and every cookie with the old one is refused from then on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
