"""Renders hold no write lock, run one at a time per statement, and leave no orphans.

Real database (SQLite and PostgreSQL), real threads and a real worker process.
A render function that waits for an event stands in for WeasyPrint where a
test needs a render to be "in progress" for as long as it likes.
"""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import func, select

from cosign import jobs, moderation, pdfs, signing
from cosign.extensions import db
from cosign.models import IssuedPdf, Statement
from tests.factories import make_statement, make_user
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def opened(session):
    owner = make_user(session)
    statement = make_statement(session, owner)
    signing.open_for_signature(session, statement, owner.id,
                               signing.OpenOptions(auto_approve=True))
    moderation.add(session, statement, signing.SignOn("First Union", "IQ", "", ""), owner.id)
    return statement, owner


class Blocking:
    """A render that starts, then waits until the test lets it finish."""

    def __init__(self):
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, document, signatories, options) -> bytes:
        with self.lock:
            self.calls += 1
        self.started.set()
        assert self.release.wait(120), "the test never released the render"
        names = ",".join(s.name or "-" for s in signatories)
        return b"%PDF-1.7 " + names.encode() + b"\n%%EOF"


def render_in_thread(app, statement_id: int, render, results: list) -> threading.Thread:
    def target():
        with app.app_context(), jobs.job_context(app):
            try:
                issued = pdfs.render_wanted(db.session(), statement_id, app.config, render=render)
                results.append(None if issued is None else
                               (issued.signatory_count, issued.listing_version))
            except Exception as exc:  # noqa: BLE001  (any failure in the thread: the test reports it)
                results.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def link_for(purpose: str, value: str) -> str:
    return f"http://cosign.test/{purpose}/{value}"


def test_sign_ons_confirmations_and_approvals_commit_while_a_render_runs(app, session, opened):
    statement, owner = opened
    statement_id = statement.id
    session.rollback()
    render = Blocking()
    results: list[Any] = []
    thread = render_in_thread(app, statement_id, render, results)
    assert render.started.wait(60)
    # the render is in progress: writers must not wait for it (SQLite's busy timeout is
    # 10 s; each of these would fail or stall if the render held the write lock)
    began = time.monotonic()
    signature = signing.sign(session, session.get(Statement, statement_id), signing.SignOn(
        "Second Union", "FR", "contact@second.example", "Contact"),
        secret_key=app.config["SECRET_KEY"], link_for=link_for)
    token = signing._signature_token(app.config["SECRET_KEY"], signing.CONFIRM, signature)
    confirmed, changed = signing.confirm(session, token, secret_key=app.config["SECRET_KEY"],
                                         link_for=link_for)
    assert changed and confirmed.status == "approved"  # auto-approve
    moderation.add(session, session.get(Statement, statement_id),
                   signing.SignOn("Third Union", "EG", "", ""), owner.id)
    assert time.monotonic() - began < 5, "writers waited for the render"
    session.rollback()
    render.release.set()
    thread.join(60)
    [(count, version)] = results
    # the render read its list before those changes: it says so, and one more render is owed
    assert count == 1
    statement = session.get(Statement, statement_id)
    assert statement.pdf_wanted_at is not None and statement.pdf_lease_until is None
    assert statement.listing_version > version
    session.rollback()
    second = pdfs.render_wanted(session, statement_id, app.config)
    assert second is not None and second.signatory_count == 3
    session.expire_all()
    assert session.get(Statement, statement_id).pdf_wanted_at is None


def test_concurrent_renders_of_one_statement_coalesce(app, session, opened):
    statement, _owner = opened
    statement_id = statement.id
    session.rollback()
    render = Blocking()
    results: list[Any] = []
    threads = [render_in_thread(app, statement_id, render, results) for _ in range(4)]
    assert render.started.wait(60)
    # the three others find the lease taken and return at once
    assert wait_until(lambda: len(results) == 3)
    assert results == [None, None, None]
    render.release.set()
    for thread in threads:
        thread.join(60)
    assert render.calls == 1
    assert session.scalar(select(func.count()).select_from(IssuedPdf)) == 1
    assert session.get(Statement, statement_id).pdf_wanted_at is None


# an interval of 10 s (30 s by default) and a burst of 18 s: two intervals' worth of
# sign-ons, as 58 were at 30 s, with a third of the sign-ons to write
@pytest.mark.parametrize("app_overrides", [{"COSIGN_PDF_MIN_INTERVAL": 10.0,
                                            "COSIGN_PDF_DEBOUNCE": 2.0}])
