"""Look-alike names, near-duplicates, domain verification and free-text cleaning (issue 13),
through the services on SQLite and PostgreSQL."""
import importlib.util
import pathlib
import re
from typing import cast

import pytest
from sqlalchemy import Table, func, select, update

from cosign import drafting, moderation, signing, similarity
from cosign.core.document import paragraph_key, paragraphs
from cosign.core.names import name_key
from cosign.models import AuditEvent, OutboxMessage, Revision, Signature, Statement
from tests.factories import make_statement, make_user

SIGNATURES = cast(Table, Signature.__table__)  # the table itself, for bulk inserts

SECRET = "test-secret"
AMNESTY = "Amnesty International"


def links(purpose, value):
    return f"https://cosign.test/{purpose}/{value}"


def sign_on(name, email, **kw):
    data = dict(organisation=name, country="GB", email=email, contact_name="Sam Roe",
                contact_role="Director", org_type="ngo")
    data.update(kw)
    return signing.SignOn(**data)


def sign(session, statement, name, email, **kw):
    return signing.sign(session, statement, sign_on(name, email, **kw), secret_key=SECRET,
                        link_for=links)


def confirm(session, email):
    message = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "signature-confirm", OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no confirmation mail to {email}"
    found = re.search(rf"https://cosign\.test/{signing.CONFIRM}/(\S+)", message.body_text)
    assert found is not None, "no confirmation link in the mail"
    token = found.group(1)
    return signing.confirm(session, token, secret_key=SECRET, link_for=links)[0]


def fresh(session, signature_id):
    session.rollback()
    return session.get(Signature, signature_id)


@pytest.fixture
def opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    return statement, owner


# --- look-alike names ---------------------------------------------------------------------

@pytest.mark.parametrize("forged", ["Amnesty Intern\u0430tional", "\u0410mnesty International"])
def test_mixed_script_sign_on_is_refused(session, opened, forged):
    statement, _owner = opened
    with pytest.raises(signing.SigningError) as info:
        sign(session, statement, forged, "x@forger.net")
    assert info.value.field == "organisation"
    assert "mixes letters of different alphabets" in info.value.message
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Signature)) == 0


def test_mixed_script_coordinator_add_and_import_are_refused(session, opened):
    statement, owner = opened
    with pytest.raises(signing.SigningError, match="different alphabets"):
        moderation.add(session, statement, sign_on("Amnesty Intern\u0430tional", ""), owner.id)
    with pytest.raises(signing.SigningError, match="different alphabets"):
        moderation.import_rows(session, statement, [sign_on("Fine Name", ""),
                                                    sign_on("\u0410mnesty International", "")],
                               "x.csv", owner.id)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Signature)) == 0


def test_arabic_name_with_latin_acronym_is_allowed(session, opened):
    statement, owner = opened
    added = moderation.add(session, statement, sign_on("منظمة NGO للحقوق", ""), owner.id)
    assert added.status == "approved" and added.name == "منظمة NGO للحقوق"


def test_zero_width_space_as_the_only_space_is_the_same_organisation(session, opened):
    statement, owner = opened
    first = moderation.add(session, statement, sign_on(AMNESTY, ""), owner.id)
    with pytest.raises(signing.SigningError, match="already on the list"):
        moderation.add(session, statement, sign_on("Amnesty\u200bInternational", ""), owner.id)
    signature = sign(session, statement, "Amnesty\u200bInternational", "a@b.org")
    assert signature.id == first.id  # the holder: the sign-on did not add a second row


def test_whole_word_look_alike_takes_the_same_key(session, opened):
    statement, owner = opened
    moderation.add(session, statement, sign_on("PAX", ""), owner.id)
    with pytest.raises(signing.SigningError, match="already on the list"):
        moderation.add(session, statement, sign_on("\u0420\u0410\u0425", ""), owner.id)


# --- near-duplicates ----------------------------------------------------------------------

