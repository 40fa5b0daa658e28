"""The audit log's wording is data next to the actions (cosign.audit.LABELS): every action the
code records has a label, every label's placeholders are filled from its detail, and every
sentence is in the Arabic and French catalogues."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from cosign import audit
from cosign.audit import LABELS, Choice, Label
from cosign.models import AuditEvent
from cosign.web.labels import SHOWN_AS, audit_label

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _labels() -> list[tuple[str, Label]]:
    out = []
    for action, entry in LABELS.items():
        if isinstance(entry, Choice):
            out += [(action, label) for label in (*entry.cases.values(), entry.otherwise)]
        else:
            out.append((action, entry))
    return out


def _recorded_actions() -> set[str]:
    """Every action string the package passes to audit.record, or keeps in a constant or a
    string literal chosen between in the call (``"a" if x else "b"``)."""
    actions: set[str] = set()
    for path in (ROOT / "cosign").rglob("*.py"):
        tree = ast.parse(path.read_text())
        constants = {t.id: n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                     for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit" and len(node.args) >= 4):
                arg = node.args[3]
                for sub in ast.walk(arg):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        actions.add(sub.value)
                    elif isinstance(sub, ast.Name) and sub.id in constants:
                        actions.add(constants[sub.id])
    return actions


@pytest.mark.parametrize(("action", "label"), _labels(), ids=lambda v: getattr(v, "text", v))
def test_a_labels_placeholders_are_its_arguments(action, label):
    assert set(PLACEHOLDER.findall(label.text)) == set(label.args), action
    assert {arg.kind for arg in label.args.values()} <= set(SHOWN_AS), action  # shown somehow


def test_every_action_the_code_records_has_a_label():
    recorded = _recorded_actions()
    assert len(recorded) > 40, recorded  # the scan finds the calls
    assert recorded - set(LABELS) == set()


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_label_is_translated(language):
    path = ROOT / "cosign" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalogue = read_po(f)
    missing = [label.text for _action, label in _labels()
               if not ((message := catalogue.get(label.text)) and message.string)]
    assert missing == []


def test_record_refuses_an_action_without_a_label(session):
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(audit.UnknownAction):
        audit.record(session, None, None, "launched-rockets")
    session.flush()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


@pytest.mark.parametrize(("action", "detail", "english", "arabic_has"), [
    ("invited", {"email": "sara@example.org", "role": "editor"},
     "invited sara@example.org as editor", "sara@example.org"),
    ("settings", {"changed": ["deadline", "title"]}, "changed settings: deadline, title",
     "deadline, title"),
    ("translation-added", {"language": "fr", "source": 2},
     "added a translation into French (from version 2)", "2"),
    ("scheduled", {"at": "2026-12-08T09:30:00"},
     "scheduled publication for 2026-12-08 09:30:00 UTC", "2026-12-08 09:30:00"),
    ("closed", {"reason": "deadline"}, "signing closed at the deadline", None),
    ("closed", {}, "closed signing", None),
    ("lead", {"name": "Sahel Rights", "rank": None},
     "“Sahel Rights” is no longer a lead signatory", "Sahel Rights"),
    ("lead", {"name": "Sahel Rights", "rank": 2},
     "made “Sahel Rights” lead signatory number 2", "Sahel Rights"),
    ("require-domain", {"required": True}, "now approves only domain-verified sign-ons", None),
    ("require-domain", {"required": False},
     "approves sign-ons without domain verification again", None),
    ("login-failed", {"known": False}, "failed login (no such account)", None),
    ("2fa-failed", {}, "wrong second-factor code ()", None),
    ("press-sent", {"kind": "embargoed", "count": 3},
     "sent the embargoed copy to 3 press contacts", None),
    ("earlier-signers", {"choice": ["not", "hashable"]},
     "chose to list signatories of earlier versions who have not re-confirmed apart, with "
     "their version", None),
    ("no-longer-recorded", {"x": 1}, "no-longer-recorded", "no-longer-recorded"),
])
def test_audit_label_words_the_event_in_the_readers_language(app, action, detail, english,
                                                              arabic_has):
    event = AuditEvent(action=action, detail_json=json.dumps(detail))
    with app.test_request_context("/?lang=en"):
        assert audit_label(event) == english
    with app.test_request_context("/?lang=ar"):
        arabic = audit_label(event)
    if action in LABELS:
        assert arabic != english and re.search("[\u0600-\u06ff]", arabic), arabic
    if arabic_has:
        assert arabic_has in arabic
