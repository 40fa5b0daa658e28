"""The daily digest of sign-ons waiting for moderation (cosign.digest), sent by the worker's
sweep through the outbox to a real SMTP server (aiosmtpd on loopback), on SQLite and PostgreSQL.
The clock is moved by hand (``frozen_clock``)."""
import re
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from cosign import accounts, digest, moderation, signing
from cosign.models import AuditEvent, Statement, User
from tests.factories import add_editor, make_statement, make_user
from tests.signatures import SECRET, confirmed, links, sign, sign_on
from tests.smtp_sink import mail_config

SITE = "https://statements.example.org"  # not the test client's host (cosign.test)


@pytest.fixture
def app_overrides(smtp):
    return {**mail_config(smtp[0]), "COSIGN_SITE_URL": SITE}


@pytest.fixture
def team(session, frozen_clock):
    """An open statement: two coordinators (owners), a co-drafter (editor), and a coordinator
    who turned the digest off."""
    lead = make_user(session, email="lead@coalition.example", name="Nadia Aziz")
    second = make_user(session, email="second@coalition.example", name="Omar Said")
    editor = make_user(session, email="editor@coalition.example", name="Edith Editor")
    quiet = make_user(session, email="quiet@coalition.example", name="Quiet Owner")
    statement = make_statement(session, lead)
    add_editor(session, statement, second, role="owner")
    add_editor(session, statement, editor, role="editor")
    add_editor(session, statement, quiet, role="owner")
    accounts.set_digest(session, quiet.id, False)
    signing.open_for_signature(session, statement, lead.id, signing.OpenOptions())
    return statement, lead, second, editor, quiet


def digests(sink):
    return [m for m in sink.emails() if "to review" in m["Subject"] or "مراجعة" in m["Subject"]
            or "à examiner" in m["Subject"]]


def body(message, kind="plain"):
    return message.get_body((kind,)).get_content()


def by_recipient(sink):
    found: dict[str, list[EmailMessage]] = {}
    for message in digests(sink):
        found.setdefault(message["To"], []).append(message)
    return found


def test_each_coordinator_gets_the_count_and_the_new_names(session, team, smtp, frozen_clock,
                                                            run_worker):
    statement, lead, second, editor, quiet = team
    sink = smtp[1]
    confirmed(session, statement, "Iraqi Democratic Association", "sara@ida.example",
              contact_name="Sara Ali", message="Please call me on +44 20 7946 0000")
    confirmed(session, statement, "Basra Women's Union", "huda@bwu.example", country="IQ",
              display="withheld")
    confirmed(session, statement, "Ligue des droits", "paul@ldh.example", country="FR")
    sign(session, statement, sign_on("Never Confirmed Group", "late@ncg.example"))
    approved = confirmed(session, statement, "Already Approved Network", "ok@aan.example")
    moderation.approve(session, statement, [approved.id], lead.id, secret_key=SECRET,
                       link_for=links)
    run_worker()
    assert digests(sink) == []  # the first sign-ons gather for an hour first
    frozen_clock.advance(hours=1)
    run_worker()
    received = by_recipient(sink)
    assert sorted(received) == [lead.email, second.email]  # no editor, not the one who opted out
    for (message,) in received.values():
        text, html = body(message), body(message, "html")
        assert message["Subject"] == "“Free the journalists”: 3 sign-ons to review"
        assert "3 sign-ons wait for your review" in text
        assert "Iraqi Democratic Association (Iraq)" in text
        assert "Ligue des droits (France)" in text
        assert "An organisation in Iraq (name withheld)" in text
        for hidden in ("Basra Women", "sara@ida.example", "Sara Ali", "+44 20", "Never Confirmed",
                       "Already Approved"):
            assert hidden not in text and hidden not in html, hidden
        moderation_link = f"{SITE}/desk/{statement.slug}/signatures/?status=confirmed"
        assert moderation_link in text and f'href="{moderation_link}"' in html
        assert f"{SITE}/account/#digest" in text and f'href="{SITE}/account/#digest"' in html
        assert "cosign.test/desk" not in text + html  # never the request's host
        assert "turn the daily digest off" in text
    assert "Hello Nadia Aziz," in body(received[lead.email][0])
    session.rollback()
    assert session.get(Statement, statement.id).digest_sent_at == frozen_clock.now


def test_nothing_waits_nothing_is_sent(session, team, smtp, frozen_clock, run_worker):
    statement, lead, *_ = team
    sign(session, statement, sign_on("Never Confirmed Group", "late@ncg.example"))
    approved = confirmed(session, statement, "Approved Network", "ok@aan.example")
    moderation.approve(session, statement, [approved.id], lead.id, secret_key=SECRET,
                       link_for=links)
    rejected = confirmed(session, statement, "Rejected Group", "no@rg.example")
    moderation.reject(session, statement, [rejected.id], lead.id)
    for _day in range(3):
        frozen_clock.advance(hours=25)
        run_worker()
    assert digests(smtp[1]) == []
    session.rollback()
    assert session.get(Statement, statement.id).digest_sent_at is None