def test_sign_on_similar_to_an_existing_signatory(session, opened):
    statement, owner = opened
    original = moderation.add(session, statement, sign_on(AMNESTY, ""), owner.id)
    short = sign(session, statement, "Amnesty Intl", "press@amnesty-intl.net")
    assert (short.similar_to_id, short.similar_reason) == (original.id, "abbreviation")
    hrw = moderation.add(session, statement, sign_on("Human Rights Watch", ""), owner.id)
    acronym = sign(session, statement, "HRW", "press@hrw-mail.net")
    assert (acronym.similar_to_id, acronym.similar_reason) == (hrw.id, "abbreviation")
    other = sign(session, statement, "Kurdistan Women's Union", "kwu@kwu.org")
    assert other.similar_to_id is None and other.similar_reason == ""


def test_translation_found_through_the_website(session, opened):
    statement, owner = opened
    latin = moderation.add(session, statement, sign_on(
        AMNESTY, "", website="https://www.amnesty.org"), owner.id)
    arabic = sign(session, statement, "منظمة العفو الدولية", "info@amnesty.org",
                  website="https://amnesty.org/ar/")
    assert (arabic.similar_to_id, arabic.similar_reason) == (latin.id, "translation")
    assert arabic.domain_verified  # its address is at the website's domain


def test_same_email_domain_and_spelling(session, opened):
    statement, owner = opened
    first = moderation.add(session, statement, sign_on(
        "Basra Teachers Union", "head@basra-teachers.org"), owner.id)
    second = moderation.add(session, statement, sign_on(
        "Southern Iraq Educators", "office@basra-teachers.org"), owner.id)
    assert (second.similar_to_id, second.similar_reason) == (first.id, "email-domain")
    typo = moderation.add(session, statement, sign_on("Basra Teachers Unoin", ""), owner.id)
    assert (typo.similar_to_id, typo.similar_reason) == (first.id, "spelling")
    webmail = moderation.add(session, statement, sign_on("Nineveh Poets", "a@gmail.com"),
                             owner.id)
    again = moderation.add(session, statement, sign_on("Anbar Painters", "b@gmail.com"),
                           owner.id)
    assert webmail.similar_to_id is None and again.similar_to_id is None


def test_import_rows_are_compared(session, opened):
    statement, owner = opened
    hrw = moderation.add(session, statement, sign_on("Human Rights Watch", ""), owner.id)
    moderation.import_rows(session, statement, [sign_on("HRW", ""), sign_on("Unrelated Org", "")],
                           "list.csv", owner.id)
    rows = {s.name: s for s in session.scalars(select(Signature))}
    assert (rows["HRW"].similar_to_id, rows["HRW"].similar_reason) == (hrw.id, "abbreviation")
    assert rows["Unrelated Org"].similar_to_id is None


def test_lookup_ignores_rejected_and_withdrawn(session, opened):
    statement, owner = opened
    gone = moderation.add(session, statement, sign_on(AMNESTY, ""), owner.id)
    moderation.reject(session, statement, [gone.id], owner.id)
    short = sign(session, statement, "Amnesty Intl", "x@amnesty-intl.net")
    assert short.similar_to_id is None


def test_mark_duplicate_and_not_the_same(session, opened):
    statement, owner = opened
    original = moderation.add(session, statement, sign_on(AMNESTY, ""), owner.id)
    short = sign(session, statement, "Amnesty Intl", "x@amnesty-intl.net")
    hrw = moderation.add(session, statement, sign_on("Human Rights Watch", ""), owner.id)
    acronym = sign(session, statement, "HRW", "y@hrw-mail.net")
    moderation.mark_duplicate(session, statement, short.id, short.similar_to_id, owner.id)
    short = fresh(session, short.id)
    assert short.status == "rejected" and short.duplicate_of_id == original.id
    assert short.similar_to_id is None
    moderation.not_the_same(session, statement, acronym.id, owner.id)
    acronym = fresh(session, acronym.id)
    assert acronym.similar_to_id is None and acronym.similar_reason == ""
    assert acronym.status == "unconfirmed"
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "duplicate" in actions and "not-duplicate" in actions
    assert moderation.similar_names(session, statement.id, [short, acronym]) == {}
    assert hrw.id


