"""The database tables, SQLAlchemy 2.0 style. Schema changes go through migrations/."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cosign import clock
from cosign.core.signatory import DISPLAYS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("owner", "editor")
STATUSES = ("draft", "open", "closed", "published")
VISIBILITIES = ("public", "unlisted")
SIGNATURE_STATUSES = ("unconfirmed", "confirmed", "approved", "rejected", "withdrawn")
SIGNER_KINDS = ("organisation", "individual")
PROVENANCES = ("web", "added", "imported")
PRESS_SELECTIONS = ("none", "all", "tags")
PRESS_CONTACT_STATUSES = ("active", "pending", "unsubscribed")
PRESS_CONTACT_SOURCES = ("desk", "import", "subscribe")
DELIVERY_KINDS = ("final", "embargoed")
# what the PDF, page, API and press mail do with signatories of an earlier text version who
# have not re-confirmed the current one: print them apart, under the version they signed, or
# leave them out (cosign.listing)
EARLIER_SIGNERS = ("section", "omit")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA name, for showing times
    # the interface language the coordinator chose ("" : none; the browser's then), also the
    # language of the mail they get (cosign.web.languages)
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # bumped when the password changes (or on "log out everywhere"): a session made under an
    # older epoch is no longer valid (cosign.accounts)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # TOTP second factor: the base32 secret (empty: not enabled) and the hashes of the unused
    # recovery codes, as a JSON list
    totp_secret: Mapped[str] = mapped_column(String(64), default="", server_default="")
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recovery_codes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the time step of the last TOTP code accepted: a code is good once only (migration 0009)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # the daily digest of sign-ons waiting for moderation (one mail a day per statement): on
    # unless the coordinator turns it off in their account (migration 0013)
    digest_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Statement(Base):
    __tablename__ = "statement"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"visibility IN {VISIBILITIES!r}", name="visibility"),
        CheckConstraint("pdf_page_size IN ('A4', 'Letter')", name="pdf_page_size"),
        CheckConstraint("pdf_columns IN (2, 3)", name="pdf_columns"),
        CheckConstraint("pdf_grouping IN ('none', 'country', 'type')", name="pdf_grouping"),
        CheckConstraint("pdf_order IN ('alphabetical', 'signed')", name="pdf_order"),
        CheckConstraint(f"press_selection IN {PRESS_SELECTIONS!r}", name="press_selection"),
        CheckConstraint(f"earlier_signers IN {EARLIER_SIGNERS!r}", name="earlier_signers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(35), default="en")
    coalition: Mapped[str] = mapped_column(String(200), default="")
    logo_file: Mapped[str] = mapped_column(String(80), default="")  # in storage/logos/
    press_name: Mapped[str] = mapped_column(String(200), default="")
    press_email: Mapped[str] = mapped_column(String(254), default="")
    press_phone: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    current_revision: Mapped[int] = mapped_column(Integer, default=0)
    # set when the statement opens for signature: the text organisations sign
    signed_revision: Mapped[int | None] = mapped_column(Integer)
    signed_sha256: Mapped[str] = mapped_column(String(64), default="")
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime)
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_individuals: Mapped[bool] = mapped_column(Boolean, default=False)
    public_list: Mapped[bool] = mapped_column(Boolean, default=True)
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    # how the PDF is laid out (chosen by the coordinators)
    pdf_page_size: Mapped[str] = mapped_column(String(10), default="A4")
    pdf_columns: Mapped[int] = mapped_column(Integer, default=2)
    pdf_grouping: Mapped[str] = mapped_column(String(20), default="none")
    pdf_order: Mapped[str] = mapped_column(String(20), default="alphabetical")
    # set when the list or the text changed and a new PDF is wanted
    pdf_wanted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # bumped in the same transaction as every change of what the public list or the PDF
    # shows (cosign.dispatch): keys the cached public list and tells a stale PDF
    listing_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the render lease: one render of this statement at a time, on every host (cosign.pdfs)
    pdf_lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    pdf_lease_owner: Mapped[str] = mapped_column(String(64), default="", server_default="")
    pdf_rendered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # last render began
    # publication: now, or scheduled for the end of an embargo (times in UTC)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    published_revision: Mapped[int | None] = mapped_column(Integer)
    publish_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    publish_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    keep_open: Mapped[bool] = mapped_column(Boolean, default=False)  # "open letter" mode
    # signatories of an earlier version who have not re-confirmed: printed apart or left out
    earlier_signers: Mapped[str] = mapped_column(String(20), default="section",
                                                 server_default="section")
    # only sign-ons whose confirmed e-mail domain is the organisation's website's are approved
    require_domain_verified: Mapped[bool] = mapped_column(Boolean, default=False,
                                                          server_default=sa_false())
    # who receives the statement on publication
    press_selection: Mapped[str] = mapped_column(String(20), default="none")
    press_tags: Mapped[str] = mapped_column(String(500), default="")
    press_embargoed_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    # data retention: when the signatories' contact data was erased (cosign.retention)
    contacts_erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # the daily digest: when it last went out for this statement (migration 0013)
    digest_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # sharing: the number of signatories the coalition aims for, shown with the counter (none:
    # no goal shown)
    signature_goal: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    members: Mapped[list[Membership]] = relationship(
        back_populates="statement", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Statement {self.slug}>"


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("statement_id", "user_id", name="uq_membership_statement_user"),
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    statement: Mapped[Statement] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Revision(Base):
    """One immutable saved state of a statement's text."""

    __tablename__ = "revision"
    __table_args__ = (
        UniqueConstraint("statement_id", "number", name="uq_revision_statement_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    place: Mapped[str] = mapped_column(String(200), default="")
    date: Mapped[dt.date | None] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    restored_from: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    author: Mapped[User | None] = relationship()


class Translation(Base):
    """A statement's text in another language than its authoritative one.

    Drafted like the main text: its :class:`TranslationRevision` rows are its history.
    Each revision records the authoritative revision (and that text's SHA-256) it
    translates; when the authoritative text changes, the translation is *outdated*
    (:mod:`cosign.translating`) until a drafter brings it up to date.
    """

    __tablename__ = "translation"
    __table_args__ = (
        UniqueConstraint("statement_id", "language", name="uq_translation_statement_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    current_revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    statement: Mapped[Statement] = relationship()


class TranslationRevision(Base):
    """One immutable saved state of a translation, and the authoritative text it translates."""

    __tablename__ = "translation_revision"
    __table_args__ = (
        UniqueConstraint("translation_id", "number",
                         name="uq_translation_revision_translation_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translation.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    place: Mapped[str] = mapped_column(String(200), default="")
    date: Mapped[dt.date | None] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    # the authoritative revision this text translates, and that text's SHA-256
    source_revision: Mapped[int] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))
    restored_from: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    author: Mapped[User | None] = relationship()


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20), default="editor")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    statement: Mapped[Statement] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class Comment(Base):
    """A drafter's comment on one paragraph, anchored by the paragraph's text."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_statement_paragraph", "statement_id", "paragraph_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    # a comment on a translation's text (None: on the authoritative text)
    translation_id: Mapped[int | None] = mapped_column(
        ForeignKey("translation.id", ondelete="CASCADE"))
    revision_number: Mapped[int] = mapped_column(Integer)
    paragraph_key: Mapped[str] = mapped_column(String(32))
    excerpt: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class AuditEvent(Base):
    """Who did what to a statement, and when. Never updated, never deleted by the app."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_statement_created", "statement_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    actor: Mapped[User | None] = relationship()

    @property
    def detail(self) -> dict[str, Any]:
        return json.loads(self.detail_json or "{}")


class OutboxMessage(Base):
    """An e-mail written in the same transaction as the change that causes it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    # a PDF this site issued, attached when the message is sent
    attachment_pdf_id: Mapped[int | None] = mapped_column(
        ForeignKey("issued_pdf.id", ondelete="SET NULL")
    )
    attachment_name: Mapped[str] = mapped_column(String(200), default="")
    # press mail in a translation's language carries the authoritative PDF too (an issued_pdf
    # id without a foreign key: checked when the message is sent, see migration 0011)
    extra_attachment_pdf_id: Mapped[int | None] = mapped_column(Integer)
    extra_attachment_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # RFC 2369/8058 one-click unsubscribe address (press mail)
    list_unsubscribe: Mapped[str] = mapped_column(String(500), default="")


class Signature(Base):
    """One organisation's (or person's) sign-on to a statement.

    ``name_key`` (see :func:`cosign.core.names.name_key`) is unique per
    statement, so the same organisation can never appear twice; honeypot hits
    are kept with ``flagged`` and no key, and are never shown. An unconfirmed
    sign-on does not hold the name: its key is in ``pending_key`` (not unique),
    so several people may claim a name and the first to confirm gets it.
    """

    __tablename__ = "signature"
    __table_args__ = (
        UniqueConstraint("statement_id", "name_key", name="uq_signature_statement_name_key"),
        Index("ix_signature_statement_status", "statement_id", "status"),
        Index("ix_signature_statement_pending_key", "statement_id", "pending_key"),
        CheckConstraint(f"status IN {SIGNATURE_STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {SIGNER_KINDS!r}", name="kind"),
        CheckConstraint(f"display IN {DISPLAYS!r}", name="display"),
        CheckConstraint(f"provenance IN {PROVENANCES!r}", name="provenance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    name_key: Mapped[str | None] = mapped_column(String(200))
    pending_key: Mapped[str | None] = mapped_column(String(200))  # while unconfirmed
    kind: Mapped[str] = mapped_column(String(20), default="organisation")
    name: Mapped[str] = mapped_column(String(200))
    public_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str] = mapped_column(String(100), default="")
    org_type: Mapped[str] = mapped_column(String(20), default="other")
    website: Mapped[str] = mapped_column(String(300), default="")
    display: Mapped[str] = mapped_column(String(20), default="named")
    # contact data: never in any public page, export, feed, API or PDF
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_role: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    ip_hash: Mapped[str] = mapped_column(String(64), default="")

    status: Mapped[str] = mapped_column(String(20), default="unconfirmed")
    revision: Mapped[int] = mapped_column(Integer)  # the text version this signatory signed
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    provenance: Mapped[str] = mapped_column(String(20), default="web")
    # the interface language of the sign-on (its mails are written in it) and the language of
    # the text the signatory read on the sign page (the authoritative one, or a translation)
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    read_language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    provenance_detail: Mapped[str] = mapped_column(String(200), default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature.id", ondelete="SET NULL")
    )
    # a near-duplicate found when the sign-on was written ("possibly the same as ..."), and why
    # (abbreviation, spelling, website, e-mail domain, translation); moderators decide
    similar_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature.id", ondelete="SET NULL")
    )
    similar_reason: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # the confirmed e-mail address's registrable domain is the website's (cosign.core.domain)
    domain_verified: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reconfirm_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lead_rank: Mapped[int | None] = mapped_column(Integer)  # lead signatories first, by rank
    # collation key of the public entry (cosign.core.ordering.sort_key), computed when the
    # signature is written: lists are ordered by it without collating on every read
    sort_key: Mapped[str] = mapped_column(Text, default="", server_default="")

    statement: Mapped[Statement] = relationship()


class IssuedPdf(Base):
    """A PDF this site issued: anyone can check a file against these records.

    ``cache_key`` is the SHA-256 of everything the PDF is made from (signed text,
    ordered public signatory data, template version, layout), so an unchanged
    statement is never rendered twice; ``sha256`` is that of the file's bytes.
    """

    __tablename__ = "issued_pdf"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"),
                                              index=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))
    signatory_count: Mapped[int] = mapped_column(Integer)
    template_version: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    certified: Mapped[bool] = mapped_column(Boolean, default=False)
    watermark: Mapped[str] = mapped_column(String(200), default="")
    # the document's language, and whether it is the authoritative text (False: a translation,
    # which prints the same list)
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    authoritative: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # the statement's listing_version this PDF was rendered from
    listing_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    # trusted time (cosign.timestamping): the RFC 3161 time in the certification and the
    # authority that gave it (None / "": no timestamp); the archive must be extended before
    # archive_until, when the newest timestamp's authority certificate expires
    timestamped_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    timestamp_authority: Mapped[str] = mapped_column(String(200), default="", server_default="")
    archive_timestamps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archive_until: Mapped[dt.datetime | None] = mapped_column(DateTime)

    statement: Mapped[Statement] = relationship()


class EarlierCopy(Base):
    """The bytes an issued PDF had before its archive was extended (a new document
    timestamp appended): copies handed out earlier are still this site's PDF."""

    __tablename__ = "earlier_copy"

    id: Mapped[int] = mapped_column(primary_key=True)
    issued_pdf_id: Mapped[int] = mapped_column(ForeignKey("issued_pdf.id", ondelete="CASCADE"),
                                               index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    replaced_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)

    issued_pdf: Mapped[IssuedPdf] = relationship()


class PressContact(Base):
    """A journalist or newsroom that receives published statements.

    The press list belongs to the site: every coordinator shares it. Contacts
    who subscribe themselves count only once their address is confirmed.
    """

    __tablename__ = "press_contact"
    __table_args__ = (
        CheckConstraint(f"status IN {PRESS_CONTACT_STATUSES!r}", name="status"),
        CheckConstraint(f"source IN {PRESS_CONTACT_SOURCES!r}", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    outlet: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    language: Mapped[str] = mapped_column(String(35), default="en")
    tags: Mapped[str] = mapped_column(String(500), default="")  # "tag1,tag2", lower case, sorted
    status: Mapped[str] = mapped_column(String(20), default="active")
    source: Mapped[str] = mapped_column(String(20), default="desk")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (self.tags or "").split(",") if t]


class PressDelivery(Base):
    """One statement sent to one press address (final or embargoed copy).

    Unique per (statement, address, kind): a contact never receives the same
    statement twice unless a coordinator resends it, which sends the same
    delivery again and counts it in ``sends``.
    """

    __tablename__ = "press_delivery"
    __table_args__ = (
        UniqueConstraint("statement_id", "email", "kind",
                         name="uq_press_delivery_statement_email_kind"),
        CheckConstraint(f"kind IN {DELIVERY_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("press_contact.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20), default="final")
    issued_pdf_id: Mapped[int | None] = mapped_column(
        ForeignKey("issued_pdf.id", ondelete="SET NULL"))
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"))
    sends: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=clock.now)
    resent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    contact: Mapped[PressContact | None] = relationship()
    message: Mapped[OutboxMessage | None] = relationship()
    issued_pdf: Mapped[IssuedPdf | None] = relationship()
