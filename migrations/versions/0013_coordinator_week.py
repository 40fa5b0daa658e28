"""a coordinator's week: the daily digest (per account opt-out, when it last went out for
each statement) and the signature goal shown with the public counter

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # plain columns are added in place (SQLite's ADD COLUMN): a batch copy of user or
    # statement would be refused on a database with rows that reference them
    op.add_column('user', sa.Column('digest_opt_out', sa.Boolean(), nullable=False,
                                    server_default=sa.false()))
    op.add_column('statement', sa.Column('digest_sent_at', sa.DateTime(), nullable=True))
    op.add_column('statement', sa.Column('signature_goal', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('statement', 'signature_goal')
    op.drop_column('statement', 'digest_sent_at')
    op.drop_column('user', 'digest_opt_out')
