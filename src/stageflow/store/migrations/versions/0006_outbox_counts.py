"""count an outbox message's tries apart from its give-backs, and its claims

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 06:00:00

`attempts` counted parks and give-backs after a deadlock as tries, and used up an async step's
`retries`; give-backs now have their own count (for the wait before the next claim). Claims
are counted when they are made, so that a message whose work kills its worker every time (and
so never commits anything) is not claimed for ever.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the server default fills the rows there are (and keeps SQLite from copying the table)
    for name in ("give_backs", "claims"):
        op.add_column("outbox", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("claims")
        batch.drop_column("give_backs")
