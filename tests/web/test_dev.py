"""/dev/mail lists the outbox in development, with clickable links."""
import pytest
from sqlalchemy import select

from cosign.models import OutboxMessage
from tests.factories import login, make_statement, make_user


@pytest.fixture
def app_overrides():
    return {"COSIGN_DEV": True}


def test_outbox_lists_mail_with_clickable_links(client, session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    login(client, owner)
    client.post(
        f"/desk/{statement.slug}/members", data={"email": "friend@example.org", "role": "editor"}
    )
    listing = client.get("/dev/mail").get_data(as_text=True)
    assert "friend@example.org" in listing and "Invitation to draft" in listing
    message = session.scalar(select(OutboxMessage))
    page = client.get(f"/dev/mail/{message.id}").get_data(as_text=True)
    assert '<a href="http://cosign.test/invitation/' in page
    assert client.get("/dev/mail/999").status_code == 404
