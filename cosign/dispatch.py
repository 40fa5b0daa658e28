"""Services say what they changed; the work that follows is started after commit.

Two low-level signals, called by the service that makes the change, inside its
transaction:

- :func:`listing_changed`: what the public list or the PDF of a statement
  shows has changed (a signature approved, withdrawn, renamed; the signed
  text, layout or letterhead changed). At commit the statement's
  ``listing_version`` is incremented and ``pdf_wanted_at`` set (if not set
  already), in that same transaction; so readers that see the change see the
  new version (cached lists are keyed by it), and a render is owed until one
  covers that version (:mod:`cosign.pdfs`).
- :func:`publication_scheduled`: a publication is due at a time (the job
  queue wakes a worker then; without Redis, the worker's periodic sweep or
  ``flask cosign tick`` publishes it).
- :func:`distribution_wanted`: the press is to receive the statement.

After commit, :mod:`cosign.jobs` hands the wanted renders to the queue
(Redis), or leaves them to the embedded worker, which polls the marks. No
listener infers work from audit strings: renaming an audit action changes
nothing here.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import event, func, update
from sqlalchemy.orm import Session

from cosign import clock
from cosign.models import Statement

LISTING = "cosign.listing_changed"
WANTED = "cosign.pdf_wanted"  # read by cosign.jobs after commit
PUBLISH_AT = "cosign.publish_at"  # read by cosign.jobs after commit
DISTRIBUTE = "cosign.distribute"  # read by cosign.jobs after commit


def listing_changed(session: Session, statement_id: int) -> None:
    """The public list or the PDF of the statement changes with this transaction."""
    session.info.setdefault(LISTING, set()).add(statement_id)


def publication_scheduled(session: Session, at: dt.datetime) -> None:
    """A statement is to be published at ``at`` (naive UTC) once this transaction commits."""
    session.info.setdefault(PUBLISH_AT, set()).add(at)


def distribution_wanted(session: Session, statement_id: int, kind: str) -> None:
    """The statement is to be sent to its press recipients (``kind``: final or
    embargoed) once this transaction commits: by a job on the queue, or by the
    embedded worker's sweep (it renders the PDF the mail carries)."""
    session.info.setdefault(DISTRIBUTE, []).append((statement_id, kind))


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: wait for the real commit
    ids = session.info.pop(LISTING, None)
    if not ids:
        return
    ids = sorted(ids)
    session.execute(
        update(Statement).where(Statement.id.in_(ids))
        .values(listing_version=Statement.listing_version + 1,
                pdf_wanted_at=func.coalesce(Statement.pdf_wanted_at, clock.now()))
        .execution_options(synchronize_session=False))
    for obj in session.identity_map.values():
        if isinstance(obj, Statement) and obj.id in ids:
            session.expire(obj, ["listing_version", "pdf_wanted_at"])
    session.info.setdefault(WANTED, set()).update(ids)


def _after_rollback(session: Session, previous) -> None:
    if not previous.nested:
        session.info.pop(LISTING, None)
        session.info.pop(DISTRIBUTE, None)


def init() -> None:
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
