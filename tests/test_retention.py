"""Data retention: contact data is erased a set time after signing closes; public output stays."""
import copy
import csv
import datetime as dt
import io
import itertools
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from cosign import exports, moderation, pdfs, publishing, retention, signing
from cosign.models import AuditEvent, Base, OutboxMessage, Signature, Statement, User
from tests.crawler import restore_rows, snapshot_rows
from tests.factories import login, make_statement, make_user

SECRET = "test-secret"
CONTACT_COLUMNS = ("email", "contact_name", "contact_role", "message", "ip_hash")
_hosts = itertools.count(1)


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def token_for(session, kind, recipient):
    body = session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == kind, OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())).first()
    purpose = {"signature-confirm": signing.CONFIRM, "signature-approved": signing.WITHDRAW}[kind]
    found = re.search(rf"https://cosign\.test/{purpose}/(\S+)", body)
    assert found is not None, f"no {kind} link in the mail"
    return found.group(1)


class Signatories:
    """One of every kind of signature on a statement, each with its own contact data."""

    def __init__(self, session, statement, owner, tag):
        self.session, self.statement, self.owner, self.tag = session, statement, owner, tag
        self.markers: list[str] = []  # every contact value stored, to search for later
        self.emails: list[str] = []
        self._n = 0
        approved = self.web("Rights Watch Nasiriya", city="Nasiriya",
                            website="https://rights.example")
        self.web("Basra Women's Union", display="withheld", city="Basra")
        self.web("Pending Confirmed Group", approve=False)
        self.web("Never Confirmed Group", confirm=False)
        rejected = self.web("Rejected Group", approve=False)
        moderation.reject(session, statement, [rejected.id], owner.id)
        withdrawn = self.web("Withdrawn Group")
        signing.withdraw(session, token_for(session, "signature-approved", withdrawn.email),
                         secret_key=SECRET)
        self.web("Honeypot Hit", honeypot=True)
        moderation.add(session, statement, self.form("Added By Hand Network"), owner.id)
        self.markers.append(self.emails[-1])
        # the coordinators show the name differently from how it was submitted
        moderation.rename(session, statement, approved.id, f"Rights Watch (Nasiriya) {tag}",
                          owner.id)

    def seen(self) -> SimpleNamespace:
        """What the tests read of them: their tag, contact values and e-mail addresses."""
        return SimpleNamespace(tag=self.tag, markers=list(self.markers), emails=list(self.emails))

    def form(self, name, **kw):
        self._n += 1
        email = f"{self.tag}-{self._n}@ngo.example"
        self.emails.append(email)
        self.markers += [
            f"Contact Person {self.tag} {self._n}",
            f"Private note {self.tag} {self._n}",
        ]
        data = dict(organisation=f"{name} {self.tag}", country="IQ", email=email,
                    contact_name=f"Contact Person {self.tag} {self._n}", contact_role="Director",
                    message=f"Private note {self.tag} {self._n}", org_type="association")
        data.update(kw)
        return signing.SignOn(**data)

    def web(self, name, *, confirm=True, approve=True, honeypot=False, **kw):
        session = self.session
        signature = signing.sign(
            session,
            self.statement,
            self.form(name, **kw),
            secret_key=SECRET,
            link_for=links,
            ip=f"2001:db8::{next(_hosts):x}",
            honeypot=honeypot,
        )
        self.markers += [signature.email, signature.ip_hash]
        if confirm and not honeypot:
            signing.confirm(session, token_for(session, "signature-confirm", signature.email),
                            secret_key=SECRET, link_for=links)
            if approve:
                moderation.approve(session, self.statement, [signature.id], self.owner.id,
                                   secret_key=SECRET, link_for=links)
        return signature


def opened(session, owner, title):
    statement = make_statement(session, owner, title=title)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement


def database_text(session) -> str:
    """Every value of every row of every table, as one string."""
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            parts += [str(value) for value in row]
    session.rollback()
    return "\n".join(parts)


def public_output(client, session, statement, api=True) -> dict:
    output = {
        "page": client.get(f"/s/{statement.slug}").data,
        "page 2": client.get(f"/s/{statement.slug}?page=2").data,
        "public export": exports.to_csv(session, statement, full=False).encode(),
        "pdf cache key": pdfs.cache_key(pdfs.document_for(session, statement),
                                        pdfs.signatories_for(session, statement),
                                        pdfs.options_for(statement)),
    }
    if api:
        output["api"] = client.get(f"/api/v1/statements/{statement.slug}").data
        output["api csv"] = client.get(f"/api/v1/statements/{statement.slug}/signatories.csv").data
        output["api list"] = client.get("/api/v1/statements").data
    session.rollback()
    return output


