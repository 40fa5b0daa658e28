"""The per-statement audit log: who did what, when, and what each action is called.

Every action that can be recorded is a key of :data:`LABELS`, whose value says how the audit
page words it: an English sentence marked for translation with :func:`N_` (the web layer
translates it), the detail fields it shows, and, for a few actions, a choice between sentences
by one detail value. :func:`record` refuses an action that has no label.
"""
from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cosign import clock
from cosign.errors import N_
from cosign.models import AuditEvent


@dataclass(frozen=True)
class Arg:
    """One placeholder of a label: the detail's ``key``, shown as ``kind`` says: ``plain`` (as
    stored), ``text`` (as stored, nothing when missing), ``role``, ``language`` (a language
    tag, named), ``list`` (joined with commas) or ``moment`` (an ISO time, readable)."""

    key: str
    kind: str = "plain"


@dataclass(frozen=True)
class Label:
    """An action's sentence (an English msgid) and its placeholders."""

    text: str
    args: Mapping[str, Arg] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """A sentence chosen by the detail value ``key``: ``cases[value]``, else ``otherwise``."""

    key: str
    cases: Mapping[Hashable, Label]
    otherwise: Label

    def pick(self, detail: Mapping[str, Any]) -> Label:
        value = detail.get(self.key)
        return self.cases.get(value, self.otherwise) if isinstance(value, Hashable) \
            else self.otherwise


def _s(text: str, **args: str) -> Label:
    """A label whose placeholders name detail keys: ``n="revision"``, ``role="role:role"``."""
    return Label(text, {name: Arg(*spec.split(":", 1)) for name, spec in args.items()})


_ROLE = "role:role"
_LANGUAGE = "language:language"
_NAME = {"name": "name"}

