"""Signing services, tested without the web client."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from cosign import drafting, listing, moderation, signatories, signing
from cosign.models import AuditEvent, OutboxMessage, Signature, Statement
from tests.factories import BODY, make_statement, make_user
from tests.signatures import SECRET, count, links, sign, sign_on, token_in


@pytest.fixture
def opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement, owner


def test_opening_freezes_the_signed_revision(session, opened):
    statement, owner = opened
    current = drafting.current_revision(session, statement)
    assert statement.status == "open" and statement.signed_revision == current.number
    assert statement.signed_sha256 == current.sha256 and statement.opened_at is not None
    assert session.scalars(select(AuditEvent.action)).all()[-1] == "opened"
    with pytest.raises(drafting.NotEditable):
        drafting.save_revision(session, statement, owner.id, drafting.Text("X", "Y"))


def test_open_options_are_checked(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    with pytest.raises(signing.SigningError) as info:
        signing.open_for_signature(session, statement, owner.id,
                                   signing.OpenOptions(deadline=frozen_clock.now))
    assert info.value.field == "deadline"
    assert session.get(Statement, statement.id).status == "draft"


def test_unlisted_gets_an_unguessable_suffix(session):
    owner = make_user(session)
    statement = make_statement(session, owner, slug="secret-letter")
    signing.open_for_signature(
        session, statement, owner.id, signing.OpenOptions(visibility="unlisted")
    )
    assert re.fullmatch(r"secret-letter-[0-9a-f]{12}", statement.slug)


def test_sign_confirm_approve_withdraw(session, opened):
    statement, owner = opened
    signature = sign(session, statement, ip="203.0.113.9")
    assert signature.status == "unconfirmed" and signature.revision == statement.signed_revision
    assert signature.ip_hash and "203.0.113.9" not in signature.ip_hash
    assert signatories.approved_count(session, statement.id) == 0
    confirmed, changed = signing.confirm(session, token_in(session, "signature-confirm"),
                                         secret_key=SECRET, link_for=links)
    assert changed and confirmed.status == "confirmed"
    again, changed = signing.confirm(session, token_in(session, "signature-confirm"),
                                     secret_key=SECRET, link_for=links)
    assert not changed and again.status == "confirmed"  # a reused link changes nothing
    assert moderation.approve(session, statement, [signature.id], owner.id, secret_key=SECRET,
                              link_for=links) == 1
    assert signatories.approved_count(session, statement.id) == 1
    withdrawn, changed = signing.withdraw(session, token_in(session, "signature-approved"),
                                          secret_key=SECRET)
    assert changed and withdrawn.status == "withdrawn"
    assert signatories.approved_count(session, statement.id) == 0
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-4:] == ["signed", "confirmed", "approved", "withdrawn"]


def test_auto_approve(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions(auto_approve=True))
    sign(session, statement)
    signature, _ = signing.confirm(
        session, token_in(session, "signature-confirm"), secret_key=SECRET, link_for=links
    )
    assert signature.status == "approved"
    assert count(session, OutboxMessage, OutboxMessage.kind == "signature-approved") == 1


def test_same_organisation_twice_gives_one_row(session, opened):
    """From one address, every spelling of the name is the same sign-on, with one mail; once
    confirmed, the name is held: another address gets the holder back, nothing is stored and
    a truthful mail goes to that address."""
    statement, _owner = opened
    first = sign(session, statement)
    variants = ["Iraqi Democratic Association", "iraqi  democratic association.",
                "\u202eIraqi Democratic Association\u200b", "The Iraqi Democratic Association"]
    for variant in variants:
        assert sign(session, statement, sign_on(name=variant)).id == first.id
    assert count(session, Signature) == 1 and count(session, OutboxMessage) == 1
    assert first.pending_key and first.name_key is None  # unconfirmed: holds no name
    signing.confirm(session, token_in(session, "signature-confirm"), secret_key=SECRET,
                    link_for=links)
    assert first.name_key and first.pending_key is None
    for variant in variants:
        again = sign(session, statement, sign_on(name=variant, email="someone@else.example.org"))
        assert again.id == first.id
    assert count(session, Signature) == 1
    assert first.email == "contact@ida.example.org"  # a second sign-on overwrites nothing
    taken = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "signature-taken")).all()
    assert [m.recipient for m in taken] == ["someone@else.example.org"] * 4
    assert "contact@ida.example.org" not in taken[0].body_text
    assert count(session, AuditEvent, AuditEvent.action == "signed-again") == 8


def test_suffix_keeps_organisations_apart(session, opened):
    statement, _owner = opened
    sign(session, statement, sign_on(name="Amnesty International"))
    sign(session, statement, sign_on(name="Amnesty International – UK"))
    assert count(session, Signature) == 2


def test_signing_again_after_withdrawal(session, opened):
    statement, owner = opened
    signature = sign(session, statement)
    signing.confirm(
        session, token_in(session, "signature-confirm"), secret_key=SECRET, link_for=links
    )
    moderation.approve(
        session, statement, [signature.id], owner.id, secret_key=SECRET, link_for=links
    )
    signing.withdraw(session, token_in(session, "signature-approved"), secret_key=SECRET)
    again = sign(session, statement, sign_on(email="new@ida.example.org"))
    assert again.id == signature.id and again.status == "unconfirmed"
    assert again.email == "new@ida.example.org"
    assert again.name_key is None and again.pending_key  # claims the name again, holds nothing
    assert (
        session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()
        == "signed-after-withdrawal"
    )


def test_honeypot_is_stored_flagged_never_shown_and_blocks_nobody(session, opened):
    statement, owner = opened
    bot = sign(session, statement, honeypot=True)
    assert bot.flagged and bot.name_key is None
    assert count(session, OutboxMessage) == 0
    real = sign(session, statement)
    assert real.id != bot.id and not real.flagged
    assert moderation.status_counts(session, statement.id)["unconfirmed"] == 1
    assert moderation.flagged_count(session, statement.id) == 1


@pytest.mark.parametrize("field, value", [
    ("organisation", ""), ("organisation", "\u200f\u200e\u200b"), ("organisation", "x" * 201),
    ("country", "XX"), ("org_type", "cult"), ("display", "shouting"), ("message", "m" * 2001),
    ("kind", "individual"),
])
def test_bad_sign_on_stores_nothing(session, opened, field, value):
    statement, _owner = opened
    with pytest.raises(signing.SigningError) as info:
        sign(session, statement, sign_on(**{field: value}))
    assert info.value.field == field
    assert count(session, Signature) == 0 and count(session, OutboxMessage) == 0


def test_signing_a_draft_or_closed_or_expired_statement(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    with pytest.raises(signing.SigningClosed):
        sign(session, statement)
    signing.open_for_signature(
        session,
        statement,
        owner.id,
        signing.OpenOptions(deadline=frozen_clock.now + dt.timedelta(days=1)),
    )
    sign(session, statement)
    frozen_clock.advance(days=2)
    assert not signing.is_open(statement)
    with pytest.raises(signing.SigningClosed):
        sign(session, statement, sign_on(name="Too Late"))
    # the confirmation link no longer changes anything
    with pytest.raises(signing.SigningClosed):
        signing.confirm(
            session, token_in(session, "signature-confirm"), secret_key=SECRET, link_for=links
        )
    assert session.scalar(select(Signature)).status == "unconfirmed"
    assert signing.close_expired(session) == 1
    assert session.get(Statement, statement.id).status == "closed"
    assert count(session, Signature) == 1


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-3] + ("xyz" if not t.endswith("xyz") else "abc"),
    lambda t: "garbage", lambda t: "", lambda t: t.replace(".", "!", 1),
])
def test_tampered_tokens(session, opened, mangle):
    statement, _owner = opened
    sign(session, statement)
    token = mangle(token_in(session, "signature-confirm"))
    with pytest.raises(signing.LinkInvalid):
        signing.confirm(session, token, secret_key=SECRET, link_for=links)
    assert session.scalar(select(Signature)).status == "unconfirmed"


def test_token_of_another_purpose_or_secret(session, opened):
    statement, _owner = opened
    sign(session, statement)
    token = token_in(session, "signature-confirm")
    with pytest.raises(signing.LinkInvalid):
        signing.withdraw(session, token, secret_key=SECRET)
    with pytest.raises(signing.LinkInvalid):
        signing.confirm(session, token, secret_key="other", link_for=links)
    with pytest.raises(signing.LinkExpired):
        signing.confirm(session, token, secret_key=SECRET, link_for=links, max_age=-1)


def test_new_version_asks_earlier_signatories_to_reconfirm(session, opened):
    statement, owner = opened
    first = sign(session, statement)
    signing.confirm(
        session, token_in(session, "signature-confirm"), secret_key=SECRET, link_for=links
    )
    moderation.approve(session, statement, [first.id], owner.id, secret_key=SECRET, link_for=links)
    unconfirmed = sign(session, statement, sign_on(name="Late Org", email="late@example.org"))
    revision, asked = signing.save_new_version(
        session, statement, owner.id, drafting.Text("Free the journalists", BODY + "\n\nAdded."),
        note="new para", base_revision=1, secret_key=SECRET, link_for=links)
    assert revision.number == 2 and asked == 1
    assert statement.signed_revision == 2 and statement.signed_sha256 == revision.sha256
    assert first.revision == 1 and unconfirmed.revision == 1
    public = listing.build(session, statement.id)  # listed apart, with the version signed
    assert public.entries == () and [(e.version, [(s.name, s.revision) for s in e.entries])
                                     for e in public.earlier] == [
        (1, [("Iraqi Democratic Association", 1)])]
    signature, changed = signing.reconfirm(session, token_in(session, "signature-reconfirm"),
                                           secret_key=SECRET)
    assert changed and signature.revision == 2
    assert listing.build(session, statement.id).entries[0].revision == 2


def test_moderation_rename_duplicate_add_import(session, opened):
    statement, owner = opened
    a = sign(session, statement, sign_on(name="women's league of iraq"))
    b = sign(session, statement, sign_on(name="Womens League Iraq Branch", email="b@example.org"))
    moderation.rename(session, statement, a.id, "Women’s League of Iraq", owner.id)
    assert a.public_name == "Women’s League of Iraq" and a.name == "women's league of iraq"
    renamed = session.scalars(select(AuditEvent).where(AuditEvent.action == "renamed")).one()
    assert renamed.detail["original"] == "women's league of iraq"
    moderation.mark_duplicate(session, statement, b.id, a.id, owner.id)
    assert b.status == "rejected" and b.duplicate_of_id == a.id
    added = moderation.add(session, statement, sign_on(name="Paper Signatory", email=""), owner.id)
    assert added.status == "approved" and added.provenance == "added"
    with pytest.raises(signing.SigningError):
        moderation.add(session, statement, sign_on(name="paper signatory"), owner.id)
    rows = [sign_on(name="Imported One", email=""), sign_on(name="Imported Two", email="")]
    assert moderation.import_rows(session, statement, rows, "list.csv", owner.id) == 2
    assert session.scalars(select(Signature.provenance_detail).where(
        Signature.provenance == "imported")).all() == ["imported from list.csv"] * 2
    before = count(session, Signature)
    with pytest.raises(signing.SigningError):
        moderation.import_rows(session, statement, [sign_on(name="New One", email=""),
                                                    sign_on(name="Imported One", email="")],
                               "again.csv", owner.id)
    with pytest.raises(signing.SigningError):
        moderation.import_rows(
            session,
            statement,
            [sign_on(name="X Y", email=""), sign_on(name="x y", email="")],
            "dup.csv",
            owner.id,
        )
    assert count(session, Signature) == before


def test_search_and_counts(session, opened):
    statement, owner = opened
    for i, country in enumerate(["IQ", "IQ", "GB"]):
        sign(
            session, statement, sign_on(name=f"Org {i}", country=country, email=f"o{i}@example.org")
        )
    assert moderation.status_counts(session, statement.id)["unconfirmed"] == 3
    assert moderation.search(session, statement.id, status="unconfirmed", country="GB").total == 1
    assert moderation.search(session, statement.id, status="unconfirmed", text="org 1").total == 1
    page = moderation.search(session, statement.id, status="unconfirmed", per_page=2, page=2)
    assert page.total == 3 and len(page.items) == 1 and page.pages == 2


def test_timeline_counts_per_day(session, opened, frozen_clock):
    statement, _owner = opened
    sign(session, statement, sign_on(name="A"))
    frozen_clock.advance(days=2)
    sign(session, statement, sign_on(name="B"))
    sign(session, statement, sign_on(name="C"))
    days = moderation.timeline(session, statement.id)
    assert [n for _d, n in days] == [1, 0, 2]
    assert days[0][0] == dt.date(2026, 11, 1)
