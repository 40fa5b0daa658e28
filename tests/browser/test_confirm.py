"""E-mail links show, buttons act, in a real browser: a person opens the confirmation link,
sees what they sign (title, the name as it will be printed) and confirms with the button;
a signatory of an earlier version opens the re-confirmation link, sees the word diff and
re-confirms with the button. Opening a link changes nothing.

Run alone with ``.venv/bin/python -m pytest -q -p no:xdist tests/browser/test_confirm.py``.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from .conftest import DEMO_OWNER

pytestmark = pytest.mark.browser

NAME = "Basra Lawyers for Rights"
EMAIL = "office@basra-lawyers.example"


def _links(purpose: str, value: str) -> str:
    return f"http://cosign.test/{purpose}/{value}"


@pytest.fixture
def signed(app, session, demo):
    """The demo statement open for signature, with one unconfirmed sign-on; (statement id,
    signature id, confirmation path), all committed before the server answers."""
    from cosign import signing
    from cosign.models import User
    from cosign.security import make_token

    owner = session.scalar(sa.select(User).where(User.email == DEMO_OWNER))
    signing.open_for_signature(session, demo, owner.id, signing.OpenOptions())
    signature = signing.sign(session, demo, signing.SignOn(
        organisation=NAME, country="IQ", email=EMAIL, contact_name="Noor Kadhim",
        org_type="association"), secret_key=app.config["SECRET_KEY"], link_for=_links)
    token = make_token(app.config["SECRET_KEY"], signing.CONFIRM,
                       {"s": signature.id, "e": EMAIL})
    ids = demo.id, signature.id, f"/confirm/{token}"
    session.commit()
    return ids


def _state(session, signature_id: int) -> tuple:
    from cosign.models import Signature

    session.rollback()  # a fresh transaction: see what the server committed
    row = session.get(Signature, signature_id, populate_existing=True)
    state = row.status, row.revision, row.name_key, row.pending_key
    session.rollback()
    return state


def test_the_link_shows_the_button_confirms(page, session, signed):
    _statement_id, signature_id, path = signed
    before = _state(session, signature_id)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the signature")
    notice = page.locator(".confirm-page")
    expect(notice.locator(".confirm-name")).to_have_text(NAME)
    expect(notice.locator(".confirm-title")).not_to_be_empty()
    page.reload()  # opened twice (a mail scanner, then the person): still nothing changed
    assert _state(session, signature_id) == before and before[0] == "unconfirmed"
    page.get_by_role("button", name="Confirm the signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your signature is confirmed")
    status, _revision, name_key, pending_key = _state(session, signature_id)
    assert status == "confirmed" and name_key and pending_key is None
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Already confirmed")


def test_reconfirmation_shows_the_word_diff_and_the_button_reconfirms(app, page, session,
                                                                    signed):
    from cosign import drafting, moderation, signing
    from cosign.models import Signature, Statement
    from cosign.security import make_token

    statement_id, signature_id, _path = signed
    secret = app.config["SECRET_KEY"]
    statement = session.get(Statement, statement_id)
    signature = session.get(Signature, signature_id)
    signing.confirm(session, make_token(secret, signing.CONFIRM, {"s": signature_id, "e": EMAIL}),
                    secret_key=secret, link_for=_links)
    moderation.approve(session, statement, [signature_id], statement.created_by_id,
                       secret_key=secret, link_for=_links)
    current = drafting.current_revision(session, statement)
    words = current.body.split()
    old_word = next(w for w in words if w.isalpha() and len(w) > 5)
    body = current.body.replace(old_word, "Zanzibarish", 1) + "\n\nA paragraph added later."
    revision, asked = signing.save_new_version(
        session, statement, statement.created_by_id,
        drafting.Text(current.title, body, current.place, current.date), note="wording",
        base_revision=current.number, secret_key=secret, link_for=_links)
    assert asked == 1
    token = make_token(secret, signing.RECONFIRM, {"s": signature_id, "e": EMAIL})
    old_number, new_number = signature.revision, revision.number
    session.commit()

    page.goto(f"/reconfirm/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Re-confirm the signature")
    diff = page.locator(".diff")
    expect(diff.locator("ins", has_text="Zanzibarish")).to_be_visible()
    expect(diff.locator("del", has_text=old_word).first).to_be_visible()
    expect(diff).to_contain_text("A paragraph added later.")
    assert _state(session, signature_id)[1] == old_number  # opening the link changed nothing
    page.get_by_role("button", name=f"I agree: sign version {new_number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: you have re-confirmed")
    assert _state(session, signature_id)[1] == new_number
    page.goto(f"/reconfirm/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Already re-confirmed")
    assert re.search(r"version \d+", page.locator(".notice-page").inner_text())