LABELS: dict[str, Label | Choice] = {
    # a statement's text and drafters
    "created": _s(N_("created the statement")),
    "copied": _s(N_("made it from revision %(n)s of %(source)s"), n="revision",
                 source="source"),
    "edited": _s(N_("saved revision %(n)s"), n="revision"),
    "restored": _s(N_("restored revision %(old)s as revision %(n)s"), old="restored_from",
                   n="revision"),
    "settings": _s(N_("changed settings: %(fields)s"), fields="changed:list"),
    "invited": _s(N_("invited %(email)s as %(role)s"), email="email", role=_ROLE),
    "joined": _s(N_("joined as %(role)s"), role=_ROLE),
    "member-added": _s(N_("added a drafter as %(role)s"), role=_ROLE),
    "translation-added": _s(N_("added a translation into %(language)s (from version "
                               "%(source)s)"), language=_LANGUAGE, source="source"),
    "translation-edited": _s(N_("saved revision %(n)s of the %(language)s translation (from "
                                "version %(source)s)"), n="revision", language=_LANGUAGE,
                             source="source"),
    "translation-restored": _s(N_("restored an earlier revision of the %(language)s "
                                  "translation as revision %(n)s"), n="revision",
                               language=_LANGUAGE),
    "commented": _s(N_("commented on revision %(n)s"), n="revision"),
    "resolved-comment": _s(N_("resolved a comment")),
    # signing
    "opened": _s(N_("opened revision %(n)s for signature"), n="revision"),
    "closed": Choice("reason", {"deadline": _s(N_("signing closed at the deadline"))},
                     _s(N_("closed signing"))),
    "new-version": _s(N_("saved revision %(n)s as a new signed version; %(asked)s "
                         "signatories asked to re-confirm"), n="revision", asked="asked"),
    "signed": _s(N_("sign-on received: %(name)s"), **_NAME),
    "signed-again": _s(N_("signed again (no new entry): %(name)s"), **_NAME),
    "signed-after-withdrawal": _s(N_("signed again after withdrawing: %(name)s"), **_NAME),
    "confirmed": _s(N_("confirmed by e-mail: %(name)s"), **_NAME),
    "claim-lost": _s(N_("not confirmed, closed: another sign-on of the same organisation was "
                        "confirmed first: %(name)s"), **_NAME),
    "confirmation-resent": _s(N_("confirmation link sent again on request: %(name)s"),
                              **_NAME),
    "approved": _s(N_("approved: %(name)s"), **_NAME),
    "rejected": _s(N_("rejected: %(name)s"), **_NAME),
    "withdrawn": _s(N_("withdrawn by the signatory: %(name)s"), **_NAME),
    "reconfirmed": _s(N_("re-confirmed for version %(n)s: %(name)s"), n="version", **_NAME),
    "renamed": _s(N_("renamed “%(original)s” to “%(new)s”"), original="original", new="new"),
    "duplicate": _s(N_("marked “%(name)s” as a duplicate of “%(of)s”"), of="of_name",
                    **_NAME),
    "not-duplicate": _s(N_("marked “%(name)s” as not the same as “%(of)s”"), of="of_name",
                        **_NAME),
    "signature-goal": Choice("goal", {None: _s(N_("removed the signature goal"))},
                             _s(N_("set the signature goal to %(goal)s"), goal="goal")),
    "require-domain": Choice(
        "required", {True: _s(N_("now approves only domain-verified sign-ons"))},
        _s(N_("approves sign-ons without domain verification again"))),
    "added": _s(N_("added a signature: %(name)s"), **_NAME),
    "lead": Choice("rank", {None: _s(N_("“%(name)s” is no longer a lead signatory"), **_NAME)},
                   _s(N_("made “%(name)s” lead signatory number %(rank)s"), rank="rank",
                      **_NAME)),
    "imported": _s(N_("imported %(count)s signatures from %(file)s"), count="count",
                   file="file"),
    "letter-imported": _s(N_("imported the letter, with %(count)s signatories to review"),
                          count="count"),
    "contacts-erased": _s(N_("erased the contact data of %(count)s signatories (retention "
                             "period over)"), count="count"),
    # the PDF and publication
    "logo": Choice("removed", {True: _s(N_("removed the logo"))}, _s(N_("changed the logo"))),
    "pdf-settings": _s(N_("changed the PDF layout")),
    "scheduled": _s(N_("scheduled publication for %(when)s UTC"), when="at:moment"),
    "unscheduled": _s(N_("called off the scheduled publication")),
    "earlier-signers": Choice(
        "choice",
        {"omit": _s(N_("chose to leave out signatories of earlier versions who have not "
                       "re-confirmed"))},
        _s(N_("chose to list signatories of earlier versions who have not re-confirmed "
              "apart, with their version"))),
    "published": _s(N_("published revision %(n)s"), n="revision"),
    "press-sent": Choice(
        "kind",
        {"embargoed": _s(N_("sent the embargoed copy to %(count)s press contacts"),
                         count="count")},
        _s(N_("sent the statement to %(count)s press contacts"), count="count")),
    "press-resent": _s(N_("sent the statement again to %(email)s"), email="email"),
    # the press list
    "press-added": _s(N_("added %(email)s to the press list"), email="email"),
    "press-updated": _s(N_("changed %(email)s on the press list"), email="email"),
    "press-removed": _s(N_("removed %(email)s from the press list"), email="email"),
    "press-imported": _s(N_("imported press contacts from %(file)s: %(added)s new, "
                            "%(updated)s updated"), file="file", added="added",
                         updated="updated"),
    "press-subscribed": _s(N_("%(email)s asked to receive statements"), email="email"),
    "press-confirmed": _s(N_("%(email)s confirmed the press subscription"), email="email"),
    "press-unsubscribed": _s(N_("%(email)s unsubscribed from the press list"), email="email"),
    "press-resubscribed": _s(N_("%(email)s subscribed again to the press list"),
                             email="email"),
    # a coordinator's own account (no statement)
    "login-failed": Choice("known", {True: _s(N_("failed login (wrong password)"))},
                           _s(N_("failed login (no such account)"))),
    "2fa-failed": _s(N_("wrong second-factor code (%(reason)s)"), reason="reason:text"),
    "password-changed": _s(N_("changed the password; other sessions ended")),
    "password-change-failed": _s(N_("tried to change the password with a wrong current "
                                    "password")),
    "password-reset-requested": _s(N_("asked for a password reset link")),
    "password-reset": _s(N_("set a new password with a reset link; other sessions ended")),
    "sessions-ended": _s(N_("logged out everywhere")),
    "2fa-enabled": _s(N_("turned two-step login on")),
    "2fa-disabled": _s(N_("turned two-step login off")),
    "digest-on": _s(N_("turned the daily digest on")),
    "digest-off": _s(N_("turned the daily digest off")),
    "recovery-code-used": _s(N_("logged in with a recovery code (%(left)s left)"),
                             left="left"),
    "recovery-codes-regenerated": _s(N_("made new recovery codes")),
    "recovery-codes-failed": _s(N_("tried to make new recovery codes with a wrong password")),
}


class UnknownAction(ValueError):
    """An audit action that :data:`LABELS` does not name: a programming error."""


def label(action: str, detail: Mapping[str, Any]) -> Label | None:
    """How ``action`` with ``detail`` is worded, or None for an action no longer recorded
    (old rows show their code)."""
    entry = LABELS.get(action)
    return entry.pick(detail) if isinstance(entry, Choice) else entry


def record(
    session: Session,
    statement_id: int | None,
    actor_id: int | None,
    action: str,
    **detail: Any,
) -> AuditEvent:
    """Add an audit entry to the current transaction (the caller commits)."""
    if action not in LABELS:
        raise UnknownAction(action)
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


def details(session: Session, statement_id: int, actions: Iterable[str]) -> list[dict[str, Any]]:
    """The details of a statement's events with these actions, oldest first."""
    rows = session.scalars(
        select(AuditEvent.detail_json)
        .where(AuditEvent.statement_id == statement_id, AuditEvent.action.in_(list(actions)))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return [json.loads(row or "{}") for row in rows]
