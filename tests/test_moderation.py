"""cosign.moderation on the service, without the web client (SQLite and PostgreSQL): counts, the
desk's filters (search, newest_id, matching), approve/reject and bulk decisions, renaming,
duplicates, "possibly the same", added and imported signatures, the timeline, the PDF layout
and lead signatories."""
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from cosign import audit, drafting, moderation, signing
from cosign.core import importer
from cosign.models import OutboxMessage, Signature
from tests.factories import make_statement, make_user
from tests.signatures import SECRET, added, confirmed, links, sign, sign_on


def desk(session, statement, status, **filters) -> list[str]:
    page = moderation.search(session, statement.id, status=status, **filters)
    return [s.public_name for s in page.items]


def test_status_counts_cover_every_status_and_leave_flagged_ones_apart(session, opened_statement,
                                                                      frozen_clock):
    statement, owner = opened_statement
    sign(session, statement, sign_on("Unconfirmed Union", "u@union.example"))
    confirmed(session, statement, "Confirmed Collective", "c@collective.example")
    flagged = added(session, statement, owner, "Flagged Foundation")
    added(session, statement, owner, "Approved Alliance")
    flagged.flagged = True
    session.commit()
    assert moderation.status_counts(session, statement.id) == {
        "unconfirmed": 1, "confirmed": 1, "approved": 1, "rejected": 0, "withdrawn": 0}
    assert moderation.flagged_count(session, statement.id) == 1


def test_search_filters_by_text_country_type_and_pages_newest_first(session, opened_statement,
                                                                    frozen_clock):
    statement, owner = opened_statement
    for name, country, org_type, city in [
        ("Basra Teachers Union", "IQ", "union", "Basra"),
        ("Cairo Press Freedom Group", "EG", "ngo", "Cairo"),
        ("Basra Lawyers Association", "IQ", "association", "Basra"),
        ("Tunis Women Network", "TN", "ngo", "Tunis"),
    ]:
        added(session, statement, owner, name, country=country, org_type=org_type, city=city)
        frozen_clock.advance(minutes=1)
    assert desk(session, statement, "approved") == [
        "Tunis Women Network", "Basra Lawyers Association", "Cairo Press Freedom Group",
        "Basra Teachers Union"]
    assert desk(session, statement, "approved", text="  BASRA ") == [
        "Basra Lawyers Association", "Basra Teachers Union"]  # name or city, any case
    assert desk(session, statement, "approved", text="@tunis-women") == [
        "Tunis Women Network"]  # the e-mail address
    assert desk(session, statement, "approved", country="eg") == ["Cairo Press Freedom Group"]
    assert desk(session, statement, "approved", org_type="ngo") == [
        "Tunis Women Network", "Cairo Press Freedom Group"]
    assert desk(session, statement, "approved", text="basra", org_type="union") == [
        "Basra Teachers Union"]
    assert desk(session, statement, "confirmed") == []
    second = moderation.search(session, statement.id, status="approved", page=2, per_page=3)
    assert [s.public_name for s in second.items] == ["Basra Teachers Union"]
    assert (second.total, second.pages) == (4, 2)
    assert moderation.search(session, statement.id, status="approved", page=0,
                             per_page=3).page == 1


def test_a_bulk_decision_stops_at_the_newest_id_it_showed(session, opened_statement, frozen_clock):
    statement, owner = opened_statement
    first = confirmed(session, statement, "Najaf Journalists", "a@najaf.example")
    frozen_clock.advance(minutes=1)
    second = confirmed(session, statement, "Mosul Journalists", "b@mosul.example")
    confirmed(session, statement, "Erbil Lawyers", "c@erbil.example")
    where = moderation.Filter("confirmed", text="journalists")
    shown = moderation.newest_id(session, statement.id, where)
    assert shown == second.id
    frozen_clock.advance(minutes=1)
    late = confirmed(session, statement, "Kirkuk Journalists", "d@kirkuk.example")  # after it
    assert late.id > shown
    picked = moderation.matching(session, statement.id, where, upto=shown)
    assert [s.id for s in picked] == [second.id, first.id]
    done = moderation.approve(session, statement, [s.id for s in picked], owner.id,
                              secret_key=SECRET, link_for=links)
    assert done == 2
    assert desk(session, statement, "confirmed") == ["Kirkuk Journalists", "Erbil Lawyers"]
    assert moderation.newest_id(session, statement.id,
                                moderation.Filter("confirmed", text="nobody")) == 0


