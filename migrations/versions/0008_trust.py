"""trust in the list: pending name claims, near-duplicates, domain verification, earlier-version
signers, coordinator second factor and session epochs

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('recovery_codes', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('earlier_signers', sa.String(length=20), server_default='section', nullable=False))
        batch_op.add_column(sa.Column('require_domain_verified', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint('earlier_signers', "earlier_signers IN ('section', 'omit')")
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('similar_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('similar_reason', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('domain_verified', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_signature_statement_pending_key', ['statement_id', 'pending_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_signature_similar_to_id_signature'), 'signature', ['similar_to_id'], ['id'], ondelete='SET NULL')

    # an unconfirmed sign-on no longer holds the organisation's name: its key moves to
    # pending_key, so another sign-on of the same name can compete (the first to confirm wins)
    op.execute("UPDATE signature SET pending_key = name_key, name_key = NULL "
               "WHERE status = 'unconfirmed' AND name_key IS NOT NULL")


def downgrade():
    op.execute("UPDATE signature SET name_key = pending_key "
               "WHERE status = 'unconfirmed' AND pending_key IS NOT NULL AND NOT EXISTS ("
               "SELECT 1 FROM signature AS other WHERE other.statement_id = signature.statement_id "
               "AND other.name_key = signature.pending_key)")
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signature_similar_to_id_signature'), type_='foreignkey')
        batch_op.drop_index('ix_signature_statement_pending_key')
        batch_op.drop_column('domain_verified')
        batch_op.drop_column('similar_reason')
        batch_op.drop_column('similar_to_id')
        batch_op.drop_column('pending_key')
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_constraint('earlier_signers', type_='check')
        batch_op.drop_column('require_domain_verified')
        batch_op.drop_column('earlier_signers')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('recovery_codes')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('password_changed_at')
