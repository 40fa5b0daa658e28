"""languages: a coordinator's interface language, the language of each sign-on (its mails)
and of the text it read, translations of a statement with their revisions, comments on
translations, a PDF per language, and press mail carrying a second PDF

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('language', sa.String(35), nullable=False, server_default=''))
    with op.batch_alter_table('signature') as batch:
        batch.add_column(sa.Column('language', sa.String(35), nullable=False, server_default=''))
        batch.add_column(sa.Column('read_language', sa.String(35), nullable=False,
                                   server_default=''))
    op.create_table(
        'translation',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('statement_id', sa.Integer(),
                  sa.ForeignKey('statement.id', name='fk_translation_statement_id_statement',
                                ondelete='CASCADE'), nullable=False),
        sa.Column('language', sa.String(35), nullable=False),
        sa.Column('current_revision', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(),
                  sa.ForeignKey('user.id', name='fk_translation_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name='pk_translation'),
        sa.UniqueConstraint('statement_id', 'language', name='uq_translation_statement_language'),
    )
    op.create_table(
        'translation_revision',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('translation_id', sa.Integer(),
                  sa.ForeignKey('translation.id',
                                name='fk_translation_revision_translation_id_translation',
                                ondelete='CASCADE'), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(300), nullable=False),
        sa.Column('place', sa.String(200), nullable=False),
        sa.Column('date', sa.Date()),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('note', sa.String(500), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('source_revision', sa.Integer(), nullable=False),
        sa.Column('source_sha256', sa.String(64), nullable=False),
        sa.Column('restored_from', sa.Integer()),
        sa.Column('author_id', sa.Integer(),
                  sa.ForeignKey('user.id', name='fk_translation_revision_author_id_user')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_translation_revision'),
        sa.UniqueConstraint('translation_id', 'number',
                            name='uq_translation_revision_translation_number'),
    )
    with op.batch_alter_table('comment') as batch:
        batch.add_column(sa.Column('translation_id', sa.Integer()))
        batch.create_foreign_key('fk_comment_translation_id_translation', 'translation',
                                 ['translation_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('issued_pdf') as batch:
        batch.add_column(sa.Column('language', sa.String(35), nullable=False, server_default=''))
        batch.add_column(sa.Column('authoritative', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    # a plain reference (no foreign key, so that this column can be dropped in place on
    # SQLite): the mail worker checks the PDF exists when it sends
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('extra_attachment_pdf_id', sa.Integer()))
        batch.add_column(sa.Column('extra_attachment_name', sa.String(200), nullable=False,
                                   server_default=''))
    # the PDFs issued so far are of the authoritative text, in the statement's language
    op.execute("UPDATE issued_pdf SET language = (SELECT statement.language FROM statement "
               "WHERE statement.id = issued_pdf.statement_id)")


def downgrade():
    # plain columns are dropped in place (SQLite 3.35+ drops them natively): a batch copy of
    # user, signature or outbox_message would be refused, other tables reference their rows
    op.drop_column('outbox_message', 'extra_attachment_name')
    op.drop_column('outbox_message', 'extra_attachment_pdf_id')
    op.drop_column('issued_pdf', 'authoritative')
    op.drop_column('issued_pdf', 'language')
    with op.batch_alter_table('comment') as batch:
        batch.drop_constraint('fk_comment_translation_id_translation', type_='foreignkey')
        batch.drop_column('translation_id')
    op.drop_table('translation_revision')
    op.drop_table('translation')
    op.drop_column('signature', 'read_language')
    op.drop_column('signature', 'language')
    op.drop_column('user', 'language')
