"""A rating for each book: a new column; the books already listed keep everything.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("book", sa.Column("rating", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("book", "rating")
