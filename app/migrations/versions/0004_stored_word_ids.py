"""each memory's word ids and unseen words, so a bank loads without re-encoding its tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL in the rows already stored: the server fills them in when it next loads their bank
    with op.batch_alter_table("memories") as memories:
        memories.add_column(sa.Column("word_ids", sa.LargeBinary(), nullable=True))
        memories.add_column(sa.Column("unseen_words", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("memories") as memories:
        memories.drop_column("unseen_words")
        memories.drop_column("word_ids")
