"""The drafting service, tested without the web client."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from cosign import drafting, moderation, signing
from cosign.core.document import paragraph_key, paragraphs
from cosign.drafting import Text
from cosign.models import AuditEvent, Comment, Membership, Revision, Signature, Statement
from tests.factories import BODY, add_editor, make_statement, make_user


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_create_makes_revision_one_owner_and_audit(session):
    owner = make_user(session)
    statement = make_statement(session, owner, coalition="  Friends  of   the Press ")
    assert statement.slug == "free-the-journalists"
    assert statement.status == "draft"
    assert statement.coalition == "Friends of the Press"
    revision = drafting.current_revision(session, statement)
    assert (revision.number, revision.author_id, revision.title) == (
        1,
        owner.id,
        "Free the journalists",
    )
    assert (
        revision.sha256
        == Text("Free the journalists", BODY, "London", dt.date(2026, 11, 20)).document().sha256()
    )
    member = session.scalar(select(Membership).where(Membership.statement_id == statement.id))
    assert (member.user_id, member.role) == (owner.id, "owner")
    assert [e.action for e in session.scalars(select(AuditEvent))] == ["created"]


def test_slug_generated_from_title_is_made_unique(session):
    owner = make_user(session)
    first = make_statement(session, owner, title="Stop the killings!")
    second = make_statement(session, owner, title="Stop the killings")
    third = make_statement(session, owner, title="Stop the  killings")
    assert [first.slug, second.slug, third.slug] == [
        "stop-the-killings", "stop-the-killings-2", "stop-the-killings-3"]


def test_explicit_duplicate_slug_is_refused_and_nothing_stored(session):
    owner = make_user(session)
    make_statement(session, owner, slug="joint-letter")
    before = (count(session, Statement), count(session, Revision), count(session, AuditEvent))
    with pytest.raises(drafting.SlugTaken) as info:
        make_statement(session, owner, title="Another", slug="joint-letter")
    assert info.value.field == "slug"
    assert (
        count(session, Statement),
        count(session, Revision),
        count(session, AuditEvent),
    ) == before


@pytest.mark.parametrize("title, body, field", [
    ("", BODY, "title"),
    ("   ", BODY, "title"),
    ("x" * 301, BODY, "title"),
    ("Title", "", "body"),
    ("Title", "   \n\n  ", "body"),
    ("Title", "x" * 100_001, "body"),
    ("Title", "Hello <script>alert(1)</script>", "body"),
    ("Title", "[click](javascript:alert(1))", "body"),
])
def test_bad_text_is_refused_and_nothing_stored(session, title, body, field):
    owner = make_user(session)
    with pytest.raises(drafting.DraftingError) as info:
        make_statement(session, owner, title=title, body=body)
    assert info.value.field == field
    assert str(info.value)
    assert count(session, Statement) == 0 and count(session, Revision) == 0


@pytest.mark.parametrize("slug", ["ab", "Has Space", "-lead", "a--b", "x" * 81, "ünï"])
def test_bad_slug_is_refused(session, slug):
    owner = make_user(session)
    with pytest.raises(drafting.DraftingError) as info:
        make_statement(session, owner, slug=slug)
    assert info.value.field == "slug"
    assert count(session, Statement) == 0


def test_bad_language_is_refused(session):
    owner = make_user(session)
    with pytest.raises(drafting.DraftingError) as info:
        make_statement(session, owner, language="klingon-language")
    assert info.value.field == "language"


def test_every_save_is_a_new_immutable_revision(session, frozen_clock):
    owner, editor = make_user(session, name="Owner"), make_user(session, name="Editor")
    statement = make_statement(session, owner)
    add_editor(session, statement, editor)
    first = drafting.current_revision(session, statement)
    frozen_clock.advance(minutes=5)
    second = drafting.save_revision(
        session,
        statement,
        editor.id,
        Text("Free the journalists now", BODY + "\n\nSigned.", "London"),
        note="Sharper title",
        base_revision=1,
    )
    assert second.number == 2 and second.note == "Sharper title" and second.author_id == editor.id
    assert second.sha256 != first.sha256
    assert statement.current_revision == 2 and statement.title == "Free the journalists now"
    assert statement.updated_by_id == editor.id and statement.updated_at == frozen_clock.now
    # revision 1 is unchanged
    session.expire_all()
    again = drafting.get_revision(session, statement.id, 1)
    assert (again.title, again.body, again.sha256) == (first.title, first.body, first.sha256)


def test_saving_the_same_text_creates_nothing(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    current = drafting.current_revision(session, statement)
    same = Text(
        current.title, current.body.replace("\n", "\r\n") + "  \n", current.place, current.date
    )
    with pytest.raises(drafting.NothingChanged):
        drafting.save_revision(session, statement, owner.id, same)
    assert count(session, Revision) == 1


def test_stale_base_revision_is_a_conflict_and_saves_nothing(session):
    owner, editor = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    drafting.save_revision(session, statement, owner.id, Text("T2", BODY), base_revision=1)
    with pytest.raises(drafting.EditConflict) as info:
        drafting.save_revision(session, statement, editor.id, Text("T3", BODY), base_revision=1)
    assert info.value.current == 2
    assert count(session, Revision) == 2


def test_restore_creates_a_new_revision_with_the_old_text(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    drafting.save_revision(session, statement, owner.id, Text("Changed", "Other text."))
    restored = drafting.restore_revision(session, statement, 1, owner.id)
    first = drafting.get_revision(session, statement.id, 1)
    assert restored.number == 3 and restored.restored_from == 1
    assert (restored.title, restored.body, restored.sha256) == (
        first.title,
        first.body,
        first.sha256,
    )
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["created", "edited", "restored"]
    with pytest.raises(drafting.NothingChanged):
        drafting.restore_revision(session, statement, 3, owner.id)


def test_restore_of_unknown_revision(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    with pytest.raises(drafting.StatementNotFound):
        drafting.restore_revision(session, statement, 7, owner.id)


def test_comments_anchor_to_paragraph_text_and_resolve(session):
    owner, editor = make_user(session), make_user(session)
    statement = make_statement(session, owner)
    second = paragraphs(BODY)[1]
    comment = drafting.add_comment(
        session, statement, editor.id, paragraph_key(second), "  Source? "
    )
    assert comment.body == "Source?" and comment.excerpt == second and comment.revision_number == 1
    assert drafting.open_comment_counts(session, [statement.id]) == {statement.id: 1}
    drafting.resolve_comment(session, statement, comment.id, owner.id)
    assert comment.resolved_by_id == owner.id and comment.resolved_at is not None
    assert drafting.open_comment_counts(session, [statement.id]) == {}
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["commented", "resolved-comment"]


@pytest.mark.parametrize("key, body", [("0" * 16, "fine"), (None, ""), (None, "x" * 5001)])
def test_bad_comments_are_refused(session, key, body):
    owner = make_user(session)
    statement = make_statement(session, owner)
    key = key or paragraph_key(paragraphs(BODY)[0])
    with pytest.raises(drafting.DraftingError):
        drafting.add_comment(session, statement, owner.id, key, body)
    assert count(session, Comment) == 0


def test_resolve_comment_of_another_statement_is_not_found(session):
    owner = make_user(session)
    one, two = make_statement(session, owner), make_statement(session, owner, title="Two")
    comment = drafting.add_comment(session, one, owner.id, paragraph_key(paragraphs(BODY)[0]), "x")
    with pytest.raises(drafting.StatementNotFound):
        drafting.resolve_comment(session, two, comment.id, owner.id)


def test_settings_change_and_duplicate_slug(session):
    owner = make_user(session)
    one = make_statement(session, owner)
    make_statement(session, owner, title="Taken", slug="taken-slug")
    drafting.update_settings(session, one, owner.id, slug="new-address", language="AR",
                             coalition="Coalition", press_name="P", press_email="p@example.org",
                             press_phone="+1 555")
    assert (one.slug, one.language, one.press_email) == ("new-address", "ar", "p@example.org")
    with pytest.raises(drafting.SlugTaken):
        drafting.update_settings(session, one, owner.id, slug="taken-slug", language="ar",
                                 coalition="Coalition", press_name="P",
                                 press_email="p@example.org", press_phone="+1 555")
    session.rollback()
    session.expire_all()
    assert session.get(Statement, one.id).slug == "new-address"


def test_statements_for_user_lists_only_memberships(session, frozen_clock):
    alice, bob = make_user(session), make_user(session)
    a1 = make_statement(session, alice, title="Alice one")
    frozen_clock.advance(hours=1)
    b1 = make_statement(session, bob, title="Bob one")
    frozen_clock.advance(hours=1)
    shared = make_statement(session, bob, title="Shared")
    add_editor(session, shared, alice)
    assert [s.title for s, _ in drafting.statements_for_user(session, alice.id)] == [
        "Shared",
        "Alice one",
    ]
    assert [r for _, r in drafting.statements_for_user(session, alice.id)] == ["editor", "owner"]
    assert {s.id for s, _ in drafting.statements_for_user(session, bob.id)} == {b1.id, shared.id}
    assert a1.id not in {s.id for s, _ in drafting.statements_for_user(session, bob.id)}


# --- copy as a new draft (issue 16, item 2) -------------------------------------------------

def test_copy_takes_text_and_settings_but_no_signatures(session):

    owner, other = make_user(session, name="Owner"), make_user(session, name="Other")
    source = make_statement(session, owner, language="fr", coalition="Coalition",
                            press_name="Bureau de presse", press_email="presse@example.org")
    drafting.update_settings(session, source, owner.id, slug=source.slug, language="fr",
                             coalition="Coalition", press_name="Bureau de presse",
                             press_email="presse@example.org", press_phone="+33 1 23 45 67 89")
    source.pdf_columns, source.pdf_grouping, source.require_domain_verified = 3, "country", True
    source.logo_file, source.press_tags = "abc.png", "iraq"
    session.commit()
    drafting.save_revision(session, source, owner.id, drafting.Text(
        "Libérez les journalistes", "Nous demandons leur libération.", "Paris", None),
        base_revision=1)
    signing.open_for_signature(session, source, owner.id, signing.OpenOptions(auto_approve=True))
    moderation.add(session, source, signing.SignOn("Union des journalistes", "FR", "", ""),
                   owner.id)

    copy = drafting.copy_statement(session, source, other.id, press_contact=True)
    assert copy.id != source.id and copy.status == "draft" and copy.current_revision == 1
    assert copy.slug != source.slug
    revision = drafting.current_revision(session, copy)
    assert (revision.title, revision.body, revision.place, revision.date) == (
        "Libérez les journalistes", "Nous demandons leur libération.", "Paris", None)
    for name in drafting.COPIED_SETTINGS + drafting.PRESS_CONTACT:
        assert getattr(copy, name) == getattr(source, name), name
    assert copy.signed_revision is None and copy.opened_at is None
    assert session.query(Signature).filter_by(statement_id=copy.id).count() == 0
    assert [(m.user_id, m.role) for m in session.query(Membership).filter_by(
        statement_id=copy.id)] == [(other.id, "owner")]
    event = session.query(AuditEvent).filter_by(statement_id=copy.id, action="copied").one()
    assert event.detail["source"] == source.slug and event.detail["revision"] == 2


def test_copy_without_the_press_contact(session):
    owner = make_user(session)
    source = make_statement(session, owner, press_name="Press Office",
                            press_email="press@example.org", press_phone="+44 20 7946 0000")
    copy = drafting.copy_statement(session, source, owner.id, press_contact=False)
    assert (copy.press_name, copy.press_email, copy.press_phone) == ("", "", "")
    assert copy.coalition == source.coalition
