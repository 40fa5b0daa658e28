"""cosign.backlog on a real database (SQLite and PostgreSQL): the age of the oldest mail that is
due and unsent, and of the oldest PDF wish that no render has begun since."""
import datetime as dt

from cosign import backlog
from cosign.models import OutboxMessage
from tests.factories import make_statement, make_user

NOW = dt.datetime(2026, 11, 1, 12, 0, 0)


def mail(session, minutes_ago: int, **state) -> OutboxMessage:
    message = OutboxMessage(kind="invitation", recipient="x@example.org", subject="S",
                            body_text="T", body_html="<p>T</p>",
                            created_at=NOW - dt.timedelta(minutes=minutes_ago), **state)
    session.add(message)
    session.commit()
    return message


def test_nothing_waiting_is_zero(session):
    assert backlog.lag(session, NOW) == backlog.Lag(mail_seconds=0, pdf_seconds=0)


def test_mail_lag_is_the_oldest_due_unsent_message(session):
    mail(session, 90, sent_at=NOW)  # sent
    mail(session, 80, failed_at=NOW)  # given up
    mail(session, 70, next_attempt_at=NOW + dt.timedelta(minutes=5))  # a retry not yet due
    assert backlog.lag(session, NOW).mail_seconds == 0
    mail(session, 3)
    assert backlog.lag(session, NOW).mail_seconds == 180
    mail(session, 10, next_attempt_at=NOW)  # a retry due now counts from its creation
    assert backlog.lag(session, NOW).mail_seconds == 600


def test_pdf_lag_counts_wishes_of_signed_statements_not_rendered_since(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    statement.pdf_wanted_at = NOW - dt.timedelta(minutes=2)
    session.commit()
    assert backlog.lag(session, NOW).pdf_seconds == 0  # a draft has no signed text to print
    statement.signed_revision = statement.current_revision
    session.commit()
    assert backlog.lag(session, NOW).pdf_seconds == 120
    statement.pdf_rendered_at = NOW - dt.timedelta(minutes=1)  # a render began after the wish
    session.commit()
    assert backlog.lag(session, NOW).pdf_seconds == 0
    statement.pdf_wanted_at = NOW - dt.timedelta(seconds=30)  # wanted again since
    session.commit()
    assert backlog.lag(session, NOW).pdf_seconds == 30


def test_a_wish_in_the_future_is_not_negative_and_now_defaults_to_the_clock(session,
                                                                              frozen_clock):
    mail(session, -5)  # created "later" than the moment asked about
    assert backlog.lag(session, NOW).mail_seconds == 0
    frozen_clock.advance(minutes=10)
    assert backlog.lag(session).mail_seconds == 300
