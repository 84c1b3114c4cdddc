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
    # TODO 1: add the nullable column "note" (sa.String()) to the table "prediction" with
    #         op.add_column: the rows already there get NULL, nothing else changes.
    raise NotImplementedError("write the migration 0002 (TODO 1)")


def downgrade() -> None:
    # TODO 1: remove the column again (op.drop_column).
    raise NotImplementedError("write the migration 0002 (TODO 1)")