def contact_rows(session, statement):
    return session.execute(
        select(
            Signature.name, Signature.public_name, *[getattr(Signature, c) for c in CONTACT_COLUMNS]
        ).where(Signature.statement_id == statement.id)
    ).all()


def mail_to(session, addresses):
    return session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.recipient.in_(addresses)))


def build_world(session, frozen_clock) -> dict:
    """Two statements whose signing closed 13 months ago (one published, one closed), one
    closed 11 months ago, and a published open letter that still collects signatures."""
    owner = make_user(session)
    published = opened(session, owner, "Condemn the killing of protesters")
    published_people = Signatories(session, published, owner, "pub")
    publishing.publish(session, published, owner.id, publishing.PublishOptions())
    closed = opened(session, owner, "Release the journalists")
    closed_people = Signatories(session, closed, owner, "closed")
    signing.close(session, closed, owner.id)

    frozen_clock.advance(days=61)
    recent = opened(session, owner, "Stop the evictions")
    recent_people = Signatories(session, recent, owner, "recent")
    signing.close(session, recent, owner.id)
    letter = opened(session, owner, "An open letter")
    letter_people = Signatories(session, letter, owner, "letter")
    publishing.publish(session, letter, owner.id, publishing.PublishOptions(keep_open=True))

    frozen_clock.advance(days=335)  # 396 days (13 months) after the first two closed
    session.commit()
    return {"owner": owner.id, "published": (published.id, published_people.seen()),
            "closed": (closed.id, closed_people.seen()),
            "recent": (recent.id, recent_people.seen()),
            "letter": (letter.id, letter_people.seen())}


# the world built in this test process, by kind of database: (its rows, the clock's time
# then, what build_world returned)
_worlds: dict[str, tuple[dict[str, list[dict]], dt.datetime, dict]] = {}


@pytest.fixture
def world(session, frozen_clock):
    """build_world's world: built once per kind of database in a test process; each later
    test gets the same rows (same ids) put into its own empty database, at the same time."""
    kind = session.get_bind().dialect.name
    if kind not in _worlds:
        built = build_world(session, frozen_clock)
        _worlds[kind] = (snapshot_rows(session), frozen_clock.now, built)
        session.rollback()
    else:
        rows, frozen_clock.now, built = _worlds[kind]
        restore_rows(session, rows)
    world = {"owner": session.get_one(User, built["owner"])}
    for which in ("published", "closed", "recent", "letter"):
        statement_id, people = built[which]
        world[which] = (session.get_one(Statement, statement_id), copy.deepcopy(people))
    published, closed, recent, letter = (world[w][0] for w in
                                         ("published", "closed", "recent", "letter"))
    assert published.status == "published" and not published.keep_open
    assert closed.status == "closed" and letter.keep_open and letter.closed_at is None
    assert (frozen_clock.now - recent.closed_at).days == 335
    return world


def test_contact_data_is_erased_after_the_retention_and_public_output_is_unchanged(
        session, client, world, frozen_clock):
    published, published_people = world["published"]
    closed, closed_people = world["closed"]
    due_markers = published_people.markers + closed_people.markers
    due_emails = published_people.emails + closed_people.emails
    assert len(due_markers) == len(set(due_markers)) and all(due_markers)
    text = database_text(session)
    assert all(marker in text for marker in due_markers)  # the search finds them before
    assert mail_to(session, due_emails) > 0
    before = {"published": public_output(client, session, published),
              "closed": public_output(client, session, closed, api=False)}
    for which, people in (("published", published_people), ("closed", closed_people)):
        shown = f"Rights Watch (Nasiriya) {people.tag}".encode()
        assert shown in before[which]["page"] and shown in before[which]["public export"]
    assert b"Rights Watch (Nasiriya) pub" in before["published"]["api"]

    erased = retention.erase_due(session, 365)

    assert erased == 16  # every signature of both statements, whatever its status
    for statement in (published, closed):
        rows = contact_rows(session, statement)
        assert len(rows) == 8
        for name, public_name, *contact in rows:
            assert contact == [""] * len(CONTACT_COLUMNS)
            assert name == public_name
    text = database_text(session)
    assert [marker for marker in due_markers if marker in text] == []
    assert mail_to(session, due_emails) == 0
    after = {"published": public_output(client, session, published),
             "closed": public_output(client, session, closed, api=False)}
    for which in before:
        for part in before[which]:
            assert after[which][part] == before[which][part], (which, part)

    # the full export for coordinators shows the contact columns empty
    full = list(csv.DictReader(io.StringIO(exports.to_csv(session, published, full=True)
                                           .lstrip("\ufeff"))))
    assert len(full) == 7  # honeypot hits are never exported
    for row in full:
        assert [row[c] for c in ("contact_name", "contact_role", "email", "message")] == [""] * 4
        assert row["original_name"] == row["name"]
    assert {row["status"] for row in full} == {"approved", "confirmed", "unconfirmed",
                                               "rejected", "withdrawn"}

    # one audit event per statement, and the statements are marked
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "contacts-erased")
                             .order_by(AuditEvent.statement_id)).all()
    assert [(e.statement_id, e.detail["count"]) for e in events] == [(published.id, 8),
                                                                     (closed.id, 8)]
    session.refresh(published)
    assert published.contacts_erased_at == frozen_clock.now


