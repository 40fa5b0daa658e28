"""Publication: now or at the end of an embargo, and what it changes.

Publishing makes a statement public (index, feed, API) and closes signing
unless the coordinators keep it open ("open letter"). A publication scheduled
for later is stored in UTC with the coordinator's time zone; ``publish_due``
(run by ``flask cosign tick`` or the job queue) publishes it when its time has
come, whether or not anybody visits the site. Until then the statement is
under embargo: its page is reachable only by its link, never listed.

Sending the statement to the press is :mod:`cosign.distribution`'s work; this
module asks for it (:func:`cosign.dispatch.distribution_wanted`) and the job
runs after the publication commits. Time zones and the embargo label live in
:mod:`cosign.embargo`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cosign import audit, clock, database, dispatch, signatories
from cosign.embargo import BadTimeZone, is_embargoed, zone
from cosign.errors import N_, UserError
from cosign.models import EARLIER_SIGNERS, PRESS_SELECTIONS, Revision, Signature, Statement

PUBLISHABLE = ("open", "closed")


class PublishError(UserError):
    """The statement cannot be published like this; the message says why."""


class NeedsConfirmation(PublishError):
    """No approved signatory yet: the coordinator must confirm on purpose."""

    def __init__(self) -> None:
        super().__init__(N_("No signatory is approved yet: the statement would be published "
                            "without a single name. Tick the box to confirm that this is "
                            "what you want."), "confirm_empty")


@dataclass(frozen=True)
class PublishOptions:
    at: dt.datetime | None = None  # naive UTC; None publishes now
    timezone: str = "UTC"  # the coordinator's zone, for showing the embargo time
    keep_open: bool = False
    press_selection: str = "none"
    press_tags: tuple[str, ...] = field(default_factory=tuple)
    embargoed_copy: bool = False
    confirm_empty: bool = False
    # signatories of an earlier version who have not re-confirmed: "section" (printed
    # apart, headed with their version and its hash) or "omit"; None keeps the setting
    earlier_signers: str | None = None


@dataclass(frozen=True)
class VersionCounts:
    """Approved signatories by the text version their signature is bound to."""

    version: int | None  # the signed text version
    current: int  # bound to it: the only ones counted and listed as its signatories
    earlier: tuple[tuple[int, int], ...]  # (earlier version, approved for it), newest first

    @property
    def not_reconfirmed(self) -> int:
        return sum(count for _version, count in self.earlier)


def version_counts(session: Session, statement: Statement) -> VersionCounts:
    """How many approved signatories signed (or re-confirmed) the current text version,
    and how many are still bound to each earlier one (one query)."""
    rows = session.execute(
        select(Signature.revision, func.count())
        .where(Signature.statement_id == statement.id, Signature.status == "approved",
               Signature.flagged.is_(False))
        .group_by(Signature.revision)).all()
    current = statement.signed_revision
    counts = dict(rows)
    return VersionCounts(
        version=current, current=counts.pop(current, 0) if current is not None else 0,
        earlier=tuple(sorted(counts.items(), reverse=True)) if current is not None else ())


def _set_earlier_signers(session: Session, statement: Statement, value: str) -> bool:
    if value not in EARLIER_SIGNERS:
        raise PublishError(N_("Choose how signatories of an earlier version are shown."),
                           "earlier_signers")
    if statement.earlier_signers == value:
        return False
    statement.earlier_signers = value
    dispatch.listing_changed(session, statement.id)  # the page, the API and the PDF change
    return True


def set_earlier_signers(session: Session, statement: Statement, actor_id: int | None,
                        value: str) -> Statement:
    """Show the signatories of an earlier version who have not re-confirmed apart
    (``"section"``) or leave them out (``"omit"``), from now on."""
    database.begin_write(session)
    session.refresh(statement)
    if _set_earlier_signers(session, statement, value):
        statement.updated_at, statement.updated_by_id = clock.now(), actor_id
        audit.record(session, statement.id, actor_id, "earlier-signers", choice=value)
    session.commit()
    return statement


def check(session: Session, statement: Statement, options: PublishOptions) -> tuple[str, ...]:
    """Whether the statement can be published (or scheduled) with ``options``, changing
    nothing: PublishError (NeedsConfirmation for a list without a name) naming the field at
    fault; else the press tags in their stored form. The summary's first step."""
    if statement.status not in PUBLISHABLE:
        if statement.status == "published":
            raise PublishError(N_("This statement is published already."))
        raise PublishError(N_("Open the statement for signature before publishing it."))
    if options.at is not None and options.at <= clock.now():
        raise PublishError(N_("The publication time has passed. Choose a time in the future, "
                              "or publish now."), "at")
    try:
        zone(options.timezone)
    except BadTimeZone as exc:
        raise PublishError(exc.message, "timezone") from exc
    if options.press_selection not in PRESS_SELECTIONS:
        raise PublishError(N_("Choose who on the press list receives the statement."),
                           "press_selection")
    tags = tuple(sorted({t for t in options.press_tags if t}))
    if options.press_selection == "tags" and not tags:
        raise PublishError(N_("Choose at least one tag, or send to the whole press list."),
                           "press_tags")
    if options.embargoed_copy and options.at is None:
        raise PublishError(N_("An embargoed copy needs a publication time in the future."),
                           "embargoed_copy")
    if options.embargoed_copy and options.press_selection == "none":
        raise PublishError(N_("Choose who receives the embargoed copy."), "press_selection")
    if options.earlier_signers is not None and options.earlier_signers not in EARLIER_SIGNERS:
        raise PublishError(N_("Choose how signatories of an earlier version are shown."),
                           "earlier_signers")
    if not options.confirm_empty and signatories.approved_count(session, statement.id) == 0:
        raise NeedsConfirmation()
    return tags


