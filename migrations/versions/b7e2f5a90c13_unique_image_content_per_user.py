"""one copy of the same content per member (unique user_id, sha256)

Revision ID: b7e2f5a90c13
Revises: a1d4c0de7e21
Create Date: 2026-11-27 11:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7e2f5a90c13'
down_revision = 'a1d4c0de7e21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.drop_index('ix_image_user_sha')
        batch_op.create_index('ix_image_user_sha', ['user_id', 'sha256'], unique=True)


def downgrade():
    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.drop_index('ix_image_user_sha')
        batch_op.create_index('ix_image_user_sha', ['user_id', 'sha256'], unique=False)