def test_approve_takes_confirmed_and_rejected_confirmed_ones_and_mails_them(session,
                                                                            opened_statement):
    statement, owner = opened_statement
    waiting = sign(session, statement, sign_on("Unconfirmed Union", "u@union.example"))
    ready = confirmed(session, statement, "Confirmed Collective", "c@collective.example")
    other_statement = make_statement(session, owner, title="Elsewhere")
    signing.open_for_signature(session, other_statement, owner.id, signing.OpenOptions())
    elsewhere = confirmed(session, other_statement, "Other Org", "o@other.example")
    done = moderation.approve(session, statement, [waiting.id, ready.id, elsewhere.id, 99999],
                              owner.id, secret_key=SECRET, link_for=links)
    assert done == 1  # not the unconfirmed one, not another statement's, not a missing id
    session.expire_all()
    assert session.get(Signature, waiting.id).status == "unconfirmed"
    assert session.get(Signature, elsewhere.id).status == "confirmed"
    approved = session.get(Signature, ready.id)
    assert approved.status == "approved" and approved.decided_by_id == owner.id
    assert session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "signature-approved",
        OutboxMessage.recipient == "c@collective.example")) is not None
    assert moderation.reject(session, statement, [ready.id, waiting.id], owner.id) == 2
    assert moderation.approve(session, statement, [ready.id, waiting.id], owner.id,
                              secret_key=SECRET, link_for=links) == 1  # confirmed before
    session.expire_all()
    assert session.get(Signature, waiting.id).status == "rejected"
    assert session.get(Signature, ready.id).status == "approved"
    assert moderation.approve(session, statement, [], owner.id, secret_key=SECRET,
                              link_for=links) == 0


def test_reject_records_who_and_skips_what_is_already_decided(session, opened_statement,
                                                              frozen_clock):
    statement, owner = opened_statement
    one = added(session, statement, owner, "Approved Alliance")
    assert moderation.reject(session, statement, [one.id], owner.id) == 1
    assert moderation.reject(session, statement, [one.id], owner.id) == 0  # already rejected
    session.expire_all()
    rejected = session.get(Signature, one.id)
    assert (rejected.status, rejected.decided_by_id, rejected.decided_at) == (
        "rejected", owner.id, frozen_clock.now)
    assert audit.details(session, statement.id, ["rejected"]) == [
        {"name": "Approved Alliance", "signature": one.id}]


def test_approval_waits_for_the_domain_when_the_coalition_requires_it(session, opened_statement):
    statement, owner = opened_statement
    verified = confirmed(session, statement, "Verified Org", "press@amnesty.org",
                         website="https://www.amnesty.org")
    unverified = confirmed(session, statement, "Unverified Org", "someone@gmail.com",
                           website="https://www.hrw.org")
    assert verified.domain_verified and not unverified.domain_verified
    moderation.require_domain_verified(session, statement, True, owner.id)
    moderation.require_domain_verified(session, statement, True, owner.id)  # no change: no entry
    assert audit.details(session, statement.id, ["require-domain"]) == [{"required": True}]
    with pytest.raises(signing.SigningError, match="Nothing was approved") as caught:
        moderation.approve(session, statement, [verified.id, unverified.id], owner.id,
                           secret_key=SECRET, link_for=links)
    assert caught.value.params["names"] == "Unverified Org"
    session.expire_all()
    assert session.get(Signature, verified.id).status == "confirmed"  # not even this one
    assert moderation.approve(session, statement, [verified.id], owner.id, secret_key=SECRET,
                              link_for=links) == 1
    assert desk(session, statement, "approved", verified=True) == ["Verified Org"]


def test_get_finds_only_this_statements_unflagged_signatures(session, opened_statement):
    statement, owner = opened_statement
    mine = added(session, statement, owner, "Mine")
    assert moderation.get(session, statement, mine.id).id == mine.id
    other = make_statement(session, owner, title="Another")
    with pytest.raises(drafting.StatementNotFound):
        moderation.get(session, other, mine.id)
    mine.flagged = True
    session.commit()
    with pytest.raises(drafting.StatementNotFound):
        moderation.get(session, statement, mine.id)


def test_rename_changes_the_shown_name_and_keeps_the_original_in_the_log(session, opened_statement):
    statement, owner = opened_statement
    one = added(session, statement, owner, "iraqi democratic association")
    renamed = moderation.rename(session, statement, one.id, "  Iraqi   Democratic Association ",
                                owner.id)
    assert renamed.public_name == "Iraqi Democratic Association"
    moderation.rename(session, statement, one.id, "Iraqi Democratic Association", owner.id)
    assert audit.details(session, statement.id, ["renamed"]) == [{
        "signature": one.id, "original": "iraqi democratic association",
        "new": "Iraqi Democratic Association"}]  # the same name again: no second entry
    with pytest.raises(signing.SigningError) as mixed:
        moderation.rename(session, statement, one.id, "Intern\u0430tional Union", owner.id)
    assert mixed.value.field == "public_name" and "word" in mixed.value.params
    with pytest.raises(signing.SigningError) as empty:
        moderation.rename(session, statement, one.id, "   ", owner.id)
    assert empty.value.field == "public_name"
    session.expire_all()
    assert session.get(Signature, one.id).public_name == "Iraqi Democratic Association"


