"""The prediction log: one row per predicted flower, with its feedback label.

Revision ID: 0001
Revises:
Create Date: lab 08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prediction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sepal_length", sa.Float(), nullable=False),
        sa.Column("sepal_width", sa.Float(), nullable=False),
        sa.Column("petal_length", sa.Float(), nullable=False),
        sa.Column("petal_width", sa.Float(), nullable=False),
        sa.Column("species", sa.String(), nullable=False),
        sa.Column("probabilities", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("caller", sa.String(), nullable=False),
        sa.Column("true_species", sa.String(), nullable=True),
    )
    op.create_index("ix_prediction_created_at", "prediction", ["created_at"])
    op.create_index("ix_prediction_species", "prediction", ["species"])
    op.create_index("ix_prediction_model_version", "prediction", ["model_version"])


def downgrade() -> None:
    op.drop_table("prediction")
