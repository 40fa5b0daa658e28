"""The outbox: mail is written with the change and delivered after commit to a real SMTP server."""
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from cosign import membership
from cosign.models import Membership, OutboxMessage
from tests.factories import make_statement, make_user


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, sink
    controller.stop()


@pytest.fixture
def app_overrides(request):
    if "smtp" in request.fixturenames:
        controller, _sink = request.getfixturevalue("smtp")
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port,
                "MAIL_DEFAULT_SENDER": "cosign <noreply@cosign.test>"}
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

    mail.enqueue(session, kind="invitation", recipient="x@example.org", template="invitation",
                 context={"inviter": "I", "title": "T", "role": "editor", "link": "https://x", "has_account": False})
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
