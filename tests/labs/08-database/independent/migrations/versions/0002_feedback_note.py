"""A note with each feedback label: a new column, the rows already logged kept.

Revision ID: 0002
Revises: 0001
Create Date: lab 08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    note = sa.Column("note", sa.String(), nullable=True)
    op.add_column("prediction", note)


def downgrade() -> None:
    with op.batch_alter_table("prediction") as table:
        table.drop_column("note")