def _scheduled_as(statement: Statement, options: PublishOptions, tags: tuple[str, ...]) -> bool:
    """The statement is scheduled exactly so already (a second click of the same button)."""
    return (options.at is not None and statement.publish_at == options.at
            and statement.publish_timezone == options.timezone
            and statement.keep_open == options.keep_open
            and statement.press_selection == options.press_selection
            and statement.press_tags == (",".join(tags) if options.press_selection == "tags"
                                         else "")
            and statement.press_embargoed_copy == options.embargoed_copy
            and options.earlier_signers in (None, statement.earlier_signers))


def publish(session: Session, statement: Statement, actor_id: int | None,
            options: PublishOptions,
            precondition: Callable[[Session, Statement], None] | None = None) -> Statement:
    """Publish now, or schedule publication for ``options.at`` (an embargo).

    ``precondition`` runs inside the write transaction, before anything changes, and may
    raise to refuse (the publication summary checks that nothing changed since it was
    shown). Scheduling again exactly as scheduled changes nothing."""
    database.begin_write(session)
    session.refresh(statement)
    tags = check(session, statement, options)
    if _scheduled_as(statement, options, tags):
        session.rollback()
        return statement
    if precondition is not None:
        precondition(session, statement)
    now = clock.now()
    if options.earlier_signers is not None:
        _set_earlier_signers(session, statement, options.earlier_signers)

    statement.keep_open = options.keep_open
    statement.press_selection = options.press_selection
    statement.press_tags = ",".join(tags) if options.press_selection == "tags" else ""
    statement.press_embargoed_copy = options.embargoed_copy
    statement.publish_timezone = options.timezone
    statement.updated_at, statement.updated_by_id = now, actor_id
    if options.at is None:
        _publish_now(session, statement, actor_id, now)
    else:
        statement.publish_at = options.at
        dispatch.publication_scheduled(session, options.at)
        audit.record(session, statement.id, actor_id, "scheduled", at=options.at.isoformat(),
                     timezone=options.timezone, keep_open=options.keep_open,
                     press=options.press_selection, embargoed_copy=options.embargoed_copy,
                     earlier_signers=statement.earlier_signers)
        if options.embargoed_copy:
            _queue_distribution(session, statement.id, "embargoed")
    session.commit()
    return statement