def test_mark_duplicate_rejects_the_copy_and_names_the_original(session, opened_statement):
    statement, owner = opened_statement
    original = added(session, statement, owner, "Basra Teachers Union")
    copy = added(session, statement, owner, "Teachers Union of Basra")
    copy.similar_to_id, copy.similar_reason = original.id, "name"
    session.commit()
    with pytest.raises(signing.SigningError, match="cannot duplicate itself"):
        moderation.mark_duplicate(session, statement, copy.id, copy.id, owner.id)
    marked = moderation.mark_duplicate(session, statement, copy.id, original.id, owner.id)
    assert (marked.status, marked.duplicate_of_id, marked.similar_to_id,
            marked.similar_reason) == ("rejected", original.id, None, "")
    assert audit.details(session, statement.id, ["duplicate"])[0]["of_name"] == (
        "Basra Teachers Union")
    marked.status = "withdrawn"
    session.commit()
    with pytest.raises(signing.SigningError, match="stays withdrawn"):
        moderation.mark_duplicate(session, statement, copy.id, original.id, owner.id)


def test_not_the_same_clears_the_warning_and_similar_names_resolves_it(session, opened_statement):
    statement, owner = opened_statement
    first = added(session, statement, owner, "Basra Teachers Union")
    second = added(session, statement, owner, "Basra Teachers Guild")
    third = added(session, statement, owner, "Mosul Lawyers")
    second.similar_to_id, second.similar_reason = first.id, "name"
    session.commit()
    assert desk(session, statement, "approved", similar=True) == ["Basra Teachers Guild"]
    assert moderation.similar_names(session, statement.id, [second, third]) == {
        first.id: "Basra Teachers Union"}
    assert moderation.similar_names(session, statement.id, [third]) == {}
    cleared = moderation.not_the_same(session, statement, second.id, owner.id)
    assert cleared.similar_to_id is None and cleared.similar_reason == ""
    assert audit.details(session, statement.id, ["not-duplicate"]) == [{
        "signature": second.id, "name": "Basra Teachers Guild", "of": first.id,
        "of_name": "Basra Teachers Union"}]
    moderation.not_the_same(session, statement, second.id, owner.id)  # nothing left to clear
    assert len(audit.details(session, statement.id, ["not-duplicate"])) == 1
    assert desk(session, statement, "approved", similar=True) == []


def test_add_needs_an_open_statement_and_a_new_name(session, frozen_clock):
    owner = make_user(session)
    draft = make_statement(session, owner)
    with pytest.raises(signing.SigningError, match="Open the statement"):
        added(session, draft, owner, "Too Early")
    signing.open_for_signature(session, draft, owner.id, signing.OpenOptions())
    one = added(session, draft, owner, "Iraqi Democratic Association")
    assert (one.status, one.provenance, one.provenance_detail, one.confirmed_at,
            one.decided_by_id) == ("approved", "added", owner.name, frozen_clock.now, owner.id)
    assert one.revision == draft.signed_revision
    with pytest.raises(signing.SigningError, match="already on the list"):
        added(session, draft, owner, "IRAQI  democratic association")
    assert audit.details(session, draft.id, ["added"]) == [
        {"name": "Iraqi Democratic Association", "signature": one.id}]


def test_import_stores_every_row_or_none(session, opened_statement):
    statement, owner = opened_statement
    added(session, statement, owner, "Already Here")
    rows = [sign_on("Row One Org", "a@one.example"), sign_on("Row Two Org", "b@two.example"),
            sign_on("row one org", "c@three.example")]
    with pytest.raises(signing.SigningError) as twice:
        moderation.import_rows(session, statement, rows, "list.csv", owner.id, lines=[2, 3, 4])
    assert twice.value.params == {"row": 4, "name": "row one org", "first": 2}
    with pytest.raises(signing.SigningError) as existing:
        moderation.import_rows(session, statement, [sign_on("Already here", "x@y.example")],
                               "list.csv", owner.id)
    assert existing.value.params["row"] == 1
    assert moderation.status_counts(session, statement.id)["approved"] == 1  # nothing stored
    assert moderation.import_rows(session, statement, rows[:2], "list.csv", owner.id) == 2
    imported = session.scalars(select(Signature).where(Signature.provenance == "imported")).all()
    assert sorted(s.public_name for s in imported) == ["Row One Org", "Row Two Org"]
    assert {s.provenance_detail for s in imported} == {"imported from list.csv"}
    assert audit.details(session, statement.id, ["imported"]) == [{"count": 2,
                                                                    "file": "list.csv"}]
    draft = make_statement(session, owner, title="Draft")
    with pytest.raises(signing.SigningError, match="Open the statement"):
        moderation.import_rows(session, draft, rows[:1], "list.csv", owner.id)


