"""Who holds an organisation's name: unconfirmed sign-ons claim it, the first confirmed one
holds it; no dead ends (typo, expired link, resend) and no squatting. Service tests, on SQLite
and PostgreSQL (the ``db_url`` param of every database fixture)."""

import pytest
from sqlalchemy import func, select

from cosign import moderation, retention, signing
from cosign.models import AuditEvent, OutboxMessage, Signature
from tests import live_server
from tests.factories import make_statement, make_user
from tests.signatures import SECRET, links, sign, sign_on, token_in

NAME = "Iraqi Democratic Association"
RIGHT, TYPO, OTHER = "sara@ida.example.org", "sara@ida.exmaple.org", "someone@else.example.org"


@pytest.fixture
def app_overrides() -> dict:
    return live_server.settings()  # one test here serves the app live; all ran with these


@pytest.fixture
def opened(session, frozen_clock):
    owner = make_user(session)
    statement = make_statement(session, owner)
    statement.press_email = "coordinators@coalition.example.org"
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement, owner


def mails(session, kind=None, recipient=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return session.scalars(query).all()


def confirm(session, recipient, **kw):
    return signing.confirm(session, token_in(session, "signature-confirm", recipient),
                           secret_key=SECRET, link_for=links, **kw)


def rows(session):
    session.expire_all()
    return session.scalars(select(Signature).order_by(Signature.id)).all()


def test_typo_then_the_right_address(session, opened):
    statement, _owner = opened
    typo = sign(session, statement, sign_on(NAME, TYPO))
    right = sign(session, statement, sign_on(NAME, RIGHT))
    assert typo.id != right.id  # the unconfirmed typo holds nothing: no dead end
    assert [m.recipient for m in mails(session, "signature-confirm")] == [TYPO, RIGHT]
    signature, changed = confirm(session, RIGHT)
    assert changed and signature.id == right.id and signature.status == "confirmed"
    first, second = rows(session)
    assert (first.status, first.pending_key, first.name_key) == ("unconfirmed", None, None)
    assert second.name_key and second.pending_key is None
    lost = mails(session, "signature-claim-lost")
    assert [m.recipient for m in lost] == [TYPO]  # truthful, and names nobody's address
    assert (
        RIGHT not in lost[0].body_text and "coordinators@coalition.example.org" in lost[0].body_text
    )
    with pytest.raises(signing.NameTaken):  # the typo's link, if someone opens it, confirms nothing
        confirm(session, TYPO)
    assert (
        len(mails(session, "signature-claim-lost")) == 1
        and rows(session)[0].status == "unconfirmed"
    )


def test_expired_link_then_sign_again(session, opened, frozen_clock):
    statement, _owner = opened
    first = sign(session, statement, sign_on(NAME, RIGHT))
    old_token = token_in(session, "signature-confirm", RIGHT)
    frozen_clock.advance(days=8)  # the claim expires (tokens keep real time: max_age=-1)
    with pytest.raises(signing.LinkExpired):
        signing.confirm(session, old_token, secret_key=SECRET, link_for=links, max_age=-1)
    again = sign(session, statement, sign_on(NAME, RIGHT, city="Basra"))
    assert again.id == first.id and again.city == "Basra"  # the same sign-on, new details
    assert len(mails(session, "signature-confirm", RIGHT)) == 2
    signature, changed = confirm(session, RIGHT)
    assert changed and signature.status == "confirmed" and signature.name_key


def test_an_expired_claim_blocks_nothing_and_the_tick_closes_it(app, session, opened,
                                                                frozen_clock):
    statement, _owner = opened
    sign(session, statement, sign_on(NAME, OTHER))
    frozen_clock.advance(days=8)
    mine = sign(session, statement, sign_on(NAME, RIGHT))
    assert session.get(AuditEvent, session.scalar(select(func.max(AuditEvent.id)))).detail.get(
        "competing") is None  # the expired claim does not even count as competing
    retention.erase_expired_contacts(session, app.config)
    squatter, mine = rows(session)
    assert (squatter.status, squatter.pending_key) == ("unconfirmed", None)  # closed
    assert mine.pending_key  # not expired: still claiming
    confirm(session, RIGHT)
    assert mails(session, "signature-claim-lost") == []  # an expired claim is closed silently


def test_two_competing_claims_first_confirmation_wins(session, opened):
    statement, _owner = opened
    a = sign(session, statement, sign_on(NAME, RIGHT))
    b = sign(session, statement, sign_on("The Iraqi Democratic Association.", OTHER))
    key = a.pending_key
    assert a.id != b.id and key == b.pending_key
    assert session.scalars(select(AuditEvent.detail_json).where(
        AuditEvent.action == "signed")).all()[-1].count('"competing": 1') == 1
    confirm(session, OTHER)
    first, second = rows(session)
    assert (first.status, first.pending_key) == ("unconfirmed", None)
    assert second.status == "confirmed" and second.name_key == key
    lost = mails(session, "signature-claim-lost")
    assert [m.recipient for m in lost] == [RIGHT] and OTHER not in lost[0].body_text
    assert "confirmed first" in lost[0].body_text
    with pytest.raises(signing.NameTaken) as info:
        confirm(session, RIGHT)
    assert info.value.params["name"] == NAME
    assert len(mails(session, "signature-claim-lost")) == 1  # told once
    assert session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "claim-lost")).all() == ["claim-lost"]