def cancel_schedule(session: Session, statement: Statement, actor_id: int | None) -> Statement:
    """Call off a scheduled publication (an embargoed copy already sent stays sent)."""
    database.begin_write(session)
    session.refresh(statement)
    if not is_embargoed(statement):
        raise PublishError(N_("No publication is scheduled."))
    statement.publish_at = None
    statement.updated_at, statement.updated_by_id = clock.now(), actor_id
    audit.record(session, statement.id, actor_id, "unscheduled")
    session.commit()
    return statement


def _publish_now(session: Session, statement: Statement, actor_id: int | None,
                 now: dt.datetime) -> None:
    was_open = statement.status == "open"
    statement.status = "published"
    statement.published_at = now
    statement.published_revision = statement.signed_revision
    statement.publish_at = None
    if was_open and not statement.keep_open:
        statement.closed_at = now
    elif statement.keep_open and statement.closed_at is not None and not was_open:
        statement.keep_open = False  # a closed statement stays closed: nothing to keep open
    audit.record(session, statement.id, actor_id, "published", revision=statement.signed_revision,
                 keep_open=statement.keep_open, press=statement.press_selection,
                 earlier_signers=statement.earlier_signers)
    _queue_distribution(session, statement.id, "final")


def _queue_distribution(session: Session, statement_id: int, kind: str) -> None:
    dispatch.distribution_wanted(session, statement_id, kind)


def publish_due(session: Session) -> int:
    """Publish every statement whose embargo has ended; the number published."""
    now = clock.now()
    due = list(session.scalars(
        select(Statement.id).where(Statement.publish_at.is_not(None), Statement.publish_at <= now,
                                   Statement.status.in_(PUBLISHABLE))
    ))
    session.rollback()
    published = 0
    for statement_id in due:
        database.begin_write(session)
        statement = session.get_one(Statement, statement_id)
        session.refresh(statement)
        if statement.publish_at is None or statement.publish_at > now \
                or statement.status not in PUBLISHABLE:
            session.rollback()  # another process was quicker, or it was called off
            continue
        _publish_now(session, statement, None, clock.now())
        session.commit()
        published += 1
    return published


# --- what the public sees -----------------------------------------------------

def published_query() -> Select:
    """Published statements, newest first."""
    return (select(Statement).where(Statement.status == "published")
            .order_by(Statement.published_at.desc(), Statement.id.desc()))


def open_for_signature_query() -> Select:
    """Public statements open for signature and not under embargo, newest first."""
    return (select(Statement)
            .where(Statement.status == "open", Statement.visibility == "public",
                   Statement.publish_at.is_(None))
            .order_by(Statement.opened_at.desc(), Statement.id.desc()))


@dataclass(frozen=True)
class Correction:
    """The text changed after publication: a new signed version."""

    previous: int  # the version it replaced
    current: int
    corrected_at: dt.datetime


def correction(session: Session, statement: Statement) -> Correction | None:
    """The latest correction of a published statement's text, if there is one."""
    if statement.published_revision is None or statement.signed_revision is None \
            or statement.signed_revision <= statement.published_revision:
        return None
    signed = signed_versions(session, statement)
    current = statement.signed_revision
    earlier = [n for n in signed if n < current]
    previous = earlier[-1] if earlier else statement.published_revision
    created = session.scalars(select(Revision.created_at).where(
        Revision.statement_id == statement.id, Revision.number == current)).one()
    return Correction(previous=previous, current=current, corrected_at=created)


def signed_versions(session: Session, statement: Statement) -> list[int]:
    """Revision numbers that were ever the signed text (opened, or a new version)."""
    numbers = set()
    for action_detail in audit.details(session, statement.id, ("opened", "new-version")):
        if isinstance(action_detail.get("revision"), int):
            numbers.add(action_detail["revision"])
    if statement.signed_revision is not None:
        numbers.add(statement.signed_revision)
    return sorted(numbers)