def test_a_csv_file_is_imported_with_its_line_numbers_and_individuals_as_individuals(
        session, opened_statement):
    statement, owner = opened_statement
    statement.allow_individuals = True
    session.commit()
    result = importer.read_csv(
        "name,country,type,display,city,website,contact_name,email\n"
        "Sahel Rights Watch,ML,ngo,named,Bamako,https://srw.example,Awa,awa@srw.example\n"
        "Mariam Traoré,ML,individual,withheld,,,,\n")
    assert result.ok, result.problems
    assert moderation.import_file(session, statement, result.rows, "list.csv", owner.id) == 2
    by_name = {s.public_name: s for s in session.scalars(
        select(Signature).where(Signature.statement_id == statement.id))}
    ngo, person = by_name["Sahel Rights Watch"], by_name["Mariam Traoré"]
    assert (ngo.kind, ngo.org_type, ngo.country, ngo.city, ngo.website, ngo.email,
            ngo.display) == ("organisation", "ngo", "ML", "Bamako", "https://srw.example",
                             "awa@srw.example", "named")
    assert (person.kind, person.display) == ("individual", "withheld")
    again = importer.read_csv("name,country\nNew Group,SN\nsahel rights  watch,ML\n")
    with pytest.raises(signing.SigningError) as refused:
        moderation.import_file(session, statement, again.rows, "again.csv", owner.id)
    assert refused.value.params["row"] == 3  # the file's own line, header included
    assert moderation.status_counts(session, statement.id)["approved"] == 2


def test_timeline_counts_sign_ons_per_day_with_empty_days(session, opened_statement, frozen_clock):
    statement, owner = opened_statement
    assert moderation.timeline(session, statement.id) == []
    added(session, statement, owner, "Day One A")
    added(session, statement, owner, "Day One B")
    frozen_clock.advance(days=2)
    flagged = added(session, statement, owner, "Day Three Flagged")
    added(session, statement, owner, "Day Three")
    flagged.flagged = True
    session.commit()
    day = frozen_clock.now.date()
    assert moderation.timeline(session, statement.id) == [
        (day - dt.timedelta(days=2), 2), (day - dt.timedelta(days=1), 0), (day, 1)]


def test_pdf_layout_takes_only_the_offered_choices(session, opened_statement):
    statement, owner = opened_statement
    moderation.set_pdf_layout(session, statement, owner.id, page_size="Letter", columns=3,
                              grouping="country", order="signed")
    assert (statement.pdf_page_size, statement.pdf_columns, statement.pdf_grouping,
            statement.pdf_order) == ("Letter", 3, "country", "signed")
    bad_choices: list[dict[str, Any]] = [dict(page_size="A3"), dict(columns=4),
                                         dict(grouping="city"), dict(order="random")]
    for bad in bad_choices:
        choice: dict[str, Any] = {
            **dict(page_size="A4", columns=2, grouping="none", order="alphabetical"), **bad}
        with pytest.raises(signing.SigningError, match="offered layouts"):
            moderation.set_pdf_layout(session, statement, owner.id, **choice)
    assert statement.pdf_page_size == "Letter"
    assert len(audit.details(session, statement.id, ["pdf-settings"])) == 1


def test_lead_rank_from_1_to_999_or_none(session, opened_statement):
    statement, owner = opened_statement
    one = added(session, statement, owner, "Lead Org")
    assert moderation.set_lead_rank(session, statement, one.id, 1, owner.id).lead_rank == 1
    moderation.set_lead_rank(session, statement, one.id, 1, owner.id)  # unchanged: no entry
    for bad in (0, 1000):
        with pytest.raises(signing.SigningError) as caught:
            moderation.set_lead_rank(session, statement, one.id, bad, owner.id)
        assert caught.value.field == "lead_rank"
    assert moderation.set_lead_rank(session, statement, one.id, None, owner.id).lead_rank is None
    assert [d["rank"] for d in audit.details(session, statement.id, ["lead"])] == [1, None]
