"""cosign.distribution on the service (SQLite and PostgreSQL), without the worker or the web
client: one press mail per selected contact with the PDF attached, never twice; a request that
may not render is refused until the PDF is current; resends, the sweep, the page's rows and
counts; which translation a reader gets."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from cosign import audit, distribution, moderation, press, publishing, signing
from cosign.models import IssuedPdf, OutboxMessage, PressDelivery, Statement
from tests.factories import make_statement, make_user


def contact(session, owner, address, **data):
    return press.add(session, press.ContactData(email=address, name="Journalist", outlet="Daily",
                                                **data), owner.id)


@pytest.fixture
def published(session, frozen_clock):
    """A published statement with one signatory whose press selection is set afterwards, so
    that publishing itself sends nothing; two contacts on the press list."""
    owner = make_user(session)
    statement = make_statement(session, owner, press_name="Hana Press",
                               press_email="press@coalition.example")
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.add(session, statement, signing.SignOn("Union of Journalists", "IQ", "", ""),
                   owner.id)
    publishing.publish(session, statement, owner.id, publishing.PublishOptions())
    contact(session, owner, "a@news.example")
    contact(session, owner, "b@news.example", tags="iraq")
    statement = session.get(Statement, statement.id)
    statement.press_selection = "all"
    session.commit()
    return statement, owner


def press_mail(session, kind="press-final"):
    return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                           .order_by(OutboxMessage.recipient)).all()


@pytest.mark.parametrize("language, available, expected", [
    ("fr", ["fr", "ar"], "fr"),
    ("fr-CA", ["fr"], "fr"),  # the same language
    ("fr-CA", ["fr", "fr-CA"], "fr-CA"),  # the same tag first
    ("ar", ["ar-IQ"], "ar-IQ"),
    ("en", ["fr", "ar"], None),  # the authoritative text
    ("", ["fr"], None),
    ("fr", [], None),
])
def test_reader_language(language, available, expected):
    assert distribution.reader_language(language, available) == expected


def test_distribute_queues_one_mail_per_contact_once(session, app, published):
    statement, owner = published
    assert distribution.awaiting_first_run(session, statement)
    assert distribution.pending_count(session, statement) == 2
    assert distribution.distribute(session, statement.id, "final", app.config) == 2
    messages = press_mail(session)
    assert [m.recipient for m in messages] == ["a@news.example", "b@news.example"]
    issued = session.scalar(select(IssuedPdf).where(IssuedPdf.statement_id == statement.id))
    assert {m.attachment_pdf_id for m in messages} == {issued.id}
    assert all(m.attachment_name.startswith(statement.slug) for m in messages)
    assert all(issued.code in m.body_text and "Hana Press" in m.body_text for m in messages)
    assert audit.details(session, statement.id, ["press-sent"]) == [
        {"kind": "final", "count": 2, "code": issued.code}]
    assert distribution.distribute(session, statement.id, "final", app.config) == 0  # again
    assert len(press_mail(session)) == 2
    assert not distribution.awaiting_first_run(session, statement)
    assert distribution.pending_count(session, statement) == 0
    contact(session, owner, "later@news.example")
    assert distribution.pending_count(session, statement) == 1  # offered, not sent unasked
    rows = distribution.rows(session, statement.id)
    assert [(r.delivery.email, r.state) for r in rows] == [("a@news.example", "queued"),
                                                          ("b@news.example", "queued")]


def test_only_the_chosen_tags_and_only_a_due_copy(session, app, published):
    statement, _owner = published
    statement.press_selection, statement.press_tags = "tags", "iraq"
    session.commit()
    assert distribution.distribute(session, statement.id, "embargoed", app.config) == 0
    assert distribution.distribute(session, statement.id, "other", app.config) == 0
    assert distribution.distribute(session, 99999, "final", app.config) == 0
    assert distribution.distribute(session, statement.id, "final", app.config) == 1
    assert [m.recipient for m in press_mail(session)] == ["b@news.example"]


def test_a_request_that_may_not_render_waits_for_a_current_pdf(session, app, published):
    statement, owner = published
    statement.pdf_wanted_at = None
    session.commit()
    with pytest.raises(distribution.PdfNotReady):
        distribution.distribute(session, statement.id, "final", app.config, render=False)
    assert session.scalar(select(func.count()).select_from(PressDelivery)) == 0
    session.expire_all()
    assert session.get(Statement, statement.id).pdf_wanted_at is not None  # a render is asked
    distribution.distribute(session, statement.id, "final", app.config)  # renders (the worker)
    contact(session, owner, "c@news.example")
    assert distribution.distribute(session, statement.id, "final", app.config,
                                   render=False) == 1  # the current PDF: no render needed


def test_resend_sends_again_and_refuses_what_it_cannot(session, app, published, frozen_clock):
    statement, owner = published
    distribution.distribute(session, statement.id, "final", app.config)
    delivery = session.scalar(select(PressDelivery).where(
        PressDelivery.email == "a@news.example"))
    frozen_clock.advance(hours=1)
    resent = distribution.resend(session, statement, delivery.id, owner.id, app.config)
    assert (resent.sends, resent.resent_at) == (2, frozen_clock.now)
    assert [m.recipient for m in press_mail(session)].count("a@news.example") == 2
    assert audit.details(session, statement.id, ["press-resent"]) == [
        {"email": "a@news.example", "kind": "final"}]
    other = make_statement(session, owner, title="Another")
    with pytest.raises(distribution.DistributionError, match="not in the distribution"):
        distribution.resend(session, other, delivery.id, owner.id, app.config)
    press.remove(session, delivery.contact_id, owner.id)
    with pytest.raises(distribution.DistributionError) as gone:
        distribution.resend(session, statement, delivery.id, owner.id, app.config)
    assert gone.value.params == {"email": "a@news.example"}


def test_the_sweep_runs_a_distribution_that_never_ran_once(session, app, published,
                                                           frozen_clock):
    statement, _owner = published
    assert distribution.sweep(session, app.config) == 2
    assert distribution.sweep(session, app.config) == 0
    other_owner = make_user(session)
    old = make_statement(session, other_owner, title="Published long ago")
    signing.open_for_signature(session, old, other_owner.id, signing.OpenOptions())
    publishing.publish(session, old, other_owner.id,
                       publishing.PublishOptions(confirm_empty=True))
    old = session.get(Statement, old.id)
    old.press_selection = "all"
    old.published_at = frozen_clock.now - distribution.SWEEP_WINDOW - dt.timedelta(minutes=1)
    session.commit()
    assert distribution.sweep(session, app.config) == 0  # outside the window


def test_rows_show_sent_and_failed_mail(session, app, published, frozen_clock):
    statement, _owner = published
    distribution.distribute(session, statement.id, "final", app.config)
    a, b = press_mail(session)
    a.sent_at, a.message_id = frozen_clock.now, "<id@cosign.test>"
    b.failed_at, b.last_error = frozen_clock.now, "550 mailbox unavailable"
    session.commit()
    rows = {r.delivery.email: r for r in distribution.rows(session, statement.id)}
    assert (rows["a@news.example"].state, rows["a@news.example"].message_id) == (
        "sent", "<id@cosign.test>")
    assert (rows["b@news.example"].state, rows["b@news.example"].error) == (
        "failed", "550 mailbox unavailable")
