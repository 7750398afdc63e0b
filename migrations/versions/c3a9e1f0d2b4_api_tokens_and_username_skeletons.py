"""API tokens; username skeletons against look-alike names

Revision ID: c3a9e1f0d2b4
Revises: b7e2f5a90c13
Create Date: 2026-12-01 22:00:00

"""
import sqlalchemy as sa
from alembic import op

from gallery.skeletons import skeleton

# revision identifiers, used by Alembic.
revision = 'c3a9e1f0d2b4'
down_revision = 'b7e2f5a90c13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_skeleton', sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_user_username_skeleton'), ['username_skeleton'], unique=False
        )
    users = sa.table(
        'user', sa.column('id', sa.Integer), sa.column('username', sa.String),
        sa.column('username_skeleton', sa.String),
    )
    bind = op.get_bind()
    for user_id, username in bind.execute(sa.select(users.c.id, users.c.username)).all():
        if username:
            bind.execute(
                users.update().where(users.c.id == user_id)
                .values(username_skeleton=skeleton(username))
            )


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_username_skeleton'))
        batch_op.drop_column('username_skeleton')
    # dropping the table drops its index (MariaDB refuses to drop an index a foreign key needs)
    op.drop_table('api_token')
