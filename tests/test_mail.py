"""The outbox: mail is written with the change and delivered after commit to a real SMTP server."""
import time

import pytest
from sqlalchemy import func, select

from cosign import mail, membership
from cosign.models import Membership, OutboxMessage, Statement
from tests.factories import make_statement, make_user
from tests.smtp_sink import Sink, free_port, mail_config, start


@pytest.fixture
def app_overrides(request):
    if "smtp" in request.fixturenames:
        return mail_config(request.getfixturevalue("smtp")[0])
    return {}


def invite(session, email="friend@example.org"):
    owner = make_user(session, name="Owner Person")
    statement = make_statement(session, owner)
    member = session.scalar(select(Membership))
    return membership.invite(session, statement, member, email, "editor", secret_key="s",
                             link_for=lambda t: f"https://cosign.test/invitation/{t}")


def test_invitation_is_delivered_over_smtp_after_commit(smtp, session):
    _controller, sink = smtp
    invite(session)
    deadline = time.monotonic() + 5
    while not sink.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sink.messages) == 1
    envelope = sink.messages[0]
    assert envelope.rcpt_tos == ["friend@example.org"]
    raw = envelope.content.decode()
    assert "multipart/alternative" in raw and "text/plain" in raw and "text/html" in raw
    assert "Owner Person" in raw
    message = session.scalar(select(OutboxMessage))
    session.refresh(message)
    assert message.sent_at is not None and message.message_id and message.attempts == 1


def test_nothing_is_sent_for_a_rolled_back_change(smtp, session):
    _controller, sink = smtp
    owner = make_user(session)
    make_statement(session, owner)
    from cosign import mail

    mail.enqueue(
        session,
        kind="invitation",
        recipient="x@example.org",
        template="invitation",
        context={
            "inviter": "I",
            "title": "T",
            "role": "editor",
            "link": "https://x",
            "has_account": False,
        },
    )
    session.rollback()
    session.commit()
    time.sleep(0.2)
    assert sink.messages == []
    assert session.scalar(select(OutboxMessage)) is None


def test_without_mail_server_mail_stays_in_the_outbox(session):
    invite(session)
    message = session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 0


def test_smtp_down_records_the_error(session, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    invite(session)
    message = session.scalar(select(OutboxMessage))
    session.refresh(message)
    assert message.sent_at is None and message.attempts == 1
    assert "ConnectionRefused" in message.last_error


def test_dev_mail_view_only_in_development(client, session):
    assert client.get("/dev/mail").status_code == 404


class FlakySink(Sink):
    """Answers with the given SMTP codes in turn, then accepts."""

    def __init__(self, answers):
        super().__init__()
        self.answers = list(answers)

    async def handle_DATA(self, server, session, envelope):
        if self.answers:
            return self.answers.pop(0)
        return await super().handle_DATA(server, session, envelope)


def test_temporary_failure_is_retried_with_backoff_and_sent_once(session, app, frozen_clock):
    sink = FlakySink(["451 4.3.0 try again later"])
    controller = start(sink)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        invite(session)
        message = session.scalar(select(OutboxMessage))
        session.refresh(message)
        assert message.sent_at is None and message.failed_at is None and message.attempts == 1
        assert "451" in message.last_error
        assert message.next_attempt_at == frozen_clock.now + mail.BACKOFF[0]
        assert mail.deliver_due(session, app.config) == 0  # not due yet
        frozen_clock.advance(minutes=1)
        assert mail.deliver_due(session, app.config) == 1
        assert mail.deliver_due(session, app.config) == 0
        session.refresh(message)
        assert message.sent_at is not None and message.attempts == 2
        assert len(sink.messages) == 1
    finally:
        controller.stop()


def test_permanent_failure_is_not_retried(session, app):
    sink = FlakySink(["550 5.1.1 no such user"])
    controller = start(sink)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        invite(session)
        message = session.scalar(select(OutboxMessage))
        session.refresh(message)
        assert message.failed_at is not None and "550" in message.last_error
        assert mail.due(session) == []
        assert sink.messages == []
    finally:
        controller.stop()


def test_smtp_down_then_back_delivers_every_message_exactly_once(session, app, frozen_clock):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    for n in range(3):
        invite(session, email=f"friend{n}@example.org") if n == 0 else _invite_more(session, n)
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None))) == 3
    sink = Sink()
    controller = start(sink, port=port)
    try:
        frozen_clock.advance(hours=1)
        assert mail.deliver_due(session, app.config) == 3
        frozen_clock.advance(hours=1)
        assert mail.deliver_due(session, app.config) == 0
        assert sorted(e.rcpt_tos[0] for e in sink.messages) == [
            "friend0@example.org", "friend1@example.org", "friend2@example.org"]
    finally:
        controller.stop()