def test_a_claim_loses_to_a_coordinator_adding_the_organisation(session, opened):
    statement, owner = opened
    sign(session, statement, sign_on(NAME, RIGHT))
    moderation.add(session, statement, sign_on(NAME, ""), owner.id)  # the name is free
    with pytest.raises(signing.NameTaken):
        confirm(session, RIGHT)
    assert [m.recipient for m in mails(session, "signature-claim-lost")] == [RIGHT]
    assert [s.status for s in rows(session)] == ["unconfirmed", "approved"]


@pytest.mark.parametrize("decide", ["confirmed", "approved", "rejected"])
def test_a_held_name_gets_a_truthful_mail_and_stores_nothing(session, opened, decide):
    statement, owner = opened
    holder = sign(session, statement, sign_on(NAME, RIGHT))
    confirm(session, RIGHT)
    if decide == "approved":
        moderation.approve(session, statement, [holder.id], owner.id, secret_key=SECRET,
                           link_for=links)
    elif decide == "rejected":
        moderation.reject(session, statement, [holder.id], owner.id)
    before = len(mails(session))
    returned = sign(session, statement, sign_on(NAME, OTHER))
    assert returned.id == holder.id and len(rows(session)) == 1
    taken = mails(session, "signature-taken")
    assert [m.recipient for m in taken] == [OTHER] and len(mails(session)) == before + 1
    assert RIGHT not in taken[0].body_text and "Sara Ali" not in taken[0].body_text
    assert "already confirmed" in taken[0].body_text
    assert "coordinators@coalition.example.org" in taken[0].body_text


def test_same_address_twice_sends_one_mail_per_interval(session, opened, frozen_clock):
    statement, _owner = opened
    first = sign(session, statement, sign_on(NAME, RIGHT))
    assert sign(session, statement, sign_on(NAME, RIGHT)).id == first.id
    assert len(mails(session, "signature-confirm")) == 1  # a double click: one mail
    frozen_clock.advance(minutes=6)
    sign(session, statement, sign_on(NAME, RIGHT))
    assert len(mails(session, "signature-confirm")) == 2 and len(rows(session)) == 1


