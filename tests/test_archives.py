"""cosign.archives on a real database (SQLite and PostgreSQL): which certified PDFs are due for
an archive timestamp, and what extend() refuses before it asks any authority (a real extension
against a real time-stamping authority is in tests/test_timestamping.py)."""
import datetime as dt
import hashlib
import itertools

import pytest

from cosign import archives
from cosign.models import IssuedPdf
from tests.factories import make_statement, make_user

NOW = dt.datetime(2026, 11, 1, 12, 0)
_numbers = itertools.count(1)


def record(session, statement, *, certified=True, archive_until=None, data=b"%PDF-1.7 x"):
    n = next(_numbers)
    issued = IssuedPdf(statement_id=statement.id, cache_key=f"key-{n}-{statement.id}",
                       code=f"C{n:05d}S{statement.id:04d}", sha256=hashlib.sha256(data).hexdigest(),
                       revision=1, text_sha256="0" * 64, signatory_count=0,
                       template_version="t", file_name=f"file-{n}.pdf", size=len(data),
                       certified=certified, archive_until=archive_until, created_at=NOW)
    session.add(issued)
    session.commit()
    return issued


@pytest.fixture
def statement(session):
    return make_statement(session, make_user(session))


def test_due_are_certified_pdfs_never_stamped_or_expiring_soon(session, statement):
    never = record(session, statement).id
    soon = record(session, statement, archive_until=NOW + dt.timedelta(days=20)).id
    sooner = record(session, statement, archive_until=NOW + dt.timedelta(days=5)).id
    record(session, statement, archive_until=NOW + dt.timedelta(days=400))  # not yet
    record(session, statement, certified=False)  # nothing to extend
    due = archives.due(session, within_days=30, now=NOW)
    assert not session().in_transaction()  # nothing left open for the slow part that follows
    assert set(due) == {never, soon, sooner}
    assert [i for i in due if i != never] == [sooner, soon]  # the most urgent first
    assert archives.due(session, within_days=0, now=NOW) == [never]


def test_extend_refuses_before_asking_any_authority(session, app, statement, tmp_path):
    assert archives.extend(session, 99999, app.config) == archives.Extension(
        "", False, "no such PDF")
    issued = record(session, statement)
    no_tsa = archives.extend(session, issued.id, app.config)
    assert no_tsa == archives.Extension(
        issued.code, False, "no time-stamping authority (COSIGN_TSA_URL) is set")
    config = {**app.config, "COSIGN_TSA_URL": "http://127.0.0.1:9/tsa",
              "COSIGN_STORAGE_DIR": str(tmp_path)}
    missing = archives.extend(session, issued.id, config)
    assert not missing.ok and missing.message.startswith("the file is missing")
    (tmp_path / "pdfs" / issued.file_name).write_bytes(b"%PDF-1.7 changed")
    changed = archives.extend(session, issued.id, config)
    assert changed == archives.Extension(issued.code, False,
                                         "the file on disk is not the issued one; left alone")
    assert (tmp_path / "pdfs" / issued.file_name).read_bytes() == b"%PDF-1.7 changed"
