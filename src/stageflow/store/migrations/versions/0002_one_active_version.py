"""at most one active version of a definition

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:25:00

Before stageflow locked a definition's versions in deploys and activations, an activation at
the same moment as a deploy on PostgreSQL could leave two versions active. Such a pair keeps
its most recently deployed version active; then the index makes a second one impossible.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE definitions SET active = false WHERE active AND id NOT IN "
            "(SELECT max(id) FROM definitions WHERE active GROUP BY kind, name)"
        )
    )
    op.create_index(
        "uq_definitions_one_active",
        "definitions",
        ["kind", "name"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("uq_definitions_one_active", table_name="definitions")