@pytest.fixture(scope="module")
def ten_thousand() -> list[dict]:
    """The rows of ten thousand approved signatures, made once for both databases (their
    name keys are most of the cost)."""
    return [dict(name=f"Organisation {i} of Civil Society",
                 public_name=f"Organisation {i} of Civil Society",
                 name_key=name_key(f"Organisation {i} of Civil Society"), country="IQ",
                 status="approved", revision=1, email=f"office{i}@org{i}.net",
                 website=f"https://org{i}.net") for i in range(10_000)]


def test_lookup_finds_the_match_among_ten_thousand_signatories(session, opened, ten_thousand):
    """(Its speed, on the whole sign-on path under gunicorn: benchmarks/sign_throughput.py
    --signatories 10000.)"""
    statement, _owner = opened
    rows = [dict(row, statement_id=statement.id) for row in ten_thousand]
    session.execute(SIGNATURES.insert(), rows)
    session.commit()
    probe = similarity.Probe("Brand New Collective", name_key("Brand New Collective"),
                             "https://org77.net", "me@org77.net")
    found = similarity.find(session, statement.id, probe)
    assert found is not None and found.reason == "website"
    assert session.get(Signature, found.id).name == "Organisation 77 of Civil Society"
    stranger = similarity.Probe("Brand New Collective", name_key("Brand New Collective"),
                                "https://brand-new.example", "me@brand-new.example")
    assert similarity.find(session, statement.id, stranger) is None


def test_the_copy_each_process_keeps_follows_the_database(session, opened):
    """Rows written by other processes (inserted, rejected, renamed here behind the look-up's
    back) are seen by the next look-up."""
    statement, _owner = opened

    def add(name, status="approved"):
        session.execute(SIGNATURES.insert(), [dict(
            statement_id=statement.id, name=name, public_name=name, name_key=name_key(name),
            country="IQ", status=status, revision=1)])
        session.commit()

    def near(name):
        found = similarity.find(session, statement.id, similarity.Probe(name, name_key(name)))
        session.rollback()
        return found and session.get(Signature, found.id).name

    add("Iraqi Lawyers Association")
    assert near("Iraqi Lawyers Asociation") == "Iraqi Lawyers Association"
    add("Basra Women Network", status="unconfirmed")  # a new row: read alone
    assert near("Basra Womens Network") == "Basra Women Network"
    session.execute(update(Signature).where(Signature.name == "Basra Women Network")
                    .values(status="rejected"))  # a row that leaves
    session.commit()
    assert near("Basra Womens Network") is None
    session.execute(update(Signature).where(Signature.name == "Iraqi Lawyers Association")
                    .values(name="Kurdish Lawyers Union",
                            name_key=name_key("Kurdish Lawyers Union")))
    session.execute(update(Statement).where(Statement.id == statement.id)
                    .values(listing_version=Statement.listing_version + 1))  # as rename does
    session.commit()
    assert near("Kurdish Lawyers Unoin") == "Kurdish Lawyers Union"
    assert near("Iraqi Lawyers Asociation") is None


# --- domain verification and the coalition's requirement ---------------------------------

def test_domain_verified_is_set_when_filled(session, opened):
    statement, _owner = opened
    ok = sign(session, statement, "Peace Centre", "director@peace-centre.org",
              website="https://www.peace-centre.org/en")
    other = sign(session, statement, "Hope Centre", "hope.centre@gmail.com",
                 website="https://hope-centre.org")
    assert ok.domain_verified and not other.domain_verified
    result = moderation.search(session, statement.id, status="unconfirmed", verified=True)
    assert [s.id for s in result.items] == [ok.id]