def test_gives_up_after_the_last_retry(session, app, frozen_clock):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    invite(session)
    message = session.scalar(select(OutboxMessage))
    for _ in mail.BACKOFF:
        frozen_clock.advance(days=1)
        mail.deliver_due(session, app.config)
    session.refresh(message)
    assert message.failed_at is not None and message.attempts == len(mail.BACKOFF) + 1


def test_a_claimed_message_is_not_sent_twice(session, app, smtp):
    controller, sink = smtp
    owner = make_user(session)
    make_statement(session, owner)
    message = mail.enqueue(session, kind="x", recipient="x@example.org", template="invitation",
                           context={"inviter": "I", "title": "T", "role": "editor",
                                    "link": "https://x", "has_account": False})
    session.info.pop("cosign.new_mail", None)
    session.commit()
    assert mail._claim(session, message.id)
    delivered = mail.deliver(session, message.id, app.config)
    assert delivered is not None and delivered.sent_at is None  # claimed elsewhere
    assert sink.messages == []


def _invite_more(session, n):
    statement = session.scalars(select(Statement)).first()
    member = session.scalars(select(Membership)).first()
    return membership.invite(session, statement, member, f"friend{n}@example.org", "editor",
                             secret_key="s", link_for=lambda t: f"https://cosign.test/invitation/{t}")


def test_tick_command(runner, session):
    result = runner.invoke(args=["cosign", "tick"])
    assert result.exit_code == 0 and "closed 0 statement(s)" in result.output


# --- priority: mail a person is waiting for goes first (issue 13, item 4) -----------------------

def _press_mail(session, n: int) -> None:
    mail.enqueue(session, kind="press-final", recipient=f"desk{n}@news.example",
                 template="invitation", context={"inviter": "I", "title": "T", "role": "editor",
                                                 "link": "https://x", "has_account": False})


def test_priority_of_kinds():
    assert [mail.priority(k) for k in ("signature-confirm", "password-reset", "press-confirm",
                                       "invitation")] == [0, 0, 0, 0]
    assert [mail.priority(k) for k in ("press-final", "press-embargoed",
                                       "signature-reconfirm")] == [2, 2, 2]
    assert mail.priority("signature-approved") == 1


BATCH = 100  # mail.due's limit: what one deliver_due (a sweep, a tick) tries


def test_after_an_smtp_outage_a_confirmation_goes_out_in_the_first_batch(session, app,
                                                                          frozen_clock):
    """More press mails than one batch wait behind a dead SMTP server; a confirmation mail
    comes in last. When the server is back, the first batch the worker sends begins with the
    confirmation (by id, it would be in the second)."""
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    owner = make_user(session)
    make_statement(session, owner)
    for n in range(BATCH + 20):
        _press_mail(session, n)
    session.commit()
    while mail.due(session):  # the outage: every attempt fails; each is retried later
        assert mail.deliver_due(session, app.config) == 0
    frozen_clock.advance(seconds=30)
    mail.enqueue(session, kind="signature-confirm", recipient="signer@union.example",
                 template="invitation", context={"inviter": "I", "title": "T", "role": "editor",
                                                 "link": "https://x", "has_account": False})
    session.commit()  # its first attempt, right after the commit, fails too
    frozen_clock.advance(minutes=2)  # every retry is due
    [confirmation] = session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.kind == "signature-confirm")).all()
    batch = mail.due(session)
    assert len(batch) == BATCH and batch[0] == confirmation  # by the query, not the oldest id
    older = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.id < confirmation, OutboxMessage.sent_at.is_(None)))
    assert older >= BATCH  # by id, it would wait for a later batch
    assert batch[1:] == sorted(batch[1:])  # then the backlog, oldest first
    sink = Sink()
    controller = start(sink, port=port)
    try:
        assert mail.deliver_due(session, app.config) == BATCH
        assert sink.messages[0].rcpt_tos == ["signer@union.example"]
        assert all(e.rcpt_tos[0].startswith("desk") for e in sink.messages[1:])
    finally:
        controller.stop()
