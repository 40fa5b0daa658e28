"""The per-statement audit log: who did what, when."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cosign import clock
from cosign.models import AuditEvent


def record(
    session: Session,
    statement_id: int | None,
    actor_id: int | None,
    action: str,
    **detail: Any,
) -> AuditEvent:
    """Add an audit entry to the current transaction (the caller commits)."""
    event = AuditEvent(
        statement_id=statement_id,
        actor_id=actor_id,
        action=action,
        detail_json=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        created_at=clock.now(),
    )
    session.add(event)
    return event


def events_for(session: Session, statement_id: int, limit: int = 500) -> list[AuditEvent]:
    """The newest ``limit`` entries of a statement, newest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.statement_id == statement_id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def details(session: Session, statement_id: int, actions) -> list[dict[str, Any]]:
    """The details of a statement's events with these actions, oldest first."""
    rows = session.scalars(
        select(AuditEvent.detail_json)
        .where(AuditEvent.statement_id == statement_id, AuditEvent.action.in_(list(actions)))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return [json.loads(row or "{}") for row in rows]
