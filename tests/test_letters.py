"""cosign.letters: a draft and its signatories from a corrected letter, all or nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cosign import letters, moderation, signing
from cosign.core.letter import Listed
from cosign.drafting import Text
from cosign.models import Signature, Statement
from tests.factories import make_user

TEXT = Text("Joint statement on detentions", "We condemn the detentions.")


def counts(session):
    session.rollback()
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Statement, Signature))


def test_the_draft_and_its_signatories_in_one_step(session):
    owner = make_user(session)
    statement = letters.import_letter(
        session, owner.id, TEXT, country="iq", language="en",
        signatories=[Listed(1, "Hope Association", ""), Listed(2, "Writers' Union", "FR")])
    assert statement.status == "draft" and statement.current_revision == 1
    rows = session.scalars(select(Signature).order_by(Signature.id)).all()
    assert [(s.public_name, s.country, s.status, s.revision) for s in rows] == [
        ("Hope Association", "IQ", "confirmed", 1), ("Writers' Union", "FR", "confirmed", 1)]
    assert letters.waiting_from_letter(session, statement) == 2
    signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    moderation.approve(session, statement, [rows[0].id], owner.id, secret_key="k",
                       link_for=lambda purpose, value: f"https://cosign.test/{purpose}/{value}")
    assert letters.waiting_from_letter(session, statement) == 1


@pytest.mark.parametrize("rows, country, field", [
    ([Listed(1, "Hope", ""), Listed(4, "HOPE", "")], "IQ", "signatories"),
    ([Listed(1, "Hope", "")], "", "country"),
    ([Listed(1, "Hope", "XX")], "IQ", "signatories"),
    ([Listed(1, "  ", "")], "IQ", "signatories"),
    ([Listed(n, f"Org {n}", "") for n in range(letters.MAX_SIGNATORIES + 1)], "IQ",
     "signatories"),
])
def test_any_problem_stores_nothing(session, rows, country, field):
    owner = make_user(session)
    before = counts(session)
    with pytest.raises(letters.LetterError) as caught:
        letters.import_letter(session, owner.id, TEXT, signatories=rows, country=country)
    assert caught.value.field == field
    assert counts(session) == before


def test_a_letter_without_signatories(session):
    owner = make_user(session)
    statement = letters.import_letter(session, owner.id, TEXT, signatories=[])
    assert letters.waiting_from_letter(session, statement) == 0
    assert counts(session) == (1, 0)
