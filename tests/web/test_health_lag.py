"""/healthz reports the queue's lag (issue 13, item 10): the age of the oldest unsent mail that is
due and of the oldest stale PDF wish, on SQLite and PostgreSQL; the status does not depend on it."""
import datetime as dt

from sqlalchemy import update

from cosign import mail, signing
from cosign.models import OutboxMessage, Statement
from tests.factories import make_statement, make_user


def message(session, kind="press-final", **values) -> None:
    created = mail.enqueue(session, kind=kind, recipient="desk@news.example", template="invitation",
                           context={"inviter": "I", "title": "T", "role": "editor",
                                    "link": "https://cosign.test/x", "has_account": False})
    session.flush()
    if values:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == created.id).values(**values)
        )


def test_lag_fields_count_only_what_is_due_and_stale(app, client, session, frozen_clock):
    t = frozen_clock.now
    owner = make_user(session)
    owed, rendered, draft = (
        make_statement(session, owner, title=f"Statement {n}") for n in range(3)
    )
    for statement in (owed, rendered):
        signing.open_for_signature(session, statement, owner.id, signing.OpenOptions())
    wish = {owed.id: (t - dt.timedelta(seconds=30), None),
            rendered.id: (t - dt.timedelta(seconds=500), t - dt.timedelta(seconds=400)),
            draft.id: (t - dt.timedelta(days=9), None)}  # not open: no PDF is owed
    for statement_id, (wanted, began) in wish.items():
        session.execute(update(Statement).where(Statement.id == statement_id)
                        .values(pdf_wanted_at=wanted, pdf_rendered_at=began))
    message(session)  # due now
    message(session, created_at=t - dt.timedelta(hours=1),
            next_attempt_at=t + dt.timedelta(minutes=10))  # a retry, not due yet
    message(session, created_at=t - dt.timedelta(hours=2), sent_at=t)  # sent
    message(session, created_at=t - dt.timedelta(hours=3), failed_at=t)  # given up
    session.commit()
    frozen_clock.advance(seconds=90)

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not configured",
                                   "mail_lag_seconds": 90, "pdf_lag_seconds": 120}

    # the render of the owed statement began: nothing stale; the mail is sent: no mail lag
    session.execute(update(Statement).where(Statement.id == owed.id)
                    .values(pdf_rendered_at=frozen_clock.now))
    session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None),
                                                OutboxMessage.next_attempt_at <= frozen_clock.now)
                    .values(sent_at=frozen_clock.now))
    session.commit()
    answer = client.get("/healthz").get_json()
    assert (answer["mail_lag_seconds"], answer["pdf_lag_seconds"]) == (0, 0)

    # the retry becomes due: its age counts from when the mail was written
    frozen_clock.advance(minutes=10)
    answer = client.get("/healthz").get_json()
    assert answer["mail_lag_seconds"] == 3600 + 90 + 600 and answer["status"] == "ok"
