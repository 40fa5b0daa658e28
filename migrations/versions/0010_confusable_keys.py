"""look-alike names: recompute every signature's name_key / pending_key with the TR39
confusable-skeleton key (cosign.core.names.name_key)

Per statement, in id order, the first row keeps (gets) a key; a later row whose new key is
taken (two rows that look alike, e.g. "Amnesty Internаtional" with a Cyrillic а next to the
Latin name) keeps its old key and is marked "possibly the same" (similar_to_id = the first
row, similar_reason 'look-alike') for the moderators. Unconfirmed claims (pending_key) are
not unique and simply get the new key.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

signature = sa.table(
    'signature',
    sa.column('id', sa.Integer), sa.column('statement_id', sa.Integer),
    sa.column('name', sa.String), sa.column('name_key', sa.String),
    sa.column('pending_key', sa.String), sa.column('similar_to_id', sa.Integer),
    sa.column('similar_reason', sa.String),
)


def _key(name_key, name, old):
    try:
        return name_key(name)
    except ValueError:  # InvalidName: an empty name cannot have been stored; keep what is there
        return old


def plan(rows, name_key):
    """{id: changes} for rows (id, statement_id, name, name_key, pending_key) in id order."""
    changes = {}
    by_statement = {}
    for row_id, statement_id, name, key, pending in rows:
        by_statement.setdefault(statement_id, []).append((row_id, name, key, pending))
    for members in by_statement.values():
        holders = {}  # new key -> id of the row holding it
        kept = {}  # rows that keep their old key
        for row_id, name, key, pending in members:
            if pending is not None:
                new = _key(name_key, name, pending)
                if new != pending:
                    changes[row_id] = {'pending_key': new}
            if key is None:
                continue
            new = _key(name_key, name, key)
            if new in holders:
                kept[row_id] = (key, holders[new])
            else:
                holders[new] = row_id
                if new != key:
                    changes.setdefault(row_id, {})['name_key'] = new
        for row_id, (old, first) in kept.items():
            key = old if old not in holders else f"{old[:185]}#{row_id}"
            holders[key] = row_id
            change = changes.setdefault(row_id, {})
            if key != old:
                change['name_key'] = key
            change.update(similar_to_id=first, similar_reason='look-alike')
    return changes


def upgrade():
    from cosign.core.names import name_key

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(signature.c.id, signature.c.statement_id, signature.c.name,
                  signature.c.name_key, signature.c.pending_key)
        .where(sa.or_(signature.c.name_key.is_not(None), signature.c.pending_key.is_not(None)))
        .order_by(signature.c.statement_id, signature.c.id)
    ).all()
    changes = plan(rows, name_key)
    moving = [row_id for row_id, change in changes.items() if 'name_key' in change]
    for start in range(0, len(moving), 500):  # first free the keys that move (unique per statement)
        connection.execute(signature.update().where(signature.c.id.in_(moving[start:start + 500]))
                           .values(name_key=None))
    for row_id, change in changes.items():
        connection.execute(signature.update().where(signature.c.id == row_id).values(**change))


def downgrade():
    # The earlier keys cannot be recomputed (the earlier function is gone); the new ones stay
    # valid and unique, and the "possibly the same" marks stay for the moderators.
    pass
