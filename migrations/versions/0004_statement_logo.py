"""statement logo

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_file', sa.String(length=80), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_column('logo_file')