def test_required_domain_refuses_approval(session, opened):
    statement, owner = opened
    moderation.require_domain_verified(session, statement, True, owner.id)
    ok = sign(session, statement, "Peace Centre", "director@peace-centre.org",
              website="https://peace-centre.org")
    other = sign(session, statement, "Hope Centre", "hope@gmail.com",
                 website="https://hope-centre.org")
    confirm(session, "director@peace-centre.org")
    confirm(session, "hope@gmail.com")
    ids = [ok.id, other.id]
    with pytest.raises(signing.SigningError, match="not domain-verified: Hope Centre"):
        moderation.approve(session, statement, ids, owner.id, secret_key=SECRET, link_for=links)
    assert [fresh(session, i).status for i in ids] == ["confirmed", "confirmed"]  # none
    assert moderation.approve(session, statement, [ok.id], owner.id, secret_key=SECRET,
                              link_for=links) == 1
    moderation.require_domain_verified(session, statement, False, owner.id)
    assert moderation.approve(session, statement, [other.id], owner.id, secret_key=SECRET,
                              link_for=links) == 1
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "require-domain")).all()
    assert len(actions) == 2


def test_required_domain_makes_auto_approve_wait(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id,
                               signing.OpenOptions(auto_approve=True))
    moderation.require_domain_verified(session, statement, True, owner.id)
    sign(session, statement, "Peace Centre", "director@peace-centre.org",
         website="https://peace-centre.org")
    sign(session, statement, "Hope Centre", "hope@gmail.com", website="https://hope-centre.org")
    assert confirm(session, "director@peace-centre.org").status == "approved"
    assert confirm(session, "hope@gmail.com").status == "confirmed"  # waits for a moderator


# --- free text loses bidi controls and zero-width characters ------------------------------

def test_title_place_note_and_settings_are_cleaned(session):
    owner = make_user(session)
    statement = make_statement(session, owner, title="Joint\u200bstatement \u202eon Nasiriya",
                               place="Lon\u200bdon\u200f", coalition="Iraq \u202eCoalition\u202c",
                               press_name="Sam\u200b Roe")
    assert statement.title == "Joint statement on Nasiriya"
    assert statement.slug == "joint-statement-on-nasiriya"
    assert statement.coalition == "Iraq Coalition" and statement.press_name == "Sam Roe"
    revision = drafting.current_revision(session, statement)
    assert revision.place == "Lon don" and revision.title == "Joint statement on Nasiriya"
    drafting.save_revision(session, statement, owner.id, drafting.Text(
        "Second\u2066 title\u2069", "Body text.\n\nMore."), note="fixed\u200b\u202e typo",
        base_revision=revision.number)
    latest = session.scalars(select(Revision).order_by(Revision.number.desc())).first()
    assert latest.title == "Second title" and latest.note == "fixed typo"
    drafting.update_settings(session, statement, owner.id, slug=statement.slug, language="en",
                             coalition="\u200bCoalition\u202e", press_name="", press_email="",
                             press_phone="")
    assert session.get(Statement, statement.id).coalition == "Coalition"
    with pytest.raises(drafting.DraftingError, match="title is required"):
        make_statement(session, owner, title="\u200b\u202e\u200f")


def test_comments_and_sign_on_text_are_cleaned(session, opened):
    statement, owner = opened
    draft = make_statement(session, owner, title="Draft for comments")
    key = paragraph_key(paragraphs(drafting.current_revision(session, draft).body)[0])
    comment = drafting.add_comment(session, draft, owner.id, key,
                                   "Good\u200bpoint\u202e\r\nsecond line\u200f")
    assert comment.body == "Good point\nsecond line"
    signature = sign(session, statement, "Peace Centre", "d@peace-centre.org", city="Ba\u200bsra",
                     contact_role="Direc\u202etor", message="Hello\u200bthere\n\u2066ok")
    assert signature.city == "Ba sra" and signature.contact_role == "Director"
    assert signature.message == "Hello there\nok"