def test_resend(session, opened, frozen_clock):
    statement, _owner = opened
    sign(session, statement, sign_on(NAME, RIGHT))
    sign(session, statement, sign_on("Basra Lawyers", RIGHT))
    resend = lambda email: signing.resend(session, statement, email, secret_key=SECRET,  # noqa: E731
                                          link_for=links)
    assert resend(RIGHT) == 0  # links went out a minute ago: nothing more
    assert resend("nobody@example.org") == 0 and resend("") == 0
    frozen_clock.advance(days=8)  # both links expired
    assert resend(" Sara@IDA.example.org ") == 2
    confirmations = mails(session, "signature-confirm", RIGHT)
    assert len(confirmations) == 4 and {
        "Basra Lawyers" in confirmations[-1].body_text,
        "Basra Lawyers" in confirmations[-2].body_text,
    } == {True, False}
    signature, changed = confirm(session, RIGHT)  # the newest link works
    assert changed and signature.status == "confirmed"
    assert session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "confirmation-resent")).all() == ["confirmation-resent"] * 2


def test_resend_revives_a_closed_claim_unless_the_name_was_taken(app, session, opened,
                                                                 frozen_clock):
    statement, _owner = opened
    sign(session, statement, sign_on(NAME, RIGHT))
    sign(session, statement, sign_on("Basra Lawyers", TYPO))
    frozen_clock.advance(days=8)
    retention.erase_expired_contacts(session, app.config)  # both claims closed
    assert {s.pending_key for s in rows(session)} == {None}
    sign(session, statement, sign_on("Basra Lawyers", OTHER))
    confirm(session, OTHER)  # another address takes the second name
    resend = lambda email: signing.resend(session, statement, email, secret_key=SECRET,  # noqa: E731
                                          link_for=links)
    assert resend(RIGHT) == 1 and resend(TYPO) == 1
    assert rows(session)[0].pending_key  # claims its name again
    signature, changed = confirm(session, RIGHT)
    assert changed and signature.public_name == NAME
    assert [m.recipient for m in mails(session, "signature-claim-lost")] == [TYPO]
    assert rows(session)[1].pending_key is None


def test_resend_on_a_closed_statement(session, opened):
    statement, owner = opened
    sign(session, statement, sign_on(NAME, RIGHT))
    signing.close(session, statement, owner.id)
    with pytest.raises(signing.SigningClosed):
        signing.resend(session, statement, RIGHT, secret_key=SECRET, link_for=links)


def test_withdrawn_then_signed_again_claims_the_name_again(session, opened):
    statement, owner = opened
    holder = sign(session, statement, sign_on(NAME, RIGHT))
    confirm(session, RIGHT)
    moderation.approve(session, statement, [holder.id], owner.id, secret_key=SECRET,
                       link_for=links)
    signing.withdraw(session, token_in(session, "signature-approved"), secret_key=SECRET)
    again = sign(session, statement, sign_on(NAME, OTHER))
    assert again.id == holder.id and again.name_key is None and again.pending_key
    rival = sign(session, statement, sign_on(NAME, TYPO))  # the name is free to compete for
    assert rival.id != holder.id
    signature, changed = confirm(session, OTHER)
    assert changed and signature.id == holder.id
    assert [m.recipient for m in mails(session, "signature-claim-lost")] == [TYPO]


def test_an_unconfirmed_withdrawal_claims_nothing(session, opened):
    statement, _owner = opened
    row = sign(session, statement, sign_on(NAME, RIGHT))
    from cosign.security import make_token
    token = make_token(SECRET, signing.WITHDRAW, {"s": row.id, "e": row.email})
    signing.withdraw(session, token, secret_key=SECRET)
    assert (row.status, row.pending_key, row.name_key) == ("withdrawn", None, None)
    assert sign(session, statement, sign_on(NAME, OTHER)).id != row.id


def test_mail_rendering_happens_before_the_write_lock(session, opened, monkeypatch):
    """No template renders while the write transaction is open (sign and confirm)."""
    from cosign import database, mail

    statement, _owner = opened
    sign(session, statement, sign_on(NAME, TYPO))
    state = {"writing": False, "rendered_inside": 0}
    real_begin, real_render = database.begin_write, mail.render

    def begin(s):
        real_begin(s)
        state["writing"] = True

    def render(*args, **kwargs):
        state["rendered_inside"] += state["writing"]
        return real_render(*args, **kwargs)

    monkeypatch.setattr(database, "begin_write", begin)
    monkeypatch.setattr(mail, "render", render)
    sign(session, statement, sign_on(NAME, RIGHT))
    state["writing"] = False
    confirm(session, RIGHT)  # closes the rival and mails it: rendered ahead
    assert state["rendered_inside"] == 0
    assert len(mails(session, "signature-claim-lost")) == 1


