"""trusted time: the timestamp of each issued PDF, its archive's renewal date, and the bytes
a PDF had before its archive was extended

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issued_pdf') as batch:
        batch.add_column(sa.Column('timestamped_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('timestamp_authority', sa.String(200), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('archive_timestamps', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('archive_until', sa.DateTime(), nullable=True))
    op.create_table(
        'earlier_copy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issued_pdf_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('replaced_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['issued_pdf_id'], ['issued_pdf.id'],
                                name='fk_earlier_copy_issued_pdf_id_issued_pdf',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_earlier_copy'),
    )
    with op.batch_alter_table('earlier_copy') as batch:
        batch.create_index('ix_earlier_copy_issued_pdf_id', ['issued_pdf_id'], unique=False)
        batch.create_index('ix_earlier_copy_sha256', ['sha256'], unique=False)


def downgrade():
    op.drop_table('earlier_copy')
    # plain columns are dropped in place (SQLite 3.35+ drops them natively): a batch copy of
    # issued_pdf would be refused, outbox messages reference its rows
    op.drop_column('issued_pdf', 'archive_until')
    op.drop_column('issued_pdf', 'archive_timestamps')
    op.drop_column('issued_pdf', 'timestamp_authority')
    op.drop_column('issued_pdf', 'timestamped_at')