# --- migration 0010 ---------------------------------------------------------------------

def _migration():
    path = pathlib.Path(__file__).parent.parent / "migrations/versions/0010_confusable_keys.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_plan_recomputes_keys_and_marks_collisions():
    plan = _migration().plan
    rows = [
        (1, 10, AMNESTY, "amnesty international", None),
        (2, 10, "Amnesty Intern\u0430tional", "amnesty internаtional", None),
        (3, 10, "Pending Org", None, "pending org"),
        (4, 10, "Amnesty International", None, "amnesty international"),
        (5, 11, "Amnesty Intern\u0430tional", "amnesty internаtional", None),
        (6, 10, "Kurds", "kurds", None),
    ]
    changes = plan(rows, name_key)
    assert changes[1] == {"name_key": name_key(AMNESTY)}
    assert changes[2] == {"similar_to_id": 1, "similar_reason": "look-alike"}  # keeps its key
    assert 3 not in changes  # "pending org" has no look-alike letter
    assert changes[4] == {"pending_key": name_key(AMNESTY)}
    assert changes[5] == {"name_key": name_key(AMNESTY)}  # another statement: no collision
    assert 6 not in changes


def test_migrated_database_has_the_new_keys(session, opened):
    """The app's database went through every migration, 0010 included; a sign-on after it
    uses the same key function."""
    statement, owner = opened
    added = moderation.add(session, statement, sign_on(AMNESTY, ""), owner.id)
    assert added.name_key == name_key("\u0410mnesty Intern\u0430tional")


def test_migration_0010_on_the_database(app, session, opened):
    """Down to 0009, rows keyed the old way (two look-alikes held apart), up again."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    statement_id = opened[0].id
    session.commit()
    session.remove()
    with app.app_context():
        downgrade(revision="0009")
    insert = text("INSERT INTO signature (statement_id, name_key, pending_key, kind, name, "
                  "public_name, country, city, org_type, website, display, contact_name, "
                  "contact_role, email, message, ip_hash, status, revision, flagged, provenance, "
                  "provenance_detail, similar_reason, domain_verified, created_at, sort_key) "
                  "VALUES (:s, :key, :pending, 'organisation', :name, :name, 'GB', '', 'ngo', '', "
                  "'named', '', '', '', '', '', :status, 1, :false, 'web', '', '', :false, "
                  "CURRENT_TIMESTAMP, '')")
    rows = [("amnesty international", None, AMNESTY, "approved"),
            ("amnesty internаtional", None, "Amnesty Intern\u0430tional", "confirmed"),
            (None, "аmnesty international", "\u0410mnesty International", "unconfirmed")]
    for key, pending, name, status in rows:
        session.execute(insert, {"s": statement_id, "key": key, "pending": pending,
                                 "name": name, "status": status, "false": False})
    session.commit()
    session.remove()
    with app.app_context():
        upgrade()
    got = {s.name: s for s in session.scalars(select(Signature))}
    first, second, third = (got[AMNESTY], got["Amnesty Intern\u0430tional"],
                            got["\u0410mnesty International"])
    assert first.name_key == name_key(AMNESTY)
    assert second.name_key == "amnesty internаtional"  # kept: the first one holds the key
    assert (second.similar_to_id, second.similar_reason) == (first.id, "look-alike")
    assert third.pending_key == name_key(AMNESTY) and third.name_key is None


def test_rename_refuses_mixed_scripts(session, opened):
    statement, owner = opened
    added = moderation.add(session, statement, sign_on(AMNESTY, ""), owner.id)
    with pytest.raises(signing.SigningError, match="different alphabets in “Internаtional”"):
        moderation.rename(session, statement, added.id, "Amnesty Intern\u0430tional", owner.id)
    assert fresh(session, added.id).public_name == AMNESTY
    renamed = moderation.rename(session, statement, added.id, "AMNESTY INTERNATIONAL", owner.id)
    assert renamed.public_name == "AMNESTY INTERNATIONAL"
