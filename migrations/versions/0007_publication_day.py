"""publication day: listing version, render lease, stored collation keys

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pdf_lease_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('pdf_lease_owner', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('pdf_rendered_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('issued_pdf', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing_version', sa.Integer(), server_default='0', nullable=False))

    # existing signatures get their collation key (the code of this revision, frozen here
    # would drift from the library's: the key is a function of the library's collation)
    from cosign.core.ordering import sort_key

    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT signature.id, signature.public_name, signature.display, signature.country, "
        "signature.org_type, statement.language FROM signature JOIN statement "
        "ON statement.id = signature.statement_id")).all()
    for id_, name, display, country, org_type, language in rows:
        key = sort_key(name or "", withheld=display == "withheld", country=country or "",
                       org_type=org_type or "other", locale=language or "en")
        conn.execute(sa.text("UPDATE signature SET sort_key = :key WHERE id = :id"),
                     {"key": key, "id": id_})
    # every statement that has signatories wants its PDF made again by the new renderer
    conn.execute(sa.text("UPDATE statement SET listing_version = 1"))


def downgrade():
    with op.batch_alter_table('issued_pdf', schema=None) as batch_op:
        batch_op.drop_column('listing_version')
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_column('sort_key')
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_column('pdf_rendered_at')
        batch_op.drop_column('pdf_lease_owner')
        batch_op.drop_column('pdf_lease_until')
        batch_op.drop_column('listing_version')