def test_a_burst_renders_at_most_once_per_interval_plus_once_after(app, session, frozen_clock,
                                                                  opened, app_overrides):
    statement, owner = opened
    statement_id = statement.id
    fake = lambda document, signatories, options: b"%PDF-1.7 " + str(len(signatories)).encode()  # noqa: E731
    session.rollback()
    assert pdfs.due(session, app.config) == []  # the debounce: the burst may go on
    frozen_clock.advance(seconds=2)
    assert pdfs.render_wanted(session, statement_id, app.config, render=fake) is not None
    renders = 1
    # a sign-on every second for nearly two intervals (t = 3 s ... 20 s)
    for n in range(18):
        frozen_clock.advance(seconds=1)
        moderation.add(session, session.get(Statement, statement_id),
                       signing.SignOn(f"Union number {n}", "IQ", "", ""), owner.id)
        session.rollback()
        renders += pdfs.render_wanted(session, statement_id, app.config, render=fake) is not None
    assert renders == 2  # at 2 s and 12 s
    # the burst is over: one more render, once the interval has passed, covers the rest
    assert pdfs.render_wanted(session, statement_id, app.config, render=fake) is None
    due = pdfs.next_due(session, statement_id, app.config)
    assert due is not None
    session.rollback()
    frozen_clock.now = due
    last = pdfs.render_wanted(session, statement_id, app.config, render=fake)
    assert last is not None and last.signatory_count == 19  # at 22 s: all of them
    assert pdfs.next_due(session, statement_id, app.config) is None


def test_an_expired_lease_is_taken_over(app, session, frozen_clock, opened):
    """A render process killed mid-render: its lease runs out and the next render happens."""
    statement, _owner = opened
    statement_id = statement.id
    session.rollback()
    assert pdfs.claim(session, statement_id, app.config, "dead-host:1:x")
    assert pdfs.render_wanted(session, statement_id, app.config,
                              render=lambda *a: b"%PDF-1.7") is None
    frozen_clock.advance(seconds=float(app.config.get("COSIGN_PDF_LEASE") or 600) + 1)
    assert pdfs.render_wanted(session, statement_id, app.config,
                              render=lambda *a: b"%PDF-1.7") is not None


def test_the_change_signals_bump_the_listing_version(session, opened):
    statement, owner = opened
    before = statement.listing_version
    signature = moderation.add(session, statement, signing.SignOn("Another Union", "IQ", "", ""),
                               owner.id)
    session.expire_all()
    after_add = session.get(Statement, statement.id).listing_version
    assert after_add == before + 1
    moderation.reject(session, session.get(Statement, statement.id), [signature.id], owner.id)
    session.expire_all()
    assert session.get(Statement, statement.id).listing_version == after_add + 1
    # a change that shows nothing new (a sign-on not yet confirmed) does not
    signing.sign(session, session.get(Statement, statement.id), signing.SignOn(
        "Unconfirmed Union", "FR", "x@unconfirmed.example", "X"),
        secret_key="k", link_for=link_for)
    session.expire_all()
    assert session.get(Statement, statement.id).listing_version == after_add + 1


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_kill_9_of_the_worker_leaves_no_render_process(app, db_url, tmp_path):
    """`make run`'s worker warms its render pool at start; kill -9 it: the pool dies too."""
    env = dict(os.environ, DATABASE_URL=db_url, SECRET_KEY="test", COSIGN_DEV="0",
               COSIGN_STORAGE_DIR=str(tmp_path / "storage"), COSIGN_SIGNING_KEY="",
               COSIGN_SIGNING_CERT="", REDIS_URL="", COSIGN_SITE_URL="http://127.0.0.1")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cosign",
                               "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    stderr = cast(io.BufferedReader, worker.stderr)  # stderr=PIPE: typeshed says IO[bytes]
    try:
        # the pool's spawn children (plus multiprocessing's resource tracker)
        assert wait_until(lambda: len(_children(worker.pid)) >= 3, 120), \
            stderr.read1().decode() if worker.poll() is not None else "no pool"
        pool = _children(worker.pid)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        assert wait_until(lambda: not any(_alive(pid) for pid in pool), 60), \
            f"orphaned render processes: {[p for p in pool if _alive(p)]}"
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(30)