def test_recent_statements_and_open_letters_keep_their_contact_data(session, world):
    retention.erase_due(session, 365)
    for which in ("recent", "letter"):
        statement, people = world[which]
        rows = contact_rows(session, statement)
        assert sum(1 for row in rows if row.email) == 8, which
        assert mail_to(session, people.emails) > 0
        session.refresh(statement)
        assert statement.contacts_erased_at is None
    text = database_text(session)
    assert all(marker in text for marker in world["recent"][1].markers)


def test_erasing_is_idempotent_and_counts_from_the_close(session, world, frozen_clock):
    assert retention.erase_due(session, 365) == 16
    assert retention.erase_due(session, 365) == 0  # already erased: nothing to do, no new event
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "contacts-erased")) == 2

    recent, _people = world["recent"]
    frozen_clock.advance(days=29)
    assert retention.erase_due(session, 365) == 0  # closed 364 days ago
    frozen_clock.advance(days=1)
    assert retention.erase_due(session, 365) == 8  # exactly 365 days
    assert all(row.email == "" for row in contact_rows(session, recent))

    letter, _people = world["letter"]
    signing.close(session, letter, world["owner"].id)  # the open letter closes at last
    assert retention.erase_due(session, 365) == 0
    frozen_clock.advance(days=365)
    assert retention.erase_due(session, 365) == 8
    assert retention.erase_due(session, 365) == 0


def test_a_mail_being_sent_is_scrubbed_not_deleted(session, world, frozen_clock):
    published, people = world["published"]
    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.statement_id == published.id)).first()
    message.claimed_until = frozen_clock.now + dt.timedelta(minutes=5)
    session.commit()
    message_id = message.id

    retention.erase_due(session, 365)

    scrubbed = session.get(OutboxMessage, message_id)
    assert (scrubbed.recipient, scrubbed.subject, scrubbed.body_text, scrubbed.body_html) == \
        ("", "", "", "")
    assert scrubbed.failed_at is not None  # never sent again
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.statement_id == published.id)) == 1


def test_the_scheduled_job_reads_the_setting(session, world):
    assert retention.erase_expired_contacts(session, {"COSIGN_RETENTION_DAYS": "400"}) == 0
    assert retention.erase_expired_contacts(session, {"COSIGN_RETENTION_DAYS": "396"}) == 16
    assert retention.erase_expired_contacts(session, {}) == 0  # default 365: recent not due yet


@pytest.mark.parametrize("value, days", [(None, 365), ("", 365), ("30", 30), (0, 0), (365, 365)])
def test_retention_days(value, days):
    config = {} if value is None else {"COSIGN_RETENTION_DAYS": value}
    assert retention.retention_days(config) == days


@pytest.mark.parametrize("value", ["a year", "-1", "1.5"])
def test_bad_retention_days_are_refused(value):
    with pytest.raises(ValueError, match="COSIGN_RETENTION_DAYS"):
        retention.retention_days({"COSIGN_RETENTION_DAYS": value})


def test_the_audit_log_says_what_happened(session, client, world):
    retention.erase_due(session, 365)
    published, _people = world["published"]
    login(client, world["owner"])
    page = client.get(f"/desk/{published.slug}/audit").get_data(as_text=True)
    assert "erased the contact data of 8 signatories (retention period over)" in page