def test_what_the_link_pages_read_changes_nothing(session, opened):
    """GET and HEAD of a link call only these: they write nothing, not even an audit entry."""
    from cosign import drafting
    from cosign.security import make_token
    from tests.factories import BODY

    statement, owner = opened
    holder = sign(session, statement, sign_on(NAME, RIGHT))
    confirm(session, RIGHT)
    rival = sign(session, statement, sign_on(NAME, OTHER))
    assert rival.id == holder.id  # the name is held: nothing stored
    claim = sign(session, statement, sign_on("Basra Lawyers", TYPO))
    signing.save_new_version(session, statement, owner.id,
                             drafting.Text("Free the journalists", BODY + "\n\nMore."),
                             note="", base_revision=1, secret_key=SECRET, link_for=links)

    def state():
        session.expire_all()
        return ([(s.id, s.status, s.revision, s.name_key, s.pending_key, s.created_at)
                 for s in rows(session)],
                session.scalar(select(func.count()).select_from(OutboxMessage)),
                session.scalar(select(func.count()).select_from(AuditEvent)))

    before = state()
    for _ in range(2):
        read = signing.read_confirmation(session, token_in(session, "signature-confirm", TYPO),
                                         secret_key=SECRET)
        assert read.id == claim.id and not signing.is_taken(session, read)
        again = signing.read_reconfirmation(
            session, make_token(SECRET, signing.RECONFIRM, {"s": holder.id, "e": RIGHT}),
            secret_key=SECRET)
        assert again.id == holder.id and again.revision == 1
        expired = signing.statement_of_expired(
            session, token_in(session, "signature-confirm", TYPO), secret_key=SECRET)
        assert expired is not None and expired.id == statement.id
    assert state() == before


@pytest.mark.slow
def test_ten_competing_confirmations_at_once_one_wins(app, session, open_statement, live_port,
                                                      server_errors):
    """Ten people claimed one name; all press "Confirm" at the same moment (real sockets,
    threaded server): one holds the name, nine are told, on the page and by mail."""
    import http.client
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from cosign.security import make_token
    from tests.live_server import TIMEOUT, sign_all
    from tests.live_server import form as sign_body

    statement_id, slug = open_statement
    results = sign_all(live_port, slug, [[sign_body(NAME, n)] for n in range(10)])
    assert {status for status, _location, _body in results} == {303}
    claims = session.execute(select(Signature.id, Signature.email)
                             .where(Signature.statement_id == statement_id)).all()
    session.rollback()
    assert len(claims) == 10
    paths = [f"/confirm/{make_token(app.config['SECRET_KEY'], signing.CONFIRM, {'s': i, 'e': e})}"
             for i, e in claims]
    barrier = threading.Barrier(len(paths), timeout=TIMEOUT)

    def press(path):
        conn = http.client.HTTPConnection("127.0.0.1", live_port, timeout=TIMEOUT)
        try:
            conn.connect()
            barrier.wait()
            conn.request("POST", path, body=b"",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            return conn.getresponse().status
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        statuses = list(pool.map(press, paths))
    assert server_errors == []
    assert sorted(statuses) == [200] + [409] * 9
    session.expire_all()
    stored = session.scalars(select(Signature).where(Signature.statement_id == statement_id)).all()
    assert sorted(s.status for s in stored) == ["confirmed"] + ["unconfirmed"] * 9
    assert [s.pending_key for s in stored] == [None] * 10
    assert sum(bool(s.name_key) for s in stored) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "signature-claim-lost")) == 9
    session.rollback()