def test_one_a_day_however_often_the_sweep_runs_then_the_next_day(session, team, smtp,
                                                                   frozen_clock, run_worker):
    statement, lead, second, *_ = team
    sink = smtp[1]
    confirmed(session, statement, "Iraqi Democratic Association", "sara@ida.example")
    frozen_clock.advance(hours=2)
    first_sent = frozen_clock.now
    for _ in range(5):
        run_worker()
    assert len(by_recipient(sink)[lead.email]) == 1
    # more sign-ons the same day, and the sweep runs again and again: nothing more today
    confirmed(session, statement, "Ligue des droits", "paul@ldh.example", country="FR")
    for _ in range(23):
        frozen_clock.advance(hours=1)
        run_worker()
    assert len(by_recipient(sink)[lead.email]) == 1
    assert digest.send_due(session, {"COSIGN_SITE_URL": SITE}) == 0
    # 24 hours after the first: the next one, with only what is new since then
    frozen_clock.advance(hours=1)
    run_worker()
    first, second_day = by_recipient(sink)[lead.email]
    text = body(second_day)
    assert "2 sign-ons wait for your review" in text
    assert "Since the last digest, on Nov 1, 2026, 14:00 UTC, 1 new sign-on came in:" in text
    assert "Ligue des droits (France)" in text and "Iraqi Democratic" not in text
    assert len(by_recipient(sink)[second.email]) == 2
    # the third day: the same two still wait, nothing new came in: no reminder of old news
    frozen_clock.advance(hours=30)
    run_worker()
    assert len(by_recipient(sink)[lead.email]) == 2
    # a new one comes in: it waits its hour, then the digest goes
    confirmed(session, statement, "Third Group", "t@tg.example")
    run_worker()
    assert len(by_recipient(sink)[lead.email]) == 2
    frozen_clock.advance(hours=1)
    run_worker()
    assert len(by_recipient(sink)[lead.email]) == 3
    assert first_sent < frozen_clock.now


def test_two_sweeps_at_once_send_one_digest(session, team, frozen_clock):
    statement, lead, second, *_ = team
    confirmed(session, statement, "Iraqi Democratic Association", "sara@ida.example")
    frozen_clock.advance(hours=1)
    config = {"COSIGN_SITE_URL": SITE}
    assert digest.due(session) == [statement.id]
    stale = digest.summary(session, statement.id, frozen_clock.now)  # what a slower sweep read
    assert digest.send(session, statement.id, config) == 2
    session.rollback()
    # the slower sweep reaches its write with what it had read: the mark has moved
    assert digest.send(session, statement.id, config) == 0
    assert stale is not None and stale.mark is None
    assert session.get(Statement, statement.id).digest_sent_at is not None


def test_language_and_time_zone_follow_each_account(session, team, smtp, frozen_clock,
                                                    run_worker):
    statement, lead, second, *_ = team
    accounts.set_preferences(session, lead.id, language="ar", zone_name="Asia/Baghdad")
    accounts.set_preferences(session, second.id, language="fr", zone_name="Europe/Paris")
    confirmed(session, statement, "Iraqi Democratic Association", "sara@ida.example")
    frozen_clock.advance(hours=1)
    run_worker()
    confirmed(session, statement, "Ligue des droits", "paul@ldh.example", country="FR")
    frozen_clock.advance(hours=24)
    run_worker()
    received = by_recipient(smtp[1])
    arabic, french = received[lead.email][-1], received[second.email][-1]
    ar_text, fr_text = body(arabic), body(french)
    assert re.search(r"[\u0600-\u06FF]", arabic["Subject"]) and "review" not in arabic["Subject"]
    assert 'lang="ar" dir="rtl"' in body(arabic, "html")
    assert "(فرنسا)" in ar_text  # the country in Arabic
    assert "16:00 (Asia/Baghdad)" in ar_text  # the last digest, 13:00 UTC, in Baghdad
    assert "Bonjour Omar Said," in fr_text and "(France)" in fr_text
    assert "14:00 (Europe/Paris)" in fr_text
    assert "review" not in fr_text.lower()


def test_only_statements_that_accept_sign_ons(session, team, smtp, frozen_clock, run_worker):
    statement, lead, *_ = team
    confirmed(session, statement, "Iraqi Democratic Association", "sara@ida.example")
    signing.close(session, statement, lead.id)
    frozen_clock.advance(hours=2)
    run_worker()
    assert digests(smtp[1]) == []
    # a statement nobody coordinates with the digest on is not even looked at
    other = make_statement(session, lead, title="Another statement")
    signing.open_for_signature(session, other, lead.id, signing.OpenOptions())
    confirmed(session, other, "Iraqi Democratic Association", "sara2@ida.example")
    accounts.set_digest(session, lead.id, False)
    frozen_clock.advance(hours=2)
    assert digest.due(session) == []
    accounts.set_digest(session, lead.id, True)
    assert digest.due(session) == [other.id]


def test_the_opt_out_is_audited_and_idempotent(session, team):
    *_, quiet = team
    assert session.get(User, quiet.id).digest_opt_out is True
    assert accounts.set_digest(session, quiet.id, False) is False  # already off: no new entry
    assert accounts.set_digest(session, quiet.id, True) is True
    actions = list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == quiet.id).order_by(AuditEvent.id)))
    assert actions == ["digest-off", "digest-on"]


def test_flask_cosign_tick_sends_it_too(session, team, smtp, frozen_clock, runner):
    statement, lead, second, *_ = team
    confirmed(session, statement, "Iraqi Democratic Association", "sara@ida.example")
    frozen_clock.advance(hours=1)
    session.rollback()
    result = runner.invoke(args=["cosign", "tick"])
    assert result.exit_code == 0, result.output
    assert "queued 2 daily digest(s)" in result.output
    assert sorted(by_recipient(smtp[1])) == [lead.email, second.email]
    assert "queued 0 daily digest(s)" in runner.invoke(args=["cosign", "tick"]).output
