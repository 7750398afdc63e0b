"""daily views for the admin dashboard

Revision ID: a1d4c0de7e21
Revises: ceb023954360
Create Date: 2026-11-27 10:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1d4c0de7e21'
down_revision = 'ceb023954360'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_views',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('date')
    )


def downgrade():
    op.drop_table('daily_views')
